"""Monthly scheduling (月调度): the 主要负责人's 《每月XX安全调度会议纪要》.

Order 74 (总局令第74号): at least monthly the 主要负责人 hears the 安全总监's report, sums up
the month's safety management and hazard rectification, and sets next month's key tasks.
The minutes record the meeting date, the attendees, the director's report (pre-filled with
the month's figures and the weekly reports submitted), the decisions and next month's tasks.
A unit manager or the director may draft them; only the principal submits. One set of
minutes per unit, equipment kind and month.
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
from models.checks import REPORT_STATUSES, MonthlyMinutes
from models.orgs import Person, Unit
from services.checks import periods

STATUS_LABELS = {"new": "未填写", **REPORT_STATUSES}
TEXT_FIELDS = ("director_report", "decisions", "next_month_tasks")
DRAFTING_ROLES = ("principal", "unit_admin", "safety_director")


def title(kind_name: str) -> str:
    return f"《每月{kind_name}安全调度会议纪要》"


def find(unit_id: int, kind_code: str, first: date, *, lock: bool = False) -> MonthlyMinutes | None:
    stmt = select(MonthlyMinutes).where(MonthlyMinutes.unit_id == unit_id, MonthlyMinutes.kind_code == kind_code,
                                        MonthlyMinutes.month == first)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def period_of(month: date | None, today: date) -> periods.Period:
    """The month containing `month` (default: this month); one not yet started is refused."""
    period = periods.month_period(month or today, today)
    if not period.started:
        raise InvalidInput.field("month", "该月尚未开始。", code="period_not_started")
    return period


def month_figures(unit_id: int, kind_code: str, kind_name: str, period: periods.Period) -> dict[str, Any]:
    """The month's figures, as for a week, plus the weekly reports due and submitted."""
    figures = periods.unit_figures(unit_id, kind_code, kind_name, period)
    figures["weekly_reports"] = periods.weekly_block(unit_id, kind_code, period)
    return figures


def may_submit(identity: Identity, unit_id: int, today: date) -> bool:
    return periods.holds_post(identity, unit_id, "principal", None, today)


def may_draft(identity: Identity, unit_id: int, kind_code: str, today: date) -> bool:
    return identity.unit_id == unit_id and (
        identity.has_role(*DRAFTING_ROLES) or may_submit(identity, unit_id, today)
        or periods.holds_post(identity, unit_id, "safety_director", kind_code, today))


def snapshot(minutes: MonthlyMinutes) -> dict[str, Any]:
    return {"unit_id": minutes.unit_id, "kind_code": minutes.kind_code, "month": minutes.month,
            "status": minutes.status, "meeting_date": minutes.meeting_date, "attendees": minutes.attendees,
            **{f: getattr(minutes, f) for f in TEXT_FIELDS}}


def view(identity: Identity, unit: Unit, kind_code: str | None, month: date | None, today: date) -> dict[str, Any]:
    """The minutes of the month (default: this month), the director's report pre-filled.

    Submitted minutes show the figures they were submitted with; otherwise the figures are
    computed now and, while no report text is saved, the report is their summary.
    """
    code, name = periods.require_kind(kind_code)
    period = period_of(month, today)
    minutes = find(unit.id, code, period.start)
    return {"unit_id": unit.id, "unit_name": unit.name, "region_code": unit.region_code, "kind_code": code,
            "kind_name": name, "title": title(name),
            **shown(minutes, period, lambda: month_figures(unit.id, code, name, period), periods.summary_text,
                    lambda: may_draft(identity, unit.id, code, today), lambda: may_submit(identity, unit.id, today))}


def shown(minutes: MonthlyMinutes | None, period: periods.Period, figures_now: Callable[[], dict[str, Any]],
          summary: Callable[[dict[str, Any]], str], may_edit: Callable[[], bool],
          may_send: Callable[[], bool]) -> dict[str, Any]:
    """What a month's minutes show, for any kind of unit: submitted minutes the figures they were
    submitted with, others `figures_now()`, and while no report text is saved its `summary`."""
    status = minutes.status if minutes else "new"
    figures = minutes.figures if status == "submitted" else figures_now()
    principal = db.session.get(Person, minutes.principal_person_id) \
        if minutes and minutes.principal_person_id else None
    return {"id": minutes.id if minutes else None, "month": period.start, "status": status,
            "status_label": STATUS_LABELS[status], "meeting_date": minutes.meeting_date if minutes else None,
            "attendees": minutes.attendees if minutes else [],
            "director_report": (minutes.director_report if minutes else None) or summary(figures),
            "decisions": minutes.decisions if minutes else None,
            "next_month_tasks": minutes.next_month_tasks if minutes else None, "figures": figures,
            "principal_person_id": principal.id if principal else None,
            "principal_name": principal.name if principal else None,
            "submitted_at": minutes.submitted_at if minutes else None,
            "updated_at": minutes.updated_at if minutes else None,
            "can_edit": status != "submitted" and may_edit(),
            "can_submit": status != "submitted" and may_send()}


def check_complete(minutes: MonthlyMinutes) -> None:
    missing = {}
    if minutes.meeting_date is None:
        missing["meeting_date"] = ["请填写会议日期。"]
    if not minutes.attendees:
        missing["attendees"] = ["请填写参会人员。"]
    for name, label in (("decisions", "会议决定事项"), ("next_month_tasks", "下月重点工作任务")):
        if not getattr(minutes, name):
            missing[name] = [f"请填写{label}。"]
    if missing:
        raise InvalidInput("会议纪要尚不完整，请补充后提交。", code="minutes_incomplete", details={"fields": missing})


def apply(minutes: MonthlyMinutes, data: dict[str, Any], period: periods.Period) -> None:
    if "meeting_date" in data:
        meeting = data["meeting_date"]
        # The meeting that sums up a month may be held early the next month, never in the future.
        latest = min(period.following().end, period.today)
        if meeting is not None and not (period.start <= meeting <= latest):
            raise InvalidInput.field("meeting_date", "会议日期应在本月初至次月底之间，且不晚于今天。",
                                     code="meeting_date_invalid")
        minutes.meeting_date = meeting
    if "attendees" in data:
        minutes.attendees = [{k: v for k, v in a.items() if v not in (None, "")} for a in data["attendees"] or []]
    for name in TEXT_FIELDS:
        if name in data:
            setattr(minutes, name, (data[name] or "").strip() or None)


def _write(identity: Identity, unit: Unit, kind_code: str | None, month: date | None, data: dict[str, Any],
           today: date, submit: bool) -> MonthlyMinutes:
    code, name = periods.require_kind(kind_code)
    period = period_of(month, today)
    if submit and not may_submit(identity, unit.id, today):
        raise Forbidden("只有本单位主要负责人可以提交月调度会议纪要。", code="not_principal")
    if not may_draft(identity, unit.id, code, today):
        raise Forbidden("只有本单位主要负责人、安全总监或单位管理员可以填写月调度会议纪要。", code="not_minutes_editor")
    return record(identity, unit, code, period, data, submit, lambda: month_figures(unit.id, code, name, period),
                  periods.summary_text)


def record(identity: Identity, unit: Unit, code: str, period: periods.Period, data: dict[str, Any], submit: bool,
           figures_now: Callable[[], dict[str, Any]], summary: Callable[[dict[str, Any]], str]) -> MonthlyMinutes:
    """Save or submit the unit's minutes of `period` for `code`, once the caller checked who may:
    submitted minutes are final; submitting needs them complete, freezes `figures_now()` and fills
    an empty director's report with their `summary`.

    Raises Conflict `minutes_already_submitted` / `minutes_conflict`, InvalidInput `minutes_incomplete`,
    `meeting_date_invalid`.
    """
    minutes = find(unit.id, code, period.start, lock=True)
    if minutes is not None and minutes.status == "submitted":
        raise Conflict("本月的调度会议纪要已提交，不能重复提交或修改。", code="minutes_already_submitted",
                       details={"minutes_id": minutes.id})
    before = snapshot(minutes) if minutes else None
    if minutes is None:
        minutes = MonthlyMinutes(unit_id=unit.id, region_code=unit.region_code, kind_code=code,
                                 month=period.start, status="draft", attendees=[])
        try:
            with db.session.begin_nested():
                db.session.add(minutes)
        except IntegrityError:
            raise Conflict("本月的调度会议纪要已由他人保存，请刷新后重试。", code="minutes_conflict")
    apply(minutes, data, period)
    minutes.figures = figures_now()
    if submit:
        minutes.director_report = minutes.director_report or summary(minutes.figures)
        check_complete(minutes)
        minutes.status, minutes.submitted_at = "submitted", utcnow()
        minutes.principal_person_id = identity.person_id
    db.session.flush()
    audit.record(identity.audit_context(), "monthly_minutes.submit" if submit else "monthly_minutes.save",
                 "monthly_minutes", minutes.id, before, snapshot(minutes))
    return minutes


def save_draft(identity: Identity, unit: Unit, kind_code: str | None, month: date | None,
               data: dict[str, Any], today: date) -> MonthlyMinutes:
    """Save a draft of the month's minutes (the principal, the director or a unit manager).

    Raises Forbidden `not_minutes_editor`, Conflict `minutes_already_submitted`, InvalidInput.
    """
    return _write(identity, unit, kind_code, month, data, today, submit=False)


def submit(identity: Identity, unit: Unit, kind_code: str | None, month: date | None,
           data: dict[str, Any], today: date) -> MonthlyMinutes:
    """Submit the minutes (Order 74, 月调度): only the principal; the figures are frozen.

    Raises Forbidden `not_principal`, Conflict `minutes_already_submitted`, InvalidInput
    `minutes_incomplete` (meeting date, attendees, decisions and next month's tasks are required).
    """
    return _write(identity, unit, kind_code, month, data, today, submit=True)
