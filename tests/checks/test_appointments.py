"""Appointments (Order 74 for use units, Order 73 for production units) and the regulators' list of
units that have not made them."""
from datetime import timedelta

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.orgs import Person


def appoint(client, headers, unit_id: int, person_id: int, role: str, kind_code: str | None = "3000", **extra):
    body = {"person_id": person_id, "role": role, **extra}
    if kind_code is not None:
        body["kind_code"] = kind_code
    return client.post(f"/api/v1/units/{unit_id}/appointments", json=body, headers=headers)


def roles_of(client, headers, person_id: int) -> set[str]:
    response = client.get(f"/api/v1/people/{person_id}", headers=headers)
    assert response.status_code == 200, response.json
    return {r["role"] for r in response.json["roles"]}


def test_the_admin_appoints_a_safety_officer_per_kind_and_the_login_role_follows(client, mall, make_person):
    newcomer = make_person(mall["unit"], "operator", name="新任安全员")
    response = appoint(client, mall["admin_headers"], mall["unit"].id, newcomer.id, "safety_officer", "3000",
                       start_date=(business_today() - timedelta(days=2)).isoformat())
    assert response.status_code == 201, response.json
    made = response.json
    assert (made["role"], made["role_label"], made["kind_code"], made["current"]) == (
        "safety_officer", "安全员", "3000", True)
    assert made["person_name"] == "新任安全员" and made["appointed_by_person_id"] == mall["admin"].id
    assert "safety_officer" in roles_of(client, mall["admin_headers"], newcomer.id)
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "person.role_grant")) is not None

    listed = client.get(f"/api/v1/units/{mall['unit'].id}/appointments?role=safety_officer",
                        headers=mall["director_headers"]).json
    assert newcomer.id in [a["person_id"] for a in listed]
    principal = appoint(client, mall["admin_headers"], mall["unit"].id, mall["admin"].id, "principal", "3000")
    assert principal.status_code == 201 and principal.json["kind_code"] is None  # answers for every kind
    duplicate = appoint(client, mall["admin_headers"], mall["unit"].id, newcomer.id, "safety_officer", "3000")
    assert (duplicate.status_code, duplicate.json["code"]) == (409, "appointment_exists")


def test_safety_posts_are_per_equipment_kind_of_the_catalogue(client, mall):
    unit_id, headers = mall["unit"].id, mall["admin_headers"]
    for kind_code, code in ((None, "kind_code_required"), ("3110", "kind_code_invalid"),
                            ("7000", "kind_code_invalid"), ("ZZZZ", "kind_code_invalid")):
        response = appoint(client, headers, unit_id, mall["director"].id, "safety_director", kind_code)
        assert (response.status_code, response.json["code"]) == (422, code), kind_code


def test_the_role_must_fit_the_unit_kind(client, mall, make_unit, make_person, auth_headers):
    refused = appoint(client, mall["admin_headers"], mall["unit"].id, mall["director"].id, "quality_safety_director")
    assert (refused.status_code, refused.json["code"]) == (422, "role_not_allowed_for_unit")
    maker = make_unit("production", "610113", production_scopes=["maintenance"])
    admin = make_person(maker, "unit_admin")
    engineer = make_person(maker, "qa_staff")
    response = appoint(client, auth_headers(admin), maker.id, engineer.id, "safety_officer")
    assert (response.status_code, response.json["code"]) == (422, "role_not_allowed_for_unit")


def test_order_73_forbids_one_person_being_quality_director_and_quality_officer(client, make_unit, make_person,
                                                                                auth_headers):
    maker = make_unit("production", "610113", production_scopes=["installation", "maintenance"])
    headers = auth_headers(make_person(maker, "unit_admin"))
    engineer = make_person(maker, "qa_staff")
    first = appoint(client, headers, maker.id, engineer.id, "quality_safety_director", None)
    assert first.status_code == 201, first.json
    both = appoint(client, headers, maker.id, engineer.id, "quality_safety_officer", None)
    assert (both.status_code, both.json["code"]) == (409, "roles_exclusive")
    other = make_person(maker, "quality_safety_director")  # the login role alone also counts
    held = appoint(client, headers, maker.id, other.id, "quality_safety_officer", None)
    assert (held.status_code, held.json["code"]) == (409, "roles_exclusive")
    # Ending the appointment keeps the login role: the unit admin manages roles.
    ended = client.post(f"/api/v1/appointments/{first.json['id']}/end", json={}, headers=headers)
    assert ended.status_code == 200
    assert "quality_safety_director" in roles_of(client, headers, engineer.id)


def test_the_appointee_must_be_an_active_person_of_the_unit(client, mall, neighbour):
    stranger = appoint(client, mall["admin_headers"], mall["unit"].id, neighbour["officer"].id, "safety_officer")
    assert (stranger.status_code, stranger.json["code"]) == (422, "appointment_person_invalid")
    db.session.get(Person, mall["reporter"].id).status = "left"
    db.session.flush()
    gone = appoint(client, mall["admin_headers"], mall["unit"].id, mall["reporter"].id, "safety_officer")
    assert (gone.status_code, gone.json["code"]) == (422, "appointment_person_invalid")


def test_only_the_units_admin_or_principal_appoints(client, mall, neighbour, make_person, auth_headers):
    by_officer = appoint(client, mall["officer_headers"], mall["unit"].id, mall["colleague"].id, "safety_director")
    assert (by_officer.status_code, by_officer.json["code"]) == (403, "not_appointer")
    other_admin = auth_headers(make_person(neighbour["unit"], "unit_admin"))
    assert appoint(client, other_admin, mall["unit"].id, mall["colleague"].id, "safety_director").status_code == 404


def test_an_ended_appointment_is_kept_in_the_history(client, mall):
    headers = mall["admin_headers"]
    current = client.get(f"/api/v1/units/{mall['unit'].id}/appointments", headers=headers).json
    officer_post = next(a for a in current if a["person_id"] == mall["colleague"].id)
    early = client.post(f"/api/v1/appointments/{officer_post['id']}/end",
                        json={"end_date": (business_today() - timedelta(days=60)).isoformat()}, headers=headers)
    assert (early.status_code, early.json["code"]) == (422, "end_date_invalid")
    by_officer = client.post(f"/api/v1/appointments/{officer_post['id']}/end", json={},
                             headers=mall["officer_headers"])
    assert by_officer.status_code == 403
    ended = client.post(f"/api/v1/appointments/{officer_post['id']}/end", json={}, headers=headers)
    assert ended.status_code == 200, ended.json
    assert (ended.json["end_date"], ended.json["current"]) == (business_today().isoformat(), False)
    again = client.post(f"/api/v1/appointments/{officer_post['id']}/end", json={}, headers=headers)
    assert (again.status_code, again.json["code"]) == (409, "appointment_ended")

    now = client.get(f"/api/v1/units/{mall['unit'].id}/appointments", headers=headers).json
    history = client.get(f"/api/v1/units/{mall['unit'].id}/appointments?include_ended=true", headers=headers).json
    assert officer_post["id"] not in [a["id"] for a in now]
    assert officer_post["id"] in [a["id"] for a in history]


def test_regulators_list_units_in_their_region_missing_appointments(client, mall, make_unit, make_person,
                                                                   make_equipment, regulator, auth_headers):
    county = regulator("610113")
    # The mall: elevators fully staffed, but its escalator has no responsible officer.
    listed = client.get("/api/v1/checks/missing-appointments", headers=county).json
    assert [u["unit_id"] for u in listed["items"]] == [mall["unit"].id]
    [problem] = listed["items"][0]["problems"]
    assert (problem["kind_code"], problem["devices"], problem["devices_without_officer"],
            problem["missing_roles"]) == ("3000", 4, 1, [])

    # A boiler house with an officer on every device but no appointments at all for boilers.
    plant = make_unit("use", "610113", name="无任命锅炉房")
    stoker = make_person(plant, "safety_officer")
    make_equipment(plant, "1200", use_status="in_use", safety_officer_person_id=stoker.id)
    make_equipment(plant, "1200", use_status="not_in_use")
    # A unit whose only equipment is not in use owes nothing yet.
    idle = make_unit("use", "610113", name="未投用单位")
    make_equipment(idle, "3110", use_status="not_in_use")
    # Another county's unit missing everything.
    far = make_unit("use", "610103", name="碑林区无任命单位")
    make_equipment(far, "3110", use_status="in_use")

    listed = client.get("/api/v1/checks/missing-appointments", headers=county).json
    assert {u["unit_id"] for u in listed["items"]} == {mall["unit"].id, plant.id}
    boiler = next(u for u in listed["items"] if u["unit_id"] == plant.id)["problems"]
    assert boiler == [{"kind_code": "1000", "kind_name": "锅炉", "devices": 1, "devices_without_officer": 0,
                       "missing_roles": ["safety_director", "safety_officer"],
                       "missing_role_labels": ["安全总监", "安全员"]}]
    city = client.get("/api/v1/checks/missing-appointments", headers=regulator("610100")).json
    assert {u["unit_id"] for u in city["items"]} == {mall["unit"].id, plant.id, far.id}

    # The mall names an officer for the escalator and drops out of the list.
    fixed = client.patch(f"/api/v1/equipment/{mall['escalator'].id}", headers=mall["admin_headers"],
                         json={"safety_officer_person_id": mall["colleague"].id})
    assert fixed.status_code == 200, fixed.json
    listed = client.get("/api/v1/checks/missing-appointments", headers=county).json
    assert [u["unit_id"] for u in listed["items"]] == [plant.id]

    # Ending the only director's appointment puts it back, as missing a 安全总监.
    post = next(a for a in client.get(f"/api/v1/units/{mall['unit'].id}/appointments",
                                      headers=mall["admin_headers"]).json if a["role"] == "safety_director")
    client.post(f"/api/v1/appointments/{post['id']}/end", json={}, headers=mall["admin_headers"])
    listed = client.get("/api/v1/checks/missing-appointments?page_size=1", headers=county).json
    assert (listed["total"], listed["page_size"]) == (2, 1)
    mall_row = next(u for u in client.get("/api/v1/checks/missing-appointments", headers=county).json["items"]
                    if u["unit_id"] == mall["unit"].id)
    assert mall_row["problems"][0]["missing_roles"] == ["safety_director"]

    refused = client.get("/api/v1/checks/missing-appointments", headers=mall["admin_headers"])
    assert (refused.status_code, refused.json["code"]) == (403, "not_regulator")
