"""Scoping in one place: a regulator sees its supervision subtree, a unit its own records,
the public nothing behind login. 韩城 and 杨凌 report straight to the province."""
import pytest


@pytest.fixture
def units(make_unit):
    """One use unit in each of 雁塔区, 碑林区 (both 西安), 韩城市, 杨凌 and 临渭区 (渭南)."""
    return {code: make_unit("use", code, name=f"{code}使用单位").id
            for code in ("610113", "610103", "610581", "610403", "610502")}


def visible(client, headers, units):
    items = client.get("/api/v1/units?page_size=100", headers=headers).json["items"]
    ids = {u["id"] for u in items}
    return {code for code, unit_id in units.items() if unit_id in ids}


@pytest.mark.parametrize("region,expected", [
    ("610113", {"610113"}),                       # a county: itself only
    ("610103", {"610103"}),                       # its neighbour county
    ("610100", {"610113", "610103"}),             # 西安市: its districts
    ("610500", {"610502"}),                       # 渭南市: not 韩城, which reports to the province
    ("610581", {"610581"}),                       # 韩城市: its own
    ("610403", {"610403"}),                       # 杨凌示范区: its own
    ("610400", set()),                            # 咸阳市: not 杨凌
    ("610000", {"610113", "610103", "610581", "610403", "610502"}),  # the province: all
])
def test_regulators_see_their_supervision_subtree(client, regulator, units, region, expected):
    assert visible(client, regulator(region), units) == expected


def test_a_county_cannot_open_a_neighbour_countys_unit(client, regulator, units):
    yanta = regulator("610113")
    assert client.get(f"/api/v1/units/{units['610113']}", headers=yanta).status_code == 200
    response = client.get(f"/api/v1/units/{units['610103']}", headers=yanta)
    assert (response.status_code, response.json["code"]) == (404, "not_found")


def test_a_county_cannot_list_a_neighbour_countys_people(client, regulator, units, make_person):
    from core.extensions import db
    from models.orgs import Unit

    make_person(db.session.get(Unit, units["610103"]), "safety_officer")
    yanta = regulator("610113")
    assert client.get(f"/api/v1/units/{units['610103']}/people", headers=yanta).status_code == 404
    assert client.get(f"/api/v1/units/{units['610103']}/people", headers=regulator("610100")).json["total"] == 1


def test_a_unit_sees_only_itself(client, units, make_person, auth_headers):
    from core.extensions import db
    from models.orgs import Unit

    officer = auth_headers(make_person(db.session.get(Unit, units["610113"]), "safety_officer"))
    assert visible(client, officer, units) == {"610113"}
    assert client.get(f"/api/v1/units/{units['610581']}", headers=officer).status_code == 404


def test_the_public_sees_nothing_behind_login(client, units):
    assert client.get("/api/v1/units").status_code == 401
    assert client.get(f"/api/v1/units/{units['610113']}").status_code == 401
    assert client.get("/api/v1/offices").status_code == 200


def test_region_filter_stays_inside_the_scope(client, regulator, units):
    xian = regulator("610100")
    items = client.get("/api/v1/units?region_code=610581", headers=xian).json["items"]
    assert items == []
    items = client.get("/api/v1/units?region_code=610113", headers=xian).json["items"]
    assert [u["id"] for u in items] == [units["610113"]]
