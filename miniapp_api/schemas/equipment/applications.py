"""Schemas for lifecycle applications, their per-kind forms and maintenance contracts."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from core.errors import InvalidInput
from core.extensions import db
from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, StepSchema, one_of
from core.timeutil import business_today
from miniapp_api.schemas.equipment.records import EquipmentSummarySchema
from models.equipment import APPLICATION_KINDS, APPLICATION_STATUSES, CHANGE_TYPES
from models.orgs import Region
from services.equipment import application_rules, applications, contracts

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731
_region = validate.Length(equal=6)
_file_id = lambda: fields.String(validate=_text(32))  # noqa: E731


# -- the form of each kind (a missing field is a 422 naming form.<field>) -----------------

class ConstructionNoticeForm(InputSchema):
    work_type = fields.String(required=True, validate=one_of(application_rules.WORK_SCOPES))
    planned_start_date = fields.Date(required=True)
    contact_name = fields.String(required=True, validate=_text(64))
    contact_phone = fields.String(required=True, validate=_text(32))
    description = fields.String(validate=_text(1000), allow_none=True)


class UseRegistrationForm(InputSchema):
    put_into_use_date = fields.Date(allow_none=True)  # left out when registering before use
    region_code = fields.String(validate=_region, allow_none=True)  # a device moved in from another office
    address = fields.String(validate=_text(256), allow_none=True)


class AlterationForm(InputSchema):
    completed_on = fields.Date(required=True)
    resumed_use_on = fields.Date(allow_none=True)
    alteration_unit_name = fields.String(validate=_text(128), allow_none=True)
    description = fields.String(validate=_text(1000), allow_none=True)


class RelocationForm(InputSchema):
    new_address = fields.String(required=True, validate=_text(256))
    new_region_code = fields.String(validate=_region, allow_none=True)
    relocated_on = fields.Date(allow_none=True)


class RelocationOutForm(InputSchema):
    new_region_code = fields.String(required=True, validate=_region)
    new_address = fields.String(validate=_text(256), allow_none=True)
    reason = fields.String(validate=_text(500), allow_none=True)


class UnitChangeForm(InputSchema):
    new_use_unit_id = fields.Integer(required=True)
    transferred_on = fields.Date(allow_none=True)
    reason = fields.String(validate=_text(500), allow_none=True)


class RenameForm(InputSchema):
    new_name = fields.String(required=True, validate=_text(128))


class ContinuedUseForm(InputSchema):
    evidence_type = fields.String(required=True, validate=one_of(["inspection", "safety_assessment"]))
    report_no = fields.String(required=True, validate=_text(64))
    report_file_id = fields.String(required=True, validate=_text(32))


class SuspensionForm(InputSchema):
    stopped_on = fields.Date(required=True)
    reason = fields.String(required=True, validate=_text(500))
    planned_resume_on = fields.Date(allow_none=True)


class ResumptionForm(InputSchema):
    self_check_on = fields.Date(required=True)
    resume_on = fields.Date(allow_none=True)


class RetirementForm(InputSchema):
    reason = fields.String(required=True, validate=_text(500))
    effective_on = fields.Date(allow_none=True)
    authorisation_file_id = fields.String(validate=_text(32), allow_none=True)


class MaintenanceFilingForm(InputSchema):
    maintenance_unit_id = fields.Integer(required=True)
    contract_no = fields.String(required=True, validate=_text(64))
    signed_on = fields.Date(required=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    interval_days = fields.Integer(validate=validate.Range(min=1, max=366), allow_none=True)
    mode = fields.String(validate=one_of(contracts.MODES), load_default="fixed")


FORM_SCHEMAS: dict[str, type[InputSchema]] = {
    "construction_notice": ConstructionNoticeForm, "use_registration": UseRegistrationForm,
    "alteration": AlterationForm, "relocation": RelocationForm, "relocation_out": RelocationOutForm,
    "unit_change": UnitChangeForm, "rename": RenameForm, "continued_use": ContinuedUseForm,
    "suspension": SuspensionForm, "resumption": ResumptionForm, "cancellation": RetirementForm,
    "scrapping": RetirementForm, "maintenance_filing": MaintenanceFilingForm,
}


def load_form(kind: str, change_type: str | None, data: dict) -> dict:
    """Validate the form of `kind` and return it as plain JSON (dates as ISO text)."""
    if (kind == "change_registration") != (change_type is not None):
        raise InvalidInput.field("change_type", "变更登记须选择变更类型，其他业务不填。", code="change_type_invalid")
    schema = FORM_SCHEMAS[change_type or kind]()
    try:
        return schema.dump(schema.load(data or {}))
    except ValidationError as error:
        raise InvalidInput("表单填写有误，请检查标出的字段。", details={"fields": {"form": error.messages}})


# -- requests ------------------------------------------------------------------------------

class ApplicationInput(InputSchema):
    kind = fields.String(required=True, validate=one_of(APPLICATION_KINDS))
    change_type = fields.String(validate=one_of(CHANGE_TYPES), allow_none=True)
    form = fields.Dict(keys=fields.String(), load_default=dict)
    documents = fields.List(_file_id(), load_default=list, validate=validate.Length(max=50))
    note = fields.String(validate=_text(1000), allow_none=True)
    submit = fields.Boolean(load_default=False)


class ApplicationUpdateInput(InputSchema):
    form = fields.Dict(keys=fields.String())
    documents = fields.List(_file_id(), validate=validate.Length(max=50))
    note = fields.String(validate=_text(1000), allow_none=True)


class OfflineRecordInput(InputSchema):
    """A step done offline, recorded by the registration office (services.equipment.offline)."""
    kind = fields.String(required=True, validate=one_of(APPLICATION_KINDS))
    change_type = fields.String(validate=one_of(CHANGE_TYPES), allow_none=True)
    form = fields.Dict(keys=fields.String(), load_default=dict)
    done_on = fields.Date(required=True)
    certificate_no = fields.String(validate=validate.Length(max=32), allow_none=True)
    note = fields.String(validate=_text(1000), allow_none=True)


class ActionInput(InputSchema):
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class ApplicationQuery(PageQuery):
    kind = fields.String(validate=one_of(APPLICATION_KINDS))
    change_type = fields.String(validate=one_of(CHANGE_TYPES))
    status = fields.String(validate=one_of(APPLICATION_STATUSES))
    region_code = fields.String(validate=_region)
    office_region_code = fields.String(validate=_region)
    equipment_id = fields.Integer()
    applicant_unit_id = fields.Integer()
    overdue = fields.Boolean()


# -- responses -------------------------------------------------------------------------------

def _office_name(application) -> str | None:
    region = db.session.get(Region, application.office_region_code)
    return (region.office_name or region.name) if region else None


class ApplicationSchema(OutputSchema):
    id = fields.Integer()
    kind = fields.String()
    change_type = fields.String(allow_none=True)
    kind_label = fields.Function(applications.kind_label)
    equipment_id = fields.Integer()
    equipment = fields.Nested(EquipmentSummarySchema)
    applicant_unit_id = fields.Integer()
    applicant_unit_name = fields.Function(lambda a: a.applicant_unit.name)
    region_code = fields.String()
    office_region_code = fields.String()
    office_name = fields.Function(_office_name)
    status = fields.String()
    status_label = fields.Function(lambda a: APPLICATION_STATUSES[a.status])
    late_days = fields.Integer(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    offline = fields.Function(lambda a: bool((a.form or {}).get("offline")))  # recorded by the office
    submitted_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    due_date = fields.Date(allow_none=True)
    overdue = fields.Function(lambda a: applications.is_overdue(a))
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ApplicationEventSchema(StepSchema):
    action_label = fields.Function(lambda e: applications.ACTION_LABELS.get(e.action, e.action))


class ApplicationDetailSchema(ApplicationSchema):
    form = fields.Dict()
    # 使用登记 of a newly installed device: the 监督检验合格 it cites (date, report number), as recorded
    # on approval; before that, the device's current one.
    supervision = fields.Function(
        lambda a: ((a.form or {}).get("supervision") or application_rules.supervision_cited(a.equipment))
        if a.kind == "use_registration" else None,
        allow_none=True, metadata={"description": "使用登记所依据的监督检验合格日期与报告编号"})
    documents = fields.List(fields.String())
    note = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    events = fields.List(fields.Nested(ApplicationEventSchema))


ApplicationPageSchema = page_schema(ApplicationSchema)


class MaintenanceContractSchema(OutputSchema):
    id = fields.Integer()
    equipment_id = fields.Integer()
    use_unit_id = fields.Integer()
    maintenance_unit_id = fields.Integer()
    maintenance_unit_name = fields.Function(lambda c: c.maintenance_unit.name)
    contract_no = fields.String(allow_none=True)
    signed_on = fields.Date(allow_none=True)
    start_date = fields.Date()
    end_date = fields.Date()
    interval_days = fields.Integer()
    mode = fields.String()
    mode_label = fields.Function(lambda c: contracts.MODES.get(c.mode, c.mode))
    status = fields.String()
    in_force = fields.Function(lambda c: c.status == "filed" and c.start_date <= business_today() <= c.end_date)
    application_id = fields.Integer(allow_none=True)
