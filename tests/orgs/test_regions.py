"""Regions in the supervision hierarchy and the public contacts of their offices (办事机构)."""
import pytest

OFFICE = {"office_name": "雁塔区特种设备安全监察科", "office_address": "西安市雁塔区演示路 100 号",
          "office_phone": "029-85200000", "office_hours": "工作日 9:00-17:00"}


def test_regions_are_public_and_cover_shaanxi(client):
    response = client.get("/api/v1/regions")
    assert response.status_code == 200
    assert len(response.json) == 118
    assert {r["code"] for r in response.json} >= {"610000", "610100", "610113", "610581", "610403"}


@pytest.mark.parametrize("code, name", [("610581", "韩城市"), ("610403", "杨陵区")])
def test_hancheng_and_yangling_report_straight_to_the_province_as_cities(client, code, name):
    region = client.get(f"/api/v1/regions/{code}").json
    assert region["name"] == name
    assert (region["supervision_parent_code"], region["supervision_level"]) == ("610000", "city")
    assert region["admin_parent_code"] != "610000"


def test_parent_lists_xian_districts_and_counties(client):
    children = client.get("/api/v1/regions?parent=610100").json
    assert len(children) == 13
    assert {r["supervision_parent_code"] for r in children} == {"610100"}
    assert "610113" in {r["code"] for r in children}


def test_hancheng_is_not_listed_under_weinan(client):
    codes = {r["code"] for r in client.get("/api/v1/regions?parent=610500").json}
    assert "610581" not in codes
    assert "610581" in {r["code"] for r in client.get("/api/v1/regions?parent=610000").json}


def test_offices_are_public(client):
    response = client.get("/api/v1/offices")
    assert response.status_code == 200
    assert len(response.json) == 118


def office_of(client, code):
    return client.get(f"/api/v1/regions/{code}/office").json


@pytest.mark.parametrize("regulator_region", ["610113", "610100", "610000"])
def test_the_region_regulator_or_one_above_maintains_the_office(client, regulator, regulator_region):
    response = client.patch("/api/v1/regions/610113/office", json=OFFICE, headers=regulator(regulator_region))
    assert response.status_code == 200, response.json
    public = office_of(client, "610113")
    assert {k: public[k] for k in OFFICE} == OFFICE
    assert public["office_updated_at"]
    listed = {o["region_code"]: o for o in client.get("/api/v1/offices").json}
    assert listed["610113"]["office_phone"] == OFFICE["office_phone"]


@pytest.mark.parametrize("regulator_region, code", [
    ("610103", "610113"),  # 碑林区 is a neighbour of 雁塔区, not above it
    ("610500", "610581"),  # 渭南市 does not supervise 韩城市
    ("610113", "610100"),  # a county does not maintain its city's office
])
def test_a_regulator_outside_the_region_cannot_change_its_office(client, regulator, regulator_region, code):
    before = office_of(client, code)
    response = client.patch(f"/api/v1/regions/{code}/office", json=OFFICE, headers=regulator(regulator_region))
    assert response.status_code == 403
    assert office_of(client, code) == before


def test_a_unit_cannot_change_an_office(client, make_unit, make_person, auth_headers):
    headers = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    assert client.patch("/api/v1/regions/610113/office", json=OFFICE, headers=headers).status_code == 403


def test_changing_an_office_needs_login(client):
    assert client.patch("/api/v1/regions/610113/office", json=OFFICE).status_code == 401


def test_unknown_region_is_404(client, regulator):
    assert client.get("/api/v1/regions/619999").json["code"] == "region_not_found"
    assert client.get("/api/v1/regions/619999/office").status_code == 404
    response = client.patch("/api/v1/regions/619999/office", json=OFFICE, headers=regulator("610000"))
    assert (response.status_code, response.json["code"]) == (404, "region_not_found")
