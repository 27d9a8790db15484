"""Compliance figures of the two regulations for regulators, by unit and by region.

Market regulators treat 日管控 / 周排查 / 月调度 and the rectification of what they find as key
items of their inspections (Order 74, 总局令第74号). Per use unit with equipment in use:
- appointment: a current 安全总监 and 安全员 (appointments, active people) for every kind it uses;
- daily checks: checks done / expected device-days that are due (`periods` defines them: today's
  checks not yet done are pending, not missed, until the day is over);
- weekly reports: submitted / (kinds used x weeks of the window that are over);
- monthly minutes: submitted / (kinds used x months of the window that are over);
- findings open at the end of the window, and of those, overdue.
A unit falls behind when an appointment is missing or a rate is below the threshold.

Production units (Order 73) with an Order 73 appointment overlapping the window count alike
(`services.checks.production`): a current 质量安全总监 and 质量安全员; daily records done /
expected 质量安全员 appointment-days; one weekly report and one set of minutes per period
(kind_code PROD).

Every figure comes from a handful of GROUP BY queries over the whole scope; units and
regions are assembled from their rows, never by querying per unit.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import case, func, literal, select

from core import periods as core_periods
from core.auth import Identity
from core.errors import Forbidden
from core.extensions import db
from models.checks import Appointment, DailyCheck, MonthlyMinutes, WeeklyReport
from models.equipment import CatalogueEntry, Equipment
from models.findings import Finding
from models.orgs import Person, Region, Unit
from services.checks import appointments, periods, production, scope
from services.orgs import regions

MAX_WINDOW_DAYS = 366
POSTS = ("safety_director", "safety_officer")
REASONS = {"appointments_missing": "未配齐安全总监、安全员", "daily_checks_low": "日管控完成率低",
           "weekly_reports_low": "周排查报告提交率低", "monthly_minutes_low": "月调度纪要提交率低"}


@dataclass
class Tally:
    """Counts of one unit, or summed over a region."""

    units: int = 0
    units_appointed: int = 0
    units_behind: int = 0
    daily_expected: int = 0
    daily_done: int = 0
    daily_pending: int = 0
    weekly_expected: int = 0
    weekly_submitted: int = 0
    monthly_expected: int = 0
    monthly_submitted: int = 0
    open_findings: int = 0
    overdue_findings: int = 0
    kinds: set[str] = field(default_factory=set)
    missing_kinds: list[str] = field(default_factory=list)
    production: bool = False

    def add(self, other: "Tally") -> None:
        for name in ("units", "units_appointed", "units_behind", "daily_expected", "daily_done", "daily_pending",
                     "weekly_expected",
                     "weekly_submitted", "monthly_expected", "monthly_submitted", "open_findings",
                     "overdue_findings"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def rates(self) -> dict[str, Any]:
        return {"appointment_rate": periods.ratio(self.units_appointed, self.units),
                "daily_rate": periods.ratio(self.daily_done, self.daily_expected - self.daily_pending),
                "weekly_rate": periods.ratio(self.weekly_submitted, self.weekly_expected),
                "monthly_rate": periods.ratio(self.monthly_submitted, self.monthly_expected)}

    def as_dict(self) -> dict[str, Any]:
        return {"units": self.units, "units_appointed": self.units_appointed, "units_behind": self.units_behind,
                "daily_expected": self.daily_expected, "daily_done": self.daily_done,
                "daily_pending": self.daily_pending,
                "daily_missed": self.daily_expected - self.daily_done - self.daily_pending,
                "weekly_expected": self.weekly_expected, "weekly_submitted": self.weekly_submitted,
                "monthly_expected": self.monthly_expected, "monthly_submitted": self.monthly_submitted,
                "open_findings": self.open_findings, "overdue_findings": self.overdue_findings, **self.rates()}


# -- the window and the scope -----------------------------------------------------------------------

def window(date_from: date | None, date_to: date | None, today: date) -> periods.Period:
    """Default: the 30 days ending yesterday. Counted through the earlier of `date_to` and today."""
    return core_periods.custom_range(date_from, date_to, today, max_days=MAX_WINDOW_DAYS,
                                     default_end=today - timedelta(days=1),
                                     default_start=lambda end: end - timedelta(days=29), started=True)


def _scope(identity: Identity, region_code: str | None) -> tuple[Any, Region | None]:
    """(WHERE clause on Unit/Region, the root region or None for a unit's own view)."""
    if identity.is_regulator or identity.is_ops:
        scope_ = regions.statistics_scope(identity, region_code)
        return scope_.clause(Unit.region_code), scope_.root
    if identity.unit_id is None:
        raise Forbidden()
    return Unit.id == identity.unit_id, None


def _joined(stmt, unit_id_col, where):
    return (stmt.join(Unit, Unit.id == unit_id_col).join(Region, Region.code == Unit.region_code).where(where))


# -- the aggregate queries --------------------------------------------------------------------------

def _devices(where, period: periods.Period) -> list[Any]:
    """(unit, its region, kind, first counted day, devices), grouped."""
    inner = _joined(select(Unit.id.label("unit_id"), Unit.name.label("unit_name"), Unit.region_code,
                           Region.name.label("region_name"), Region.path.label("region_path"),
                           CatalogueEntry.kind_code, periods.effective_start(period.start).label("counted_from"))
                    .select_from(Equipment).join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code),
                    Equipment.use_unit_id, where).where(scope.covered_clause()).subquery()
    cols = [inner.c.unit_id, inner.c.unit_name, inner.c.region_code, inner.c.region_name, inner.c.region_path,
            inner.c.kind_code, inner.c.counted_from]
    return db.session.execute(select(*cols, func.count()).group_by(*cols)).all()


def _checks_done(where, period: periods.Period) -> dict[int, tuple[int, int]]:
    """unit -> (checks counted in the period, of those done today)."""
    today = func.sum(case((DailyCheck.check_date == period.open_day, 1), else_=0)) if period.open_day else literal(0)
    stmt = _joined(select(Equipment.use_unit_id, func.count(DailyCheck.id), today).select_from(DailyCheck)
                   .join(Equipment, Equipment.id == DailyCheck.equipment_id)
                   .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code),
                   Equipment.use_unit_id, where)
    stmt = stmt.where(scope.covered_clause(), periods.check_counts_clause(period.start, period.through))
    return {u: (n, int(t or 0)) for u, n, t in db.session.execute(stmt.group_by(Equipment.use_unit_id)).all()}


def _posts_held(where, period: periods.Period) -> set[tuple[int, str, str]]:
    stmt = _joined(select(Appointment.unit_id, Appointment.kind_code, Appointment.role).distinct()
                   .join(Person, Person.id == Appointment.person_id), Appointment.unit_id, where)
    stmt = stmt.where(Appointment.role.in_(POSTS), Person.status == "active",
                      appointments.current_clause(period.through))
    return set(db.session.execute(stmt).all())


def _submitted(model, period_col, values: list[date], where) -> dict[tuple[int, str], int]:
    if not values:
        return {}
    stmt = _joined(select(model.unit_id, model.kind_code, func.count()), model.unit_id, where)
    stmt = stmt.where(model.status == "submitted", period_col.in_(values))
    return {(u, k): n for u, k, n in db.session.execute(stmt.group_by(model.unit_id, model.kind_code)).all()}


def _findings(where, period: periods.Period) -> dict[int, tuple[int, int]]:
    overdue = func.sum(case((periods.overdue_clause(period.through), 1), else_=0))
    stmt = _joined(select(Finding.unit_id, func.count(), overdue), Finding.unit_id, where)
    stmt = stmt.where(periods.open_at_end_clause(period.through)).group_by(Finding.unit_id)
    return {u: (n, int(o or 0)) for u, n, o in db.session.execute(stmt).all()}


def _production_tallies(where, period: periods.Period, tallies: dict[int, Tally], info: dict[int, dict]) -> None:
    """Add the production units (Order 73): expected 质量安全员 appointment-days and records made."""
    rows = production.appointment_rows(where, period, Unit.name.label("unit_name"), Unit.region_code,
                                       Region.name.label("region_name"), Region.path.label("region_path"))
    if not rows:
        return
    expected = production.officer_days(rows, period)
    done = expected & production.checks_made(where, period)
    current = {(r.unit_id, r.role) for r in rows if production.held_on(r, period.through)}
    for row in rows:
        info.setdefault(row.unit_id, {"unit_id": row.unit_id, "unit_name": row.unit_name,
                                      "region_code": row.region_code, "region_name": row.region_name,
                                      "region_path": row.region_path})
        tally = tallies[row.unit_id]
        tally.production = True
        tally.kinds = {production.PRODUCTION_CODE}
        tally.missing_kinds = [] if all((row.unit_id, p) in current for p in production.POSTS) \
            else [production.PRODUCTION_CODE]
    for unit_id, _, _ in expected:
        tallies[unit_id].daily_expected += 1
    for unit_id, _, _ in done:
        tallies[unit_id].daily_done += 1
    for unit_id, _, day in expected - done:  # today's record still to come is pending, not missed
        if day == period.open_day:
            tallies[unit_id].daily_pending += 1


def _due_periods(period: periods.Period) -> tuple[list[date], list[date]]:
    """Mondays of the window's weeks and first days of its months whose report is due."""
    mondays = [m for m in periods.weeks_of(period.start, period.end) if periods.week_due(m, period.today)]
    months = [first for first in core_periods.month_starts(period.start, period.end)
              if period.start <= core_periods.month_end(first) <= period.end and periods.month_due(first, period.today)]
    return mondays, months


# -- assembling -----------------------------------------------------------------------------------------

def _unit_tallies(where, period: periods.Period, threshold: float) -> tuple[dict[int, Tally], dict[int, dict]]:
    info: dict[int, dict[str, Any]] = {}
    tallies: dict[int, Tally] = defaultdict(Tally)
    expected_today: dict[int, int] = defaultdict(int)
    for row in _devices(where, period):
        info.setdefault(row.unit_id, {"unit_id": row.unit_id, "unit_name": row.unit_name,
                                      "region_code": row.region_code, "region_name": row.region_name,
                                      "region_path": row.region_path})
        tally = tallies[row.unit_id]
        tally.kinds.add(row.kind_code)
        tally.daily_expected += periods.device_days({row.counted_from: row[-1]}, period)
        if period.open_day and row.counted_from <= period.open_day:
            expected_today[row.unit_id] += row[-1]
    _production_tallies(where, period, tallies, info)
    if not tallies:
        return {}, {}
    done, held = _checks_done(where, period), _posts_held(where, period)
    mondays, months = _due_periods(period)
    weekly = _submitted(WeeklyReport, WeeklyReport.week_start, mondays, where)
    monthly = _submitted(MonthlyMinutes, MonthlyMinutes.month, months, where)
    findings = _findings(where, period)
    for unit_id, t in tallies.items():
        t.units = 1
        if not t.production:
            t.missing_kinds = sorted(k for k in t.kinds if any((unit_id, k, p) not in held for p in POSTS))
            t.daily_done, done_today = done.get(unit_id, (0, 0))
            t.daily_pending = max(0, expected_today[unit_id] - done_today)
        t.units_appointed = 0 if t.missing_kinds else 1
        t.weekly_expected, t.monthly_expected = len(t.kinds) * len(mondays), len(t.kinds) * len(months)
        t.weekly_submitted = sum(weekly.get((unit_id, k), 0) for k in t.kinds)
        t.monthly_submitted = sum(monthly.get((unit_id, k), 0) for k in t.kinds)
        t.open_findings, t.overdue_findings = findings.get(unit_id, (0, 0))
        t.units_behind = 1 if behind_reasons(t, threshold) else 0
    return dict(tallies), info


def behind_reasons(tally: Tally, threshold: float) -> list[str]:
    """Why a unit fell behind (codes of REASONS), in a stable order."""
    rates = tally.rates()
    reasons = ["appointments_missing"] if tally.missing_kinds else []
    for rate, code in (("daily_rate", "daily_checks_low"), ("weekly_rate", "weekly_reports_low"),
                       ("monthly_rate", "monthly_minutes_low")):
        if rates[rate] is not None and rates[rate] < threshold:
            reasons.append(code)
    return reasons


def _child_of(root: Region, path: str) -> str:
    """The region directly under `root` (in supervision) that `path` lies in; root itself if none."""
    rest = path[len(root.path):].lstrip("/")
    return rest.split("/", 1)[0] if rest else root.code


def figures(identity: Identity, *, today: date, region_code: str | None = None, date_from: date | None = None,
            date_to: date | None = None, group_by: str = "unit", threshold: float | None = None,
            behind_only: bool = False) -> dict[str, Any]:
    """The compliance figures in the caller's scope (a regulator's subtree; a unit: itself).

    Raises Forbidden `region_out_of_scope`, InvalidInput for the window.
    """
    threshold = current_app.config["CHECKS_BEHIND_THRESHOLD"] if threshold is None else threshold
    period = window(date_from, date_to, today)
    where, root = _scope(identity, region_code)
    tallies, info = _unit_tallies(where, period, threshold)
    totals = Tally()
    for t in tallies.values():
        totals.add(t)
    result: dict[str, Any] = {
        "region_code": root.code if root else None, "region_name": root.name if root else None,
        "date_from": period.start, "date_to": period.end, "through": period.through,
        "group_by": group_by if root else "unit", "threshold": threshold, "totals": totals.as_dict()}
    if result["group_by"] == "region":
        children = {r.code: r.name for r in regions.list_regions(root.code)} or {root.code: root.name}
        by_region: dict[str, Tally] = {code: Tally() for code in children}
        for unit_id, t in tallies.items():
            by_region.setdefault(_child_of(root, info[unit_id]["region_path"]), Tally()).add(t)
        result["items"] = [{"region_code": code, "region_name": children.get(code, root.name), **t.as_dict()}
                           for code, t in sorted(by_region.items())]
        return result
    rows = []
    for unit_id, t in tallies.items():
        reasons = behind_reasons(t, threshold)
        if behind_only and not reasons:
            continue
        row = {k: v for k, v in info[unit_id].items() if k != "region_path"}
        rows.append({**row, **t.as_dict(), "kinds": sorted(t.kinds), "missing_appointment_kinds": t.missing_kinds,
                     "behind": bool(reasons), "behind_reasons": reasons,
                     "behind_reason_labels": [REASONS[r] for r in reasons]})
    rows.sort(key=lambda r: (r["daily_rate"] is None, r["daily_rate"] or 0, r["unit_id"]))
    result["items"] = rows
    return result
