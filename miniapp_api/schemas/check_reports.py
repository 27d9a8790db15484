"""Schemas for weekly reports (周排查), monthly minutes (月调度), records and compliance figures."""
from __future__ import annotations

import re
from datetime import date

from marshmallow import fields, validate

from core.pagination import PageQuery
from core.schemas import InputSchema, OutputSchema, one_of

_kind = validate.Regexp(r"^[0-9A-Za-z]{4}$", error="设备种类代码为 4 位，如 3000。")
_long_text = validate.Length(max=20000)


class Month(fields.Field):
    """A calendar month as `YYYY-MM`, loaded as its first day."""

    default_error_messages = {"invalid": "应为月份，格式 YYYY-MM。"}

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", value.strip()) if isinstance(value, str) else None
        if match is None:
            raise self.make_error("invalid")
        return date(int(match[1]), int(match[2]), 1)

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else value.strftime("%Y-%m")


# -- queries ---------------------------------------------------------------------------------------

class WeekQuery(InputSchema):
    kind_code = fields.String(required=True, validate=_kind, metadata={"description": "设备种类，如 3000 电梯"})
    week = fields.Date(metadata={"description": "该周任一日（按周一归周）；默认本周"})


class WeekViewQuery(WeekQuery):
    unit_id = fields.Integer(metadata={"description": "单位；默认本人单位，监管部门须指定"})


class MonthQuery(InputSchema):
    kind_code = fields.String(required=True, validate=_kind)
    month = Month(metadata={"description": "YYYY-MM；默认本月"})


class MonthViewQuery(MonthQuery):
    unit_id = fields.Integer()


class DeviceMonthQuery(InputSchema):
    month = Month(metadata={"description": "YYYY-MM；默认本月"})


class ComplianceQuery(InputSchema, PageQuery):
    region_code = fields.String(validate=validate.Length(equal=6), metadata={"description": "默认本辖区"})
    date_from = fields.Date(metadata={"description": "默认结束日期前 30 天"})
    date_to = fields.Date(metadata={"description": "默认昨天"})
    group_by = fields.String(load_default="unit", validate=one_of(["unit", "region"]))
    threshold = fields.Float(load_default=None, validate=validate.Range(min=0, max=1),
                             metadata={"description": "落后线（完成率），默认 0.8"})
    behind_only = fields.Boolean(load_default=False, metadata={"description": "只列落后单位"})


# -- inputs ----------------------------------------------------------------------------------------

class WeeklyInput(InputSchema):
    analysis = fields.String(validate=_long_text, allow_none=True,
                             metadata={"description": "安全总监的排查分析与治理措施"})


class AttendeeInput(InputSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(validate=validate.Length(max=64), allow_none=True, metadata={"description": "职务"})
    person_id = fields.Integer(allow_none=True)


class MonthlyInput(InputSchema):
    meeting_date = fields.Date(allow_none=True)
    attendees = fields.List(fields.Nested(AttendeeInput), validate=validate.Length(max=200))
    director_report = fields.String(validate=_long_text, allow_none=True)
    decisions = fields.String(validate=_long_text, allow_none=True)
    next_month_tasks = fields.String(validate=_long_text, allow_none=True)


# -- outputs ---------------------------------------------------------------------------------------

class _ReportBase(OutputSchema):
    id = fields.Integer(allow_none=True)
    unit_id = fields.Integer()
    unit_name = fields.String()
    region_code = fields.String()
    kind_code = fields.String()
    kind_name = fields.String()
    title = fields.String()
    status = fields.String(metadata={"description": "new / draft / submitted"})
    status_label = fields.String()
    figures = fields.Dict(metadata={"description": "预填的统计数据（提交后固定）"})
    submitted_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(allow_none=True)
    can_edit = fields.Boolean()


class WeeklyReportSchema(_ReportBase):
    week_start = fields.Date()
    week_end = fields.Date()
    analysis = fields.String(allow_none=True)
    director_person_id = fields.Integer(allow_none=True)
    director_name = fields.String(allow_none=True)


class AttendeeSchema(OutputSchema):
    name = fields.String()
    role = fields.String(allow_none=True)
    person_id = fields.Integer(allow_none=True)


class MonthlyMinutesSchema(_ReportBase):
    month = Month()
    meeting_date = fields.Date(allow_none=True)
    attendees = fields.List(fields.Nested(AttendeeSchema))
    director_report = fields.String(allow_none=True)
    decisions = fields.String(allow_none=True)
    next_month_tasks = fields.String(allow_none=True)
    principal_person_id = fields.Integer(allow_none=True)
    principal_name = fields.String(allow_none=True)
    can_submit = fields.Boolean()


class ComplianceFiguresSchema(OutputSchema):
    units = fields.Integer()
    units_appointed = fields.Integer()
    units_behind = fields.Integer()
    appointment_rate = fields.Float(allow_none=True)
    daily_expected = fields.Integer()
    daily_done = fields.Integer()
    daily_pending = fields.Integer(metadata={"description": "今日应检而尚未检查的台次（当天结束前不算漏检）"})
    daily_missed = fields.Integer(metadata={"description": "漏检台次：已结束的日子里应检未检"})
    daily_rate = fields.Float(allow_none=True, metadata={"description": "已检 /（应检 − 今日待检）"})
    weekly_expected = fields.Integer()
    weekly_submitted = fields.Integer()
    weekly_rate = fields.Float(allow_none=True)
    monthly_expected = fields.Integer()
    monthly_submitted = fields.Integer()
    monthly_rate = fields.Float(allow_none=True)
    open_findings = fields.Integer()
    overdue_findings = fields.Integer()


class UnitComplianceSchema(ComplianceFiguresSchema):
    unit_id = fields.Integer()
    unit_name = fields.String()
    region_code = fields.String()
    region_name = fields.String()
    kinds = fields.List(fields.String())
    missing_appointment_kinds = fields.List(fields.String())
    behind = fields.Boolean()
    behind_reasons = fields.List(fields.String())
    behind_reason_labels = fields.List(fields.String())


class RegionComplianceSchema(ComplianceFiguresSchema):
    region_code = fields.String()
    region_name = fields.String()


class _CompliancePage(OutputSchema):
    region_code = fields.String(allow_none=True)
    region_name = fields.String(allow_none=True)
    date_from = fields.Date()
    date_to = fields.Date()
    through = fields.Date()
    group_by = fields.String()
    threshold = fields.Float()
    totals = fields.Nested(ComplianceFiguresSchema)


class UnitCompliancePageSchema(_CompliancePage):
    items = fields.List(fields.Nested(UnitComplianceSchema))
    page = fields.Integer()
    page_size = fields.Integer()
    total = fields.Integer()


class RegionCompliancePageSchema(_CompliancePage):
    items = fields.List(fields.Nested(RegionComplianceSchema))


COMPLIANCE_SCHEMAS = {"unit": UnitCompliancePageSchema(), "region": RegionCompliancePageSchema()}
