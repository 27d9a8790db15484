"""Equipment records: 新增设备 by the use unit, record maintenance, lists, filters and export."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.timeutil import business_today


@pytest.fixture
def yanta(make_unit, make_person, auth_headers):
    unit = make_unit("use", "610113")
    admin = make_person(unit, "unit_admin")
    officer = make_person(unit, "safety_officer")
    return {"unit": unit, "admin": auth_headers(admin), "officer": officer,
            "officer_headers": auth_headers(officer)}


def new_elevator(**overrides):
    body = {"catalogue_code": "3110", "equipment_code": "311061001202000001", "address": "西安市雁塔区演示路 8 号 1 号梯",
            "region_code": "610113", "product_name": "曳引驱动乘客电梯", "public_place": True}
    body.update(overrides)
    return body


def test_a_use_unit_adds_equipment_that_is_not_in_use_until_registered(client, yanta):
    response = client.post("/api/v1/equipment", json=new_elevator(safety_officer_person_id=yanta["officer"].id),
                           headers=yanta["admin"])
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["use_status"], body["registration_status"]) == ("not_in_use", "unregistered")
    assert body["use_status_label"] == "未投入使用"
    assert body["catalogue_name"] == "曳引驱动乘客电梯"
    assert body["safety_officer_person_id"] == yanta["officer"].id
    assert body["warnings"] == []


@pytest.mark.parametrize("code,error", [("7100", "catalogue_code_not_registrable"),
                                        ("F220", "catalogue_code_not_registrable"),
                                        ("4B00", "catalogue_code_not_registrable"),
                                        ("3000", "catalogue_code_too_broad"),
                                        ("3999", "catalogue_code_unknown")])
def test_new_equipment_needs_a_registrable_catalogue_code(client, yanta, code, error):
    response = client.post("/api/v1/equipment", json=new_elevator(catalogue_code=code), headers=yanta["admin"])
    assert (response.status_code, response.json["code"]) == (422, error)
    assert "catalogue_code" in response.json["details"]["fields"]


def test_catalogue_codes_with_letters_are_kept_as_text(client, yanta):
    response = client.post("/api/v1/equipment", json=new_elevator(catalogue_code="4D00",
                                                                  equipment_code="4D0061001202000002"),
                           headers=yanta["admin"])
    assert response.status_code == 201
    assert response.json["catalogue_code"] == "4D00"


def test_a_code_that_does_not_start_with_the_catalogue_code_is_a_warning_not_a_refusal(client, yanta):
    response = client.post("/api/v1/equipment", json=new_elevator(equipment_code="312061001202000003"),
                           headers=yanta["admin"])
    assert response.status_code == 201
    assert response.json["warnings"] == ["设备代码前 4 位与设备类别代码 3110 不一致。"]


def test_the_same_equipment_code_cannot_be_added_twice(client, yanta):
    client.post("/api/v1/equipment", json=new_elevator(), headers=yanta["admin"])
    response = client.post("/api/v1/equipment", json=new_elevator(), headers=yanta["admin"])
    assert (response.status_code, response.json["code"]) == (409, "equipment_code_exists")


def test_the_responsible_safety_officer_must_be_one_of_the_units_officers(client, yanta, make_unit, make_person):
    stranger = make_person(make_unit("use", "610113"), "safety_officer")
    response = client.post("/api/v1/equipment", json=new_elevator(safety_officer_person_id=stranger.id),
                           headers=yanta["admin"])
    assert (response.status_code, response.json["code"]) == (422, "safety_officer_invalid")


def test_a_safety_officer_cannot_add_equipment(client, yanta):
    response = client.post("/api/v1/equipment", json=new_elevator(), headers=yanta["officer_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_equipment_manager")


def test_registered_equipment_keeps_its_place_and_inspection_dates(client, yanta, make_equipment):
    equipment = make_equipment(yanta["unit"], registration_status="registered", use_status="in_use")
    for change in ({"address": "别处"}, {"next_due_date": "2030-01-01"}, {"catalogue_code": "3120"}):
        response = client.patch(f"/api/v1/equipment/{equipment.id}", json=change, headers=yanta["admin"])
        assert (response.status_code, response.json["code"]) == (409, "equipment_field_locked")
    ok = client.patch(f"/api/v1/equipment/{equipment.id}", json={"product_name": "1 号客梯"}, headers=yanta["admin"])
    assert ok.json["product_name"] == "1 号客梯"


def test_lists_filter_by_category_status_and_due_dates(client, yanta, make_equipment):
    today = business_today()
    unit = yanta["unit"]
    overdue = make_equipment(unit, "3110", use_status="in_use", next_due_date=today - timedelta(days=3))
    soon = make_equipment(unit, "3310", use_status="in_use", next_due_date=today + timedelta(days=10))
    boiler = make_equipment(unit, "1100", next_due_date=today + timedelta(days=200))

    def ids(query):
        response = client.get(f"/api/v1/equipment?{query}", headers=yanta["admin"])
        assert response.status_code == 200, response.json
        return {item["id"] for item in response.json["items"]}

    assert ids("category=3000") == {overdue.id, soon.id}
    assert ids("category=3300") == {soon.id}
    assert ids("overdue=true") == {overdue.id}
    assert ids("use_status=not_in_use") == {boiler.id}
    assert ids(f"due_to={(today + timedelta(days=30)).isoformat()}") == {overdue.id, soon.id}
    states = {i["id"]: i["inspection_state"] for i in client.get("/api/v1/equipment", headers=yanta["admin"]).json["items"]}
    assert states == {overdue.id: "overdue", soon.id: "due_soon", boiler.id: "in_date"}


def test_another_county_sees_none_of_a_units_equipment(client, yanta, make_equipment, regulator):
    equipment = make_equipment(yanta["unit"])
    beilin, xian = regulator("610103"), regulator("610100")
    assert client.get("/api/v1/equipment", headers=beilin).json["total"] == 0
    assert client.get(f"/api/v1/equipment/{equipment.id}", headers=beilin).status_code == 404
    assert client.get(f"/api/v1/equipment/{equipment.id}", headers=xian).status_code == 200


def test_the_list_exports_to_xlsx_with_the_same_filters(client, yanta, make_equipment):
    make_equipment(yanta["unit"], "3110")
    make_equipment(yanta["unit"], "1100")
    response = client.get("/api/v1/equipment/export.xlsx?category=3000", headers=yanta["admin"])
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("*设备类别代码", "△设备代码", "△注册代码")  # the import template's columns
    assert [r[0] for r in rows[1:]] == ["3110"]


def test_text_that_looks_like_a_formula_is_exported_as_text(client, yanta, make_equipment):
    make_equipment(yanta["unit"], "3110", address='=HYPERLINK("http://example.invalid","点此")')
    response = client.get("/api/v1/equipment/export.xlsx", headers=yanta["admin"])
    sheet = load_workbook(io.BytesIO(response.data)).active
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value and str(c.value).startswith("=")]
    assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("http://example.invalid","点此")', "s")]


def test_the_catalogue_is_public_and_hides_retired_codes_unless_asked(client):
    codes = {e["code"] for e in client.get("/api/v1/catalogue").json}
    assert {"3110", "4D00", "6A00", "23T0"} <= codes
    assert "4B00" not in codes
    with_retired = {e["code"] for e in client.get("/api/v1/catalogue?include_retired=true").json}
    assert "4B00" in with_retired
