"""Report periods and the figures the weekly report and the monthly minutes are pre-filled with.

Order 74 (总局令第74号) has the 安全员 check every device in use every day (日管控), the
安全总监 sweep and report at least weekly (周排查, 《每周XX安全排查治理报告》) and the 主要负责人
hold a scheduling meeting at least monthly (月调度, 《每月XX安全调度会议纪要》). Days, weeks
(Monday to Sunday) and months are Asia/Shanghai; times are stored in UTC.

Definitions (the same for the reports, the records and the compliance figures):
- a device is *expected* to be checked on day D when it is in use, under market supervision
  (Order 74 art. 2 leaves building-site cranes and vehicles to the housing authorities), of the
  kind, and put into use on or before D (no date: always);
- a period is counted from its first day *through* the earlier of its last day and today;
- a day's check is *missed* only once the day is over: today's checks not yet done are *pending*
  (they count as expected, not as missed, and the completion rate is done / (expected - pending));
- a finding is *open at the end of day D* when created before D ends and not closed by then,
  and *overdue* on D when also its deadline is before D.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select

from core.auth import Identity
from core.extensions import db
# The checks modules name the period type through here (`periods.Period`, `periods.month_period`).
from core.periods import (Period, day_end_utc, day_start_utc, month_period, week_period,  # noqa: F401
                          weeks_of)
from core.timeutil import utcnow
from models.checks import DailyCheck, WeeklyReport
from models.equipment import CatalogueEntry, Equipment
from models.findings import SEVERITIES, Finding
from services.checks import appointments, scope

# The missed-checks list is capped; counts are always whole.
MISSED_LIST_LIMIT = 200


def week_due(monday: date, today: date) -> bool:
    """A week's report is expected once the week is over (its Sunday before today)."""
    return week_period(monday, today).over


def month_due(first: date, today: date) -> bool:
    """A month's minutes are expected once the month is over."""
    return month_period(first, today).over


def ratio(done: int, expected: int) -> float | None:
    """A completion rate with four decimals; None when nothing was expected."""
    return round(done / expected, 4) if expected else None


# -- the devices expected -----------------------------------------------------------------------

def effective_start(first: date):
    """The first day a device counts in a period starting `first` (its put-into-use date if later)."""
    return case((and_(Equipment.put_into_use_date.is_not(None), Equipment.put_into_use_date > first),
                 Equipment.put_into_use_date), else_=first)


def check_counts_clause(first: date, last: date):
    """Daily checks that count: in the period, on a day the device was expected."""
    return and_(DailyCheck.equipment_id == Equipment.id, DailyCheck.unit_id == Equipment.use_unit_id,
                DailyCheck.check_date.between(first, last),
                or_(Equipment.put_into_use_date.is_(None), DailyCheck.check_date >= Equipment.put_into_use_date))


def device_days(starts: dict[date, int], period: Period) -> int:
    """Expected device-days from {first counted day: devices}."""
    return sum(n * max(0, (period.through - d).days + 1) for d, n in starts.items())


def _device_rows(unit_id: int, kind_code: str, period: Period) -> list[Any]:
    start = effective_start(period.start).label("counted_from")
    return db.session.execute(
        select(Equipment.id, Equipment.equipment_code, Equipment.registration_cert_no, Equipment.product_name,
               CatalogueEntry.name.label("catalogue_name"), Equipment.address, Equipment.hazard_stopped, start)
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(Equipment.use_unit_id == unit_id, CatalogueEntry.kind_code == kind_code, scope.covered_clause())
        .order_by(Equipment.id)).all()


def device_label(row: Any) -> str:
    return row.product_name or row.catalogue_name


def _device_ref(row: Any) -> dict[str, Any]:
    return {"equipment_id": row.id, "equipment_code": row.equipment_code,
            "registration_cert_no": row.registration_cert_no, "name": device_label(row), "address": row.address}


def _checks(unit_id: int, kind_code: str, period: Period) -> list[Any]:
    """(equipment_id, check_date) of the counted checks."""
    return db.session.execute(
        select(DailyCheck.equipment_id, DailyCheck.check_date)
        .join(Equipment, Equipment.id == DailyCheck.equipment_id)
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(Equipment.use_unit_id == unit_id, CatalogueEntry.kind_code == kind_code, scope.covered_clause(),
               check_counts_clause(period.start, period.through))).all()


def _daily_figures(devices: list[Any], checks: list[Any], period: Period) -> dict[str, Any]:
    by_day_done = Counter(c.check_date for c in checks)
    by_device_done: dict[int, set[date]] = {}
    for c in checks:
        by_device_done.setdefault(c.equipment_id, set()).add(c.check_date)
    days, today = period.dates(), period.open_day
    by_day = []
    for day in days:
        expected = sum(1 for d in devices if d.counted_from <= day)
        done = by_day_done.get(day, 0)
        waiting = expected - done if day == today else 0
        by_day.append({"date": day.isoformat(), "expected": expected, "done": done, "pending": waiting,
                       "missed": expected - done - waiting})
    missed = []
    for device in devices:
        dates = [d for d in days if d >= device.counted_from and d != today
                 and d not in by_device_done.get(device.id, ())]
        if dates:
            missed.append({**_device_ref(device), "missed": len(dates), "dates": [d.isoformat() for d in dates]})
    missed.sort(key=lambda m: (-m["missed"], m["equipment_id"]))
    expected = sum(day["expected"] for day in by_day)
    pending = sum(day["pending"] for day in by_day)
    return {"checks_expected": expected, "checks_done": len(checks), "checks_pending": pending,
            "checks_missed": expected - len(checks) - pending, "check_rate": ratio(len(checks), expected - pending),
            "by_day": by_day, "missed_devices_total": len(missed), "missed_by_device": missed[:MISSED_LIST_LIMIT]}


# -- findings -------------------------------------------------------------------------------------

def open_at_end_clause(day: date):
    """Findings open at the end of `day`."""
    end = day_end_utc(day)
    return and_(Finding.created_at < end, or_(Finding.closed_at.is_(None), Finding.closed_at >= end))


def overdue_clause(day: date):
    """Rectifications overdue on `day`: open at its end with a deadline before it."""
    return and_(open_at_end_clause(day), Finding.deadline.is_not(None), Finding.deadline < day)


def by_severity(stmt) -> dict[str, int]:
    counts = {code: 0 for code in SEVERITIES}
    for severity, n in db.session.execute(stmt.group_by(Finding.severity)).all():
        counts[severity] = n
    counts["total"] = sum(counts.values())
    return counts


def _finding_figures(unit_id: int, kind_code: str, period: Period) -> dict[str, Any]:
    first, last = day_start_utc(period.start), day_end_utc(period.through)
    base = (select(Finding.severity, func.count()).join(Equipment, Equipment.id == Finding.equipment_id)
            .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
            .where(Finding.unit_id == unit_id, CatalogueEntry.kind_code == kind_code))
    opened = by_severity(base.where(Finding.created_at >= first, Finding.created_at < last))
    closed = by_severity(base.where(Finding.closed_at >= first, Finding.closed_at < last))
    still_open = by_severity(base.where(open_at_end_clause(period.through)))
    rows = db.session.execute(
        select(Finding.id, Finding.severity, Finding.description, Finding.deadline, Equipment.id.label("eid"),
               Equipment.equipment_code, Equipment.product_name, CatalogueEntry.name.label("catalogue_name"))
        .join(Equipment, Equipment.id == Finding.equipment_id)
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(Finding.unit_id == unit_id, CatalogueEntry.kind_code == kind_code, overdue_clause(period.through))
        .order_by(Finding.deadline, Finding.id)).all()
    overdue = [{"finding_id": r.id, "equipment_id": r.eid, "equipment_code": r.equipment_code,
                "name": r.product_name or r.catalogue_name, "severity": r.severity,
                "severity_label": SEVERITIES.get(r.severity, r.severity), "description": r.description,
                "deadline": r.deadline.isoformat(), "days_overdue": (period.through - r.deadline).days}
               for r in rows]
    return {"findings_opened": opened, "findings_closed": closed, "findings_open": still_open,
            "overdue_total": len(overdue), "overdue": overdue}


def unit_figures(unit_id: int, kind_code: str, kind_name: str, period: Period) -> dict[str, Any]:
    """The figures of one unit and equipment kind over a period (JSON-ready).

    Devices stopped for a hazard are the devices flagged now (`Equipment.hazard_stopped`):
    the flag keeps no history.
    """
    devices = _device_rows(unit_id, kind_code, period)
    figures: dict[str, Any] = {
        "kind_code": kind_code, "kind_name": kind_name, "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "through": period.through.isoformat(), "days_counted": period.days,
        "devices_in_use": len(devices),
    }
    figures.update(_daily_figures(devices, _checks(unit_id, kind_code, period), period))
    figures.update(_finding_figures(unit_id, kind_code, period))
    figures["hazard_stopped"] = [_device_ref(d) for d in devices if d.hazard_stopped]
    figures["computed_at"] = utcnow().isoformat(timespec="seconds")
    return figures


def summary_text(figures: dict[str, Any]) -> str:
    """The figures as the director would read them out (Chinese, one paragraph)."""
    rate = figures.get("check_rate")
    opened, closed = figures["findings_opened"], figures["findings_closed"]
    parts = [
        f"统计期间 {figures['period_start']} 至 {figures['through']}，在用{figures['kind_name']} "
        f"{figures['devices_in_use']} 台；日管控应检 {figures['checks_expected']} 台次，已检 {figures['checks_done']} 台次，"
        + (f"今日待检 {figures['checks_pending']} 台次，" if figures.get("checks_pending") else "")
        + f"漏检 {figures['checks_missed']} 台次，完成率 {'—' if rate is None else f'{rate * 100:.1f}%'}。",
        f"新发现隐患 {opened['total']} 项（一般 {opened['general']} 项、严重 {opened['serious']} 项、"
        f"重大 {opened['major']} 项），整改完成 {closed['total']} 项，期末未整改 {figures['findings_open']['total']} 项，"
        f"其中逾期未整改 {figures['overdue_total']} 项；因隐患停用设备 {len(figures['hazard_stopped'])} 台。",
    ]
    weekly = figures.get("weekly_reports")
    if weekly:
        parts.append(f"应提交周排查报告 {weekly['expected']} 份，已提交 {weekly['submitted']} 份。")
    return "".join(parts)


# -- shared by the weekly report and the monthly minutes ------------------------------------------

def require_kind(kind_code: str | None) -> tuple[str, str]:
    """An equipment kind (种类, e.g. 3000) and its name; 422 `kind_code_invalid` otherwise."""
    code = appointments.require_kind_code(kind_code)
    return code, db.session.get(CatalogueEntry, code).name


def holds_post(identity: Identity, unit_id: int, role: str, kind_code: str | None, day: date) -> bool:
    """Whether the caller holds `role` in the unit: the login role, or a current appointment
    (for the kind; the 主要负责人 answers for every kind)."""
    if identity.unit_id != unit_id or identity.person_id is None:
        return False
    if identity.has_role(role):
        return True
    kind = None if role == "principal" else kind_code
    return identity.person_id in appointments.appointed_person_ids(unit_id, role, kind, day)


def weekly_block(unit_id: int, kind_code: str, period: Period) -> dict[str, Any]:
    """The weekly reports of the weeks that belong to a period, and how many are due and submitted."""
    mondays = weeks_of(period.start, period.end)
    stored = {r.week_start: r for r in db.session.execute(
        select(WeeklyReport.week_start, WeeklyReport.status, WeeklyReport.submitted_at)
        .where(WeeklyReport.unit_id == unit_id, WeeklyReport.kind_code == kind_code,
               WeeklyReport.week_start.in_(mondays))).all()} if mondays else {}
    weeks = []
    for monday in mondays:
        row = stored.get(monday)
        weeks.append({"week_start": monday.isoformat(), "week_end": (monday + timedelta(days=6)).isoformat(),
                      "due": week_due(monday, period.today), "status": row.status if row else "missing",
                      "submitted_at": row.submitted_at.isoformat(timespec="seconds")
                      if row and row.submitted_at else None})
    due = [w for w in weeks if w["due"]]
    return {"expected": len(due), "submitted": sum(1 for w in due if w["status"] == "submitted"),
            "weeks": weeks}
