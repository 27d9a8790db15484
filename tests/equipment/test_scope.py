"""Scope (陕市监发〔2024〕454号, domain.md §10): 公用管道 and 长输管道 are outside lifecycle business,
Xi'an's elevators too (settings); and a step done offline is recorded so later business goes on."""
import pytest

from core.audit import AuditEntry
from core.extensions import db
from models.equipment import Application
from tests.equipment.test_application_changes import change, record
from tests.equipment.test_applications import (add_elevator, applied, apply, city, days, decide,  # noqa: F401
                                               registered_elevator, yanta)


@pytest.mark.parametrize("catalogue_code", ["8210", "8110"])
def test_public_and_long_distance_pipelines_are_outside_lifecycle_business(client, yanta, make_equipment,
                                                                            catalogue_code):
    pipeline = make_equipment(yanta.unit, catalogue_code)
    response = apply(client, yanta.headers, pipeline.id, "use_registration", {"put_into_use_date": days(0)})
    assert (response.status_code, response.json["code"]) == (422, "lifecycle_out_of_scope")
    assert "不在本平台办理" in response.json["message"] and "454号" in response.json["message"]
    industrial = make_equipment(yanta.unit, "8310")  # 工业管道 stays in
    assert apply(client, yanta.headers, industrial.id, "use_registration",
                 {"put_into_use_date": days(0)}).status_code == 201


def test_lifting_the_pipeline_exclusion_takes_the_business(client, app, monkeypatch, yanta, make_equipment):
    monkeypatch.setitem(app.config, "LIFECYCLE_EXCLUDED_CATEGORIES", ["8100"])
    pipeline = make_equipment(yanta.unit, "8210")
    assert apply(client, yanta.headers, pipeline.id, "use_registration",
                 {"put_into_use_date": days(0)}).status_code == 201


def test_xian_elevators_are_outside_lifecycle_business_when_set(client, app, monkeypatch, yanta, city):
    equipment = add_elevator(client, yanta.headers)  # 雁塔区, in 西安市's subtree
    monkeypatch.setitem(app.config, "LIFECYCLE_EXCLUDED_REGION_KINDS", {"610100": ["3000"]})
    response = apply(client, yanta.headers, equipment["id"], "use_registration", {"put_into_use_date": days(0)})
    assert (response.status_code, response.json["code"]) == (422, "lifecycle_out_of_scope")
    assert response.json["message"].startswith("西安市电梯的使用登记等全生命周期业务在西安市平台办理，本平台不受理")
    assert response.json["details"]["reason"] == "excluded_region"
    monkeypatch.setitem(app.config, "LIFECYCLE_EXCLUDED_REGION_KINDS", {"610100": ["4000"]})  # cranes only
    assert apply(client, yanta.headers, equipment["id"], "use_registration",
                 {"put_into_use_date": days(0)}).status_code == 201


def test_a_draft_made_before_the_exclusion_is_refused_on_submit(client, app, monkeypatch, yanta):
    equipment = add_elevator(client, yanta.headers)
    draft = apply(client, yanta.headers, equipment["id"], "use_registration", {"put_into_use_date": days(0)},
                  submit=False).json
    monkeypatch.setitem(app.config, "LIFECYCLE_EXCLUDED_REGION_KINDS", {"610100": ["3000"]})
    response = client.post(f"/api/v1/equipment-applications/{draft['id']}/submit", json={}, headers=yanta.headers)
    assert (response.status_code, response.json["code"]) == (422, "lifecycle_out_of_scope")


def test_moving_an_elevator_into_an_excluded_region_is_refused(client, app, monkeypatch, make_unit, make_person,
                                                               auth_headers, regulator):
    unit = make_unit("use", "610581", name="韩城演示商场")  # 韩城, outside Xi'an
    headers = auth_headers(make_person(unit, "unit_admin"))
    equipment = registered_elevator(client, headers, regulator("610581"), region_code="610581")
    monkeypatch.setitem(app.config, "LIFECYCLE_EXCLUDED_REGION_KINDS", {"610100": ["3000"]})
    response = change(client, headers, equipment["id"], "relocation_out", {"new_region_code": "610113"})
    assert (response.status_code, response.json["code"]) == (422, "lifecycle_out_of_scope")


# -- a step done offline -----------------------------------------------------------------------------

def offline(client, headers, equipment_id, kind, form=None, **extra):
    body = {"kind": kind, "form": form or {}, "done_on": days(-20), **extra}
    return client.post(f"/api/v1/equipment/{equipment_id}/offline-records", json=body, headers=headers)


def test_an_offline_relocation_moves_the_device_and_a_change_can_follow(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    response = offline(client, city, equipment["id"], "change_registration", change_type="relocation",
                       form={"new_address": "西安市碑林区演示街 9 号", "new_region_code": "610103"},
                       certificate_no="梯11陕A09999(26)", note="2026 年纸质办理")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "approved" and body["offline"] is True and body["certificate_no"] == "梯11陕A09999(26)"
    assert body["applicant_unit_id"] == yanta.unit.id
    assert [e["action"] for e in body["events"]] == ["record_offline"]
    moved = record(client, yanta.headers, equipment["id"])
    assert (moved["region_code"], moved["address"]) == ("610103", "西安市碑林区演示街 9 号")
    assert moved["registration_cert_no"] == "梯11陕A09999(26)"
    assert db.session.query(AuditEntry).filter_by(action="equipment_application.record_offline",
                                                 entity_id=str(body["id"])).count() == 1
    following = change(client, yanta.headers, equipment["id"], "rename", {"new_name": "雁塔演示商业管理有限公司"})
    assert following.status_code == 201, following.json
    assert decide(client, city, applied(following))["status"] == "approved"


def test_an_offline_use_registration_lets_a_change_registration_be_applied_for(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    before = change(client, yanta.headers, equipment["id"], "alteration", {"completed_on": days(-1)})
    assert (before.status_code, before.json["code"]) == (409, "equipment_not_registered")
    recorded = offline(client, city, equipment["id"], "use_registration", certificate_no="梯11陕A08888(25)")
    assert recorded.status_code == 201, recorded.json
    device = record(client, yanta.headers, equipment["id"])
    assert (device["registration_status"], device["use_status"]) == ("registered", "in_use")
    assert device["registration_cert_no"] == "梯11陕A08888(25)"
    assert change(client, yanta.headers, equipment["id"], "alteration",
                  {"completed_on": days(-1)}).status_code == 201


def test_only_the_registration_office_records_an_offline_step(client, yanta, city, regulator):
    equipment = add_elevator(client, yanta.headers)
    for headers in (yanta.headers, regulator("610113")):
        response = offline(client, headers, equipment["id"], "use_registration", certificate_no="梯11陕A07777(25)")
        assert response.status_code in (403, 404)
    assert db.session.query(Application).filter_by(equipment_id=equipment["id"]).count() == 0


def test_an_offline_record_needs_its_certificate_number_and_a_past_date(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    missing = offline(client, city, equipment["id"], "use_registration")
    assert (missing.status_code, missing.json["code"]) == (422, "certificate_no_required")
    future = offline(client, city, equipment["id"], "use_registration", certificate_no="梯11陕A07777(25)",
                     done_on=days(1))
    assert (future.status_code, future.json["code"]) == (422, "done_on_in_future")
    notice = offline(client, city, equipment["id"], "construction_notice")
    assert (notice.status_code, notice.json["code"]) == (422, "offline_kind_invalid")
