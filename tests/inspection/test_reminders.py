"""Inspection reminders to use units (services.inspection.reminders, jobs.inspection): each series a
month before its due date, once; the weekly overdue digest."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import tx
from core.extensions import db
from core.timeutil import business_today
from models.inspection import EquipmentDueDate
from services.inspection.due_dates import DueEntry, store
from tests.notify.conftest import rows


def series(equipment, **due: date) -> None:
    """Store the device's series as a result of a year ago would."""
    last = business_today() - timedelta(days=365)
    store([DueEntry(equipment_id=equipment.id, series=key, due_date=value, last_date=last, last_conclusion="合格",
                    last_result_id=None) for key, value in due.items()])


def inbox(person) -> list:
    return [m for m in rows("inbox") if m.recipient_person_id == person.id]


@pytest.fixture
def unit(make_unit, make_person):
    unit = make_unit("use", "610113", name="雁塔演示商场有限公司")
    unit.admin = make_person(unit, "unit_admin")
    unit.officer = make_person(unit, "safety_officer")  # not a recipient
    return unit


def test_both_series_of_an_elevator_are_reminded_a_month_before_each_due_date_once(unit, make_equipment):
    from jobs.inspection import remind_inspections_due

    today = business_today()
    elevator = make_equipment(unit, "3110", use_status="in_use", equipment_code="31106101202400001")
    series(elevator, periodic=today + timedelta(days=200), self_test=today + timedelta(days=20))
    tx.commit()

    assert remind_inspections_due() == 1
    assert remind_inspections_due() == 0
    (message,) = inbox(unit.admin)
    assert message.template == "inspection_due"
    assert "1 项检验将在 1 个月内到期（自行检测 1 项）" in message.body
    assert "31106101202400001" in message.body and "定期检验" not in message.body.split("\n", 1)[1]
    assert not inbox(unit.officer)

    # A month before the periodic inspection, it is reminded in its turn, once.
    later = (today + timedelta(days=200) - timedelta(days=28)).isoformat()
    assert remind_inspections_due(later) == 1
    assert remind_inspections_due(later) == 0
    assert "1 项检验将在 1 个月内到期（定期检验 1 项）" in inbox(unit.admin)[-1].body


def test_a_boilers_two_series_come_in_one_message_per_unit_with_the_first_devices_named(unit, make_equipment):
    from jobs.inspection import remind_inspections_due

    today = business_today()
    boiler = make_equipment(unit, "1200", use_status="in_use")
    series(boiler, external=today + timedelta(days=10), internal=today + timedelta(days=12))
    cranes = [make_equipment(unit, "4310", use_status="in_use") for _ in range(5)]
    for n, crane in enumerate(cranes):
        series(crane, periodic=today + timedelta(days=14 + n))
    series(make_equipment(unit, "4310", use_status="in_use"), periodic=today - timedelta(days=3))
    series(make_equipment(unit, "4310", use_status="suspended"), periodic=today + timedelta(days=5))
    tx.commit()

    assert remind_inspections_due() == 1
    (message,) = inbox(unit.admin)
    assert "7 项检验将在 1 个月内到期（定期检验 5 项、外部检验 1 项、内部检验 1 项）" in message.body
    assert "1 项检验已超过有效期（定期检验 1 项）" in message.body
    lines = [line for line in message.body.splitlines() if line.startswith("·")]
    assert len(lines) == 5 and "已超期 3 天" in lines[0] and "外部检验" in lines[1]
    assert "另有 3 项" in message.body
    assert message.data["due_soon"] == 7 and message.data["overdue"] == 1


def test_a_new_due_date_is_reminded_again(unit, make_equipment):
    from jobs.inspection import remind_inspections_due

    today = business_today()
    crane = make_equipment(unit, "4310", use_status="in_use")
    series(crane, periodic=today + timedelta(days=20))
    tx.commit()
    assert remind_inspections_due() == 1
    assert db.session.get(EquipmentDueDate, (crane.id, "periodic")).reminded_for == today + timedelta(days=20)

    # Inspected: the next date is a year on; a month before it, the unit hears again.
    store([DueEntry(crane.id, "periodic", today + timedelta(days=380), today + timedelta(days=15), "合格", None)])
    tx.commit()
    assert remind_inspections_due() == 0
    assert remind_inspections_due((today + timedelta(days=360)).isoformat()) == 1


def test_devices_with_a_recorded_due_date_and_no_series_are_reminded_too(unit, make_equipment):
    from jobs.inspection import remind_inspections_due

    today = business_today()
    device = make_equipment(unit, "3110", use_status="in_use", next_due_date=today + timedelta(days=9),
                            next_due_type="自行检测")
    tx.commit()
    assert remind_inspections_due() == 1
    assert "自行检测 1 项" in inbox(unit.admin)[0].body
    assert db.session.get(EquipmentDueDate, (device.id, "self_test")).reminded_for == today + timedelta(days=9)


def test_units_are_taken_a_page_at_a_time_and_each_hears_only_of_its_own(unit, make_unit, make_person,
                                                                       make_equipment, monkeypatch):
    from jobs.inspection import remind_inspections_due
    from services.inspection import reminders

    monkeypatch.setattr(reminders, "UNITS_PER_PAGE", 1)
    today = business_today()
    others = []
    for n in range(3):
        other = make_unit("use", "610104", name=f"另一单位{n}")
        others.append(make_person(other, "safety_director"))
        series(make_equipment(other, "5110", use_status="in_use"), periodic=today + timedelta(days=3 + n))
    series(make_equipment(unit, "5110", use_status="in_use"), periodic=today + timedelta(days=1))
    tx.commit()

    assert remind_inspections_due() == 4
    for person in [unit.admin, *others]:
        (message,) = inbox(person)
        assert "1 项检验将在 1 个月内到期（定期检验 1 项）" in message.body


def test_the_weekly_overdue_digest_counts_devices_per_series_once_a_week(unit, make_equipment, run_jobs):
    from jobs.inspection import remind_inspections_overdue

    today = business_today()
    elevator = make_equipment(unit, "3110", use_status="in_use")
    series(elevator, periodic=today - timedelta(days=40), self_test=today - timedelta(days=5))
    series(make_equipment(unit, "4310", use_status="in_use"), periodic=today - timedelta(days=1))
    series(make_equipment(unit, "4310", use_status="in_use"), periodic=today + timedelta(days=10))
    series(make_equipment(unit, "4310", use_status="suspended"), periodic=today - timedelta(days=3))
    tx.commit()

    assert remind_inspections_overdue() == 1
    assert remind_inspections_overdue() == 0
    run_jobs()
    (message,) = inbox(unit.admin)
    assert (message.template, message.status) == ("inspection_overdue", "sent")
    assert "您单位有 2 台在用设备已超过检验有效期（定期检验 2 项、自行检测 1 项）" in message.body
    assert "已超期 40 天" in message.body.splitlines()[1]
