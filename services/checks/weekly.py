"""The weekly investigation report (周排查): the 安全总监's 《每周XX安全排查治理报告》.

Order 74 (总局令第74号): the 安全总监 organises a hazard sweep at least weekly, analyses the
situation, resolves what the daily checks raised and records it. The platform pre-fills the
report with the week's figures (`periods.unit_figures`); the director adds the analysis and
submits it. One report per unit, equipment kind and week; a submitted report is final and
keeps the figures it was submitted with.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput
from core.extensions import db
from core.timeutil import utcnow
from models.checks import REPORT_STATUSES, WeeklyReport
from models.orgs import Person, Unit
from services.checks import periods

STATUS_LABELS = {"new": "未填写", **REPORT_STATUSES}


def title(kind_name: str) -> str:
    return f"《每周{kind_name}安全排查治理报告》"


def find(unit_id: int, kind_code: str, monday: date, *, lock: bool = False) -> WeeklyReport | None:
    stmt = select(WeeklyReport).where(WeeklyReport.unit_id == unit_id, WeeklyReport.kind_code == kind_code,
                                      WeeklyReport.week_start == monday)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def period_of(day: date | None, today: date) -> periods.Period:
    """The week containing `day` (default: this week); one not yet started is refused."""
    period = periods.week_period(day or today, today)
    if not period.started:
        raise InvalidInput.field("week", "该周尚未开始。", code="period_not_started")
    return period


def may_write(identity: Identity, unit_id: int, kind_code: str, today: date) -> bool:
    """Only the unit's 安全总监 (role or appointment for the kind) writes the weekly report."""
    return periods.holds_post(identity, unit_id, "safety_director", kind_code, today)


def _require_director(identity: Identity, unit: Unit, kind_code: str, today: date) -> None:
    if not may_write(identity, unit.id, kind_code, today):
        raise Forbidden("只有本单位的安全总监可以填写、提交周排查报告。", code="not_safety_director")


def snapshot(report: WeeklyReport) -> dict[str, Any]:
    figures = report.figures or {}
    return {"unit_id": report.unit_id, "kind_code": report.kind_code, "week_start": report.week_start,
            "status": report.status, "analysis": report.analysis,
            "checks_expected": figures.get("checks_expected"), "checks_done": figures.get("checks_done")}


def view(identity: Identity, unit: Unit, kind_code: str | None, day: date | None, today: date) -> dict[str, Any]:
    """The report for the week containing `day` (default: this week), pre-filled.

    A submitted report shows the figures it was submitted with; a draft or an unsaved
    report shows the figures as they stand now.
    """
    code, name = periods.require_kind(kind_code)
    period = period_of(day, today)
    report = find(unit.id, code, period.start)
    return {"unit_id": unit.id, "unit_name": unit.name, "region_code": unit.region_code, "kind_code": code,
            "kind_name": name, "title": title(name),
            **shown(report, period, lambda: periods.unit_figures(unit.id, code, name, period),
                    lambda: may_write(identity, unit.id, code, today))}


def shown(report: WeeklyReport | None, period: periods.Period, figures_now: Callable[[], dict[str, Any]],
          may_edit: Callable[[], bool]) -> dict[str, Any]:
    """What a week's report shows, for any kind of unit: a submitted report the figures it was
    submitted with, a draft or an unsaved report `figures_now()`."""
    status = report.status if report else "new"
    figures = report.figures if status == "submitted" else figures_now()
    director = db.session.get(Person, report.director_person_id) if report and report.director_person_id else None
    return {"id": report.id if report else None, "week_start": period.start, "week_end": period.end,
            "status": status, "status_label": STATUS_LABELS[status], "analysis": report.analysis if report else None,
            "figures": figures, "director_person_id": director.id if director else None,
            "director_name": director.name if director else None,
            "submitted_at": report.submitted_at if report else None,
            "updated_at": report.updated_at if report else None,
            "can_edit": status != "submitted" and may_edit()}


def _write(identity: Identity, unit: Unit, kind_code: str | None, day: date | None, analysis: str | None,
           today: date, submit: bool) -> WeeklyReport:
    code, name = periods.require_kind(kind_code)
    period = period_of(day, today)
    _require_director(identity, unit, code, today)
    return record(identity, unit, code, period, analysis, submit,
                  lambda: periods.unit_figures(unit.id, code, name, period))


def record(identity: Identity, unit: Unit, code: str, period: periods.Period, analysis: str | None, submit: bool,
           figures_now: Callable[[], dict[str, Any]]) -> WeeklyReport:
    """Save or submit the unit's report of `period` for `code`, once the caller checked who writes
    it: a submitted report is final; submitting needs the analysis and freezes `figures_now()`.

    Raises Conflict `report_already_submitted` / `report_conflict`, InvalidInput `analysis_required`.
    """
    report = find(unit.id, code, period.start, lock=True)
    if report is not None and report.status == "submitted":
        raise Conflict("本周的排查治理报告已提交，不能重复提交或修改。", code="report_already_submitted",
                       details={"report_id": report.id})
    before = snapshot(report) if report else None
    if report is None:
        report = WeeklyReport(unit_id=unit.id, region_code=unit.region_code, kind_code=code,
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
    report.figures = figures_now()
    report.director_person_id = identity.person_id
    if submit:
        report.status, report.submitted_at = "submitted", utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "weekly_report.submit" if submit else "weekly_report.save",
                 "weekly_report", report.id, before, snapshot(report))
    return report


def save_draft(identity: Identity, unit: Unit, kind_code: str | None, day: date | None,
               analysis: str | None, today: date) -> WeeklyReport:
    """Save the director's draft with the figures as they stand (Order 74, 周排查).

    Raises Forbidden `not_safety_director`, Conflict `report_already_submitted`, InvalidInput.
    """
    return _write(identity, unit, kind_code, day, analysis, today, submit=False)


def submit(identity: Identity, unit: Unit, kind_code: str | None, day: date | None,
           analysis: str | None, today: date) -> WeeklyReport:
    """Submit the week's report: the figures are frozen, the analysis is required.

    Raises Forbidden `not_safety_director`, Conflict `report_already_submitted` (one report per
    unit, kind and week), InvalidInput `analysis_required` / `period_not_started`.
    """
    return _write(identity, unit, kind_code, day, analysis, today, submit=True)
