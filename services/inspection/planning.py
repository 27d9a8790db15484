"""Planning accepted applications and the agency's deadlines (domain.md §3.1, a local rule, so
configurable): the agency plans within INSPECTION_PLAN_WORKDAYS working days of accepting
(`plan_due_on`, set on acceptance) and records the result within INSPECTION_REPORT_WORKDAYS
working days of the planned inspection (`report_due_on`, set by the plan).

- A plan is late when the application is still `accepted` after `plan_due_on`, or was planned
  on a later day (Asia/Shanghai) than `plan_due_on`.
- A report is late when the application is still `planned` (no result) after `report_due_on`.

Lateness is read from those dates, never stored. The agency's staff list their own late
applications, regulators those of their region (`late_stmt`, `late_counts`); a daily job
reminds the agency's staff of plans and reports due tomorrow or overdue
(`queue_deadline_reminders`, one message per person per day).

The inspectors of a plan (`require_inspectors`): active people of the agency holding the role
inspector (tester too for an elevator 自行检测), each with a certificate of that role in date on
the planned day (an unrecorded expiry is not refused, as everywhere: services.orgs.certificates).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from core.auth import Identity
from core.errors import InvalidInput
from core.extensions import db
from core.scoping import scoped
from core.timeutil import business_today
from core.workdays import add_workdays
from models.equipment import Equipment
from models.inspection import PENDING_STATUSES, InspectionApplication as A
from models.orgs import ROLES, Person
from services import notify
from services.orgs import certificates, people, regions

LATE_KINDS = {"plan": "安排超期", "report": "报告超期"}
AGENCY_ADMIN_ROLES = ("unit_admin",)


def plan_due_on(accepted_on: date) -> date:
    """The last day to plan an application accepted on `accepted_on`."""
    return add_workdays(accepted_on, current_app.config["INSPECTION_PLAN_WORKDAYS"])


def report_due_on(planned_date: date) -> date:
    """The last day to record the result of an inspection planned for `planned_date`."""
    return add_workdays(planned_date, current_app.config["INSPECTION_REPORT_WORKDAYS"])


def inspector_roles(inspection_type: str) -> tuple[str, ...]:
    """Who may inspect: 检验人员; for an elevator 自行检测 also 检测人员 (TSG T7008-2023)."""
    return ("inspector", "tester") if inspection_type == "self_test" else ("inspector",)


def require_inspectors(application: A, person_ids: list[int], planned_date: date) -> list[Person]:
    """The inspectors of a plan, in the order given (duplicates dropped), checked in one query.

    Raises InvalidInput naming `inspector_person_ids`: `inspector_required`, `inspector_invalid`
    (not an active person of the agency holding the role), `inspector_certificate_expired`
    (no certificate of the role in date on `planned_date`), each naming the person.
    """
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        raise InvalidInput.field("inspector_person_ids", "请至少安排一名检验人员。", code="inspector_required")
    roles = inspector_roles(application.inspection_type)
    role_names = "或".join(ROLES[r] for r in roles)
    found = {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids))
                                                  .options(selectinload(Person.roles)))}
    chosen = []
    for person_id in ids:
        person = found.get(person_id)
        if person is None or person.unit_id != application.agency_unit_id or person.status != "active":
            raise InvalidInput.field("inspector_person_ids", f"人员（编号 {person_id}）不是本机构的在职人员。",
                                     code="inspector_invalid")
        held = [r for r in person.roles if r.role in roles]
        if not held:
            raise InvalidInput.field("inspector_person_ids", f"{person.name}不是本机构的{role_names}，不能安排其检验。",
                                     code="inspector_invalid")
        if all(certificates.is_expired(r.certificate_expiry, planned_date) for r in held):
            role = held[0]
            raise InvalidInput.field(
                "inspector_person_ids",
                f"{person.name}的{ROLES[role.role]}证书（{role.certificate_no or '未填编号'}）于 "
                f"{role.certificate_expiry.isoformat()} 到期，计划检验日期 {planned_date.isoformat()} 时已失效。",
                code="inspector_certificate_expired")
        chosen.append(person)
    return chosen


def inspectors_of(application: A) -> list[dict]:
    """The planned inspectors, id and name, in the plan's order (one query)."""
    ids = list(application.inspector_person_ids or [])
    if not ids:
        return []
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    return [{"id": person_id, "name": names.get(person_id)} for person_id in ids]


# -- lateness --------------------------------------------------------------------------------

def _local_day(column) -> ColumnElement:
    """The Asia/Shanghai day of a UTC timestamp column."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def plan_late_clause(today: date) -> ColumnElement[bool]:
    return or_(and_(A.status == "accepted", A.plan_due_on < today),
               and_(A.planned_at.is_not(None), A.plan_due_on.is_not(None), _local_day(A.planned_at) > A.plan_due_on))


def report_late_clause(today: date) -> ColumnElement[bool]:
    return and_(A.status == "planned", A.report_due_on < today)


def is_plan_late(application: A, today: date | None = None) -> bool:
    """The flag shown on an application (the same rule as `plan_late_clause`)."""
    if application.plan_due_on is None:
        return False
    if application.status == "accepted":
        return application.plan_due_on < (today or business_today())
    return application.planned_at is not None and business_today(application.planned_at) > application.plan_due_on


def is_report_late(application: A, today: date | None = None) -> bool:
    return (application.status == "planned" and application.report_due_on is not None
            and application.report_due_on < (today or business_today()))


def _narrowed(stmt: Select, identity: Identity, agency_unit_id: int | None, region_code: str | None) -> Select:
    stmt = scoped(stmt, A, identity)
    if agency_unit_id is not None:
        stmt = stmt.where(A.agency_unit_id == agency_unit_id)
    if region_code:
        stmt = stmt.where(A.region_code.in_(sorted(regions.subtree_codes(region_code))))
    return stmt


def late_stmt(identity: Identity, kind: str, *, agency_unit_id: int | None = None, region_code: str | None = None,
              include_done: bool = False, today: date | None = None) -> Select:
    """Applications whose plan (`kind` "plan") or report ("report") is late, that the identity
    sees (the agency its own, regulators their region), still pending unless `include_done`;
    the most overdue first."""
    today = today or business_today()
    clause = plan_late_clause(today) if kind == "plan" else report_late_clause(today)
    stmt = _narrowed(select(A), identity, agency_unit_id, region_code).where(clause)
    if not include_done:
        stmt = stmt.where(A.status.in_(PENDING_STATUSES))
    due = A.plan_due_on if kind == "plan" else A.report_due_on
    return stmt.options(selectinload(A.equipment).selectinload(Equipment.use_unit), selectinload(A.applicant_unit),
                        selectinload(A.agency_unit)).order_by(due, A.id)


def late_counts(identity: Identity, *, agency_unit_id: int | None = None, region_code: str | None = None,
                today: date | None = None) -> dict[str, int]:
    """How many pending applications the identity sees are late to plan and to report (one query)."""
    today = today or business_today()
    stmt = _narrowed(select(func.coalesce(func.sum(case((plan_late_clause(today), 1), else_=0)), 0),
                            func.coalesce(func.sum(case((report_late_clause(today), 1), else_=0)), 0)),
                     identity, agency_unit_id, region_code).where(A.status.in_(PENDING_STATUSES))
    plan, report = db.session.execute(stmt).one()
    return {"plan": int(plan), "report": int(report)}


# -- reminders -------------------------------------------------------------------------------

def _reminder_text(counts: dict[str, int], tomorrow: date, own: bool) -> str:
    parts = []
    who = "您负责的" if own else "本机构"
    if counts["plan_due"]:
        parts.append(f"{counts['plan_due']} 项检验申请须在明天（{tomorrow.isoformat()}）前安排检验")
    if counts["plan_overdue"]:
        parts.append(f"{counts['plan_overdue']} 项已超过安排期限")
    if counts["report_due"]:
        parts.append(f"{counts['report_due']} 份检验报告须在明天前出具")
    if counts["report_overdue"]:
        parts.append(f"{counts['report_overdue']} 份检验报告已超过出具期限")
    return f"{who}" + "，".join(parts) + "。请及时处理（工作台—检验检测—检验安排）。"


def queue_deadline_reminders(today: date | None = None) -> int:
    """Tell each agency's admins of the agency's plans and reports due tomorrow or overdue, and
    each planned inspector of their own reports; one message per person per day (dedupe key).
    Returns how many were queued."""
    today = today or business_today()
    tomorrow = today + timedelta(days=1)
    rows = db.session.execute(select(A.agency_unit_id, A.status, A.plan_due_on, A.report_due_on,
                                     A.inspector_person_ids).where(or_(
        and_(A.status == "accepted", A.plan_due_on <= tomorrow),
        and_(A.status == "planned", A.report_due_on <= tomorrow))))
    empty = {"plan_due": 0, "plan_overdue": 0, "report_due": 0, "report_overdue": 0}
    by_agency: dict[int, dict[str, int]] = defaultdict(lambda: dict(empty))
    by_inspector: dict[tuple[int, int], dict[str, int]] = defaultdict(lambda: dict(empty))
    for agency_id, status, plan_due, report_due, inspectors in rows:
        if status == "accepted":
            key = "plan_due" if plan_due == tomorrow else "plan_overdue" if plan_due < today else None
        else:
            key = "report_due" if report_due == tomorrow else "report_overdue" if report_due < today else None
        if key is None:  # due today: yesterday's reminder said so, tomorrow's will say overdue
            continue
        by_agency[agency_id][key] += 1
        if status == "planned":
            for person_id in inspectors or []:
                by_inspector[(agency_id, person_id)][key] += 1
    if not by_agency:
        return 0
    admins = defaultdict(set)
    for person_id, unit_id in db.session.execute(people.people_with_roles_stmt(
            list(by_agency), AGENCY_ADMIN_ROLES, Person.id, Person.unit_id)):
        admins[unit_id].add(person_id)
    staff = {(unit_id, person_id) for person_id, unit_id in db.session.execute(people.people_with_roles_stmt(
        list(by_agency), ("inspector", "tester"), Person.id, Person.unit_id))}
    messages = [(person_id, agency_id, counts, False) for agency_id, counts in by_agency.items()
                for person_id in admins[agency_id]]
    messages += [(person_id, agency_id, counts, True) for (agency_id, person_id), counts in by_inspector.items()
                 if (agency_id, person_id) in staff and person_id not in admins[agency_id]]
    queued = 0
    for person_id, agency_id, counts, own in sorted(messages, key=lambda m: (m[1], m[0])):
        if notify.queue_message(person_id, "inspection_deadlines", "检验安排与报告期限提醒",
                                _reminder_text(counts, tomorrow, own), {"agency_unit_id": agency_id, **counts},
                                dedupe_key=f"inspection-deadlines:{person_id}:{today.isoformat()}"):
            queued += 1
    return queued
