"""Schemas of the `inspection` domain: applications to inspection agencies (报检) and the agencies.

Output per audience: lists and regulators get the contact phone masked
(`InspectionApplicationSchema`, `InspectionApplicationDetailSchema`); the two parties
get it whole in the detail view (`InspectionApplicationFullSchema`), since the agency
calls to arrange the visit. `AgencyPendingApplicationSchema` is the short form an
agency's staff see on a device (the one-code scan). Planning: `PlanInput`, the late lists
(`LateQuery`, `LateCountsSchema`); `plan_late` / `report_late` flag an application whose
plan or report is past its deadline (services.inspection.planning).
"""
from __future__ import annotations

from marshmallow import fields, validate

from core.idcodes import mask_phone
from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, StepSchema, id_field, one_of
from miniapp_api.schemas.equipment.records import EquipmentSummarySchema
from models.inspection import INSPECTION_APPLICATION_STATUSES, INSPECTION_TYPES, SUPERVISION_WORKS
from services.inspection import applications, planning

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


# -- requests ------------------------------------------------------------------------------

class InspectionApplicationInput(InputSchema):
    equipment_id = id_field(required=True)
    agency_unit_id = id_field(required=True)
    inspection_type = fields.String(required=True, validate=one_of(INSPECTION_TYPES))
    work_type = fields.String(validate=one_of(SUPERVISION_WORKS), allow_none=True,
                              metadata={"description": "监督检验的施工类别（安装、改造、重大修理）；其他检验不填"})
    reinspection_of_result_id = id_field(allow_none=True,
                                         metadata={"description": "复检：该设备不合格（不允许使用）的检验结果编号"})
    requested_date = fields.Date(required=True)
    contact_name = fields.String(required=True, validate=_text(64))
    contact_phone = fields.String(required=True, validate=_text(32))
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class AcceptInput(InputSchema):
    planned_date = fields.Date(allow_none=True, metadata={"description": "暂定的检验日期（可不填，安排时确定）"})
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class PlanInput(InputSchema):
    planned_date = fields.Date(required=True)
    inspector_person_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=20),
                                       metadata={"description": "检验人员（本机构持有效检验人员证的人员编号）"})
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class RefuseInput(InputSchema):
    reason = fields.String(required=True, validate=_text(1000))


class WithdrawInput(InputSchema):
    reason = fields.String(validate=validate.Length(max=1000), allow_none=True)


class InspectionApplicationQuery(PageQuery):
    status = fields.String(validate=one_of(INSPECTION_APPLICATION_STATUSES))
    equipment_id = id_field()
    agency_unit_id = id_field()
    inspection_type = fields.String(validate=one_of(INSPECTION_TYPES))


class AgencyQuery(PageQuery):
    q = fields.String(validate=_text(64))
    region_code = fields.String(validate=validate.Length(equal=6), metadata={"description": "机构所在地区（含下级）"})
    equipment_id = id_field(metadata={"description": "只列核准范围覆盖该设备类别和所在地区的机构"})
    catalogue_code = fields.String(validate=validate.Regexp(r"^[0-9A-Z]{4}$"),
                                   metadata={"description": "只列核准范围覆盖该设备类别的机构"})
    inspection_type = fields.String(validate=one_of(INSPECTION_TYPES),
                                    metadata={"description": "只列核准范围含该检验类型的机构"})


class LateQuery(PageQuery):
    kind = fields.String(required=True, validate=one_of(planning.LATE_KINDS),
                         metadata={"description": "plan：超过期限未安排（或安排晚于期限）；report：超过期限未出具结果"})
    agency_unit_id = id_field()
    region_code = fields.String(validate=validate.Length(equal=6))
    include_done = fields.Boolean(load_default=False, metadata={"description": "含已办结（已出结果、撤回）的申请"})


class LateCountsQuery(InputSchema):
    agency_unit_id = id_field()
    region_code = fields.String(validate=validate.Length(equal=6))


# -- responses -------------------------------------------------------------------------------

class InspectionApplicationSchema(OutputSchema):
    """An application in a list, and as a regulator sees it: the contact phone masked."""

    id = fields.Integer()
    equipment_id = fields.Integer()
    equipment = fields.Nested(EquipmentSummarySchema)
    applicant_unit_id = fields.Integer()
    applicant_unit_name = fields.Function(lambda a: a.applicant_unit.name)
    agency_unit_id = fields.Integer()
    agency_unit_name = fields.Function(lambda a: a.agency_unit.name)
    region_code = fields.String()
    inspection_type = fields.String()
    inspection_type_label = fields.Function(applications.type_label)
    work_type = fields.String(allow_none=True)
    work_type_label = fields.Function(lambda a: SUPERVISION_WORKS.get(a.work_type) if a.work_type else None)
    reinspection_of_result_id = fields.Integer(allow_none=True)
    requested_date = fields.Date()
    planned_date = fields.Date(allow_none=True)
    status = fields.String()
    status_label = fields.Function(lambda a: INSPECTION_APPLICATION_STATUSES[a.status])
    pending = fields.Boolean()
    late = fields.Boolean()
    plan_due_on = fields.Date(allow_none=True, metadata={"description": "安排检验的期限"})
    planned_at = fields.DateTime(allow_none=True)
    inspector_person_ids = fields.List(fields.Integer())
    report_due_on = fields.Date(allow_none=True, metadata={"description": "出具检验结果的期限"})
    result_id = fields.Integer(allow_none=True)
    plan_late = fields.Function(lambda a: planning.is_plan_late(a), metadata={"description": "安排超期"})
    report_late = fields.Function(lambda a: planning.is_report_late(a), metadata={"description": "报告超期"})
    contact_name = fields.String()
    contact_phone = fields.Function(lambda a: mask_phone(a.contact_phone))
    submitted_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class InspectionApplicationEventSchema(StepSchema):
    action_label = fields.Function(lambda e: applications.ACTION_LABELS.get(e.action, e.action))


class InspectionApplicationDetailSchema(InspectionApplicationSchema):
    """One application with its history, as a regulator sees it (contact phone masked)."""

    note = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    inspectors = fields.Function(planning.inspectors_of, metadata={"description": "安排的检验人员 [{id, name}]"})
    events = fields.List(fields.Nested(InspectionApplicationEventSchema))


class InspectionApplicationFullSchema(InspectionApplicationDetailSchema):
    """One application as the applicant and the agency see it: the contact phone whole."""

    contact_phone = fields.String()


InspectionApplicationPageSchema = page_schema(InspectionApplicationSchema)


class LateCountsSchema(OutputSchema):
    plan = fields.Integer(metadata={"description": "安排超期的申请数"})
    report = fields.Integer(metadata={"description": "报告超期的申请数"})


class AgencyPendingApplicationSchema(OutputSchema):
    """The pending application an agency's staff see when they scan the device's code."""

    id = fields.Integer()
    inspection_type = fields.String()
    inspection_type_label = fields.Function(applications.type_label)
    status = fields.String()
    status_label = fields.Function(lambda a: INSPECTION_APPLICATION_STATUSES[a.status])
    requested_date = fields.Date()
    planned_date = fields.Date(allow_none=True)
    late = fields.Boolean()
    applicant_unit_name = fields.Function(lambda a: a.applicant_unit.name)
    contact_name = fields.String()
    contact_phone = fields.String()
    note = fields.String(allow_none=True)
    submitted_at = fields.DateTime()


class AgencySchema(OutputSchema):
    id = fields.Integer()
    name = fields.String()
    region_code = fields.String()
    region_name = fields.Function(lambda u: u.region.name)
    address = fields.String(allow_none=True)


AgencyPageSchema = page_schema(AgencySchema)
