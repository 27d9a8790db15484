"""Monitoring points and reporters (guidance 二(一)(二)), through the API."""
from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from models.orgs import Person, Unit
from models.risk import MonitoringPoint, Reporter
from tests.risk.conftest import fresh, new_id_number


def _designate(client, headers, unit_id, point_type, manager_id):
    return client.post("/api/v1/risk/points", json={"unit_id": unit_id, "point_type": point_type,
                                                    "manager_person_id": manager_id}, headers=headers)


def _add_reporter(client, headers, point_id, person_id, is_expert=False):
    return client.post(f"/api/v1/risk/points/{point_id}/reporters",
                       json={"person_id": person_id, "is_expert": is_expert}, headers=headers)


# -- control level (domain.md §9) ----------------------------------------------------------------

def test_a_regulator_in_scope_sets_a_use_units_control_level_and_it_is_audited(client, risk, make_unit):
    unit = make_unit("use", "610113")
    response = client.put(f"/api/v1/units/{unit.id}/control-level", json={"control_level": "二级"},
                          headers=risk.county.headers)
    assert response.status_code == 200, response.json
    assert response.json["control_level"] == "二级"
    assert fresh(Unit, unit.id).control_level == "二级"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.control_level",
                                                       AuditEntry.entity_id == str(unit.id)))
    assert entry.before == {"control_level": None} and entry.after == {"control_level": "二级"}
    assert entry.actor_person_id == risk.county.staff.id


def test_only_regulators_in_scope_set_the_control_level(client, risk, make_unit):
    unit = make_unit("use", "610113")
    assert client.put(f"/api/v1/units/{unit.id}/control-level", json={"control_level": "一级"},
                      headers=risk.other_county.headers).status_code == 404
    own = client.put(f"/api/v1/units/{risk.use.unit.id}/control-level", json={"control_level": "二级"},
                     headers=risk.use.admin_headers)
    assert own.status_code == 403
    assert client.put(f"/api/v1/units/{unit.id}/control-level", json={"control_level": "三级"},
                      headers=risk.county.headers).status_code == 422
    agency = client.put(f"/api/v1/units/{risk.inspection.unit.id}/control-level", json={"control_level": "一级"},
                        headers=risk.hancheng.headers)
    assert agency.status_code == 409 and agency.json["code"] == "control_level_not_applicable"
    assert fresh(Unit, unit.id).control_level is None


def test_the_control_level_of_an_active_use_point_cannot_be_cleared(client, risk):
    response = client.put(f"/api/v1/units/{risk.use.unit.id}/control-level", json={"control_level": None},
                          headers=risk.county.headers)
    assert response.status_code == 409 and response.json["code"] == "control_level_in_use"


# -- points --------------------------------------------------------------------------------------

def test_a_county_designates_a_controlled_use_unit_as_a_point(client, risk, make_unit, make_person):
    unit = make_unit("use", "610113", control_level="二级")
    manager = make_person(unit, "safety_director")
    response = _designate(client, risk.county.headers, unit.id, "use", manager.id)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["point_type"] == "use" and body["region_code"] == "610113" and body["status"] == "active"
    assert body["manager"]["id"] == manager.id and body["reporter_count"] == 0
    point = fresh(MonitoringPoint, body["id"])
    assert point.designated_by_person_id == risk.county.staff.id


def test_a_use_unit_without_a_control_level_cannot_be_a_point(client, risk, make_unit, make_person):
    unit = make_unit("use", "610113")
    manager = make_person(unit, "unit_admin")
    response = _designate(client, risk.county.headers, unit.id, "use", manager.id)
    assert response.status_code == 409 and response.json["code"] == "control_level_required"
    client.put(f"/api/v1/units/{unit.id}/control-level", json={"control_level": "一级"}, headers=risk.county.headers)
    assert _designate(client, risk.county.headers, unit.id, "use", manager.id).status_code == 201


def test_the_point_type_must_fit_the_unit(client, risk, make_unit, make_person):
    filling = make_unit("filling", "610113", control_level="一级")
    manager = make_person(filling, "unit_admin")
    for wrong in ("use", "inspection", "supervision"):
        response = _designate(client, risk.county.headers, filling.id, wrong, manager.id)
        assert response.status_code == 409, wrong
        assert response.json["code"] in ("point_type_mismatch", "control_level_required")
    assert _designate(client, risk.county.headers, filling.id, "production", manager.id).status_code == 201

    agency = make_unit("inspection", "610113")
    inspector = make_person(agency, "inspector")
    assert _designate(client, risk.county.headers, agency.id, "production", inspector.id).status_code == 409
    assert _designate(client, risk.county.headers, agency.id, "inspection", inspector.id).status_code == 201


def test_city_and_county_bodies_are_supervision_points_but_not_the_province(client, risk):
    county = _designate(client, risk.county.headers, risk.county.unit.id, "supervision", risk.county.staff.id)
    assert county.status_code == 201, county.json
    province = _designate(client, risk.province.headers, risk.province.unit.id, "supervision", risk.province.staff.id)
    assert province.status_code == 409 and province.json["code"] == "point_type_mismatch"


def test_one_active_point_per_unit(client, risk, make_person):
    other_manager = make_person(risk.use.unit, "unit_admin")
    response = _designate(client, risk.county.headers, risk.use.unit.id, "use", other_manager.id)
    assert response.status_code == 409 and response.json["code"] == "point_exists"


def test_the_manager_must_be_an_active_person_of_the_unit(client, risk, make_unit, make_person):
    unit = make_unit("production", "610113", production_scopes=["manufacture"])
    outsider = make_person(risk.use.unit, "operator")
    response = _designate(client, risk.county.headers, unit.id, "production", outsider.id)
    assert response.status_code == 422 and "manager_person_id" in response.json["details"]["fields"]
    left = make_person(unit, "operator")
    left.status = "left"
    db.session.flush()
    assert _designate(client, risk.county.headers, unit.id, "production", left.id).status_code == 422


def test_only_a_regulator_in_scope_designates(client, risk, make_unit, make_person):
    unit = make_unit("production", "610113", production_scopes=["manufacture"])
    manager = make_person(unit, "unit_admin")
    assert _designate(client, risk.other_county.headers, unit.id, "production", manager.id).status_code == 404
    assert _designate(client, risk.hancheng.headers, unit.id, "production", manager.id).status_code == 404
    own = _designate(client, {**risk.use.admin_headers}, risk.use.unit.id, "use", risk.use.admin.id)
    assert own.status_code == 403
    assert _designate(client, risk.city.headers, unit.id, "production", manager.id).status_code == 201


def test_a_regulator_revokes_a_point_and_its_reporters_end(client, risk):
    point_id, person = risk.use.point.id, risk.use.reporter_person
    assert client.post(f"/api/v1/risk/points/{point_id}/revoke", json={}, headers=risk.other_county.headers
                       ).status_code == 404
    assert client.post(f"/api/v1/risk/points/{point_id}/revoke", json={}, headers=risk.use.manager_headers
                       ).status_code == 403
    response = client.post(f"/api/v1/risk/points/{point_id}/revoke", json={"reason": "不再列为管控单位"},
                           headers=risk.county.headers)
    assert response.status_code == 200 and response.json["status"] == "revoked"
    assert fresh(Reporter, risk.use.reporter.id).status == "revoked"
    assert "risk_reporter" not in fresh(Person, person.id).role_codes
    again = client.post(f"/api/v1/risk/points/{point_id}/revoke", json={}, headers=risk.county.headers)
    assert again.status_code == 409
    new_point = _designate(client, risk.county.headers, risk.use.unit.id, "use", risk.use.manager.id)
    assert new_point.status_code == 201


def test_point_lists_are_scoped(client, risk):
    county = client.get("/api/v1/risk/points", headers=risk.county.headers).json
    assert {p["unit_id"] for p in county["items"]} == {risk.use.unit.id, risk.production.unit.id}
    city = client.get("/api/v1/risk/points", headers=risk.city.headers).json
    assert {p["unit_id"] for p in city["items"]} == {risk.use.unit.id, risk.production.unit.id, risk.city.unit.id}
    assert client.get("/api/v1/risk/points", headers=risk.other_county.headers).json["total"] == 0
    province = client.get("/api/v1/risk/points?point_type=inspection", headers=risk.province.headers).json
    assert [p["unit_id"] for p in province["items"]] == [risk.inspection.unit.id]
    assert province["items"][0]["region_level"] == "city"  # 韩城 acts as a city
    own = client.get("/api/v1/risk/points", headers=risk.use.reporter_headers).json
    assert [p["unit_id"] for p in own["items"]] == [risk.use.unit.id]
    assert client.get(f"/api/v1/risk/points/{risk.use.point.id}", headers=risk.mall.admin_headers).status_code == 404


def test_the_manager_can_be_changed(client, risk, make_person):
    successor = make_person(risk.use.unit, "safety_officer")
    response = client.patch(f"/api/v1/risk/points/{risk.use.point.id}", json={"manager_person_id": successor.id},
                            headers=risk.use.admin_headers)
    assert response.status_code == 200 and response.json["manager"]["id"] == successor.id
    denied = client.patch(f"/api/v1/risk/points/{risk.use.point.id}", json={"manager_person_id": successor.id},
                          headers=risk.use.reporter_headers)
    assert denied.status_code == 403


# -- reporters -------------------------------------------------------------------------------------

def test_the_manager_designates_reporters_and_the_role_is_granted(client, risk, make_person):
    worker = make_person(risk.use.unit, "operator", id_number=new_id_number())
    assert "risk_reporter" not in worker.role_codes
    response = _add_reporter(client, risk.use.manager_headers, risk.use.point.id, worker.id)
    assert response.status_code == 201, response.json
    assert response.json["info_complete"] is True and response.json["is_expert"] is False
    assert "risk_reporter" in fresh(Person, worker.id).role_codes
    # use units: one or more
    for _ in range(3):
        another = make_person(risk.use.unit, "operator")
        assert _add_reporter(client, risk.use.manager_headers, risk.use.point.id, another.id).status_code == 201
    listed = client.get(f"/api/v1/risk/points/{risk.use.point.id}/reporters", headers=risk.county.headers)
    assert len(listed.json) == 5


def test_a_regulator_in_scope_may_designate_reporters_but_not_a_colleague(client, risk, make_person):
    worker = make_person(risk.use.unit, "operator")
    assert _add_reporter(client, risk.use.director_headers, risk.use.point.id, worker.id).status_code == 403
    assert _add_reporter(client, risk.county.headers, risk.use.point.id, worker.id).status_code == 201


def test_a_reporter_must_belong_to_the_points_unit(client, risk):
    response = _add_reporter(client, risk.use.manager_headers, risk.use.point.id, risk.mall.admin.id)
    assert response.status_code == 422 and response.json["code"] == "reporter_not_in_unit"


def test_production_and_filling_points_have_one_or_two_reporters(client, risk, make_person):
    second = make_person(risk.production.unit, "operator")
    assert _add_reporter(client, risk.production.manager_headers, risk.production.point.id, second.id
                         ).status_code == 201
    third = make_person(risk.production.unit, "operator")
    response = _add_reporter(client, risk.production.manager_headers, risk.production.point.id, third.id)
    assert response.status_code == 409
    assert response.json["code"] == "reporter_limit_reached" and response.json["details"]["limit"] == 2
    revoked = client.post(f"/api/v1/risk/reporters/{risk.production.reporter.id}/revoke",
                          headers=risk.production.manager_headers)
    assert revoked.status_code == 200
    assert _add_reporter(client, risk.production.manager_headers, risk.production.point.id, third.id
                         ).status_code == 201


def test_a_person_is_designated_once_per_point(client, risk):
    response = _add_reporter(client, risk.use.manager_headers, risk.use.point.id, risk.use.reporter_person.id)
    assert response.status_code == 409 and response.json["code"] == "reporter_exists"


def test_a_revoked_reporter_can_be_designated_again(client, risk):
    client.post(f"/api/v1/risk/reporters/{risk.use.reporter.id}/revoke", headers=risk.use.manager_headers)
    assert "risk_reporter" not in fresh(Person, risk.use.reporter_person.id).role_codes
    again = _add_reporter(client, risk.use.manager_headers, risk.use.point.id, risk.use.reporter_person.id)
    assert again.status_code == 201 and again.json["id"] == risk.use.reporter.id
    assert "risk_reporter" in fresh(Person, risk.use.reporter_person.id).role_codes


def test_city_and_county_bureaus_designate_experts_of_their_region(client, risk, make_unit, make_person):
    expert_unit = make_unit("inspection", "610113", name="西安某检测公司")
    expert = make_person(expert_unit, "expert", id_number=new_id_number())
    response = _add_reporter(client, risk.city.headers, risk.supervision.point.id, expert.id, is_expert=True)
    assert response.status_code == 201, response.json
    assert response.json["is_expert"] is True
    far = make_person(risk.inspection.unit, "expert")
    outside = _add_reporter(client, risk.city.headers, risk.supervision.point.id, far.id, is_expert=True)
    assert outside.status_code == 409 and outside.json["code"] == "expert_outside_region"
    at_a_use_point = _add_reporter(client, risk.use.manager_headers, risk.use.point.id, expert.id, is_expert=True)
    assert at_a_use_point.status_code == 409 and at_a_use_point.json["code"] == "expert_not_allowed"


def test_an_expert_reporter_reports_for_the_bureau(client, risk, make_unit, make_person, auth_headers):
    expert_unit = make_unit("inspection", "610113", name="西安某检测公司")
    expert = make_person(expert_unit, "expert", id_number=new_id_number())
    _add_reporter(client, risk.city.headers, risk.supervision.point.id, expert.id, is_expert=True)
    response = client.post("/api/v1/risk/reports", headers=auth_headers(expert, client="miniapp"), json={
        "area": "inspection", "kind": "suggestion", "title": "建议统一检验报告模板", "body": "各机构模板不一。"})
    assert response.status_code == 201, response.json
    assert response.json["level"] == "city" and response.json["holder_region_code"] == "610100"


def test_a_supervision_bodys_officer_is_its_reporter(client, risk, make_person):
    officer = make_person(risk.county.unit, "regulator_staff", id_number=new_id_number())
    point = _designate(client, risk.county.headers, risk.county.unit.id, "supervision", risk.county.staff.id).json
    assert _add_reporter(client, risk.county.headers, point["id"], officer.id).status_code == 201
    assert _add_reporter(client, risk.county.headers, point["id"], risk.use.reporter_person.id).status_code == 422


def test_my_designations_say_what_information_is_missing(client, risk, make_person, auth_headers):
    worker = make_person(risk.use.unit, "operator")  # no ID number
    _add_reporter(client, risk.use.manager_headers, risk.use.point.id, worker.id)
    mine = client.get("/api/v1/risk/reporters/me", headers=auth_headers(worker, client="miniapp"))
    assert mine.status_code == 200
    assert mine.json[0]["point_id"] == risk.use.point.id
    assert mine.json[0]["info_complete"] is False
    assert [m["field"] for m in mine.json[0]["info_missing"]] == ["id_number"]


def test_a_reporter_of_two_points_chooses_the_point(client, risk, make_unit, make_person, auth_headers):
    expert = risk.production.reporter_person  # a production unit's reporter, also a city expert
    assert _add_reporter(client, risk.city.headers, risk.supervision.point.id, expert.id,
                         is_expert=True).status_code == 201
    headers = risk.production.reporter_headers
    body = {"area": "production", "kind": "problem", "title": "配件质量问题", "body": "梳齿板配件质量不稳定。"}
    response = client.post("/api/v1/risk/reports", json=body, headers=headers)
    assert response.status_code == 422 and response.json["code"] == "point_required"
    chosen = client.post("/api/v1/risk/reports", json={**body, "point_id": risk.supervision.point.id},
                         headers=headers)
    assert chosen.status_code == 201 and chosen.json["holder_region_code"] == "610100"
    other = make_unit("production", "610113", production_scopes=["manufacture"])
    stranger_point = MonitoringPoint(unit_id=other.id, point_type="production", region_code="610113",
                                     manager_person_id=make_person(other, "unit_admin").id, status="active")
    db.session.add(stranger_point)
    db.session.flush()
    wrong = client.post("/api/v1/risk/reports", json={**body, "point_id": stranger_point.id}, headers=headers)
    assert wrong.status_code == 422 and wrong.json["code"] == "point_not_yours"
