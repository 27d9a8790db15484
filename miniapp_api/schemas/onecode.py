"""Scan answers, one schema per target type and audience (a whitelist of fields, never a filtered
superset); the audiences themselves are registered by the domains (services.onecode.views)."""
from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import InputSchema, OutputSchema, one_of
from miniapp_api.schemas.checks import ChecklistSchema
from miniapp_api.schemas.equipment.records import EquipmentSchema, EquipmentSummarySchema
from miniapp_api.schemas.inspection.applications import AgencyPendingApplicationSchema


class PublicCardSchema(OutputSchema):
    code = fields.String()
    category_code = fields.String()
    category = fields.String()
    registration_cert_no = fields.String(allow_none=True)
    use_unit_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    maintenance_unit_name = fields.String(allow_none=True)
    maintenance_unit_phone = fields.String(allow_none=True)
    last_inspection_date = fields.String(allow_none=True)
    last_inspection_conclusion = fields.String(allow_none=True)
    next_due_date = fields.String(allow_none=True)
    next_due_type = fields.String(allow_none=True)
    status_colour = fields.String()
    status_text = fields.String()
    rescue_phone = fields.String(allow_none=True)
    actions = fields.List(fields.String())


class PublicScanSchema(OutputSchema):
    audience = fields.String()
    card = fields.Nested(PublicCardSchema)


class ReporterScanSchema(PublicScanSchema):
    equipment_id = fields.Function(lambda s: s.target.id)
    actions = fields.Function(lambda s: [*s.card["actions"], "report_risk"])


class ScanDailyCheckSchema(OutputSchema):
    """Today's daily check (日管控) of the scanned device (services.checks.onecode.ScanDay)."""

    date = fields.Date(attribute="day", metadata={"description": "今天（北京时间）"})
    checked = fields.Boolean(metadata={"description": "今天是否已完成日管控检查"})
    check_id = fields.Integer(allow_none=True)
    checked_at = fields.DateTime(allow_none=True, metadata={"description": "提交时间"})
    checked_by_person_id = fields.Integer(allow_none=True)
    checked_by_name = fields.String(allow_none=True)
    zero_risk = fields.Boolean(allow_none=True, metadata={"description": "零风险（无异常项）"})
    abnormal_count = fields.Integer(allow_none=True)
    can_check = fields.Boolean(metadata={"description": "调用者（本单位安全员、安全总监）现在可以检查"})
    checklist = fields.Nested(ChecklistSchema, allow_none=True,
                              metadata={"description": "要填写的安全风险管控清单（仅 can_check 时）"})
    scan_token = fields.String(allow_none=True,
                               metadata={"description": "扫码凭证，提交 POST /api/v1/checks/daily 时带上"})
    scanned_at = fields.DateTime(allow_none=True)
    expires_in = fields.Integer(allow_none=True)
    submit_path = fields.Function(lambda d: "/api/v1/checks/daily" if d.can_check else None, allow_none=True)


def _unit_actions(scan) -> list[str]:
    day = scan.details.get("daily_check")
    return [*scan.card["actions"], "report_risk", "view_record", *(["daily_check"] if day and day.can_check else [])]


class UnitScanSchema(PublicScanSchema):
    equipment = fields.Nested(EquipmentSummarySchema, attribute="target")
    safety_officer_person_id = fields.Function(lambda s: s.target.safety_officer_person_id)
    daily_check = fields.Nested(ScanDailyCheckSchema, attribute="details.daily_check", allow_none=True,
                                metadata={"description": "今天的日管控；设备不在日管控范围内时为 null"})
    actions = fields.Function(_unit_actions)


class AgencyScanSchema(PublicScanSchema):
    equipment = fields.Nested(EquipmentSummarySchema, attribute="target")
    application = fields.Nested(AgencyPendingApplicationSchema, attribute="details.application")
    actions = fields.Function(lambda s: [*s.card["actions"], "view_application"])


class HistorySchema(OutputSchema):
    at = fields.DateTime()
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    actor_person_id = fields.Integer(allow_none=True)


class RegulatorScanSchema(PublicScanSchema):
    equipment = fields.Nested(EquipmentSchema, attribute="target")
    history = fields.List(fields.Nested(HistorySchema), attribute="details.history")


# (target type, audience) -> the answer's schema; a domain adding a target type adds its own.
SCAN_SCHEMAS = {("equipment", "public"): PublicScanSchema(), ("equipment", "reporter"): ReporterScanSchema(),
                ("equipment", "unit"): UnitScanSchema(), ("equipment", "agency"): AgencyScanSchema(),
                ("equipment", "regulator"): RegulatorScanSchema()}


class CodeSchema(OutputSchema):
    code = fields.String()
    target_type = fields.String()
    target_id = fields.Integer()
    equipment_id = fields.Integer(allow_none=True)
    status = fields.String()
    url = fields.String()
    created_at = fields.DateTime()
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)


class VoidInput(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class JobInput(InputSchema):
    kind = fields.String(required=True, validate=one_of(["assign", "label_sheet"]))
    unit_id = fields.Integer()
    region_code = fields.String(validate=validate.Length(equal=6))


class JobSchema(OutputSchema):
    id = fields.Integer()
    kind = fields.String()
    unit_id = fields.Integer(allow_none=True)
    region_code = fields.String()
    status = fields.String()
    total = fields.Integer()
    processed = fields.Integer()
    file_id = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
