"""Schemas for production units' daily check, weekly report and monthly minutes (Order 73)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.schemas import InputSchema, OutputSchema, one_of
from core.timeutil import business_today
from miniapp_api.schemas.check_reports import Month
from miniapp_api.schemas.checks import ChecklistSchema, DailyCheckSchema
from miniapp_api.schemas.findings import file_ids
from models.checks import ITEM_RESULTS
from services.checks import checklists


class ProductionAnswerInput(InputSchema):
    item_key = fields.String(required=True, validate=validate.Length(min=1, max=32))
    result = fields.String(required=True, validate=one_of(ITEM_RESULTS))
    note = fields.String(validate=validate.Length(max=500), allow_none=True)
    photo_ids = file_ids()
    severity = fields.String(validate=one_of(["general", "serious"]), allow_none=True)
    immediate_action = fields.String(validate=one_of(["fixed"]), allow_none=True,
                                     metadata={"description": "一般问题已当场处理时填 fixed"})
    deadline = fields.Date(allow_none=True)

    @validates_schema
    def _escalation(self, data, **kwargs):
        """An abnormal item is a 一般 or 严重 problem; a normal one carries nothing more."""
        if data["result"] == "normal":
            extra = [f for f in ("severity", "immediate_action", "deadline") if data.get(f)]
            if extra:
                raise ValidationError({f: ["正常项无需填写。"] for f in extra})
            return
        if not data.get("severity"):
            raise ValidationError("异常项须选择问题等级（一般或严重）。", field_name="severity")
        if data.get("deadline") and data["deadline"] < business_today():
            raise ValidationError("整改期限不能早于今天。", field_name="deadline")


class ProductionCheckInput(InputSchema):
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)
    answers = fields.List(fields.Nested(ProductionAnswerInput), required=True,
                          validate=validate.Length(min=1, max=checklists.MAX_ITEMS))


class ProductionDayQuery(InputSchema):
    date = fields.Date()


class ProductionDaySchema(OutputSchema):
    date = fields.Date()
    unit_id = fields.Integer()
    state = fields.String(metadata={"description": "done / missing"})
    checklist = fields.Nested(ChecklistSchema, allow_none=True)
    daily_check = fields.Nested(DailyCheckSchema, allow_none=True)


class ProductionWeekQuery(InputSchema):
    week = fields.Date(metadata={"description": "该周任一日（按周一归周）；默认本周"})


class ProductionWeekViewQuery(ProductionWeekQuery):
    unit_id = fields.Integer(metadata={"description": "单位；默认本人单位，监管部门须指定"})


class ProductionMonthQuery(InputSchema):
    month = Month(metadata={"description": "YYYY-MM；默认本月"})


class ProductionMonthViewQuery(ProductionMonthQuery):
    unit_id = fields.Integer()
