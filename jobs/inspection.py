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


def remind_agency_deadlines() -> int:
    """Daily reminders to inspection agencies' admins and planned inspectors of plans and reports
    due tomorrow or overdue (`services.inspection.planning`); a second run the same day sends nothing."""
    from services.inspection import planning

    count = planning.queue_deadline_reminders()
    tx.commit()
    return count
