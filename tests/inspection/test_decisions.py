"""The agency's answer and the applicant's withdrawal; who sees what (the parties, regulators by
region, nobody else); the contact phone masked outside the parties' detail view; the demo data."""
import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from models.inspection import InspectionApplication
from services.equipment.onecode import active_code
from services.inspection import applications
from tests.inspection.conftest import days

URL = "/api/v1/inspection/applications"


@pytest.fixture
def submitted(device, apply):
    """A submitted application on a fresh device; returns its JSON."""
    def make(**overrides):
        response = apply(device().id, **overrides)
        assert response.status_code == 201, response.json
        return response.json
    return make


def act(client, headers, application_id, action, **body):
    return client.post(f"{URL}/{application_id}/{action}", json=body, headers=headers)


def test_the_agency_accepts_with_a_planned_date_and_the_applicant_is_told(client, yanta, agency, submitted,
                                                                           run_jobs):
    application = submitted()
    response = act(client, agency.headers, application["id"], "accept", planned_date=days(7), note="请准备资料")
    assert response.status_code == 200, response.json
    accepted = response.json
    assert (accepted["status"], accepted["planned_date"], accepted["pending"]) == ("accepted", days(7), True)
    assert accepted["decision_note"] == "请准备资料" and accepted["decided_at"]
    assert [e["action"] for e in accepted["events"]] == ["submit", "accept"]
    assert db.session.scalar(select(AuditEntry.after).where(
        AuditEntry.action == "inspection_application.accept"))["planned_date"] == days(7)
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=yanta.headers).json["items"]
    assert inbox[0]["template"] == "inspection_application_accepted"
    assert days(7) in inbox[0]["body"]


def test_a_tentative_planned_date_in_the_past_is_a_422_and_accepting_without_one_leaves_it_to_the_plan(
        client, agency, submitted):
    application = submitted()
    past = act(client, agency.headers, application["id"], "accept", planned_date=days(-1))
    assert (past.status_code, past.json["code"]) == (422, "planned_date_in_past")
    assert list(past.json["details"]["fields"]) == ["planned_date"]
    accepted = act(client, agency.headers, application["id"], "accept")
    assert accepted.status_code == 200, accepted.json
    assert (accepted.json["status"], accepted.json["planned_date"]) == ("accepted", None)
    assert accepted.json["plan_due_on"] > days(0)


def test_the_agency_refuses_with_a_reason_and_the_device_may_be_applied_for_again(client, yanta, agency, device,
                                                                                   apply, run_jobs):
    equipment = device()
    first = apply(equipment.id).json
    no_reason = act(client, agency.headers, first["id"], "refuse")
    assert (no_reason.status_code, list(no_reason.json["details"]["fields"])) == (422, ["reason"])
    blank = act(client, agency.headers, first["id"], "refuse", reason="  ")
    assert (blank.status_code, blank.json["code"]) == (422, "reason_required")
    refused = act(client, agency.headers, first["id"], "refuse", reason="该设备不在本机构核准范围内")
    assert refused.status_code == 200, refused.json
    assert (refused.json["status"], refused.json["pending"]) == ("refused", False)
    assert refused.json["decision_note"] == "该设备不在本机构核准范围内"
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=yanta.headers).json["items"]
    assert inbox[0]["template"] == "inspection_application_refused"
    assert "核准范围" in inbox[0]["body"]
    assert apply(equipment.id).status_code == 201


def test_a_decided_application_cannot_be_decided_again(client, agency, submitted):
    application = submitted()
    assert act(client, agency.headers, application["id"], "accept", planned_date=days(3)).status_code == 200
    again = act(client, agency.headers, application["id"], "refuse", reason="重复")
    assert (again.status_code, again.json["code"]) == (409, "inspection_transition_not_allowed")
    assert again.json["details"] == {"status": "accepted", "action": "refuse"}


def test_another_agency_can_neither_see_nor_act_on_an_application(client, agency, other_agency, submitted):
    application = submitted()
    assert client.get(f"{URL}/{application['id']}", headers=other_agency.headers).status_code == 404
    for action, body in (("accept", {"planned_date": days(3)}), ("refuse", {"reason": "不受理"}), ("withdraw", {})):
        response = act(client, other_agency.headers, application["id"], action, **body)
        assert (response.status_code, response.json["code"]) == (404, "not_found")
    assert client.get(URL, headers=other_agency.headers).json["total"] == 0
    assert client.get(URL, headers=agency.headers).json["total"] == 1


def test_the_applicant_cannot_decide_and_the_agency_cannot_withdraw(client, yanta, agency, submitted):
    application = submitted()
    response = act(client, yanta.headers, application["id"], "accept", planned_date=days(3))
    assert (response.status_code, response.json["code"]) == (403, "not_inspection_agency")
    response = act(client, agency.headers, application["id"], "withdraw")
    assert (response.status_code, response.json["code"]) == (403, "not_inspection_applicant")


def test_the_applicant_withdraws_a_pending_application_until_it_is_done(client, yanta, agency, submitted,
                                                                         run_jobs):
    accepted = submitted()
    act(client, agency.headers, accepted["id"], "accept", planned_date=days(3))
    response = act(client, yanta.officer, accepted["id"], "withdraw", reason="设备计划改造")
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["pending"]) == ("withdrawn", False)
    assert response.json["events"][-1]["note"] == "设备计划改造"
    again = act(client, yanta.headers, accepted["id"], "withdraw")
    assert (again.status_code, again.json["code"]) == (409, "inspection_transition_not_allowed")
    late = act(client, agency.headers, accepted["id"], "refuse", reason="已撤回")
    assert late.status_code == 409
    refused = submitted()
    act(client, agency.headers, refused["id"], "refuse", reason="不受理")
    assert act(client, yanta.headers, refused["id"], "withdraw").status_code == 409
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=agency.headers).json["items"]
    assert "inspection_application_withdrawn" in [m["template"] for m in inbox]


@pytest.mark.parametrize("region,sees", [
    ("610113", True),    # 雁塔区, where the device stands
    ("610100", True),    # 西安市
    ("610000", True),    # the province
    ("610103", False),   # 碑林区, a neighbour county
    ("610581", False),   # 韩城市
])
def test_regulators_see_the_applications_of_their_supervision_subtree(client, regulator, submitted, region, sees):
    application = submitted()
    headers = regulator(region)
    detail = client.get(f"{URL}/{application['id']}", headers=headers)
    assert detail.status_code == (200 if sees else 404)
    assert client.get(URL, headers=headers).json["total"] == (1 if sees else 0)


def test_a_regulator_reads_but_does_not_decide(client, regulator, submitted):
    application = submitted()
    response = act(client, regulator("610113"), application["id"], "accept", planned_date=days(3))
    assert (response.status_code, response.json["code"]) == (403, "not_inspection_agency")


def test_the_contact_phone_is_whole_only_in_the_parties_detail_view(client, yanta, agency, regulator, submitted):
    application = submitted()
    for headers in (yanta.headers, agency.headers):
        assert client.get(f"{URL}/{application['id']}", headers=headers).json["contact_phone"] == "13912345678"
        assert client.get(URL, headers=headers).json["items"][0]["contact_phone"] == "139****5678"
    county = regulator("610113")
    detail = client.get(f"{URL}/{application['id']}", headers=county).json
    assert detail["contact_phone"] == "139****5678" and detail["events"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "inspection_application.submit"))
    assert "contact_phone" not in entry.after


def test_the_list_filters_by_status_device_agency_and_type(client, yanta, agency, other_agency, device, apply):
    first, second = device(), device()
    a = apply(first.id).json
    b = apply(first.id, inspection_type="self_test").json
    c = apply(second.id, agency_unit_id=other_agency.unit.id).json
    act(client, agency.headers, a["id"], "accept", planned_date=days(5))

    def ids(query: str) -> list[int]:
        response = client.get(f"{URL}?{query}", headers=yanta.headers)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids("") == [c["id"], b["id"], a["id"]]
    assert ids("status=accepted") == [a["id"]]
    assert ids(f"equipment_id={first.id}") == [b["id"], a["id"]]
    assert ids(f"agency_unit_id={other_agency.unit.id}") == [c["id"]]
    assert ids("inspection_type=self_test") == [b["id"]]
    bad = client.get(f"{URL}?status=done", headers=yanta.headers)
    assert (bad.status_code, list(bad.json["details"]["fields"])) == (422, ["status"])


def test_pending_for_agency_is_the_newest_pending_application_addressed_to_it(client, yanta, agency, other_agency,
                                                                              device, apply):
    equipment = device()
    assert applications.pending_for_agency(equipment.id, agency.unit.id) is None
    periodic = apply(equipment.id).json
    self_test = apply(equipment.id, inspection_type="self_test").json
    assert applications.pending_for_agency(equipment.id, agency.unit.id).id == self_test["id"]
    act(client, yanta.headers, self_test["id"], "withdraw")
    elsewhere = apply(equipment.id, inspection_type="self_test", agency_unit_id=other_agency.unit.id)
    assert elsewhere.status_code == 201, elsewhere.json
    # The newest pending application of the device is another agency's: this agency's is the periodic one.
    assert applications.pending_for_agency(equipment.id, agency.unit.id).id == periodic["id"]
    act(client, agency.headers, periodic["id"], "refuse", reason="不受理")
    assert applications.pending_for_agency(equipment.id, agency.unit.id) is None


def test_the_demo_data_holds_a_pending_application_for_the_demo_agency(client, demo, auth_headers):
    assert demo.load() == 0  # loading twice adds nothing
    agency = demo.demo_person("demo-agency")
    pending = db.session.scalars(select(InspectionApplication).where(
        InspectionApplication.agency_unit_id == agency.unit_id, InspectionApplication.status == "submitted")).all()
    assert len(pending) == 1  # beside it, one application in each other state (tests/demo)
    application = pending[0]
    assert application.equipment.use_unit.name == "演示雁塔商业广场有限公司"
    assert active_code(application.equipment_id) is not None
    assert applications.pending_for_agency(application.equipment_id, agency.unit_id).id == application.id
    listed = client.get(URL, query_string={"status": "submitted"}, headers=auth_headers(agency)).json
    assert [item["id"] for item in listed["items"]] == [application.id]
    # Scanning the device's code, the agency's inspector is shown that application (whole phone, no history).
    code = active_code(application.equipment_id).code
    answer = client.get(f"/api/v1/scan/{code}", headers=auth_headers(agency)).json
    assert answer["audience"] == "agency"
    card = answer["application"]
    assert (card["id"], card["status"], card["inspection_type_label"], card["contact_phone"]) == (
        application.id, "submitted", "定期检验", "13900000008")
    assert card["applicant_unit_name"] == "演示雁塔商业广场有限公司" and "history" not in answer