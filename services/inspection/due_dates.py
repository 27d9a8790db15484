"""Next inspection due dates, by rule (domain.md §3.2; the table as implemented is
docs/inspection-intervals.md): one function per category (services.inspection.due_rules),
dispatched by the catalogue kind (the code's first character: 1 锅炉, 2 压力容器, 3 电梯, 4 起重机械,
5 场车, 6 游乐, 8 压力管道, 9 索道). Every interval is a setting (core/config.py), read from the
`config` mapping passed in.

`due_after` is pure (no database); `store` writes the series of many devices at once and sets
each touched device's `next_due_date` / `next_due_type` to its earliest series.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db
from core.timeutil import utcnow
from models.equipment import Equipment
from models.inspection import DUE_SERIES, EquipmentDueDate
from services.inspection.due_rules import (RULES, Dates, DeviceFacts, ResultFacts, add_months, covers,  # noqa: F401
                                           rule_for)


@dataclass(frozen=True)
class DueEntry:
    """One series of one device to store."""

    equipment_id: int
    series: str
    due_date: date | None
    last_date: date
    last_conclusion: str
    last_result_id: int | None


def series_of(catalogue_code: str) -> tuple[str, ...]:
    """The DUE_SERIES keys a category has (domain.md §3.3): elevators periodic + self_test, boilers
    external + internal, vessels and industrial pipes periodic + annual, cranes and the others
    periodic; () for categories without a rule here (气瓶, 长输/公用管道)."""
    return rule_for(catalogue_code)[0]


def due_after(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """The series `result` sets on `device` and their next due dates (domain.md §3.2).

    A result that does not allow use (`passed` False: 不合格, 不符合要求, grade 5) returns {}: the
    dates stay as they were and the device may not be used until a passing re-inspection. A type
    the category has no rule for (a self-test of a crane) returns {} too. A date may be None (an
    elevator past its year list has no self-test any more).
    """
    if not result.passed:
        return {}
    series, rule = rule_for(device.catalogue_code)
    if rule is None:
        return {}
    found = rule(device, result, config)
    return {key: found[key] for key in DUE_SERIES if key in found and key in series}


def new_supervision_date(result: ResultFacts) -> date | None:
    """The 安装/改造 监督检验合格日期 the caller stores on the device (Equipment.supervision_passed_on,
    where an elevator's year list starts): the inspection date of a passed installation or
    alteration supervision, else None."""
    if result.passed and result.inspection_type == "supervision" and result.work_type in ("installation",
                                                                                           "alteration"):
        return result.inspection_date
    return None


# --- storage ---------------------------------------------------------------------------------------

_SERIES_ORDER = {key: index for index, key in enumerate(DUE_SERIES)}


def _dedupe(entries: Sequence[DueEntry]) -> list[DueEntry]:
    """One entry per device and series: the latest inspection date wins, then the later entry."""
    kept: dict[tuple[int, str], DueEntry] = {}
    for entry in entries:
        key = (entry.equipment_id, entry.series)
        previous = kept.get(key)
        if previous is None or entry.last_date >= previous.last_date:
            kept[key] = entry
    return list(kept.values())


def store(entries: Sequence[DueEntry]) -> None:
    """Upsert the series rows (one executemany of INSERT .. ON CONFLICT DO UPDATE; PostgreSQL, and
    SQLite for `make run`), then set each touched device's `next_due_date` / `next_due_type` (the
    DUE_TYPES label) to its earliest dated series (one read, one executemany: refresh_next_due).

    A row is replaced only by a result of the same or a later inspection date (an older result
    arriving late does not move dates back; the same result sent again does). `reminded_for` is
    cleared when the due date changes, so the new date is reminded again. Flushes, never commits.
    """
    rows = _dedupe(entries)
    if not rows:
        return
    session = db.session
    session.flush()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = EquipmentDueDate.__table__
    stmt = insert(table)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.equipment_id, table.c.series],
        set_={
            "due_date": excluded.due_date,
            "last_date": excluded.last_date,
            "last_conclusion": excluded.last_conclusion,
            "last_result_id": excluded.last_result_id,
            "reminded_for": case((table.c.due_date.is_distinct_from(excluded.due_date), None),
                                 else_=table.c.reminded_for),
        },
        where=(table.c.last_date.is_(None) | (excluded.last_date >= table.c.last_date)
               | (table.c.last_result_id == excluded.last_result_id)),
    )
    session.execute(stmt, [
        {"equipment_id": row.equipment_id, "series": row.series, "due_date": row.due_date,
         "last_date": row.last_date, "last_conclusion": row.last_conclusion,
         "last_result_id": row.last_result_id, "reminded_for": None}
        for row in rows])
    refresh_next_due(sorted({row.equipment_id for row in rows}))


def refresh_next_due(equipment_ids: Sequence[int]) -> None:
    """Set each device's next_due_date / next_due_type to its earliest dated series (ties: in
    DUE_SERIES order); a device whose series have no date gets none. Rows already right are not
    written.

    One read by primary key (the devices joined to their dated series) and one executemany of the
    changed rows. Not a correlated "earliest due date" subquery per device: for it the planner walks
    the due-date index (ix_equipment_due_dates_due) device after device, seconds per 500 devices.
    """
    ids = sorted(set(equipment_ids))
    if not ids:
        return
    due = EquipmentDueDate.__table__.c
    current: dict[int, tuple[date | None, str | None]] = {}
    earliest: dict[int, tuple[date, int, str]] = {}
    rows = db.session.execute(
        select(Equipment.id, Equipment.next_due_date, Equipment.next_due_type, due.series, due.due_date)
        .outerjoin(EquipmentDueDate.__table__, (due.equipment_id == Equipment.id) & due.due_date.is_not(None))
        .where(Equipment.id.in_(bindparam("ids", ids, expanding=True))))
    for equipment_id, next_date, next_type, series, due_date in rows:
        current[equipment_id] = (next_date, next_type)
        if due_date is not None:
            key = (due_date, _SERIES_ORDER.get(series, len(_SERIES_ORDER)), series)
            if equipment_id not in earliest or key < earliest[equipment_id]:
                earliest[equipment_id] = key
    changed = []
    for equipment_id, now_values in current.items():
        first = earliest.get(equipment_id)
        wanted = (first[0], DUE_SERIES.get(first[2])) if first else (None, None)
        if now_values != wanted:
            changed.append({"id": equipment_id, "next_due_date": wanted[0], "next_due_type": wanted[1]})
    if not changed:
        return
    now = utcnow()
    db.session.execute(update(Equipment).execution_options(synchronize_session=False),
                       [{**row, "updated_at": now} for row in changed])
    ids_changed = {row["id"] for row in changed}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Equipment) and obj.id in ids_changed:
            db.session.expire(obj)


def device_series(equipment_id: int) -> list[EquipmentDueDate]:
    """A device's series rows, in DUE_SERIES order."""
    rows = db.session.scalars(select(EquipmentDueDate).where(EquipmentDueDate.equipment_id == equipment_id))
    return sorted(rows, key=lambda row: _SERIES_ORDER.get(row.series, len(_SERIES_ORDER)))


def seed_recorded_series() -> int:
    """Give every device with a recorded next due date (an import, a hand edit, the ledger before
    results came in) but no series yet the series row of its `next_due_type` (定期检验 when
    unset), as migration 0011 did for the devices of its day, so reminders and the overdue views
    see it. One INSERT .. SELECT; returns the rows added. Devices with series keep them: results
    rule there."""
    due = EquipmentDueDate.__table__
    key = case(*((Equipment.next_due_type == label, series) for series, label in DUE_SERIES.items()),
               else_="periodic")
    missing = ~select(due.c.equipment_id).where(due.c.equipment_id == Equipment.id).exists()
    source = select(Equipment.id, key, Equipment.next_due_date, Equipment.last_inspection_date,
                    func.substr(Equipment.last_inspection_conclusion, 1, 16)).where(
        Equipment.next_due_date.is_not(None), missing)
    result = db.session.execute(due.insert().from_select(
        ["equipment_id", "series", "due_date", "last_date", "last_conclusion"], source))
    return result.rowcount or 0
