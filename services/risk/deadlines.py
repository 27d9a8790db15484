"""Handling deadlines: reminders before them, overdue reports flagged and listed for the level above.

Issue 5 item 5: 「Each level has a deadline (configurable, in working days); reminders go out before it
and overdue items are flagged and listed for the level above.」 `path.move` sets the deadline
(RISK_DEADLINE_WORKDAYS per level, `implementing` for measures being carried out). Here:

- `send_reminders(today)`: the holder's staff, once a report's deadline is within
  RISK_REMINDER_WORKDAYS_BEFORE working days (and not yet past);
- `flag_overdue(today)`: the holder's staff and the staff of the level above, once a deadline has passed;
- `overdue_stmt(identity)`: what the level above lists — a city its counties' overdue reports, the
  province (and the risk centre, for what reached it) all of them.

Both senders are idempotent: each message's dedupe key names the report, its holder, the deadline
date and the person, so a second run (the same day or the next) sends nothing twice, while a report
given a new deadline is reminded again. Days are Asia/Shanghai business days.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import Select, select

from core.auth import Identity
from core.errors import Forbidden
from core.extensions import db
from core.timeutil import business_today
from core.workdays import add_workdays
from models.orgs import ROLES, Person, Region, Unit
from models.risk import LEVELS, ExpertAssignment, RiskReport
from services import notify
from services.orgs import people
from services.risk import access, handling, path

OPEN_STATUSES = handling.OPEN_STATUSES


def is_overdue(report: RiskReport, today: date | None = None) -> bool:
    """Still open past its deadline (a list's `overdue` flag)."""
    return (report.status in OPEN_STATUSES and report.deadline is not None
            and report.deadline < (today or business_today()))


def centre_staff_ids() -> list[int]:
    """People of the province risk centre who act for it (not only its experts or reporters)."""
    acting = set(ROLES) - {"expert", "risk_reporter"}
    return list(db.session.scalars(
        people.people_with_roles_stmt(None, acting, Person.id).join(Unit, Unit.id == Person.unit_id)
        .where(Unit.kind == "risk_center", Unit.status == "approved")))


def holder_recipients(report: RiskReport) -> list[int]:
    """Who answers for the report now: the holder's regulator staff; at the province also the centre,
    and while it is being assessed the experts who have not given their opinion."""
    ids = path.holder_staff_ids(report.holder_region_code)
    if report.holder_region_code == handling.PROVINCE_CODE:
        ids += centre_staff_ids()
    if report.status == "assessing":
        ids += list(db.session.scalars(select(ExpertAssignment.expert_person_id).where(
            ExpertAssignment.report_id == report.id, ExpertAssignment.submitted_at.is_(None))))
    return list(dict.fromkeys(ids))


def _open_with_deadline() -> Select:
    return select(RiskReport).where(RiskReport.status.in_(OPEN_STATUSES), RiskReport.deadline.is_not(None))


def send_reminders(today: date | None = None) -> int:
    """Remind the holder of each open report whose deadline falls within RISK_REMINDER_WORKDAYS_BEFORE
    working days from `today` (Asia/Shanghai). Returns how many messages were queued.

    Key `risk-report:<id>:due:<holder>:<deadline>:<person>`: one reminder per deadline and person.
    """
    today = today or business_today()
    horizon = add_workdays(today, int(current_app.config["RISK_REMINDER_WORKDAYS_BEFORE"]))
    sent = 0
    for report in db.session.scalars(_open_with_deadline().where(RiskReport.deadline >= today,
                                                                 RiskReport.deadline <= horizon)
                                     .order_by(RiskReport.id)):
        text = (f"风险信息「{report.title}」（{LEVELS[report.level]}）的办理期限为 {report.deadline.isoformat()}，"
                "请及时处置。")
        for person_id in holder_recipients(report):
            key = f"risk-report:{report.id}:due:{report.holder_region_code}:{report.deadline.isoformat()}:{person_id}"
            if notify.queue_message(person_id, "risk_deadline_near", "风险信息即将到期", text,
                                    {"report_id": report.id, "deadline": report.deadline.isoformat()},
                                    dedupe_key=key):
                sent += 1
    return sent


def flag_overdue(today: date | None = None) -> int:
    """Tell the holder, and the staff of the level above, of each open report past its deadline.

    Key `risk-report:<id>:overdue:<holder>:<deadline>:<person>`: once per deadline and person.
    Returns how many messages were queued.
    """
    today = today or business_today()
    sent = 0
    for report in db.session.scalars(_open_with_deadline().where(RiskReport.deadline < today)
                                     .order_by(RiskReport.id)):
        office = path.holder_office_name(report.holder_region_code)
        holder_text = f"风险信息「{report.title}」已超过办理期限 {report.deadline.isoformat()}，请尽快处置。"
        above_text = (f"{office}办理的风险信息「{report.title}」（{LEVELS[report.level]}）已超过办理期限 "
                      f"{report.deadline.isoformat()}。")
        region = db.session.get(Region, report.holder_region_code)
        above = path.holder_staff_ids(region.supervision_parent_code) if region.supervision_parent_code else []
        targets = [(pid, holder_text) for pid in holder_recipients(report)]
        targets += [(pid, above_text) for pid in above]
        for person_id, text in targets:
            key = (f"risk-report:{report.id}:overdue:{report.holder_region_code}:{report.deadline.isoformat()}:"
                   f"{person_id}")
            if notify.queue_message(person_id, "risk_deadline_overdue", "风险信息已超期", text,
                                    {"report_id": report.id, "deadline": report.deadline.isoformat()},
                                    dedupe_key=key):
                sent += 1
    return sent


def overdue_stmt(identity: Identity, today: date | None = None, holder_region_code: str | None = None) -> Select:
    """Overdue open reports for the level above, oldest deadline first.

    A city (or 韩城 / 杨凌) sees those held by the bodies below it; the province regulator and ops
    staff see all; the risk centre sees those that reached the province (its visibility). Always
    within what the caller may see (`access.visible_clause`). Raises Forbidden for anyone else.
    """
    if not (identity.is_regulator or identity.is_ops or handling.is_centre_staff(identity)):
        raise Forbidden("只有监管部门可以查看超期风险信息。", code="not_regulator")
    today = today or business_today()
    stmt = (select(RiskReport).where(access.visible_clause(identity), RiskReport.status.in_(OPEN_STATUSES),
                                     RiskReport.deadline < today))
    if identity.is_regulator and identity.region_codes is not None:
        below = sorted(identity.region_codes - {identity.region_code})
        stmt = stmt.where(RiskReport.holder_region_code.in_(below))
    if holder_region_code:
        stmt = stmt.where(RiskReport.holder_region_code == holder_region_code)
    return stmt.order_by(RiskReport.deadline, RiskReport.id)
