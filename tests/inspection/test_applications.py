"""Applying for an inspection (报检, 条例 §28): who may apply, for which device, to which agency;
one pending application per device and type; the late warning; validation; idempotent retries."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.inspection import EquipmentDueDate, InspectionApplication
from tests.inspection.conftest import days


def created(response) -> dict:
    assert response.status_code == 201, response.json
    return response.json


def test_a_use_unit_applies_to_an_agency_for_a_periodic_inspection(client, yanta, agency, device, apply, run_jobs):
    equipment = device()
    application = created(apply(equipment.id))
    assert (application["status"], application["status_label"]) == ("submitted", "已提交")
    assert (application["inspection_type"], application["inspection_type_label"]) == ("periodic", "定期检验")
    assert application["agency_unit_name"] == "测试特种设备检验院"
    assert application["applicant_unit_name"] == "雁塔演示商场有限公司"
    assert (application["region_code"], application["requested_date"]) == ("610113", days(10))
    assert (application["pending"], application["late"], application["planned_date"]) == (True, False, None)
    assert application["equipment"]["id"] == equipment.id
    assert application["contact_phone"] == "13912345678"  # the applicant sees it whole
    assert [(e["action"], e["from_status"], e["to_status"]) for e in application["events"]] == [
        ("submit", None, "submitted")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "inspection_application.submit"))
    assert entry.entity_id == str(application["id"]) and entry.after["status"] == "submitted"

    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=agency.headers).json["items"]
    assert [m["template"] for m in inbox] == ["inspection_application_submitted"]
    assert "雁塔演示商场有限公司" in inbox[0]["body"]


def test_a_safety_officer_may_apply_for_the_units_device(device, apply, yanta):
    assert apply(device().id, headers=yanta.officer).status_code == 201


def test_an_operator_or_a_regulator_cannot_apply(device, apply, yanta, make_person, auth_headers, regulator):
    equipment = device()
    operator = auth_headers(make_person(yanta.unit, "operator"))
    response = apply(equipment.id, headers=operator)
    assert (response.status_code, response.json["code"]) == (403, "not_inspection_applicant")
    response = apply(equipment.id, headers=regulator("610113"))
    assert (response.status_code, response.json["code"]) == (403, "not_inspection_applicant")


def test_another_unit_cannot_apply_for_a_device_that_is_not_its_own(device, apply, make_unit, make_person,
                                                                     auth_headers):
    stranger = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    response = apply(device().id, headers=stranger)
    assert (response.status_code, response.json["code"]) == (404, "not_found")


@pytest.mark.parametrize("fields", [
    {"registration_status": "unregistered", "use_status": "not_in_use"},
    {"registration_status": "cancelled", "use_status": "removed"},
    {"registration_status": "registered", "use_status": "scrapped"},
])
def test_only_a_registered_device_still_in_service_can_be_inspected(device, apply, fields):
    response = apply(device(**fields).id)
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_inspectable")


def test_a_suspended_device_can_be_inspected_before_it_resumes(device, apply):
    assert apply(device(use_status="suspended").id).status_code == 201


def test_one_pending_application_per_device_and_inspection_type(client, yanta, device, apply):
    equipment = device()
    first = created(apply(equipment.id))
    second = apply(equipment.id)
    assert (second.status_code, second.json["code"]) == (409, "inspection_application_pending")
    assert second.json["details"]["application_id"] == first["id"]
    assert "编号" in second.json["message"]
    # Another type of inspection of the same device is another business.
    assert apply(equipment.id, inspection_type="self_test").status_code == 201
    # Once the first is withdrawn, a new one may be made.
    withdrawn = client.post(f"/api/v1/inspection/applications/{first['id']}/withdraw", json={},
                            headers=yanta.headers)
    assert withdrawn.status_code == 200, withdrawn.json
    assert apply(equipment.id).status_code == 201


def test_the_database_refuses_a_second_pending_application_too(device, apply, yanta, agency):
    equipment = device()
    first = db.session.get(InspectionApplication, created(apply(equipment.id))["id"])
    twin = InspectionApplication(equipment_id=equipment.id, applicant_unit_id=yanta.unit.id,
                                 agency_unit_id=agency.unit.id, region_code="610113", inspection_type="periodic",
                                 requested_date=first.requested_date, status="accepted", contact_name="李四",
                                 contact_phone="13912345678")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(twin)
        db.session.flush()


@pytest.mark.parametrize("due_in,due_type,late", [
    (200, "定期检验", False),
    (40, "定期检验", False),
    (20, "定期检验", True),     # less than a month before the validity expires (条例 §28)
    (-5, "定期检验", True),     # already overdue
    (20, "自行检测", False),    # the due date is for another type of inspection
    (None, None, False),        # no due date recorded
])
def test_applying_less_than_a_month_before_the_due_date_is_accepted_but_flagged_late(device, apply, due_in,
                                                                                      due_type, late):
    due = business_today() + timedelta(days=due_in) if due_in is not None else None
    application = created(apply(device(next_due_date=due, next_due_type=due_type).id))
    assert (application["status"], application["late"]) == ("submitted", late)


def test_lateness_counts_the_due_date_of_the_series_applied_for(device, apply):
    """An elevator whose self-test is due in 10 days and periodic inspection in 20: the device
    shows the self-test, yet an application for the periodic inspection is late (条例 §28)."""
    today = business_today()
    elevator = device(next_due_date=today + timedelta(days=10), next_due_type="自行检测")
    db.session.add_all([EquipmentDueDate(equipment_id=elevator.id, series="self_test", due_date=today + timedelta(days=10)),
                        EquipmentDueDate(equipment_id=elevator.id, series="periodic", due_date=today + timedelta(days=20))])
    db.session.flush()
    assert created(apply(elevator.id, inspection_type="periodic"))["late"] is True


def test_missing_and_unknown_fields_are_a_422_naming_each(client, yanta):
    response = client.post("/api/v1/inspection/applications", json={"inspection_type": "yearly", "colour": "red"},
                           headers=yanta.headers)
    assert (response.status_code, response.json["code"]) == (422, "validation_error")
    assert set(response.json["details"]["fields"]) == {
        "equipment_id", "agency_unit_id", "inspection_type", "requested_date", "contact_name", "contact_phone",
        "colour"}


def test_a_malformed_body_is_a_400(client, yanta):
    response = client.post("/api/v1/inspection/applications", data="{", content_type="application/json",
                           headers=yanta.headers)
    assert (response.status_code, response.json["code"]) == (400, "malformed_json")


@pytest.mark.parametrize("overrides,field,code", [
    ({"requested_date": days(-1)}, "requested_date", "requested_date_in_past"),
    ({"requested_date": "2026-02-30"}, "requested_date", "validation_error"),
    ({"contact_phone": "12-34"}, "contact_phone", "phone_invalid"),
    ({"contact_name": "   "}, "contact_name", "validation_error"),
    ({"agency_unit_id": 2**40}, "agency_unit_id", "validation_error"),  # beyond an INTEGER key: no 500
])
def test_invalid_values_are_a_422_naming_the_field(device, apply, overrides, field, code):
    response = apply(device().id, **overrides)
    assert (response.status_code, response.json["code"]) == (422, code)
    assert list(response.json["details"]["fields"]) == [field]


def test_the_agency_must_be_an_approved_inspection_unit(device, apply, make_unit, yanta):
    equipment = device()
    for unit_id in (make_unit("production").id, make_unit("inspection", status="pending").id, yanta.unit.id, 10**6):
        response = apply(equipment.id, agency_unit_id=unit_id)
        assert (response.status_code, response.json["code"]) == (422, "agency_invalid")
        assert list(response.json["details"]["fields"]) == ["agency_unit_id"]


def test_a_retried_submission_returns_the_first_application(device, apply, yanta):
    equipment = device()
    headers = {**yanta.headers, "Idempotency-Key": "inspection-apply-1"}
    first = created(apply(equipment.id, headers=headers))
    retry = apply(equipment.id, headers=headers)
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replay") == "true"
    assert retry.json["id"] == first["id"]
    assert db.session.scalar(select(func.count()).select_from(InspectionApplication)) == 1


def test_the_agencies_to_choose_from_are_approved_inspection_units(client, yanta, agency, other_agency, make_unit):
    make_unit("inspection", status="pending", name="待审核检验机构")
    make_unit("production", name="某电梯公司")
    response = client.get("/api/v1/inspection/agencies?page_size=100", headers=yanta.headers)
    assert response.status_code == 200, response.json
    names = {a["name"]: a for a in response.json["items"]}
    assert set(names) == {"测试特种设备检验院", "另一家检验检测机构"}
    assert names["测试特种设备检验院"]["region_name"] == "西安市"
    found = client.get("/api/v1/inspection/agencies?q=另一家", headers=yanta.headers).json["items"]
    assert [a["id"] for a in found] == [other_agency.unit.id]
    assert client.get("/api/v1/inspection/agencies").status_code == 401


def test_the_list_takes_the_same_number_of_queries_for_two_applications_as_for_eight(client, yanta, device, apply):
    from sqlalchemy import event

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/api/v1/inspection/applications", headers=yanta.headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    for _ in range(2):
        assert apply(device().id).status_code == 201
    statements()  # warm up
    few = statements()
    for _ in range(6):
        assert apply(device().id).status_code == 201
    assert statements() == few
