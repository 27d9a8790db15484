"""The interval rules of domain.md §3.2, one function per category, pure (no database): what
services.inspection.due_dates dispatches to. The table as implemented: docs/inspection-intervals.md.
Every interval comes from the `config` mapping (the app's settings, core/config.py)."""
from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from types import MappingProxyType
from typing import Any

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


# --- calendar arithmetic -------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """`day` plus whole months, the same day of the month, clamped to the month's end (31 Jan + 1
    month = 28/29 Feb; 29 Feb + 12 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


# --- settings (parsed once per value: a batch asks for them hundreds of times; a changed setting is a
# new value, parsed anew) ------------------------------------------------------------------------------

def _hashable(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted(value.items(), key=repr))
    if isinstance(value, (list, set, frozenset)):
        return tuple(value)
    return value


def _int_list(value: Any) -> tuple[int, ...]:
    """"1,4,7" or [1, 4, 7] -> (1, 4, 7)."""
    return _parse_int_list(_hashable(value))


@lru_cache(maxsize=64)
def _parse_int_list(value: Any) -> tuple[int, ...]:
    if isinstance(value, str):
        value = [item for item in value.split(",") if item.strip()]
    return tuple(sorted(int(item) for item in value))


def _grade_map(value: Any) -> Mapping[int, int]:
    """"1:6,2:6,3:3" or {1: 6, ...} -> {grade: years} (read-only)."""
    return _parse_grade_map(_hashable(value))


@lru_cache(maxsize=64)
def _parse_grade_map(value: Any) -> Mapping[int, int]:
    if isinstance(value, str):
        pairs = (item.split(":") for item in value.split(",") if item.strip())
        return MappingProxyType({int(grade): int(years) for grade, years in pairs})
    return MappingProxyType({int(grade): int(years) for grade, years in value})


def _codes(value: Any) -> tuple[str, ...]:
    return _parse_codes(_hashable(value))


@lru_cache(maxsize=64)
def _parse_codes(value: Any) -> tuple[str, ...]:
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
    return _parse_schedule(_hashable(config["ELEVATOR_PERIODIC_YEARS"]), config["ELEVATOR_LIST_YEARS"],
                           config["ELEVATOR_INTERVAL_AFTER_LIST_YEARS"])


@lru_cache(maxsize=64)
def _parse_schedule(periodic: Any, list_years: Any, every: Any) -> tuple[frozenset[int], int, int]:
    return frozenset(_int_list(periodic)), int(list_years), max(1, int(every))


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


def rule_for(catalogue_code: str) -> tuple[tuple[str, ...], Rule | None]:
    """(the series, the rule) of a catalogue code by its kind (or category for 2xxx and 8xxx);
    ((), None) when it has none."""
    code = (catalogue_code or "").upper()
    for length in (2, 1):
        found = RULES.get(code[:length])
        if found is not None:
            return found
    return (), None
