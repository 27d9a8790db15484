"""Schemas for appointments, risk-control lists and the daily check (两个规定)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from core.timeutil import business_today
from miniapp_api.schemas.findings import DeviceSchema, FindingBriefSchema, file_ids
from models.checks import APPOINTMENT_ROLES, ITEM_RESULTS
from services import findings as findings_service
from services.checks import checklists

_kind_code = validate.Regexp(r"^[0-9A-Za-z]{4}$", error="设备种类代码为 4 位。")
_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


# -- appointments -----------------------------------------------------------------------

class AppointmentInput(InputSchema):
    person_id = fields.Integer(required=True)
    role = fields.String(required=True, validate=one_of(APPOINTMENT_ROLES))
    kind_code = fields.String(validate=_kind_code, allow_none=True)
    start_date = fields.Date(allow_none=True)


class AppointmentEndInput(InputSchema):
    end_date = fields.Date(allow_none=True)


class AppointmentQuery(InputSchema):
    include_ended = fields.Boolean(load_default=False)
    role = fields.String(validate=one_of(APPOINTMENT_ROLES))
    kind_code = fields.String(validate=_kind_code)


class AppointmentSchema(OutputSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    person_id = fields.Integer()
    person_name = fields.Function(lambda a: a.person.name)
    role = fields.String()
    role_label = fields.Function(lambda a: APPOINTMENT_ROLES.get(a.role))
    kind_code = fields.String(allow_none=True)
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    current = fields.Function(lambda a: a.start_date <= business_today()
                              and (a.end_date is None or a.end_date > business_today()))
    appointed_by_person_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class MissingKindSchema(OutputSchema):
    kind_code = fields.String()
    kind_name = fields.String()
    devices = fields.Integer()
    devices_without_officer = fields.Integer()
    missing_roles = fields.List(fields.String())
    missing_role_labels = fields.List(fields.String())


class MissingUnitSchema(OutputSchema):
    unit_id = fields.Function(lambda r: r["unit"].id)
    unit_name = fields.Function(lambda r: r["unit"].name)
    region_code = fields.Function(lambda r: r["unit"].region_code)
    region_name = fields.Function(lambda r: r["unit"].region.name)
    problems = fields.List(fields.Nested(MissingKindSchema))


MissingUnitPageSchema = page_schema(MissingUnitSchema)


# -- risk-control lists -----------------------------------------------------------------

class ChecklistItemSchema(OutputSchema):
    key = fields.String()
    text = fields.String()


class ChecklistSchema(OutputSchema):
    id = fields.Integer()
    unit_id = fields.Integer(allow_none=True)
    is_default = fields.Function(lambda c: c.unit_id is None)
    kind_code = fields.String()
    name = fields.String()
    items = fields.List(fields.Nested(ChecklistItemSchema))
    updated_at = fields.DateTime()


class ChecklistQuery(InputSchema):
    kind_code = fields.String(required=True, validate=_kind_code)
    unit_id = fields.Integer()


class ChecklistItemInput(InputSchema):
    key = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$", error="编号只能由字母、数字、_ 和 - 组成。"),
                        allow_none=True)
    text = fields.String(required=True, validate=_text(200))


class ChecklistInput(InputSchema):
    name = fields.String(validate=_text(128))
    items = fields.List(fields.Nested(ChecklistItemInput), required=True,
                        validate=validate.Length(min=1, max=checklists.MAX_ITEMS))


# -- the daily check --------------------------------------------------------------------

class ScanInput(InputSchema):
    code = fields.String(required=True, validate=_text(32))


class ScanSchema(OutputSchema):
    scanned_at = fields.DateTime()
    scan_token = fields.String()
    expires_in = fields.Integer()
    equipment = fields.Nested(DeviceSchema)
    checklist = fields.Nested(ChecklistSchema, allow_none=True)
    today_state = fields.Function(lambda s: "done" if s.today_check else "missing")
    today_check_id = fields.Function(lambda s: s.today_check.id if s.today_check else None)


class AnswerInput(InputSchema):
    item_key = fields.String(required=True, validate=_text(32))
    result = fields.String(required=True, validate=one_of(ITEM_RESULTS))
    note = fields.String(validate=validate.Length(max=500), allow_none=True)
    photo_ids = file_ids()
    severity = fields.String(validate=one_of(["general", "serious"]), allow_none=True)
    immediate_action = fields.String(validate=one_of(["fixed", "maintenance_notified"]), allow_none=True)
    deadline = fields.Date(allow_none=True)

    @validates_schema
    def _escalation(self, data, **kwargs):
        """Order 74: an abnormal item is a 一般 or 严重 hazard; a 一般 one is fixed or reported at once."""
        if data["result"] == "normal":
            extra = [f for f in ("severity", "immediate_action", "deadline") if data.get(f)]
            if extra:
                raise ValidationError({f: ["正常项无需填写。"] for f in extra})
            return
        if not data.get("severity"):
            raise ValidationError("异常项须选择隐患等级（一般或严重）。", field_name="severity")
        if data["severity"] == "general" and not data.get("immediate_action"):
            raise ValidationError("一般隐患须当场处理或通知维保单位，请选择处理方式。", field_name="immediate_action")
        if data.get("deadline") and data["deadline"] < business_today():
            raise ValidationError("整改期限不能早于今天。", field_name="deadline")


class DailyCheckInput(InputSchema):
    equipment_id = fields.Integer(required=True)
    scan_token = fields.String(validate=validate.Length(max=512), allow_none=True)
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)
    answers = fields.List(fields.Nested(AnswerInput), required=True,
                          validate=validate.Length(min=1, max=checklists.MAX_ITEMS))


class BatchItemInput(DailyCheckInput):
    idempotency_key = fields.String(required=True, validate=_text(128))


class DailyBatchInput(InputSchema):
    items = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=200))


class DailyCheckSchema(OutputSchema):
    id = fields.Integer()
    equipment_id = fields.Integer()
    equipment = fields.Nested(DeviceSchema)
    unit_id = fields.Integer()
    officer_person_id = fields.Integer()
    check_date = fields.Date()
    scanned_at = fields.DateTime(allow_none=True)
    scanned = fields.Function(lambda c: c.scanned_at is not None)
    submitted_at = fields.DateTime()
    checklist_id = fields.Integer(allow_none=True)
    results = fields.List(fields.Dict())
    abnormal_count = fields.Integer()
    zero_risk = fields.Boolean()
    note = fields.String(allow_none=True)
    findings = fields.Function(lambda c: FindingBriefSchema(many=True).dump(
        findings_service.for_source("daily_check", c.id)))


class BatchResultSchema(OutputSchema):
    created = fields.Function(lambda r: sum(1 for i in r["results"] if i["status"] == "created"))
    replayed = fields.Function(lambda r: sum(1 for i in r["results"] if i["status"] == "replayed"))
    errors = fields.Function(lambda r: sum(1 for i in r["results"] if i["status"] == "error"))
    results = fields.List(fields.Dict())


class DayQuery(InputSchema):
    date = fields.Date()
    scope = fields.String(load_default="mine", validate=one_of(["mine", "unit"]))
    state = fields.String(validate=one_of(["done", "missing"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    page_size = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1000))


class DeviceOfDaySchema(OutputSchema):
    equipment = fields.Nested(DeviceSchema)
    code = fields.String(allow_none=True)
    state = fields.String()
    checklist_id = fields.Integer(allow_none=True)
    daily_check_id = fields.Function(lambda d: d.check.id if d.check else None)
    submitted_at = fields.Function(lambda d: d.check.submitted_at.isoformat() if d.check else None)
    scanned = fields.Function(lambda d: d.check.scanned_at is not None if d.check else None)
    zero_risk = fields.Function(lambda d: d.check.zero_risk if d.check else None)


class DaySchema(OutputSchema):
    date = fields.Date()
    total = fields.Integer()
    done = fields.Integer()
    missing = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    items = fields.List(fields.Nested(DeviceOfDaySchema))
    checklists = fields.List(fields.Nested(ChecklistSchema))


class DailyCheckQuery(PageQuery):
    equipment_id = fields.Integer()
    unit_id = fields.Integer()
    officer_person_id = fields.Integer()
    date_from = fields.Date()
    date_to = fields.Date()
    zero_risk = fields.Boolean()


DailyCheckPageSchema = page_schema(DailyCheckSchema)
