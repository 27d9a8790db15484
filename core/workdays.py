"""Working days for time limits (registration turnaround, handling deadlines).

The State Council's calendar (法定节假日 and 调休 make-up working days) comes from the
`chinesecalendar` package, pinned in requirements.txt and kept current by upgrading it
when the next year's schedule is published (each November). The settings override it:
a date in `HOLIDAYS` is always off, a date in `EXTRA_WORKDAYS` always a working day
(a local closure, or a year the package does not know yet). For a year outside the
package's data the calendar falls back to weekends plus the settings and logs a
warning once per year.
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar
from flask import current_app

log = logging.getLogger(__name__)

_warned_years: set[int] = set()


def _dates(key: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in current_app.config.get(key, ()) or ())


def official_workday(day: date) -> bool:
    """Whether the State Council's calendar makes `day` a working day (weekends when unknown)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("no State Council calendar for %s in chinesecalendar %s: weekends and the "
                        "HOLIDAYS / EXTRA_WORKDAYS settings only; upgrade the package",
                        day.year, chinese_calendar.__version__)
        return day.weekday() < 5


def is_workday(day: date) -> bool:
    """A working day: the official calendar, then the settings' overrides."""
    if day in _dates("HOLIDAYS"):
        return False
    if day in _dates("EXTRA_WORKDAYS"):
        return True
    return official_workday(day)


def add_workdays(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current
