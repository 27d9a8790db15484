"""Weekly reports (周排查) and monthly minutes (月调度) of production units (Order 73).

The 质量安全总监 writes 《每周质量安全排查治理报告》 and the 主要负责人 submits 《每月质量安全调度
会议纪要》; both are pre-filled with the production figures (`production.unit_figures`). They are
the same records as Order 74's (`WeeklyReport`, `MonthlyMinutes`) with kind_code `PROD`: one
per unit and week or month; a submitted one is final and keeps its figures.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from core.auth import Identity
from core.errors import Forbidden
from models.checks import PRODUCTION_CODE, PRODUCTION_NAME, MonthlyMinutes, WeeklyReport
from models.orgs import Unit
from services.checks import monthly, periods, production, weekly

WEEKLY_TITLE = "《每周质量安全排查治理报告》"
MONTHLY_TITLE = "《每月质量安全调度会议纪要》"
DRAFTING_ROLES = ("principal", "unit_admin", production.DIRECTOR)


def _base(unit: Unit) -> dict[str, Any]:
    return {"unit_id": unit.id, "unit_name": unit.name, "region_code": unit.region_code,
            "kind_code": PRODUCTION_CODE, "kind_name": PRODUCTION_NAME}


# -- 周排查 ------------------------------------------------------------------------------------------

def may_write_weekly(identity: Identity, unit: Unit, today: date) -> bool:
    """Only the unit's 质量安全总监 (role or appointment) writes the weekly report."""
    return production.is_production(unit) and periods.holds_post(identity, unit.id, production.DIRECTOR, None, today)


def weekly_view(identity: Identity, unit: Unit, day: date | None, today: date) -> dict[str, Any]:
    """The production unit's weekly report for the week containing `day`, pre-filled."""
    production.require_production_unit(unit)
    period = weekly.period_of(day, today)
    report = weekly.find(unit.id, PRODUCTION_CODE, period.start)
    return {**_base(unit), "title": WEEKLY_TITLE,
            **weekly.shown(report, period, lambda: production.unit_figures(unit.id, period),
                           lambda: may_write_weekly(identity, unit, today))}


def write_weekly(identity: Identity, unit: Unit, day: date | None, analysis: str | None, today: date,
                 submit: bool) -> WeeklyReport:
    """Save (or submit) the 质量安全总监's weekly report; submitting freezes the figures.

    Raises RuleViolation `not_production_unit`, Forbidden `not_quality_safety_director`, Conflict
    `report_already_submitted`, InvalidInput `analysis_required` / `period_not_started`.
    """
    production.require_production_unit(unit)
    period = weekly.period_of(day, today)
    if not may_write_weekly(identity, unit, today):
        raise Forbidden("只有本单位的质量安全总监可以填写、提交周排查报告。", code="not_quality_safety_director")
    return weekly.record(identity, unit, PRODUCTION_CODE, period, analysis, submit,
                         lambda: production.unit_figures(unit.id, period))


# -- 月调度 ------------------------------------------------------------------------------------------

def month_figures(unit_id: int, period: periods.Period) -> dict[str, Any]:
    figures = production.unit_figures(unit_id, period)
    figures["weekly_reports"] = periods.weekly_block(unit_id, PRODUCTION_CODE, period)
    return figures


def may_submit_monthly(identity: Identity, unit: Unit, today: date) -> bool:
    return production.is_production(unit) and monthly.may_submit(identity, unit.id, today)


def may_draft_monthly(identity: Identity, unit: Unit, today: date) -> bool:
    return production.is_production(unit) and identity.unit_id == unit.id and (
        identity.has_role(*DRAFTING_ROLES) or may_submit_monthly(identity, unit, today)
        or periods.holds_post(identity, unit.id, production.DIRECTOR, None, today))


def monthly_view(identity: Identity, unit: Unit, month: date | None, today: date) -> dict[str, Any]:
    """The production unit's minutes of the month, the 质量安全总监's report pre-filled."""
    production.require_production_unit(unit)
    period = monthly.period_of(month, today)
    minutes = monthly.find(unit.id, PRODUCTION_CODE, period.start)
    return {**_base(unit), "title": MONTHLY_TITLE,
            **monthly.shown(minutes, period, lambda: month_figures(unit.id, period), production.summary_text,
                            lambda: may_draft_monthly(identity, unit, today),
                            lambda: may_submit_monthly(identity, unit, today))}


def write_monthly(identity: Identity, unit: Unit, month: date | None, data: dict[str, Any], today: date,
                  submit: bool) -> MonthlyMinutes:
    """Save (the principal, the 质量安全总监 or the admin) or submit (the principal) the minutes.

    Raises RuleViolation `not_production_unit`, Forbidden `not_principal` / `not_minutes_editor`,
    Conflict `minutes_already_submitted`, InvalidInput `minutes_incomplete`.
    """
    production.require_production_unit(unit)
    period = monthly.period_of(month, today)
    if submit and not may_submit_monthly(identity, unit, today):
        raise Forbidden("只有本单位主要负责人可以提交月调度会议纪要。", code="not_principal")
    if not may_draft_monthly(identity, unit, today):
        raise Forbidden("只有本单位主要负责人、质量安全总监或单位管理员可以填写月调度会议纪要。",
                        code="not_minutes_editor")
    return monthly.record(identity, unit, PRODUCTION_CODE, period, data, submit,
                          lambda: month_figures(unit.id, period), production.summary_text)
