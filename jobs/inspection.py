"""Inspection reminders (queue `notify`): each a loop over pages of use units, committing after
each page (`services.inspection.reminders`), so a province of 1,000,000 devices is never one
transaction and a run killed halfway resumes where it stopped (what was reminded is marked)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from core import tx
from core.timeutil import business_today
from services.inspection import due_dates, reminders


def _pages(step: Callable[[date, int | None], tuple[int, int | None]], today: date) -> int:
    queued, after = 0, None
    while True:
        count, after = step(today, after)
        tx.commit()
        queued += count
        if after is None:
            return queued


def remind_inspections_due(today: str | None = None) -> int:
    """Daily: use units hear of each inspection series of their in-use devices due within
    INSPECTION_REMIND_MONTHS (both series of elevators and boilers), once per due date; devices
    recorded with a due date but no series yet get theirs first. `today` (ISO) replays a day."""
    day = date.fromisoformat(today) if today else business_today()
    due_dates.seed_recorded_series()
    tx.commit()
    return _pages(reminders.queue_due_reminders_page, day)


def remind_inspections_overdue(today: str | None = None) -> int:
    """Weekly: use units with in-use devices past a due date, per series (once a week each)."""
    day = date.fromisoformat(today) if today else business_today()
    return _pages(reminders.queue_overdue_digest_page, day)


def remind_agency_deadlines() -> int:
    """Daily reminders to inspection agencies' admins and planned inspectors of plans and reports
    due tomorrow or overdue (`services.inspection.planning`); a second run the same day sends nothing."""
    from services.inspection import planning

    count = planning.queue_deadline_reminders()
    tx.commit()
    return count
