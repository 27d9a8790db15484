"""Reminders of the two regulations through the outbox (Order 74): the 安全员 with devices unchecked at the
configured hour, the 安全总监 for the weekly report and open serious hazards, the 主要负责人 for the monthly
minutes, the reporter and the director for overdue rectifications; each once a day (dedupe key with the date)."""
import importlib
from datetime import timedelta

from croniter import croniter
from rq import Queue
from sqlalchemy import select

from core.extensions import db
from core.redis import get_redis
from core.timeutil import business_today
from jobs import checks as jobs
from jobs.schedule import SCHEDULE
from models.checks import MonthlyMinutes, WeeklyReport
from models.notify import OutboxMessage
from tests.checks.fixtures_reports import add_check, add_finding, appoint, at, monday
from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)


def inbox(template: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template,
                                                               OutboxMessage.channel == "inbox")
                                   .order_by(OutboxMessage.recipient_person_id, OutboxMessage.id)))


def test_devices_unchecked_at_the_reminder_hour_put_a_reminder_for_their_officer_in_the_outbox_once(
        works, make_equipment, make_person, run_jobs):
    today = business_today()
    e1, e2 = works["elevators"]
    add_check(e1, today, works["officer"])
    add_check(e2, today - timedelta(days=1), works["officer"])  # yesterday's check does not count today
    colleague = make_person(works["unit"], "safety_officer", name="安全员乙")
    appoint(works["unit"], colleague, "safety_officer")
    orphan = make_equipment(works["unit"], "3110", use_status="in_use", product_name="无人负责客梯")
    make_equipment(works["unit"], "3110", use_status="in_use", put_into_use_date=today + timedelta(days=3))

    assert jobs.remind_daily_checks(at(today, 16, 5).isoformat()) == 0  # not yet the hour
    Queue("notify", connection=get_redis()).enqueue("jobs.checks.remind_daily_checks", at(today, 17, 5).isoformat())
    run_jobs()
    run_jobs()  # and the deliveries it queued
    officer, second = inbox("daily_check_due")
    assert (officer.recipient_person_id, officer.dedupe_key, officer.status) == (
        works["officer"].id, f"checks:daily_due:{works['officer'].id}:{today.isoformat()}", "sent")
    assert officer.data["equipment_ids"] == [e2.id, orphan.id] and "2 台设备未完成日管控" in officer.body
    assert (second.recipient_person_id, second.data["equipment_ids"]) == (colleague.id, [orphan.id])

    assert jobs.remind_daily_checks(at(today, 17, 40).isoformat()) == 0  # a second run sends nothing
    assert len(inbox("daily_check_due")) == 2


def test_the_daily_reminder_hour_is_configurable(works, app, monkeypatch):
    today = business_today()
    monkeypatch.setitem(app.config, "DAILY_CHECK_REMINDER_HOUR", 8)
    assert jobs.remind_daily_checks(at(today, 17, 5).isoformat()) == 0
    assert jobs.remind_daily_checks(at(today, 8, 5).isoformat()) == 1
    (message,) = inbox("daily_check_due")
    assert message.dedupe_key == f"checks:daily_due:{works['officer'].id}:{today.isoformat()}"


def test_the_director_is_reminded_of_the_weekly_report_from_friday_until_it_is_submitted(
        works, make_unit, make_person, make_equipment):
    friday = monday() + timedelta(days=4)
    diligent = make_unit("use", "610113", name="按时提交单位")
    make_person(diligent, "safety_director")  # a director by role, no appointment
    make_equipment(diligent, "3110", use_status="in_use")
    db.session.add(WeeklyReport(unit_id=diligent.id, region_code="610113", kind_code="3000", week_start=monday(),
                                status="submitted"))
    db.session.flush()

    assert jobs.remind_weekly_reports(at(friday - timedelta(days=1), 9, 5).isoformat()) == 0  # Thursday
    assert jobs.remind_weekly_reports(at(friday, 9, 5).isoformat()) == 1
    assert jobs.remind_weekly_reports(at(friday, 9, 50).isoformat()) == 0
    assert jobs.remind_weekly_reports(at(friday + timedelta(days=1), 9, 5).isoformat()) == 1  # Saturday again
    first, second = inbox("weekly_report_due")
    director = works["director"].id
    assert [first.dedupe_key, second.dedupe_key] == [f"checks:weekly_due:{director}:{friday.isoformat()}",
                                                     f"checks:weekly_due:{director}:{friday + timedelta(days=1)}"]
    assert "《每周电梯安全排查治理报告》" in first.body and first.data["kind_codes"] == ["3000"]


def test_the_principal_is_reminded_of_the_monthly_minutes_from_the_25th(works, make_unit, make_person,
                                                                       make_equipment):
    month = business_today().replace(day=1)
    by_role = make_unit("use", "610113", name="未任命单位")
    boss = make_person(by_role, "principal")
    make_equipment(by_role, "3110", use_status="in_use")
    done = make_unit("use", "610113", name="已开会单位")
    make_person(done, "principal")
    make_equipment(done, "3110", use_status="in_use")
    db.session.add(MonthlyMinutes(unit_id=done.id, region_code="610113", kind_code="3000", month=month,
                                  status="submitted"))
    db.session.flush()

    assert jobs.remind_monthly_minutes(at(month.replace(day=24), 9, 5).isoformat()) == 0
    assert jobs.remind_monthly_minutes(at(month.replace(day=25), 9, 5).isoformat()) == 2
    assert jobs.remind_monthly_minutes(at(month.replace(day=25), 9, 5).isoformat()) == 0
    assert [(m.recipient_person_id, m.dedupe_key) for m in inbox("monthly_minutes_due")] == [
        (p.id, f"checks:monthly_due:{p.id}:{month.replace(day=25).isoformat()}")
        for p in sorted((works["principal"], boss), key=lambda p: p.id)]


def test_an_open_serious_hazard_reminds_the_director_every_day_until_it_is_closed(works):
    today = business_today()
    e1, e2 = works["elevators"]
    serious = add_finding(e1, "serious", opened=today - timedelta(days=2))
    add_finding(e2, "serious", opened=today - timedelta(days=5), closed=today - timedelta(days=1))
    add_finding(e2, "general", opened=today - timedelta(days=1))

    assert jobs.remind_findings(at(today, 9, 5).isoformat()) == 1
    assert jobs.remind_findings(at(today, 9, 30).isoformat()) == 0
    (message,) = inbox("serious_finding_open")
    assert (message.recipient_person_id, message.dedupe_key, message.data["finding_ids"]) == (
        works["director"].id, f"checks:serious_open:{works['director'].id}:{today.isoformat()}", [serious.id])
    assert jobs.remind_findings(at(today + timedelta(days=1), 9, 5).isoformat()) == 1


def test_an_overdue_rectification_reminds_its_reporter_and_the_director(works):
    today = business_today()
    e1, e2 = works["elevators"]
    late = add_finding(e1, opened=today - timedelta(days=9), deadline=today - timedelta(days=1),
                       reporter=works["officer"])
    add_finding(e2, opened=today - timedelta(days=9), deadline=today, reporter=works["officer"])  # due today
    add_finding(e2, opened=today - timedelta(days=9), deadline=today - timedelta(days=3),
                closed=today - timedelta(days=4))

    assert jobs.remind_findings(at(today, 9, 5).isoformat()) == 2
    messages = inbox("finding_overdue")
    assert sorted((m.recipient_person_id, m.dedupe_key) for m in messages) == sorted(
        (p.id, f"checks:finding_overdue:{p.id}:{today.isoformat()}") for p in (works["officer"], works["director"]))
    assert all(m.data["finding_ids"] == [late.id] for m in messages)
    assert jobs.remind_findings(at(today, 9, 5).isoformat()) == 0


def test_the_reminder_jobs_are_listed_in_the_schedule_with_valid_cron_times():
    ours = {item.func: item for item in SCHEDULE if item.func.startswith("jobs.checks.")}
    assert set(ours) == {"jobs.checks.remind_daily_checks", "jobs.checks.remind_weekly_reports",
                         "jobs.checks.remind_monthly_minutes", "jobs.checks.remind_findings"}
    for path, item in ours.items():
        assert croniter.is_valid(item.cron) and item.queue == "notify"
        module, _, name = path.rpartition(".")
        assert callable(getattr(importlib.import_module(module), name))
