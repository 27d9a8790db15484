"""The agency's machine API for applications (/open/v1/inspection/applications): a change feed
that never misses or repeats across interleaved changes and pages; accept, refuse and plan by the
agency's system, each audited with the client; another agency's applications are out of reach."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.inspection import InspectionApplication
from tests.inspection.conftest import agency, apply, days, device, other_agency, yanta  # noqa: F401  (fixtures)

FEED = "/open/v1/inspection/applications"
BOTH = ("inspection:read", "inspection:write")


@pytest.fixture
def system(make_api_client, signed, agency):  # noqa: F811
    """The agency's own system, signing with a key that holds both inspection scopes."""
    issued = make_api_client(unit=agency.unit, scopes=BOTH)
    caller = signed(issued)
    caller.client_id = issued.client.id
    return caller


def feed(system, since=None, limit=None) -> dict:
    params = {k: v for k, v in (("since", since), ("limit", limit)) if v is not None}
    response = system.get(FEED, params=params)
    assert response.status_code == 200, response.json
    return response.json


def test_the_feed_answers_the_applications_addressed_to_the_agency_in_change_order(
        system, apply, device, other_agency, yanta):  # noqa: F811
    first, second = apply(device().id).json, apply(device().id, requested_date=days(20)).json
    apply(device().id, agency_unit_id=other_agency.unit.id)
    page = feed(system)
    assert [item["id"] for item in page["items"]] == [first["id"], second["id"]]
    assert page["has_more"] is False and page["next_cursor"]
    item = page["items"][0]
    assert (item["status"], item["inspection_type"], item["inspection_type_name"]) == ("submitted", "periodic", "定期检验")
    assert (item["applicant_unit_name"], item["contact_phone"], item["requested_date"]) == (
        "雁塔演示商场有限公司", "13912345678", days(10))
    assert item["equipment"]["equipment_code"] and item["equipment"]["category"] == "曳引驱动乘客电梯"
    assert item["equipment"]["use_unit_name"] == "雁塔演示商场有限公司"
    assert item["reinspection_of"] is None and item["feed_seq"] < page["items"][1]["feed_seq"]
    assert item["changed_at"]
    # Nothing new: the same cursor comes back, with nothing.
    again = feed(system, page["next_cursor"])
    assert (again["items"], again["next_cursor"], again["has_more"]) == ([], page["next_cursor"], False)


def test_the_feed_never_misses_or_repeats_across_interleaved_changes_and_pages(
        client, system, agency, apply, device, yanta):  # noqa: F811
    created = [apply(device().id).json["id"] for _ in range(5)]
    seen: list[tuple[int, int, str]] = []
    cursor = None

    def poll(limit=2):
        nonlocal cursor
        page = feed(system, cursor, limit)
        seen.extend((i["id"], i["feed_seq"], i["status"]) for i in page["items"])
        cursor = page["next_cursor"]
        return page

    poll()                                                    # a, b
    system.post(f"{FEED}/{created[0]}/accept", json={})       # a changes after it was read
    created.append(apply(device().id).json["id"])             # f is new
    client.post(f"/api/v1/inspection/applications/{created[2]}/withdraw", json={}, headers=yanta.headers)
    while poll()["has_more"]:
        pass
    system.post(f"{FEED}/{created[1]}/refuse", json={"reason": "本月已满"})
    while poll(limit=500)["has_more"]:
        pass
    assert len(seen) == len(set((i, s) for i, s, _ in seen)), "a change was answered twice"
    seqs = [s for _, s, _ in seen]
    assert seqs == sorted(seqs)
    latest = {i: status for i, _, status in seen}
    current = dict(db.session.execute(select(InspectionApplication.id, InspectionApplication.status)
                                      .where(InspectionApplication.id.in_(created))).all())
    assert latest == current, "the poller's view differs from the database"
    assert current[created[0]] == "accepted" and current[created[1]] == "refused"
    assert current[created[2]] == "withdrawn"
    assert [status for i, _, status in seen if i == created[0]] == ["submitted", "accepted"]
    assert feed(system, cursor)["items"] == []


def test_a_forged_or_foreign_cursor_is_a_400(system):
    response = system.get(FEED, params={"since": "WzEsMl0.bogus"})
    assert (response.status_code, response.json["code"]) == (400, "cursor_invalid")


def test_the_agencys_system_accepts_plans_and_refuses_each_write_audited_with_the_client(
        system, agency, apply, device, client, yanta, run_jobs):  # noqa: F811
    one, two = apply(device().id).json, apply(device().id).json
    accepted = system.post(f"{FEED}/{one['id']}/accept", json={"planned_date": days(6)})
    assert accepted.status_code == 200, accepted.json
    assert (accepted.json["status"], accepted.json["planned_date"]) == ("accepted", days(6))
    planned = system.post(f"{FEED}/{one['id']}/plan", json={"planned_date": days(8),
                                                            "inspector_person_ids": [agency.inspector.id]})
    assert planned.status_code == 200, planned.json
    assert (planned.json["status"], planned.json["inspector_person_ids"]) == ("planned", [agency.inspector.id])
    assert planned.json["report_due_on"]
    refused = system.post(f"{FEED}/{two['id']}/refuse", json={"reason": "设备不在本机构服务区域"})
    assert (refused.status_code, refused.json["status"]) == (200, "refused")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_([
        "inspection_application.accept", "inspection_application.plan", "inspection_application.refuse"]))
        .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_client_id, e.actor_person_id, e.actor_unit_id) for e in entries] == [
        (f"inspection_application.{action}", system.client_id, None, agency.unit.id)
        for action in ("accept", "plan", "refuse")]
    run_jobs()
    templates = [m["template"] for m in client.get("/api/v1/me/messages", headers=yanta.headers).json["items"]]
    assert set(templates) >= {"inspection_application_accepted", "inspection_application_planned",
                              "inspection_application_refused"}


def test_the_machine_plan_checks_the_inspectors_certificates(system, agency, apply, device):  # noqa: F811
    application = apply(device().id).json
    system.post(f"{FEED}/{application['id']}/accept", json={})
    [held] = [r for r in agency.inspector.roles if r.role == "inspector"]
    held.certificate_expiry = business_today() + timedelta(days=2)
    db.session.flush()
    response = system.post(f"{FEED}/{application['id']}/plan", json={"planned_date": days(4),
                                                                     "inspector_person_ids": [agency.inspector.id]})
    assert (response.status_code, response.json["code"]) == (422, "inspector_certificate_expired")


def test_another_agencys_application_is_out_of_reach_by_machine_and_by_api(
        client, system, other_agency, apply, device, make_api_client, signed):  # noqa: F811
    foreign = apply(device().id, agency_unit_id=other_agency.unit.id).json
    for action, body in (("accept", {}), ("refuse", {"reason": "不是本机构的"}),
                         ("plan", {"planned_date": days(3), "inspector_person_ids": [1]})):
        response = system.post(f"{FEED}/{foreign['id']}/{action}", json=body)
        assert (response.status_code, response.json["code"]) == (404, "not_found"), action
    assert all(item["id"] != foreign["id"] for item in feed(system)["items"])
    assert db.session.get(InspectionApplication, foreign["id"]).status == "submitted"
    theirs = signed(make_api_client(unit=other_agency.unit, scopes=BOTH))
    assert [item["id"] for item in theirs.get(FEED).json["items"]] == [foreign["id"]]


def test_the_feed_needs_inspection_read_and_the_decisions_inspection_write(
        make_api_client, signed, agency, apply, device):  # noqa: F811
    application = apply(device().id).json
    reader = signed(make_api_client(unit=agency.unit, scopes=("inspection:read",)))
    writer = signed(make_api_client(unit=agency.unit, scopes=("inspection:write",)))
    response = reader.post(f"{FEED}/{application['id']}/accept", json={})
    assert (response.status_code, response.json["code"]) == (403, "scope_missing")
    response = writer.get(FEED)
    assert (response.status_code, response.json["code"]) == (403, "scope_missing")
    assert writer.post(f"{FEED}/{application['id']}/accept", json={}).status_code == 200


def test_a_lapsed_approval_refuses_the_machines_new_work_too(system, agency, apply, device):  # noqa: F811
    application = apply(device().id).json
    agency.approval.valid_until = business_today() - timedelta(days=1)
    db.session.flush()
    response = system.post(f"{FEED}/{application['id']}/accept", json={})
    assert (response.status_code, response.json["code"]) == (422, "agency_approval_lapsed")


def test_a_reinspection_shows_the_report_number_it_re_inspects(system, agency, apply, device):  # noqa: F811
    from models.inspection import InspectionResult

    equipment = device()
    failed = InspectionResult(agency_unit_id=agency.unit.id, report_no="DT-2026-0099", equipment_id=equipment.id,
                              use_unit_id=equipment.use_unit_id, region_code=equipment.region_code,
                              inspection_type="periodic", conclusion="不合格", forbids_use=True,
                              inspection_date=business_today(), content_hash="0" * 64)
    db.session.add(failed)
    db.session.flush()
    assert apply(equipment.id, reinspection_of_result_id=failed.id).status_code == 201
    [item] = feed(system)["items"]
    assert item["reinspection_of"] == {"result_id": failed.id, "report_no": "DT-2026-0099"}
