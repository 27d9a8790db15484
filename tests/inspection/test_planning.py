"""Planning (domain.md §3.1, configurable): accepting sets the plan deadline in working days; the
agency plans the date and its certified inspectors and the unit is told; late plans and reports are
flagged, listed for the agency and its regulator, and reminded daily; a result completes the
application (one by one, or a batch)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import tx
from core.audit import AuditEntry
from core.auth import Identity
from core.extensions import db
from core.timeutil import business_today, utcnow
from core.workdays import add_workdays
from models.inspection import InspectionApplication
from services.inspection import applications, planning
from tests.inspection.conftest import days
from tests.notify.conftest import rows

URL = "/api/v1/inspection/applications"


def post(client, headers, application_id, action, **body):
    return client.post(f"{URL}/{application_id}/{action}", json=body, headers=headers)


@pytest.fixture
def accepted(client, agency, device, apply):
    """An accepted application on a fresh device; returns its JSON."""
    def make(**overrides):
        submitted = apply(device().id, **overrides)
        assert submitted.status_code == 201, submitted.json
        response = post(client, agency.headers, submitted.json["id"], "accept")
        assert response.status_code == 200, response.json
        return response.json
    return make


def plan(client, headers, application_id, inspector_ids, when=7, **body):
    return post(client, headers, application_id, "plan", planned_date=days(when), inspector_person_ids=inspector_ids,
                **body)


def set_dates(application_id: int, **values) -> None:
    db.session.execute(InspectionApplication.__table__.update()
                       .where(InspectionApplication.id == application_id).values(**values))
    db.session.flush()


def test_accepting_sets_the_plan_deadline_in_working_days(app, monkeypatch, accepted):
    assert accepted()["plan_due_on"] == add_workdays(business_today(), 5).isoformat()
    monkeypatch.setitem(app.config, "INSPECTION_PLAN_WORKDAYS", 2)
    application = accepted()
    assert application["plan_due_on"] == add_workdays(business_today(), 2).isoformat()
    assert (application["plan_late"], application["report_late"]) == (False, False)


def test_the_agency_plans_the_date_and_inspectors_and_the_unit_and_inspectors_are_told(
        client, yanta, agency, accepted, make_person, run_jobs):
    second = make_person(agency.unit, "inspector", name="李检验")
    application = accepted()
    response = plan(client, agency.headers, application["id"], [agency.inspector.id, second.id, second.id],
                    note="请安排物业配合")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["status"], body["planned_date"]) == ("planned", days(7))
    assert body["inspector_person_ids"] == [agency.inspector.id, second.id]
    assert [i["name"] for i in body["inspectors"]] == [agency.inspector.name, "李检验"]
    assert body["report_due_on"] == add_workdays(business_today() + timedelta(days=7), 10).isoformat()
    assert body["planned_at"] and [e["action"] for e in body["events"]] == ["submit", "accept", "plan"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "inspection_application.plan"))
    assert entry.after["inspector_person_ids"] == [agency.inspector.id, second.id]
    run_jobs()
    told = client.get("/api/v1/me/messages", headers=yanta.headers).json["items"][0]
    assert told["template"] == "inspection_application_planned"
    assert days(7) in told["body"] and "李检验" in told["body"]
    assigned = [m for m in rows() if m.template == "inspection_assigned"]
    assert sorted(m.recipient_person_id for m in assigned) == sorted([agency.inspector.id, second.id])


def test_a_planned_application_can_be_planned_again(client, agency, accepted, make_person):
    application = accepted()
    plan(client, agency.headers, application["id"], [agency.inspector.id])
    other = make_person(agency.unit, "inspector")
    response = plan(client, agency.headers, application["id"], [other.id], when=9)
    assert response.status_code == 200, response.json
    assert (response.json["planned_date"], response.json["inspector_person_ids"]) == (days(9), [other.id])
    assert [e["action"] for e in response.json["events"]][-2:] == ["plan", "plan"]


def test_only_an_accepted_or_planned_application_is_planned(client, agency, apply, device):
    submitted = apply(device().id).json
    response = plan(client, agency.headers, submitted["id"], [agency.inspector.id])
    assert (response.status_code, response.json["code"]) == (409, "inspection_transition_not_allowed")


def test_a_plan_needs_a_date_not_in_the_past_and_at_least_one_inspector(client, agency, accepted):
    application = accepted()
    past = plan(client, agency.headers, application["id"], [agency.inspector.id], when=-1)
    assert (past.status_code, past.json["code"]) == (422, "planned_date_in_past")
    nobody = plan(client, agency.headers, application["id"], [])
    assert (nobody.status_code, list(nobody.json["details"]["fields"])) == (422, ["inspector_person_ids"])


def test_the_applicant_another_agency_and_a_regulator_cannot_plan(client, yanta, agency, other_agency, regulator,
                                                                   accepted):
    application = accepted()
    for headers, status in ((yanta.headers, 403), (regulator("610113"), 403), (other_agency.headers, 404)):
        assert plan(client, headers, application["id"], [agency.inspector.id]).status_code == status


def _expire(person, role: str, day) -> None:
    [held] = [r for r in person.roles if r.role == role]
    held.certificate_no, held.certificate_expiry = "JY-0042", day
    db.session.flush()


def test_inspectors_must_be_the_agencys_people_holding_the_role(client, agency, other_agency, accepted, make_person,
                                                                 make_unit):
    application = accepted()
    admin_only = make_person(agency.unit, "unit_admin", name="只是管理员")
    tester = make_person(agency.unit, "tester", name="检测员甲")
    outsider = make_person(make_unit("inspection", "610113"), "inspector", name="外单位检验员")
    for person_id, text in ((admin_only.id, "只是管理员不是本机构的检验人员"), (tester.id, "检测员甲不是本机构的检验人员"),
                            (outsider.id, f"人员（编号 {outsider.id}）不是本机构的在职人员"),
                            (10**6, "不是本机构的在职人员")):
        response = plan(client, agency.headers, application["id"], [agency.inspector.id, person_id])
        assert (response.status_code, response.json["code"]) == (422, "inspector_invalid"), person_id
        assert text in response.json["message"]
        assert list(response.json["details"]["fields"]) == ["inspector_person_ids"]


def test_a_tester_may_do_an_elevator_self_test(client, agency, accepted, make_person):
    application = accepted(inspection_type="self_test")
    tester = make_person(agency.unit, "tester")
    assert plan(client, agency.headers, application["id"], [tester.id]).status_code == 200


def test_an_inspector_certificate_must_be_in_date_on_the_planned_day(client, agency, accepted, make_person):
    application = accepted()
    inspector = make_person(agency.unit, "inspector", name="王检验")
    _expire(inspector, "inspector", business_today() + timedelta(days=5))
    response = plan(client, agency.headers, application["id"], [inspector.id], when=7)
    assert (response.status_code, response.json["code"]) == (422, "inspector_certificate_expired")
    assert response.json["message"].startswith("王检验的检验人员证书（JY-0042）于")
    assert plan(client, agency.headers, application["id"], [inspector.id], when=5).status_code == 200


def test_a_late_plan_is_flagged_and_listed_for_the_agency_and_its_regulator(
        client, agency, other_agency, regulator, accepted):
    overdue, on_time, planned_late = accepted(), accepted(), accepted()
    set_dates(overdue["id"], plan_due_on=business_today() - timedelta(days=1))
    set_dates(planned_late["id"], plan_due_on=business_today() - timedelta(days=3))
    assert plan(client, agency.headers, planned_late["id"], [agency.inspector.id]).status_code == 200

    def listed(headers, query="kind=plan") -> list[int]:
        response = client.get(f"/api/v1/inspection/late?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert listed(agency.headers) == [planned_late["id"], overdue["id"]]  # the most overdue first
    assert listed(regulator("610113")) == [planned_late["id"], overdue["id"]]
    assert listed(regulator("610100"), f"kind=plan&agency_unit_id={agency.unit.id}") == [planned_late["id"],
                                                                                      overdue["id"]]
    assert listed(regulator("610103")) == [] and listed(other_agency.headers) == []
    detail = client.get(f"{URL}/{overdue['id']}", headers=agency.headers).json
    assert (detail["plan_late"], detail["report_late"]) == (True, False)
    assert client.get(f"{URL}/{on_time['id']}", headers=agency.headers).json["plan_late"] is False
    counts = client.get("/api/v1/inspection/late/counts", headers=agency.headers).json
    assert counts == {"plan": 2, "report": 0}
    bad = client.get("/api/v1/inspection/late?kind=soon", headers=agency.headers)
    assert (bad.status_code, list(bad.json["details"]["fields"])) == (422, ["kind"])


def test_a_late_report_is_flagged_and_listed_until_the_result_completes_it(client, agency, regulator, accepted):
    application = accepted()
    plan(client, agency.headers, application["id"], [agency.inspector.id])
    set_dates(application["id"], report_due_on=business_today() - timedelta(days=2))
    items = client.get("/api/v1/inspection/late?kind=report", headers=regulator("610113")).json["items"]
    assert [(i["id"], i["report_late"]) for i in items] == [(application["id"], True)]
    today = business_today().isoformat()
    result = client.post("/api/v1/inspection/results", headers=agency.headers, json={
        "report_no": "LATE-0001", "equipment_id": application["equipment_id"], "inspection_type": "periodic",
        "conclusion": "合格", "inspection_date": today, "report_date": today})
    assert result.status_code == 201, result.json
    assert client.get("/api/v1/inspection/late/counts", headers=agency.headers).json == {"plan": 0, "report": 0}
    done = client.get(f"{URL}/{application['id']}", headers=agency.headers).json
    assert (done["status"], done["result_id"], done["report_late"]) == ("completed", result.json["id"], False)
    assert done["events"][-1]["action"] == "complete"


def test_agency_staff_are_reminded_of_deadlines_once_a_day(client, agency, accepted, make_person, app):
    admin = make_person(agency.unit, "unit_admin")
    today = business_today()
    due_tomorrow, overdue, planned = accepted(), accepted(), accepted()
    set_dates(due_tomorrow["id"], plan_due_on=today + timedelta(days=1))
    set_dates(overdue["id"], plan_due_on=today - timedelta(days=2))
    plan(client, agency.headers, planned["id"], [agency.inspector.id])
    set_dates(planned["id"], report_due_on=today - timedelta(days=1))
    accepted()  # due in five working days: nothing to say yet
    tx.commit()
    assert planning.queue_deadline_reminders() == 2
    assert planning.queue_deadline_reminders() == 0
    messages = {m.recipient_person_id: m for m in rows() if m.template == "inspection_deadlines"}
    assert set(messages) == {admin.id, agency.inspector.id}
    assert messages[admin.id].body == (f"本机构1 项检验申请须在明天（{(today + timedelta(days=1)).isoformat()}）前安排检验，"
                                       "1 项已超过安排期限，1 份检验报告已超过出具期限。请及时处理（工作台—检验检测—检验安排）。")
    assert "您负责的1 份检验报告已超过出具期限" in messages[agency.inspector.id].body
    later = planning.queue_deadline_reminders(today + timedelta(days=1))
    assert later == 2  # a new day, a new reminder


def test_the_deadline_job_is_scheduled_daily():
    from jobs.schedule import SCHEDULE

    [entry] = [p for p in SCHEDULE if p.func == "jobs.inspection.remind_agency_deadlines"]
    assert (entry.cron, entry.queue) == ("20 1 * * *", "notify")


def test_a_machine_identity_of_the_agency_acts_without_a_personal_certificate(agency, accepted):
    application = db.session.get(InspectionApplication, accepted()["id"])
    machine = Identity(unit_id=agency.unit.id, unit_kind="inspection", unit_status="approved", client="open",
                       client_id=77, scopes=frozenset({"inspection:write"}))
    applications.plan(machine, application, business_today() + timedelta(days=3), [agency.inspector.id], None)
    assert (application.status, application.planned_by_person_id) == ("planned", None)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "inspection_application.plan"))
    assert (entry.actor_client_id, entry.actor_person_id) == (77, None)
    assert application.planned_at <= utcnow()
