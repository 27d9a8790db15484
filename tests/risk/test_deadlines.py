"""Handling deadlines (issue 5 item 5): reminders before them in working days, overdue reports flagged
to the holder and the level above and listed for it, by an idempotent scheduled job."""
from __future__ import annotations

from datetime import date, timedelta

from rq import Queue
from sqlalchemy import func, select

from core.extensions import db
from core.redis import get_redis
from core.timeutil import business_today
from jobs.risk import check_deadlines
from jobs.schedule import SCHEDULE
from models.notify import OutboxMessage
from models.risk import RiskReport
from services.risk import deadlines, path
from tests.risk.conftest import fresh
from tests.risk.test_handling import act, messages, new_report

THURSDAY, FRIDAY, MONDAY = date(2026, 3, 5), date(2026, 3, 6), date(2026, 3, 9)


def set_deadline(report_id: int, deadline: date) -> None:
    fresh(RiskReport, report_id).deadline = deadline
    db.session.flush()


def count(template: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.template == template, OutboxMessage.channel == "inbox")) or 0


# -- reminders -----------------------------------------------------------------------------------------

def test_the_holder_is_reminded_one_working_day_before_the_deadline_once(client, risk, app):
    assert app.config["RISK_REMINDER_WORKDAYS_BEFORE"] == 1
    report_id = new_report(client, risk.use)
    set_deadline(report_id, MONDAY)
    assert deadlines.send_reminders(THURSDAY) == 0  # Monday is two working days after Thursday
    assert deadlines.send_reminders(FRIDAY) == 1  # the weekend does not count
    assert deadlines.send_reminders(FRIDAY) == 0
    assert deadlines.send_reminders(MONDAY) == 0  # one reminder per deadline
    sent = messages(risk.county.staff.id, "risk_deadline_near")
    assert len(sent) == 1 and "2026-03-09" in sent[0].body
    assert messages(risk.use.reporter_person.id, "risk_deadline_near") == []
    assert messages(risk.city.staff.id, "risk_deadline_near") == []


def test_the_reminder_lead_is_configurable_and_a_new_deadline_is_reminded_again(client, risk, app, monkeypatch):
    monkeypatch.setitem(app.config, "RISK_REMINDER_WORKDAYS_BEFORE", 3)
    report_id = new_report(client, risk.use)
    set_deadline(report_id, MONDAY)
    assert deadlines.send_reminders(date(2026, 3, 3)) == 0  # Tuesday: Monday is 4 working days away
    assert deadlines.send_reminders(date(2026, 3, 4)) == 1  # Wednesday: 3
    act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
    set_deadline(report_id, MONDAY)
    # The city now holds it: each of its regulator staff (its officer and its own reporter) is reminded.
    assert deadlines.send_reminders(THURSDAY) == len(path.holder_staff_ids("610100")) == 2
    assert len(messages(risk.city.staff.id, "risk_deadline_near")) == 1


def test_an_assessment_near_its_deadline_reminds_the_province_the_centre_and_the_experts_still_to_answer(
        client, risk):
    report_id = new_report(client, risk.use)
    act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
    act(client, risk.city.headers, report_id, "escalate", reason="需省局研判")
    act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[e.id for e in risk.centre.experts])
    act(client, risk.centre.expert_headers[0], report_id, "opinion", classification="电梯", risk_level="general",
        opinion="更换梳齿板")
    set_deadline(report_id, FRIDAY)
    assert deadlines.send_reminders(THURSDAY) == 3
    reminded = {m.recipient_person_id for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "risk_deadline_near", OutboxMessage.channel == "inbox"))}
    assert reminded == {risk.province.staff.id, risk.centre.staff.id, risk.centre.experts[1].id}


# -- overdue -------------------------------------------------------------------------------------------

def test_an_overdue_report_is_flagged_to_the_holder_and_the_level_above_once(client, risk):
    report_id = new_report(client, risk.use)
    set_deadline(report_id, THURSDAY)
    assert deadlines.flag_overdue(THURSDAY) == 0  # due today is not late yet
    assert deadlines.send_reminders(FRIDAY) == 0  # nor reminded once past
    city_staff = path.holder_staff_ids("610100")  # its officer and its own reporter
    assert deadlines.flag_overdue(FRIDAY) == 1 + len(city_staff) == 3
    assert deadlines.flag_overdue(MONDAY) == 0
    assert len(messages(risk.county.staff.id, "risk_deadline_overdue")) == 1
    above = messages(risk.city.staff.id, "risk_deadline_overdue")
    assert len(above) == 1 and "已超过办理期限 2026-03-05" in above[0].body
    assert messages(risk.province.staff.id, "risk_deadline_overdue") == []
    act(client, risk.county.headers, report_id, "close", measures="已处理")
    assert deadlines.flag_overdue(date(2026, 3, 20)) == 0  # a closed report is never late


def test_a_city_report_overdue_is_flagged_to_the_province(client, risk):
    report_id = new_report(client, risk.supervision)
    set_deadline(report_id, THURSDAY)
    assert deadlines.flag_overdue(FRIDAY) == len(path.holder_staff_ids("610100")) + 1 == 3
    assert len(messages(risk.province.staff.id, "risk_deadline_overdue")) == 1


def test_the_level_above_lists_overdue_reports(client, risk):
    county_late = new_report(client, risk.use)
    city_late = new_report(client, risk.supervision)
    on_time = new_report(client, risk.use)
    hancheng_late = new_report(client, risk.inspection)
    for report_id in (county_late, city_late, hancheng_late):
        set_deadline(report_id, business_today() - timedelta(days=1))

    def listed(headers):
        r = client.get("/api/v1/risk/overdue", headers=headers)
        assert r.status_code == 200, r.json
        assert all(item["overdue"] for item in r.json["items"])
        return {item["id"] for item in r.json["items"]}

    assert listed(risk.city.headers) == {county_late}  # its counties', not its own
    assert listed(risk.county.headers) == set()
    assert listed(risk.hancheng.headers) == set()
    assert listed(risk.province.headers) == {county_late, city_late, hancheng_late}
    assert on_time not in listed(risk.province.headers)
    assert listed(risk.centre.headers) == set()  # nothing late has reached the province
    r = client.get("/api/v1/risk/overdue", headers=risk.use.reporter_headers)
    assert r.status_code == 403
    view = client.get(f"/api/v1/risk/reports/{county_late}/handling", headers=risk.county.headers).json
    assert view["report"]["overdue"] is True
    listed_by_reporter = client.get("/api/v1/risk/reports", headers=risk.use.reporter_headers).json["items"]
    assert {i["id"]: i["overdue"] for i in listed_by_reporter}[county_late] is True


# -- the job -------------------------------------------------------------------------------------------

def test_the_deadline_job_is_scheduled_and_a_second_run_sends_nothing(client, risk, run_jobs):
    assert "jobs.risk.check_deadlines" in [item.func for item in SCHEDULE]
    near, late = new_report(client, risk.use), new_report(client, risk.use, title="限速器未校验")
    today = business_today()
    set_deadline(near, today)
    set_deadline(late, today - timedelta(days=1))
    for _ in range(2):
        Queue("notify", connection=get_redis()).enqueue("jobs.risk.check_deadlines")
        run_jobs()
    db.session.expire_all()
    assert count("risk_deadline_near") == 1
    assert count("risk_deadline_overdue") == 1 + len(path.holder_staff_ids("610100")) == 3  # the county, the city
    assert check_deadlines(today.isoformat()) == 0
