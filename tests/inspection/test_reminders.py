"""Inspection-due reminders to use units (services.inspection.reminders, jobs.inspection)."""
from datetime import timedelta

from core import tx
from core.timeutil import business_today
from tests.notify.conftest import rows


def test_inspection_reminders_go_to_the_unit_once_a_week(make_unit, make_person, make_equipment, run_jobs):
    from jobs.inspection import remind_inspections_due

    unit = make_unit("use", "610113")
    admin = make_person(unit, "unit_admin")
    make_person(unit, "safety_officer")  # not a recipient
    today = business_today()
    make_equipment(unit, use_status="in_use", next_due_date=today - timedelta(days=3))
    make_equipment(unit, use_status="in_use", next_due_date=today + timedelta(days=10))
    make_equipment(unit, use_status="in_use", next_due_date=today + timedelta(days=200))
    make_equipment(unit, use_status="suspended", next_due_date=today - timedelta(days=3))
    tx.commit()

    assert remind_inspections_due() == 1
    assert remind_inspections_due() == 0
    run_jobs()
    (message,) = rows()
    assert (message.recipient_person_id, message.status) == (admin.id, "sent")
    assert "1 台在用设备已超过检验有效期、1 台将在 30 日内到期" in message.body
