"""The daily check of production units (日管控, SAMR Order 73, 总局令第73号).

Order 73 has a production unit (制造、安装、改造、修理、维保 …) appoint a 质量安全总监 and
质量安全员; the 质量安全员 checks production quality every day against the unit's
质量安全风险管控清单 and records it (《每日质量安全检查记录》), the 质量安全总监 reports weekly
and the 主要负责人 holds a monthly scheduling meeting. The same engine as Order 74:

- The subject of a production daily check is the 质量安全员's day, not a device: one
  `DailyCheck` per officer per day with `equipment_id` empty (a partial unique index).
- The list is the unit's own copy of the platform's production list (kind_code `PROD`), else
  the default (`checklists.effective`).
- An abnormal item opens a finding without a device (`findings.open_production_finding`).
- Expected: one record per current 质量安全员 appointment-day (an active person; a person with
  several appointments counts once a day), from the appointment's start through its end.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, RuleViolation
from core.extensions import db
from core.timeutil import business_today, utcnow
from models.checks import PRODUCTION_CODE, PRODUCTION_NAME, Appointment, Checklist, DailyCheck
from models.findings import SEVERITIES, Finding
from models.orgs import Person, Region, Unit
from services import findings
from services.checks import appointments, checklists, daily, periods

OFFICER = "quality_safety_officer"
DIRECTOR = "quality_safety_director"
POSTS = (DIRECTOR, OFFICER)
PRODUCTION_UNIT_KINDS = ("production",)


def is_production(unit: Unit) -> bool:
    return unit.kind in PRODUCTION_UNIT_KINDS


def require_production_unit(unit: Unit) -> None:
    if not is_production(unit):
        raise RuleViolation("该单位不是特种设备生产单位，不适用生产单位的日管控、周排查、月调度。",
                            code="not_production_unit")


def may_check(identity: Identity, unit: Unit, day: date) -> bool:
    """The unit's 质量安全员 or 质量安全总监 (login role or current appointment), of an approved
    production unit."""
    return (identity.unit_id == unit.id and identity.unit_status == "approved" and is_production(unit)
            and any(periods.holds_post(identity, unit.id, role, None, day) for role in (OFFICER, DIRECTOR)))


def _own_unit(identity: Identity, day: date) -> Unit:
    unit = db.session.get(Unit, identity.unit_id) if identity.unit_id else None
    if unit is None or not may_check(identity, unit, day):
        raise Forbidden("只有生产单位的质量安全员或质量安全总监可以进行生产质量日管控检查。",
                        code="not_quality_safety_officer")
    return unit


def checklist(unit_id: int | None) -> Checklist | None:
    return checklists.effective(unit_id, PRODUCTION_CODE)


def check_of(person_id: int, day: date) -> DailyCheck | None:
    return db.session.scalar(select(DailyCheck).where(DailyCheck.officer_person_id == person_id,
                                                      DailyCheck.equipment_id.is_(None),
                                                      DailyCheck.check_date == day))


def today_view(identity: Identity, day: date | None = None) -> dict[str, Any]:
    """The caller's production check of `day` (default today): the list, and the record if made."""
    today = business_today()
    day = min(day or today, today)
    unit = _own_unit(identity, today)
    check = check_of(identity.person_id, day)
    return {"date": day, "unit_id": unit.id, "state": "done" if check else "missing",
            "checklist": checklist(unit.id), "daily_check": check}


def submit(identity: Identity, data: dict, now: datetime | None = None) -> DailyCheck:
    """Record the 质量安全员's production-quality check of today (Asia/Shanghai), opening a
    finding per abnormal item (Order 73, 日管控).

    Raises Forbidden `not_quality_safety_officer`, RuleViolation `checklist_missing`, InvalidInput
    (answers, photos, severity) and Conflict `daily_check_exists` (already recorded today).
    """
    now = now or utcnow()
    day = business_today(now)
    unit = _own_unit(identity, day)
    existing = check_of(identity.person_id, day)
    if existing is not None:
        raise _exists(existing)
    used = checklist(unit.id)
    if used is None:
        raise RuleViolation("暂无生产质量安全风险管控清单。", code="checklist_missing")
    results = daily.check_results(used, data["answers"], unit.id)
    abnormal = [r for r in results if r["result"] == "abnormal"]
    check = DailyCheck(equipment_id=None, unit_id=unit.id, region_code=unit.region_code,
                       officer_person_id=identity.person_id, check_date=day, submitted_at=now,
                       checklist_id=used.id, results=results, abnormal_count=len(abnormal),
                       zero_risk=not abnormal, note=data.get("note"))
    try:
        with db.session.begin_nested():
            db.session.add(check)
    except IntegrityError:  # the same officer's other submission won the race
        raise _exists(check_of(identity.person_id, day))
    audit.record(identity.audit_context(), "daily_check.create", "daily_check", check.id, None,
                 daily.snapshot(check))
    answers = {a["item_key"]: a for a in data["answers"]}
    serious = any(answers[r["key"]].get("severity") in findings.STOPPING_SEVERITIES for r in abnormal)
    directors = appointments.appointed_person_ids(unit.id, DIRECTOR, None, day) if serious else []
    for result in abnormal:
        answer = answers[result["key"]]
        description = f"{result['text']}：{result['note']}" if result.get("note") else result["text"]
        finding = findings.open_production_finding(
            identity, unit, source_id=check.id, severity=answer.get("severity"), description=description,
            item_key=result["key"], photo_ids=result["photo_ids"], immediate_action=answer.get("immediate_action"),
            deadline=answer.get("deadline"), today=day, directors=directors)
        result["severity"], result["finding_id"] = finding.severity, finding.id
    if abnormal:
        flag_modified(check, "results")
        db.session.flush()
    return check


def _exists(check: DailyCheck | None) -> Conflict:
    return Conflict("您今天已提交生产质量日管控检查记录。", code="daily_check_exists",
                    details={"daily_check_id": check.id if check else None})


# -- expected and done ------------------------------------------------------------------------------

def appointment_rows(unit_where, period: periods.Period, *cols) -> list[Any]:
    """Order 73 appointments of active people in approved production units matching `unit_where`
    (a clause on Unit) that overlap the period: (unit_id, person_id, role, start_date, end_date, *cols)."""
    stmt = (select(Appointment.unit_id, Appointment.person_id, Appointment.role, Appointment.start_date,
                   Appointment.end_date, *cols)
            .join(Person, Person.id == Appointment.person_id).join(Unit, Unit.id == Appointment.unit_id)
            .join(Region, Region.code == Unit.region_code)
            .where(unit_where, Unit.kind.in_(PRODUCTION_UNIT_KINDS), Unit.status == "approved",
                   Appointment.role.in_(POSTS), Person.status == "active",
                   Appointment.start_date <= period.through,
                   or_(Appointment.end_date.is_(None), Appointment.end_date > period.start)))
    return db.session.execute(stmt.order_by(Appointment.unit_id, Appointment.id)).all()


def held_on(row: Any, day: date) -> bool:
    """Whether an appointment row is current on `day` (as `appointments.current_clause`)."""
    return row.start_date <= day and (row.end_date is None or row.end_date > day)


def officer_days(rows: Iterable[Any], period: periods.Period) -> set[tuple[int, int, date]]:
    """(unit, person, day) a 质量安全员 record is expected on, counted through `period.through`."""
    expected: set[tuple[int, int, date]] = set()
    for row in rows:
        if row.role != OFFICER:
            continue
        first = max(row.start_date, period.start)
        last = period.through if row.end_date is None else min(period.through, row.end_date - timedelta(days=1))
        expected.update((row.unit_id, row.person_id, first + timedelta(days=i))
                        for i in range((last - first).days + 1))
    return expected


def checks_made(unit_where, period: periods.Period) -> set[tuple[int, int, date]]:
    """(unit, person, day) of the production records in the period."""
    return set(db.session.execute(
        select(DailyCheck.unit_id, DailyCheck.officer_person_id, DailyCheck.check_date)
        .join(Unit, Unit.id == DailyCheck.unit_id)
        .where(unit_where, DailyCheck.equipment_id.is_(None),
               DailyCheck.check_date.between(period.start, period.through))).all())


def _finding_figures(unit_id: int, period: periods.Period) -> dict[str, Any]:
    first, last = periods.day_start_utc(period.start), periods.day_end_utc(period.through)
    base = select(Finding.severity, func.count()).where(Finding.unit_id == unit_id, Finding.equipment_id.is_(None))
    rows = db.session.scalars(select(Finding).where(
        Finding.unit_id == unit_id, Finding.equipment_id.is_(None), periods.overdue_clause(period.through))
        .order_by(Finding.deadline, Finding.id)).all()
    overdue = [{"finding_id": f.id, "severity": f.severity, "severity_label": SEVERITIES.get(f.severity, f.severity),
                "description": f.description, "deadline": f.deadline.isoformat(),
                "days_overdue": (period.through - f.deadline).days} for f in rows]
    return {"findings_opened": periods.by_severity(base.where(Finding.created_at >= first,
                                                                Finding.created_at < last)),
            "findings_closed": periods.by_severity(base.where(Finding.closed_at >= first, Finding.closed_at < last)),
            "findings_open": periods.by_severity(base.where(periods.open_at_end_clause(period.through))),
            "overdue_total": len(overdue), "overdue": overdue[:periods.MISSED_LIST_LIMIT]}


def unit_figures(unit_id: int, period: periods.Period) -> dict[str, Any]:
    """A production unit's figures over a period (JSON-ready): the 质量安全员 records expected and
    made per day and per officer, and the findings of its production checks."""
    rows = appointment_rows(Unit.id == unit_id, period)
    expected = officer_days(rows, period)
    made = checks_made(Unit.id == unit_id, period)
    done = expected & made
    names = dict(db.session.execute(select(Person.id, Person.name).where(
        Person.id.in_({p for _, p, _ in expected | made}))).all()) if expected or made else {}
    by_day_expected, by_day_done = Counter(d for _, _, d in expected), Counter(d for _, _, d in done)
    by_day = [{"date": d.isoformat(), "expected": by_day_expected[d], "done": by_day_done[d],
               "missed": by_day_expected[d] - by_day_done[d]} for d in period.dates()]
    missed: dict[int, list[date]] = {}
    for _, person_id, day in sorted(expected - made):
        missed.setdefault(person_id, []).append(day)
    missed_by_officer = sorted(({"person_id": p, "name": names.get(p), "missed": len(ds),
                                 "dates": [d.isoformat() for d in ds]} for p, ds in missed.items()),
                               key=lambda m: (-m["missed"], m["person_id"]))
    figures: dict[str, Any] = {
        "kind_code": PRODUCTION_CODE, "kind_name": PRODUCTION_NAME, "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "through": period.through.isoformat(), "days_counted": period.days,
        "officers": len({p for r in rows if r.role == OFFICER for p in [r.person_id]}),
        "checks_expected": len(expected), "checks_done": len(done), "checks_missed": len(expected) - len(done),
        "check_rate": periods.ratio(len(done), len(expected)), "by_day": by_day,
        "missed_officers_total": len(missed_by_officer), "missed_by_officer": missed_by_officer,
    }
    figures.update(_finding_figures(unit_id, period))
    figures["computed_at"] = utcnow().isoformat(timespec="seconds")
    return figures


def summary_text(figures: dict[str, Any]) -> str:
    """The figures as the 质量安全总监 would read them out (Chinese, one paragraph)."""
    rate = figures.get("check_rate")
    opened, closed = figures["findings_opened"], figures["findings_closed"]
    parts = [
        f"统计期间 {figures['period_start']} 至 {figures['through']}，质量安全员 {figures['officers']} 名；"
        f"生产质量日管控应检 {figures['checks_expected']} 人次，已检 {figures['checks_done']} 人次，"
        f"漏检 {figures['checks_missed']} 人次，完成率 {'—' if rate is None else f'{rate * 100:.1f}%'}。",
        f"新发现质量安全问题 {opened['total']} 项（一般 {opened['general']} 项、严重 {opened['serious']} 项、"
        f"重大 {opened['major']} 项），整改完成 {closed['total']} 项，期末未整改 {figures['findings_open']['total']} 项，"
        f"其中逾期未整改 {figures['overdue_total']} 项。",
    ]
    weekly = figures.get("weekly_reports")
    if weekly:
        parts.append(f"应提交周排查报告 {weekly['expected']} 份，已提交 {weekly['submitted']} 份。")
    return "".join(parts)
