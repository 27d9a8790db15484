"""Inspection reminders (queue `notify`)."""
from __future__ import annotations

from core import tx
from services.inspection import reminders


def remind_inspections_due() -> int:
    """Weekly reminders to use units with equipment overdue or due for inspection
    (`services.inspection.reminders`); a second run the same week sends nothing."""
    count = reminders.queue_inspection_reminders()
    tx.commit()
    return count
