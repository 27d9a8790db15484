"""People of a unit (人员管理): roles, ID and phone checks, masking, leaving, invitations."""
import pytest

from services.demo import demo_id_number

ID_NUMBER = demo_id_number("610113", "19880808", "123")
PHONE = "13912345678"


@pytest.fixture
def unit(make_unit):
    return make_unit("use", "610113")


@pytest.fixture
def admin(unit, make_person, auth_headers):
    return auth_headers(make_person(unit, "unit_admin"))


def person_body(**overrides):
    body = {"name": "赵安全", "id_number": ID_NUMBER, "phone": PHONE,
            "roles": [{"role": "safety_officer"}, {"role": "risk_reporter"}]}
    body.update(overrides)
    return body


def add(client, unit_id, headers, **overrides):
    return client.post(f"/api/v1/units/{unit_id}/people", json=person_body(**overrides), headers=headers)


def test_unit_admin_adds_a_person_with_roles(client, unit, admin):
    response = add(client, unit.id, admin)
    assert response.status_code == 201, response.json
    person = response.json
    assert person["unit_id"] == unit.id
    assert {r["role"] for r in person["roles"]} == {"safety_officer", "risk_reporter"}
    stored = client.get(f"/api/v1/people/{person['id']}", headers=admin).json
    assert {r["role"] for r in stored["roles"]} == {"safety_officer", "risk_reporter"}
    listed = client.get(f"/api/v1/units/{unit.id}/people", headers=admin).json["items"]
    assert person["id"] in [p["id"] for p in listed]


@pytest.mark.parametrize("field, value, code", [
    ("id_number", ID_NUMBER[:-1] + ("0" if ID_NUMBER[-1] != "0" else "1"), "id_number_invalid"),
    ("id_number", "610113198802301234", "id_number_invalid"),
    ("phone", "1391234567", "phone_invalid"),
    ("phone", "phone-number", "phone_invalid"),
])
def test_wrong_id_number_or_phone_is_refused_naming_the_field(client, unit, admin, field, value, code):
    response = add(client, unit.id, admin, **{field: value})
    assert (response.status_code, response.json["code"]) == (422, code)
    assert field in response.json["details"]["fields"]


@pytest.mark.parametrize("kind, roles, status, code", [
    ("use", [{"role": "regulator_staff"}], 422, "role_not_allowed_for_unit"),
    ("use", [{"role": "quality_safety_director"}], 422, "role_not_allowed_for_unit"),
    ("use", [{"role": "operator"}], 422, "certificate_required"),
    ("inspection", [{"role": "inspector", "certificate_no": None}], 422, "certificate_required"),
    ("production", [{"role": "quality_safety_director"}, {"role": "quality_safety_officer"}], 409,
     "roles_exclusive"),
])
def test_roles_must_fit_the_unit_kind_certificates_and_order_73(client, make_unit, make_person, auth_headers,
                                                                  kind, roles, status, code):
    unit = make_unit(kind, "610113")
    headers = auth_headers(make_person(unit, "unit_admin"))
    response = add(client, unit.id, headers, roles=roles)
    assert (response.status_code, response.json["code"]) == (status, code)


def test_certified_role_with_its_certificate_is_accepted(client, unit, admin):
    roles = [{"role": "operator", "certificate_type": "T 电梯作业", "certificate_no": "T-610113-0002"}]
    response = add(client, unit.id, admin, roles=roles)
    assert response.status_code == 201, response.json
    assert response.json["roles"][0]["certificate_no"] == "T-610113-0002"


def test_the_same_id_number_cannot_be_active_in_two_units(client, unit, admin, make_unit, make_person,
                                                          auth_headers):
    other = make_unit("use", "610113")
    other_admin = auth_headers(make_person(other, "unit_admin"))
    assert add(client, unit.id, admin).status_code == 201
    response = add(client, other.id, other_admin, phone="13912345679")
    assert (response.status_code, response.json["code"]) == (409, "person_exists")
    assert "id_number" in response.json["details"]["fields"]


def test_a_person_who_left_can_be_registered_by_a_new_unit(client, unit, admin, make_unit, make_person,
                                                            auth_headers):
    other = make_unit("use", "610113")
    other_admin = auth_headers(make_person(other, "unit_admin"))
    person_id = add(client, unit.id, admin).json["id"]
    assert client.delete(f"/api/v1/people/{person_id}", headers=admin).status_code == 200
    assert add(client, other.id, other_admin).status_code == 201


def test_personal_data_is_whole_only_for_the_person_and_their_unit_admin(client, unit, admin, regulator,
                                                                        auth_headers):
    from core.extensions import db
    from models.orgs import Person

    person_id = add(client, unit.id, admin).json["id"]
    own = auth_headers(db.session.get(Person, person_id))
    masked = (ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:], "139****5678")
    whole = (ID_NUMBER, PHONE)

    def seen(headers):
        body = client.get(f"/api/v1/people/{person_id}", headers=headers).json
        return body["id_number"], body["phone"]

    assert seen(regulator("610113")) == masked
    assert seen(admin) == whole
    assert seen(own) == whole


def test_the_people_list_is_masked(client, unit, admin, regulator):
    add(client, unit.id, admin)
    for headers in (admin, regulator("610113")):
        items = client.get(f"/api/v1/units/{unit.id}/people", headers=headers).json["items"]
        shown = {p["phone"] for p in items} | {p["id_number"] for p in items}
        assert PHONE not in shown and ID_NUMBER not in shown
        assert "139****5678" in shown


def test_a_colleague_who_is_not_admin_cannot_add_people(client, unit, make_person, auth_headers):
    colleague = auth_headers(make_person(unit, "safety_officer"))
    response = add(client, unit.id, colleague)
    assert (response.status_code, response.json["code"]) == (403, "not_unit_admin")


def test_a_unit_cannot_see_or_add_another_units_people(client, unit, admin, make_unit, make_person,
                                                       auth_headers):
    person_id = add(client, unit.id, admin).json["id"]
    stranger = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    assert client.get(f"/api/v1/units/{unit.id}/people", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/people/{person_id}", headers=stranger).status_code == 404
    assert add(client, unit.id, stranger, id_number=None).status_code == 404


def test_a_neighbour_county_regulator_cannot_see_the_person(client, unit, admin, regulator):
    person_id = add(client, unit.id, admin).json["id"]
    assert client.get(f"/api/v1/people/{person_id}", headers=regulator("610103")).status_code == 404


def test_deactivating_a_person_revokes_their_login_and_keeps_the_record(client, unit, admin, make_person,
                                                                         auth_headers):
    person = make_person(unit, "safety_officer")
    theirs = auth_headers(person)
    assert client.get("/api/v1/me", headers=theirs).status_code == 200

    response = client.delete(f"/api/v1/people/{person.id}", headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["status"] == "left"

    after = client.get("/api/v1/me", headers=theirs)
    assert (after.status_code, after.json["code"]) == (401, "token_invalid")
    assert client.get(f"/api/v1/people/{person.id}", headers=admin).json["status"] == "left"
    active = client.get(f"/api/v1/units/{unit.id}/people", headers=admin).json["items"]
    left = client.get(f"/api/v1/units/{unit.id}/people?status=left", headers=admin).json["items"]
    assert person.id not in [p["id"] for p in active]
    assert [p["id"] for p in left] == [person.id]


def test_unit_admin_issues_an_invitation_but_a_colleague_cannot(client, unit, admin, make_person, auth_headers):
    person = make_person(unit, "safety_officer")
    issued = client.post(f"/api/v1/people/{person.id}/invitations", headers=admin)
    assert issued.status_code == 201, issued.json
    assert issued.json["person_id"] == person.id
    assert len(issued.json["code"]) == 8

    colleague = auth_headers(make_person(unit, "risk_reporter"))
    refused = client.post(f"/api/v1/people/{person.id}/invitations", headers=colleague)
    assert (refused.status_code, refused.json["code"]) == (403, "not_inviter")
