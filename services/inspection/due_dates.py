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

from sqlalchemy import Integer, any_, bindparam, case, func, literal_column, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from core import bulk
from core.extensions import db
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


def store(entries: Sequence[DueEntry], refresh_devices: bool = True) -> None:
    """Upsert the series rows (INSERT .. ON CONFLICT DO UPDATE: on PostgreSQL one statement, the
    rows as one JSON parameter; elsewhere an executemany, SQLite for `make run`), then set each
    touched device's `next_due_date` / `next_due_type` (the DUE_TYPES label) to its earliest dated
    series in ONE UPDATE (skipped with `refresh_devices=False`: the caller has set them already).

    A row is replaced only by a result of the same or a later inspection date (an older result
    arriving late does not move dates back; the same result sent again does). `reminded_for` is
    cleared when the due date changes, so the new date is reminded again. Flushes, never commits.
    """
    rows = _dedupe(entries)
    if not rows:
        return
    session = db.session
    session.flush()
    postgres = session.get_bind().dialect.name == "postgresql"
    table = EquipmentDueDate.__table__
    values = [{"equipment_id": row.equipment_id, "series": row.series, "due_date": row.due_date,
               "last_date": row.last_date, "last_conclusion": row.last_conclusion,
               "last_result_id": row.last_result_id, "reminded_for": None} for row in rows]
    if postgres:
        columns = list(values[0])
        source, params = bulk.recordset(table, columns, values)
        stmt = postgresql.insert(table).from_select(
            columns, select(*(literal_column(f'r."{name}"') for name in columns)).select_from(text(source)))
    else:
        stmt, params = sqlite.insert(table), values
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
    session.execute(stmt, params)
    if refresh_devices:
        refresh_next_due(sorted({row.equipment_id for row in rows}))


def refresh_next_due(equipment_ids: Sequence[int]) -> None:
    """Set each device's next_due_date / next_due_type to its earliest dated series (ties: in
    DUE_SERIES order), in one UPDATE; a device whose series have no date gets none. Rows already
    right are not written. PostgreSQL: one pass over the devices' series (DISTINCT ON) joined to the
    devices by id; elsewhere correlated subqueries (the portable path)."""
    if not equipment_ids:
        return
    due = EquipmentDueDate.__table__.c
    order = case(*((due.series == key, index) for key, index in _SERIES_ORDER.items()), else_=len(_SERIES_ORDER))
    label = case(*((due.series == key, text) for key, text in DUE_SERIES.items()), else_=None)
    if db.session.get_bind().dialect.name == "postgresql":
        ids = bindparam("ids", list(equipment_ids), type_=postgresql.ARRAY(Integer))
        wanted = func.unnest(ids).table_valued("id").render_derived("wanted")
        first = (select(due.equipment_id, due.due_date, label.label("label"))
                 .where(due.equipment_id == any_(ids), due.due_date.is_not(None))
                 .order_by(due.equipment_id, due.due_date, order).ext(postgresql.distinct_on(due.equipment_id))
                 .subquery("first"))
        source = (select(wanted.c.id, first.c.due_date, first.c.label)
                  .select_from(wanted.outerjoin(first, first.c.equipment_id == wanted.c.id)).subquery("source"))
        new_date, new_type, where = source.c.due_date, source.c.label, Equipment.id == source.c.id
    else:
        new_date = (select(due.due_date).where(due.equipment_id == Equipment.id, due.due_date.is_not(None))
                    .order_by(due.due_date, order).limit(1).correlate(Equipment).scalar_subquery())
        new_type = (select(label).where(due.equipment_id == Equipment.id, due.due_date.is_not(None))
                    .order_by(due.due_date, order).limit(1).correlate(Equipment).scalar_subquery())
        where = Equipment.id.in_(bindparam("ids", list(equipment_ids), expanding=True))
    db.session.execute(
        update(Equipment).where(where, Equipment.next_due_date.is_distinct_from(new_date)
                                | Equipment.next_due_type.is_distinct_from(new_type))
        .values(next_due_date=new_date, next_due_type=new_type)
        .execution_options(synchronize_session="fetch"))


def device_series(equipment_id: int) -> list[EquipmentDueDate]:
    """A device's series rows, in DUE_SERIES order."""
    rows = db.session.scalars(select(EquipmentDueDate).where(EquipmentDueDate.equipment_id == equipment_id))
    return sorted(rows, key=lambda row: _SERIES_ORDER.get(row.series, len(_SERIES_ORDER)))


def seed_recorded_series() -> int:
    """Bring the series in step with each device's recorded next due date (an import, a hand edit
    of an unregistered device, the ledger before results came in): a device without series gets
    the row of its `next_due_type` (定期检验 when unset), as migration 0011 did for the devices of
    its day; a series row no platform result has set yet takes the recorded date when it differs
    (and is reminded anew). Rows a result set are left alone: results rule there. Two statements;
    returns the rows added or changed."""
    due = EquipmentDueDate.__table__
    key = case(*((Equipment.next_due_type == label, series) for series, label in DUE_SERIES.items()),
               else_="periodic")
    missing = ~select(due.c.equipment_id).where(due.c.equipment_id == Equipment.id).exists()
    source = select(Equipment.id, key, Equipment.next_due_date, Equipment.last_inspection_date,
                    func.substr(Equipment.last_inspection_conclusion, 1, 16)).where(
        Equipment.next_due_date.is_not(None), missing)
    added = len(db.session.execute(due.insert().from_select(
        ["equipment_id", "series", "due_date", "last_date", "last_conclusion"], source)
        .returning(due.c.equipment_id)).all())
    moved = db.session.execute(update(due).where(
        due.c.equipment_id == Equipment.id, due.c.series == key, due.c.last_result_id.is_(None),
        Equipment.next_due_date.is_not(None), due.c.due_date.is_distinct_from(Equipment.next_due_date),
    ).values(due_date=Equipment.next_due_date, reminded_for=None)).rowcount or 0
    return added + moved
