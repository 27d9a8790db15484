"""Weekly reports (周排查) and monthly minutes (月调度) of production units (Order 73).

The 质量安全总监 writes 《每周质量安全排查治理报告》 and the 主要负责人 submits 《每月质量安全调度
会议纪要》; both are pre-filled with the production figures (`production.unit_figures`). They are
the same records as Order 74's (`WeeklyReport`, `MonthlyMinutes`) with kind_code `PROD`: one
per unit and week or month; a submitted one is final and keeps its figures.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput
from core.extensions import db
from core.timeutil import utcnow
from models.checks import PRODUCTION_CODE, PRODUCTION_NAME, MonthlyMinutes, WeeklyReport
from models.orgs import Person, Unit
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


def _week(day: date | None, today: date) -> periods.Period:
    period = periods.week_period(day or today, today)
    if not period.started:
        raise InvalidInput.field("week", "该周尚未开始。", code="period_not_started")
    return period


def weekly_view(identity: Identity, unit: Unit, day: date | None, today: date) -> dict[str, Any]:
    """The production unit's weekly report for the week containing `day`, pre-filled."""
    production.require_production_unit(unit)
    period = _week(day, today)
    report = weekly.find(unit.id, PRODUCTION_CODE, period.start)
    submitted = report is not None and report.status == "submitted"
    figures = report.figures if submitted else production.unit_figures(unit.id, period)
    director = db.session.get(Person, report.director_person_id) if report and report.director_person_id else None
    status = report.status if report else "new"
    return {**_base(unit), "id": report.id if report else None, "title": WEEKLY_TITLE,
            "week_start": period.start, "week_end": period.end, "status": status,
            "status_label": weekly.STATUS_LABELS[status], "analysis": report.analysis if report else None,
            "figures": figures, "director_person_id": director.id if director else None,
            "director_name": director.name if director else None,
            "submitted_at": report.submitted_at if report else None,
            "updated_at": report.updated_at if report else None,
            "can_edit": not submitted and may_write_weekly(identity, unit, today)}


def write_weekly(identity: Identity, unit: Unit, day: date | None, analysis: str | None, today: date,
                 submit: bool) -> WeeklyReport:
    """Save (or submit) the 质量安全总监's weekly report; submitting freezes the figures.

    Raises RuleViolation `not_production_unit`, Forbidden `not_quality_safety_director`, Conflict
    `report_already_submitted`, InvalidInput `analysis_required` / `period_not_started`.
    """
    production.require_production_unit(unit)
    period = _week(day, today)
    if not may_write_weekly(identity, unit, today):
        raise Forbidden("只有本单位的质量安全总监可以填写、提交周排查报告。", code="not_quality_safety_director")
    report = weekly.find(unit.id, PRODUCTION_CODE, period.start, lock=True)
    if report is not None and report.status == "submitted":
        raise Conflict("本周的排查治理报告已提交，不能重复提交或修改。", code="report_already_submitted",
                       details={"report_id": report.id})
    before = weekly.snapshot(report) if report else None
    if report is None:
        report = WeeklyReport(unit_id=unit.id, region_code=unit.region_code, kind_code=PRODUCTION_CODE,
                              week_start=period.start, status="draft")
        try:
            with db.session.begin_nested():
                db.session.add(report)
        except IntegrityError:
            raise Conflict("本周的排查治理报告已由他人保存，请刷新后重试。", code="report_conflict")
    if analysis is not None:
        report.analysis = analysis.strip() or None
    if submit and not report.analysis:
        raise InvalidInput.field("analysis", "提交前请填写排查分析。", code="analysis_required")
    report.figures = production.unit_figures(unit.id, period)
    report.director_person_id = identity.person_id
    if submit:
        report.status, report.submitted_at = "submitted", utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "weekly_report.submit" if submit else "weekly_report.save",
                 "weekly_report", report.id, before, weekly.snapshot(report))
    return report


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


def _month(month: date | None, today: date) -> periods.Period:
    period = periods.month_period(month or today, today)
    if not period.started:
        raise InvalidInput.field("month", "该月尚未开始。", code="period_not_started")
    return period


def monthly_view(identity: Identity, unit: Unit, month: date | None, today: date) -> dict[str, Any]:
    """The production unit's minutes of the month, the 质量安全总监's report pre-filled."""
    production.require_production_unit(unit)
    period = _month(month, today)
    minutes = monthly.find(unit.id, PRODUCTION_CODE, period.start)
    submitted = minutes is not None and minutes.status == "submitted"
    figures = minutes.figures if submitted else month_figures(unit.id, period)
    status = minutes.status if minutes else "new"
    principal = db.session.get(Person, minutes.principal_person_id) \
        if minutes and minutes.principal_person_id else None
    return {**_base(unit), "id": minutes.id if minutes else None, "title": MONTHLY_TITLE, "month": period.start,
            "status": status, "status_label": monthly.STATUS_LABELS[status],
            "meeting_date": minutes.meeting_date if minutes else None,
            "attendees": minutes.attendees if minutes else [],
            "director_report": (minutes.director_report if minutes else None) or production.summary_text(figures),
            "decisions": minutes.decisions if minutes else None,
            "next_month_tasks": minutes.next_month_tasks if minutes else None, "figures": figures,
            "principal_person_id": principal.id if principal else None,
            "principal_name": principal.name if principal else None,
            "submitted_at": minutes.submitted_at if minutes else None,
            "updated_at": minutes.updated_at if minutes else None,
            "can_edit": not submitted and may_draft_monthly(identity, unit, today),
            "can_submit": not submitted and may_submit_monthly(identity, unit, today)}


def write_monthly(identity: Identity, unit: Unit, month: date | None, data: dict[str, Any], today: date,
                  submit: bool) -> MonthlyMinutes:
    """Save (the principal, the 质量安全总监 or the admin) or submit (the principal) the minutes.

    Raises RuleViolation `not_production_unit`, Forbidden `not_principal` / `not_minutes_editor`,
    Conflict `minutes_already_submitted`, InvalidInput `minutes_incomplete`.
    """
    production.require_production_unit(unit)
    period = _month(month, today)
    if submit and not may_submit_monthly(identity, unit, today):
        raise Forbidden("只有本单位主要负责人可以提交月调度会议纪要。", code="not_principal")
    if not may_draft_monthly(identity, unit, today):
        raise Forbidden("只有本单位主要负责人、质量安全总监或单位管理员可以填写月调度会议纪要。",
                        code="not_minutes_editor")
    minutes = monthly.find(unit.id, PRODUCTION_CODE, period.start, lock=True)
    if minutes is not None and minutes.status == "submitted":
        raise Conflict("本月的调度会议纪要已提交，不能重复提交或修改。", code="minutes_already_submitted",
                       details={"minutes_id": minutes.id})
    before = monthly.snapshot(minutes) if minutes else None
    if minutes is None:
        minutes = MonthlyMinutes(unit_id=unit.id, region_code=unit.region_code, kind_code=PRODUCTION_CODE,
                                 month=period.start, status="draft", attendees=[])
        try:
            with db.session.begin_nested():
                db.session.add(minutes)
        except IntegrityError:
            raise Conflict("本月的调度会议纪要已由他人保存，请刷新后重试。", code="minutes_conflict")
    monthly.apply(minutes, data, period)
    minutes.figures = month_figures(unit.id, period)
    if submit:
        minutes.director_report = minutes.director_report or production.summary_text(minutes.figures)
        monthly.check_complete(minutes)
        minutes.status, minutes.submitted_at = "submitted", utcnow()
        minutes.principal_person_id = identity.person_id
    db.session.flush()
    audit.record(identity.audit_context(), "monthly_minutes.submit" if submit else "monthly_minutes.save",
                 "monthly_minutes", minutes.id, before, monthly.snapshot(minutes))
    return minutes
