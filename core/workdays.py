"""Working days for time limits (registration turnaround, handling deadlines).

Weekends are off; public holidays and make-up working days (调休) are
configured per year through `HOLIDAYS` and `EXTRA_WORKDAYS` (ISO dates),
since the State Council publishes them year by year.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app


def _dates(key: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(d) for d in current_app.config.get(key, ()) or ())


def is_workday(day: date) -> bool:
    if day in _dates("EXTRA_WORKDAYS"):
        return True
    return day.weekday() < 5 and day not in _dates("HOLIDAYS")


def add_workdays(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_workday(current):
            remaining -= 1
    return current
