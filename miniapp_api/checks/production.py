"""Production units under Order 73 (总局令第73号): the 质量安全员's daily check, the 质量安全总监's
weekly report and the monthly minutes. The records themselves are listed with the others
(`GET /api/v1/checks/daily`, `equipment_id` empty)."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import Identity, require_active_unit, require_login
from core.extensions import db
from core.idempotency import idempotent
from core.scoping import get_in_scope
from core.timeutil import business_today
from miniapp_api.schemas.check_production import (ProductionCheckInput, ProductionDayQuery, ProductionDaySchema,
                                                  ProductionMonthQuery, ProductionMonthViewQuery,
                                                  ProductionWeekQuery, ProductionWeekViewQuery)
from miniapp_api.schemas.check_reports import MonthlyInput, MonthlyMinutesSchema, WeeklyInput, WeeklyReportSchema
from miniapp_api.schemas.checks import DailyCheckSchema
from models.orgs import Unit
from services.checks import production, production_reports

blp = Blueprint("check_production", __name__, url_prefix="/api/v1/checks/production",
                description="两个规定（生产单位，总局令第73号）：日管控、周排查、月调度")


def _unit(identity: Identity, unit_id: int | None) -> Unit:
    return get_in_scope(Unit, unit_id or identity.unit_id, identity, "未找到该单位。")


def _own_unit() -> tuple[Identity, Unit]:
    identity = require_active_unit()
    return identity, db.session.get(Unit, identity.unit_id)


@blp.get("/today")
@blp.arguments(ProductionDayQuery, location="query")
@blp.response(200, ProductionDaySchema)
def today(args):
    """The caller's (质量安全员) production-quality check of the day: the list and the record if made."""
    return production.today_view(require_login(), args.get("date"))


@blp.post("/daily")
@idempotent
@blp.arguments(ProductionCheckInput)
@blp.response(201, DailyCheckSchema)
def submit(data):
    """Today's 《每日质量安全检查记录》 (one per 质量安全员 per day); an abnormal item opens a finding."""
    return production.submit(require_login(), data)


@blp.get("/weekly")
@blp.arguments(ProductionWeekViewQuery, location="query")
@blp.response(200, WeeklyReportSchema)
def get_weekly(args):
    """《每周质量安全排查治理报告》 of a week, pre-filled."""
    identity = require_login()
    return production_reports.weekly_view(identity, _unit(identity, args.get("unit_id")), args.get("week"),
                                          business_today())


@blp.put("/weekly")
@blp.arguments(ProductionWeekQuery, location="query")
@blp.arguments(WeeklyInput)
@blp.response(200, WeeklyReportSchema)
def save_weekly(args, data):
    """Save the 质量安全总监's draft."""
    identity, unit = _own_unit()
    today_ = business_today()
    production_reports.write_weekly(identity, unit, args.get("week"), data.get("analysis"), today_, submit=False)
    return production_reports.weekly_view(identity, unit, args.get("week"), today_)


@blp.post("/weekly/submit")
@idempotent
@blp.arguments(ProductionWeekQuery, location="query")
@blp.arguments(WeeklyInput)
@blp.response(200, WeeklyReportSchema)
def submit_weekly(args, data):
    """Submit the week's report (the 质量安全总监 only; once per unit and week)."""
    identity, unit = _own_unit()
    today_ = business_today()
    production_reports.write_weekly(identity, unit, args.get("week"), data.get("analysis"), today_, submit=True)
    return production_reports.weekly_view(identity, unit, args.get("week"), today_)


@blp.get("/monthly")
@blp.arguments(ProductionMonthViewQuery, location="query")
@blp.response(200, MonthlyMinutesSchema)
def get_monthly(args):
    """《每月质量安全调度会议纪要》 of a month, the 质量安全总监's report pre-filled."""
    identity = require_login()
    return production_reports.monthly_view(identity, _unit(identity, args.get("unit_id")), args.get("month"),
                                           business_today())


@blp.put("/monthly")
@blp.arguments(ProductionMonthQuery, location="query")
@blp.arguments(MonthlyInput)
@blp.response(200, MonthlyMinutesSchema)
def save_monthly(args, data):
    """Save a draft (the principal, the 质量安全总监 or the unit admin)."""
    identity, unit = _own_unit()
    today_ = business_today()
    production_reports.write_monthly(identity, unit, args.get("month"), data, today_, submit=False)
    return production_reports.monthly_view(identity, unit, args.get("month"), today_)


@blp.post("/monthly/submit")
@idempotent
@blp.arguments(ProductionMonthQuery, location="query")
@blp.arguments(MonthlyInput)
@blp.response(200, MonthlyMinutesSchema)
def submit_monthly(args, data):
    """Submit the minutes (the 主要负责人 only; once per unit and month)."""
    identity, unit = _own_unit()
    today_ = business_today()
    production_reports.write_monthly(identity, unit, args.get("month"), data, today_, submit=True)
    return production_reports.monthly_view(identity, unit, args.get("month"), today_)
