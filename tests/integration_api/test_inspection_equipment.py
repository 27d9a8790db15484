"""GET /open/v1/equipment/<设备代码> (scope inspection:read): the master data an agency needs for a
device it is to inspect; reach by application (default) or by its approved scope's regions; the
same 404 for a device out of reach as for an unknown one; every call audited with the client."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today, utcnow
from models.inspection import AgencyApproval, EquipmentDueDate, InspectionApplication

READ = ("inspection:read",)


@pytest.fixture
def agency(make_unit):
    return make_unit("inspection", "610113", licence_no="TS7110099-2030", licence_expiry=date(2030, 12, 31))


@pytest.fixture
def api(agency, make_api_client, signed):
    return signed(make_api_client(unit=agency, scopes=READ))


@pytest.fixture
def reach(app):
    """`reach("region")`: INSPECTION_OPEN_EQUIPMENT_REACH for this test."""
    before = app.config["INSPECTION_OPEN_EQUIPMENT_REACH"]

    def set_reach(value: str) -> None:
        app.config["INSPECTION_OPEN_EQUIPMENT_REACH"] = value

    yield set_reach
    app.config["INSPECTION_OPEN_EQUIPMENT_REACH"] = before


def apply_to(agency_unit, equipment, status: str = "submitted") -> InspectionApplication:
    application = InspectionApplication(
        equipment_id=equipment.id, applicant_unit_id=equipment.use_unit_id, agency_unit_id=agency_unit.id,
        region_code=equipment.region_code, inspection_type="periodic", requested_date=business_today(),
        status=status, contact_name="联系人", contact_phone="13900000000", submitted_at=utcnow())
    db.session.add(application)
    db.session.flush()
    return application


def approve(agency_unit, categories=("3000",), region_codes=(), valid_until=None) -> AgencyApproval:
    approval = AgencyApproval(unit_id=agency_unit.id, region_code=agency_unit.region_code, licence_no="TS7110099-2030",
                              valid_until=valid_until or business_today() + timedelta(days=365),
                              categories=list(categories), inspection_types=["periodic", "self_test"],
                              region_codes=list(region_codes), status="approved")
    db.session.add(approval)
    db.session.flush()
    return approval


@pytest.fixture
def elevator(make_unit, make_person, make_equipment):
    unit = make_unit("use", "610113", name="雁塔某广场有限公司")
    officer = make_person(unit, "safety_officer", name="王安全", phone="13912345678")
    return make_equipment(unit, "3110", use_status="in_use", registration_status="registered",
                          registration_cert_no="梯11陕A00001(24)", product_name="曳引驱动乘客电梯",
                          model_spec="GeN2", product_serial_no="SN-001", manufacturer_name="某电梯有限公司",
                          manufacture_date=date(2019, 3, 1), put_into_use_date=date(2019, 6, 3),
                          safety_officer_person_id=officer.id, last_inspection_date=date(2025, 5, 18),
                          last_inspection_conclusion="合格", next_due_date=date(2026, 5, 31),
                          next_due_type="自行检测")


def test_an_agency_reads_a_device_it_has_an_application_for(api, agency, elevator):
    apply_to(agency, elevator)
    db.session.add_all([
        EquipmentDueDate(equipment_id=elevator.id, series="self_test", due_date=date(2026, 5, 31)),
        EquipmentDueDate(equipment_id=elevator.id, series="periodic", due_date=date(2027, 5, 31),
                         last_date=date(2025, 5, 18), last_conclusion="合格")])
    db.session.flush()

    response = api.get(f"/open/v1/equipment/{elevator.equipment_code}")

    assert response.status_code == 200, response.json
    body = response.json
    assert body["equipment_code"] == elevator.equipment_code
    assert body["registration_cert_no"] == "梯11陕A00001(24)"
    assert (body["catalogue_code"], body["category_name"], body["kind_code"], body["kind_name"]) == (
        "3110", "曳引驱动乘客电梯", "3000", "电梯")
    assert (body["model_spec"], body["product_serial_no"], body["manufacturer_name"]) == (
        "GeN2", "SN-001", "某电梯有限公司")
    assert (body["manufacture_date"], body["put_into_use_date"]) == ("2019-03-01", "2019-06-03")
    assert body["use_unit_name"] == "雁塔某广场有限公司" and len(body["use_unit_uscc"]) == 18
    assert (body["region_code"], body["region_name"]) == ("610113", "雁塔区")
    assert (body["use_status_name"], body["registration_status_name"]) == ("在用", "在册")
    assert (body["last_inspection_date"], body["last_inspection_conclusion"]) == ("2025-05-18", "合格")
    assert [(s["series_name"], s["due_date"]) for s in body["due_dates"]] == [
        ("定期检验", "2027-05-31"), ("自行检测", "2026-05-31")]


def test_the_safety_officers_phone_is_masked(api, agency, elevator):
    apply_to(agency, elevator)

    body = api.get(f"/open/v1/equipment/{elevator.equipment_code}").json

    assert body["safety_officer"] == {"name": "王安全", "phone": "139****5678"}
    assert "13912345678" not in str(body)


@pytest.mark.parametrize("status", ["withdrawn", "refused", "completed"])
def test_an_application_in_any_status_keeps_the_device_in_reach(api, agency, elevator, status):
    apply_to(agency, elevator, status)

    assert api.get(f"/open/v1/equipment/{elevator.equipment_code}").status_code == 200


def test_a_device_out_of_reach_answers_exactly_as_an_unknown_one(api, agency, elevator, make_unit):
    apply_to(make_unit("inspection", "610113"), elevator)  # another agency's application

    other = api.get(f"/open/v1/equipment/{elevator.equipment_code}")
    unknown = api.get("/open/v1/equipment/311061001202099999")

    assert other.status_code == unknown.status_code == 404
    assert other.json["code"] == unknown.json["code"] == "equipment_not_found"
    assert other.json["message"] == unknown.json["message"]
    assert other.json.get("details") == unknown.json.get("details")


@pytest.mark.parametrize("code", ["x" * 33, "%00abc", "设备代码", "%20"])
def test_a_malformed_code_is_not_found_not_an_error(api, code):
    response = api.get(f"/open/v1/equipment/{code}")

    assert response.status_code == 404 and response.json["code"] == "equipment_not_found"


def test_reading_a_device_needs_the_inspection_read_scope(agency, elevator, make_api_client, signed):
    apply_to(agency, elevator)
    api = signed(make_api_client(unit=agency, scopes=("open:read", "inspection:write")))

    response = api.get(f"/open/v1/equipment/{elevator.equipment_code}")

    assert response.status_code == 403 and response.json["code"] == "scope_missing"


def test_by_region_the_approved_scope_reaches_devices_without_an_application(api, agency, elevator, reach):
    approve(agency, categories=("3000",), region_codes=("610100",))  # 西安市 and its districts

    default = api.get(f"/open/v1/equipment/{elevator.equipment_code}")
    reach("region")
    by_region = api.get(f"/open/v1/equipment/{elevator.equipment_code}")

    assert default.status_code == 404
    assert by_region.status_code == 200 and by_region.json["region_code"] == "610113"


def test_by_region_an_empty_region_list_is_the_whole_province(api, agency, make_unit, make_equipment, reach):
    reach("region")
    approve(agency, categories=("3000",), region_codes=())
    hancheng = make_equipment(make_unit("use", "610581"), "3110", use_status="in_use")

    assert api.get(f"/open/v1/equipment/{hancheng.equipment_code}").status_code == 200


def test_by_region_a_device_outside_the_scope_is_not_found(api, agency, elevator, make_unit, make_equipment,
                                                            reach):
    reach("region")
    approve(agency, categories=("3000",), region_codes=("610100",))
    hancheng = make_equipment(make_unit("use", "610581"), "3110", use_status="in_use")  # 韩城: not under 西安
    boiler = make_equipment(make_unit("use", "610113"), "1200", use_status="in_use")  # not an approved category

    assert api.get(f"/open/v1/equipment/{hancheng.equipment_code}").status_code == 404
    assert api.get(f"/open/v1/equipment/{boiler.equipment_code}").status_code == 404
    assert api.get(f"/open/v1/equipment/{elevator.equipment_code}").status_code == 200


def test_by_region_a_lapsed_or_unapproved_scope_reaches_nothing(api, agency, elevator, reach):
    reach("region")
    approval = approve(agency, region_codes=(), valid_until=business_today() - timedelta(days=1))

    lapsed = api.get(f"/open/v1/equipment/{elevator.equipment_code}")
    approval.valid_until, approval.status = business_today() + timedelta(days=30), "submitted"
    db.session.flush()
    unapproved = api.get(f"/open/v1/equipment/{elevator.equipment_code}")

    assert lapsed.status_code == unapproved.status_code == 404


def test_a_read_is_audited_with_the_client_and_a_refused_one_writes_nothing(api, agency, elevator, audit_count):
    apply_to(agency, elevator)
    before = audit_count()

    api.get("/open/v1/equipment/311061001202099999")
    assert audit_count() == before
    response = api.get(f"/open/v1/equipment/{elevator.equipment_code}")

    assert response.status_code == 200
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert audit_count() == before + 1
    assert entry.action == "open.request" and entry.actor_client_id == api_client_id(api)
    assert entry.after["path"] == f"/open/v1/equipment/{elevator.equipment_code}"


def api_client_id(api) -> int:
    from services.clients import find_key

    return find_key(api.key_id).client_id
