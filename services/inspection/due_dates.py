"""Next inspection due dates, by rule (domain.md §3.2; the table as implemented is
docs/inspection-intervals.md): one function per category, dispatched by the catalogue kind (the
code's first character: 1 锅炉, 2 压力容器, 3 电梯, 4 起重机械, 5 场车, 6 游乐, 8 压力管道, 9 索道).
Every interval is a setting (core/config.py), read from the `config` mapping passed in.

`due_after` is pure (no database); `store` writes the series of many devices at once and sets
each touched device's `next_due_date` / `next_due_type` to its earliest series.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db
from models.equipment import Equipment
from models.inspection import DUE_SERIES, EquipmentDueDate

Dates = dict[str, date | None]


@dataclass(frozen=True)
class DeviceFacts:
    """What the rule needs of the device."""

    catalogue_code: str
    supervision_passed_on: date | None  # 安装/改造 监督检验合格日期: an elevator's year list starts here
    put_into_use_date: date | None


@dataclass(frozen=True)
class ResultFacts:
    """What the rule needs of the result. `passed`: the result allows use (conclusions.forbids_use)."""

    inspection_type: str
    work_type: str | None
    conclusion: str
    safety_grade: int | None
    inspection_date: date
    passed: bool


@dataclass(frozen=True)
class DueEntry:
    """One series of one device to store."""

    equipment_id: int
    series: str
    due_date: date | None
    last_date: date
    last_conclusion: str
    last_result_id: int | None


# --- calendar arithmetic -------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """`day` plus whole months, the same day of the month, clamped to the month's end (31 Jan + 1
    month = 28/29 Feb; 29 Feb + 12 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


# --- settings --------------------------------------------------------------------------------------

def _int_list(value: Any) -> tuple[int, ...]:
    """"1,4,7" or [1, 4, 7] -> (1, 4, 7)."""
    if isinstance(value, str):
        value = [item for item in value.split(",") if item.strip()]
    return tuple(sorted(int(item) for item in value))


def _grade_map(value: Any) -> dict[int, int]:
    """"1:6,2:6,3:3" or {1: 6, ...} -> {grade: years}."""
    if isinstance(value, str):
        pairs = (item.split(":") for item in value.split(",") if item.strip())
        return {int(grade): int(years) for grade, years in pairs}
    return {int(grade): int(years) for grade, years in dict(value).items()}


def _codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split(",")
    return tuple(item.strip().upper() for item in value if item.strip())


def covers(entry: str, code: str) -> bool:
    """Whether catalogue code `entry` (a kind, category or variety) covers `code`: "4300" covers
    4310 and 4320, "4150" only itself, "4000" every crane."""
    prefix = entry.upper().rstrip("0") or entry
    return code.upper().startswith(prefix)


# --- the rules -------------------------------------------------------------------------------------

def _elevator_due(year: int, base: date) -> date:
    return _years(base, year)


def _elevator_schedule(config: Mapping[str, Any]) -> tuple[frozenset[int], int, int]:
    periodic = frozenset(_int_list(config["ELEVATOR_PERIODIC_YEARS"]))
    return periodic, int(config["ELEVATOR_LIST_YEARS"]), max(1, int(config["ELEVATOR_INTERVAL_AFTER_LIST_YEARS"]))


def _elevator_kind_of_year(n: int, config: Mapping[str, Any]) -> str:
    """What list year `n` (1-based) calls for: `periodic` or `self_test`."""
    periodic, list_years, every = _elevator_schedule(config)
    if n <= list_years:
        return "periodic" if n in periodic else "self_test"
    return "periodic" if (n - list_years) % every == 0 else "none"


def _elevator_next(after: int, series: str, config: Mapping[str, Any]) -> int | None:
    """The first list year strictly after `after` calling for `series`; None when there is none
    (no self-test past the list)."""
    _, list_years, every = _elevator_schedule(config)
    for n in range(after + 1, max(after, list_years) + every + 1):
        if _elevator_kind_of_year(n, config) == series:
            return n
    return None


def _elevator_dates(base: date, after: int, config: Mapping[str, Any]) -> Dates:
    out: Dates = {}
    for series in ("periodic", "self_test"):
        n = _elevator_next(after, series, config)
        out[series] = None if n is None else _elevator_due(n, base)
    return out


def _elevator(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """电梯 (TSG T7001-2023 / T7008-2023). The year list counts from the 安装/改造 监督检验合格日期
    (falling back to the put-into-use date, else the inspection date itself): year n is due on
    the base date plus n years. Within ELEVATOR_LIST_YEARS a periodic inspection in the
    ELEVATOR_PERIODIC_YEARS, a self-test in the others; past the list a periodic inspection every
    ELEVATOR_INTERVAL_AFTER_LIST_YEARS.

    - 安装/改造 监督检验 合格: the list restarts from the inspection date.
    - 重大修理 监督检验 合格: the periodic inspection of the list year in progress (the first due on
      or after the repair) is skipped; a self-test year is left as it is (nothing is returned).
    - 定期检验 / 自行检测 / 首次检验: the list year being inspected is the latest one due on or before
      the inspection date plus the allowed early window (ELEVATOR_EARLY_MONTHS for a periodic
      inspection, ELEVATOR_SELF_TEST_EARLY_MONTHS for a self-test), so an early inspection
      does not shift later dates and a late one does not either; both series move to their
      next list years strictly after it.
    """
    day = result.inspection_date
    if result.inspection_type == "supervision":
        if result.work_type == "major_repair":
            base = device.supervision_passed_on or device.put_into_use_date or day
            n = 1
            while _elevator_due(n, base) < day:
                n += 1
            if _elevator_kind_of_year(n, config) != "periodic":
                return {}
            return {"periodic": _elevator_due(_elevator_next(n, "periodic", config), base)}
        return _elevator_dates(day, 0, config)
    if result.inspection_type not in ("periodic", "self_test", "first"):
        return {}
    base = device.supervision_passed_on or device.put_into_use_date or day
    early = config["ELEVATOR_SELF_TEST_EARLY_MONTHS" if result.inspection_type == "self_test"
                  else "ELEVATOR_EARLY_MONTHS"]
    horizon = add_months(day, int(early))
    current = 0
    while _elevator_due(current + 1, base) <= horizon:
        current += 1
    return _elevator_dates(base, current, config)


def _boiler(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """锅炉 (TSG 11-2020): 外部检验 every BOILER_EXTERNAL_MONTHS, 内部检验 every BOILER_INTERNAL_MONTHS,
    each series advancing on a pass of its own type from the inspection date. 监督检验, 首次检验 and a
    定期检验 (both parts) start or move both. The 电站锅炉 internal interval (3-6 years with the
    overhaul) is not distinguished."""
    day = result.inspection_date
    external = add_months(day, int(config["BOILER_EXTERNAL_MONTHS"]))
    internal = add_months(day, int(config["BOILER_INTERNAL_MONTHS"]))
    if result.inspection_type in ("supervision", "first", "periodic"):
        return {"external": external, "internal": internal}
    if result.inspection_type == "external":
        return {"external": external}
    if result.inspection_type == "internal":
        return {"internal": internal}
    return {}


def _graded(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any], first_key: str,
            grades_key: str) -> Dates:
    """A 定期检验 by 安全状况等级 plus a 年度检查 every ANNUAL_CHECK_MONTHS (vessels and pipes).

    - 监督检验 合格 (installation, alteration, repair): the first periodic inspection is due within
      `first_key` years of putting into use (of the inspection date if later or unknown).
    - 定期检验 / 首次检验 合格: next by the grade (`grades_key`, {grade: years}); a grade not listed
      (vessels 5, pipes 4: not to be used) sets nothing; no grade given: the shortest listed
      interval (the conservative end). The year's 年度检查 is deemed done: the annual check moves too.
    - 年度检查 合格: the annual check moves.
    """
    day = result.inspection_date
    annual = add_months(day, int(config["ANNUAL_CHECK_MONTHS"]))
    kind = result.inspection_type
    if kind == "supervision":
        start = max(day, device.put_into_use_date or day)
        return {"periodic": _years(start, int(config[first_key])), "annual": add_months(start, int(
            config["ANNUAL_CHECK_MONTHS"]))}
    if kind in ("periodic", "first"):
        grades = _grade_map(config[grades_key])
        if result.safety_grade is None:
            years = min(grades.values())
        elif result.safety_grade in grades:
            years = grades[result.safety_grade]
        else:
            return {}
        return {"periodic": _years(day, years), "annual": annual}
    if kind == "annual":
        return {"annual": annual}
    return {}


def _vessel(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """固定式压力容器 and 氧舱 (TSG 21-2016): first within VESSEL_FIRST_INSPECTION_YEARS, then by grade
    (VESSEL_GRADE_YEARS; grade 3 at the short end of 3-6 years, grade 4 monitored at most 3)."""
    return _graded(device, result, config, "VESSEL_FIRST_INSPECTION_YEARS", "VESSEL_GRADE_YEARS")


def _mobile_vessel(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """移动式压力容器 (TSG R0005): a yearly 年度检验 and a 全面检验 by grade (MOBILE_VESSEL_GRADE_YEARS)."""
    return _graded(device, result, config, "VESSEL_FIRST_INSPECTION_YEARS", "MOBILE_VESSEL_GRADE_YEARS")


def _pipe(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """工业管道 (TSG D7005-2018): first within PIPE_FIRST_INSPECTION_YEARS, then by grade
    (PIPE_GRADE_YEARS; grade 4 not to be used). GC3's longer interval (≤9 years) is not used."""
    return _graded(device, result, config, "PIPE_FIRST_INSPECTION_YEARS", "PIPE_GRADE_YEARS")


def _periodic_every(months: int, result: ResultFacts) -> Dates:
    if result.inspection_type in ("supervision", "first", "periodic"):
        return {"periodic": add_months(result.inspection_date, months)}
    return {}


def _crane(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """起重机械 (TSG Q7015-2016): every CRANE_YEARLY_MONTHS for the CRANE_YEARLY_CATEGORIES (塔式,
    流动式, 升降机 and cranes handling molten metal, 4150 冶金桥式), every CRANE_OTHER_MONTHS else."""
    yearly = any(covers(entry, device.catalogue_code) for entry in _codes(config["CRANE_YEARLY_CATEGORIES"]))
    return _periodic_every(int(config["CRANE_YEARLY_MONTHS" if yearly else "CRANE_OTHER_MONTHS"]), result)


def _other(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """场（厂）内专用机动车辆, 大型游乐设施, 客运索道: every OTHER_INSPECTION_MONTHS."""
    return _periodic_every(int(config["OTHER_INSPECTION_MONTHS"]), result)


Rule = Callable[[DeviceFacts, ResultFacts, Mapping[str, Any]], Dates]
# code prefix -> (series, rule); the longest matching prefix wins. Not listed: no rule (气瓶 2300 are
# inspected by cylinder, 长输/公用管道 8100/8200 are outside the platform's inspection, 7000/F000/R000
# are not registered equipment).
RULES: dict[str, tuple[tuple[str, ...], Rule]] = {
    "1": (("external", "internal"), _boiler),
    "21": (("periodic", "annual"), _vessel),
    "22": (("periodic", "annual"), _mobile_vessel),
    "24": (("periodic", "annual"), _vessel),
    "3": (("periodic", "self_test"), _elevator),
    "4": (("periodic",), _crane),
    "5": (("periodic",), _other),
    "6": (("periodic",), _other),
    "83": (("periodic", "annual"), _pipe),
    "9": (("periodic",), _other),
}


def _rule(catalogue_code: str) -> tuple[tuple[str, ...], Rule | None]:
    code = (catalogue_code or "").upper()
    for length in (2, 1):
        found = RULES.get(code[:length])
        if found is not None:
            return found
    return (), None


def series_of(catalogue_code: str) -> tuple[str, ...]:
    """The DUE_SERIES keys a category has (domain.md §3.3): elevators periodic + self_test, boilers
    external + internal, vessels and industrial pipes periodic + annual, cranes and the others
    periodic; () for categories without a rule here (气瓶, 长输/公用管道)."""
    return _rule(catalogue_code)[0]


def due_after(device: DeviceFacts, result: ResultFacts, config: Mapping[str, Any]) -> Dates:
    """The series `result` sets on `device` and their next due dates (domain.md §3.2).

    A result that does not allow use (`passed` False: 不合格, 不符合要求, grade 5) returns {}: the
    dates stay as they were and the device may not be used until a passing re-inspection. A type
    the category has no rule for (a self-test of a crane) returns {} too. A date may be None (an
    elevator past its year list has no self-test any more).
    """
    if not result.passed:
        return {}
    series, rule = _rule(device.catalogue_code)
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
    DUE_TYPES label) to its earliest dated series in ONE UPDATE.

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
    DUE_SERIES order), in one UPDATE; a device whose series have no date gets none. Rows already
    right are not written."""
    if not equipment_ids:
        return
    due = EquipmentDueDate.__table__.c
    order = case(*((due.series == key, index) for key, index in _SERIES_ORDER.items()), else_=len(_SERIES_ORDER))
    label = case(*((due.series == key, text) for key, text in DUE_SERIES.items()), else_=None)
    first = (select(due.due_date).where(due.equipment_id == Equipment.id, due.due_date.is_not(None))
             .order_by(due.due_date, order).limit(1).correlate(Equipment).scalar_subquery())
    first_label = (select(label).where(due.equipment_id == Equipment.id, due.due_date.is_not(None))
                   .order_by(due.due_date, order).limit(1).correlate(Equipment).scalar_subquery())
    ids = bindparam("ids", list(equipment_ids), expanding=True)
    db.session.execute(
        update(Equipment).where(Equipment.id.in_(ids),
                                (Equipment.next_due_date.is_distinct_from(first)
                                 | Equipment.next_due_type.is_distinct_from(first_label)))
        .values(next_due_date=first, next_due_type=first_label)
        .execution_options(synchronize_session="fetch"))


def device_series(equipment_id: int) -> list[EquipmentDueDate]:
    """A device's series rows, in DUE_SERIES order."""
    rows = db.session.scalars(select(EquipmentDueDate).where(EquipmentDueDate.equipment_id == equipment_id))
    return sorted(rows, key=lambda row: _SERIES_ORDER.get(row.series, len(_SERIES_ORDER)))
