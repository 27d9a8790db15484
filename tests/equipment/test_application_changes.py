"""变更登记 of each type (TSG 08-2017, domain.md §2.4) and 施工告知 by the production unit."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.equipment import Application
from tests.equipment.test_applications import (add_elevator, applied, apply, city, days, decide, do,  # noqa: F401
                                               registered_elevator, set_equipment, today, upload, yanta, yy)


def change(client, headers, equipment_id, change_type, form, **extra):
    return apply(client, headers, equipment_id, "change_registration", form, change_type=change_type, **extra)


def record(client, headers, equipment_id) -> dict:
    return client.get(f"/api/v1/equipment/{equipment_id}", headers=headers).json


# -- 单位变更 --------------------------------------------------------------------------------------

def test_unit_change_is_refused_while_the_inspection_is_lapsed(client, yanta, city, make_unit):
    new_unit = make_unit("use", "610113")
    equipment = registered_elevator(client, yanta.headers, city)
    set_equipment(equipment["id"], next_due_date=today() - timedelta(days=1))
    response = change(client, yanta.headers, equipment["id"], "unit_change", {"new_use_unit_id": new_unit.id})
    assert (response.status_code, response.json["code"]) == (409, "inspection_lapsed")
    assert "单位变更" in response.json["message"]


def test_unit_change_moves_the_device_to_the_new_unit_which_registers_it_again(
        client, yanta, city, make_unit, make_person, auth_headers, run_jobs):
    new_unit = make_unit("use", "610113", name="新使用单位")
    new_admin = auth_headers(make_person(new_unit, "unit_admin"))
    equipment = registered_elevator(client, yanta.headers, city)
    app_id = applied(change(client, yanta.headers, equipment["id"], "unit_change",
                            {"new_use_unit_id": new_unit.id, "transferred_on": days(-35)}))
    assert client.get(f"/api/v1/equipment-applications/{app_id}", headers=yanta.headers).json["late_days"] == 5
    approved = decide(client, city, app_id)
    proof = approved["form"]["change_certificate_no"]
    assert proof == f"陕A变字〔{today().year}〕第{app_id:06d}号"
    assert approved["form"]["old_certificate_no"] == equipment["registration_cert_no"]

    moved = record(client, new_admin, equipment["id"])
    assert (moved["use_unit_id"], moved["registration_status"], moved["use_status"]) == (
        new_unit.id, "unregistered", "in_use_unregistered")
    assert client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).status_code == 404
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=new_admin).json["items"]
    assert [m["template"] for m in inbox] == ["equipment_unit_changed"]

    again = decide(client, city, applied(apply(client, new_admin, equipment["id"], "use_registration", {})))
    assert again["certificate_no"] == f"梯11陕A00002({yy()})"
    assert record(client, new_admin, equipment["id"])["registration_status"] == "registered"


def test_the_new_use_unit_must_be_an_approved_use_unit(client, yanta, city, make_unit):
    pending = make_unit("use", "610113", status="pending")
    equipment = registered_elevator(client, yanta.headers, city)
    for unit_id in (pending.id, yanta.unit.id, 999999):
        response = change(client, yanta.headers, equipment["id"], "unit_change", {"new_use_unit_id": unit_id})
        assert (response.status_code, response.json["code"]) == (422, "new_use_unit_invalid")
        assert "new_use_unit_id" in response.json["details"]["fields"]["form"]


# -- 改造, 更名, 移装 -------------------------------------------------------------------------------

def test_alteration_issues_a_new_certificate_and_records_the_old_one(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    old = equipment["registration_cert_no"]
    approved = decide(client, city, applied(change(client, yanta.headers, equipment["id"], "alteration",
                                                   {"completed_on": days(-2)})))
    assert approved["certificate_no"] == f"梯11陕A00002({yy()})"
    assert f"原编号 {old} 作废" in approved["events"][-1]["note"]
    assert record(client, yanta.headers, equipment["id"])["registration_cert_no"] == approved["certificate_no"]


def test_rename_replaces_the_certificate(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    approved = decide(client, city, applied(change(client, yanta.headers, equipment["id"], "rename",
                                                   {"new_name": "雁塔演示商业管理有限公司"})))
    assert approved["certificate_no"] != equipment["registration_cert_no"]


def test_an_approved_rename_shows_the_new_name_on_the_devices_their_cards_and_pages(client, yanta, city):
    from services.equipment.onecode import active_code, assign_many

    equipment = registered_elevator(client, yanta.headers, city)
    sibling = registered_elevator(client, yanta.headers, city)  # another device of the same unit
    assign_many([equipment["id"], sibling["id"]], None)
    codes = [active_code(equipment["id"]).code, active_code(sibling["id"]).code]
    for code in codes:  # cached under the old name
        assert client.get(f"/api/v1/scan/{code}").json["card"]["use_unit_name"] == "雁塔演示商场有限公司"
        assert "雁塔演示商场有限公司" in client.get(f"/c/{code}").get_data(as_text=True)

    approved = decide(client, city, applied(change(client, yanta.headers, equipment["id"], "rename",
                                                   {"new_name": "雁塔演示商业管理有限公司"})))
    assert "使用单位名称变更为「雁塔演示商业管理有限公司」" in approved["events"][-1]["note"]
    for equipment_id, code in zip((equipment["id"], sibling["id"]), codes):
        assert record(client, yanta.headers, equipment_id)["use_unit_name"] == "雁塔演示商业管理有限公司"
        assert client.get(f"/api/v1/scan/{code}").json["card"]["use_unit_name"] == "雁塔演示商业管理有限公司"
        page = client.get(f"/c/{code}").get_data(as_text=True)
        assert "雁塔演示商业管理有限公司" in page and "雁塔演示商场有限公司" not in page
    renamed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "unit.rename",
                                                         AuditEntry.entity_id == str(yanta.unit.id)))
    assert renamed.before["name"] == "雁塔演示商场有限公司"
    assert (renamed.after["name"], renamed.after["application_id"]) == ("雁塔演示商业管理有限公司", approved["id"])


def test_relocation_within_the_office_moves_the_device_with_a_new_certificate(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    approved = decide(client, city, applied(change(client, yanta.headers, equipment["id"], "relocation",
                                                   {"new_address": "西安市碑林区演示街 2 号", "new_region_code": "610103"})))
    moved = record(client, yanta.headers, equipment["id"])
    assert (moved["region_code"], moved["address"]) == ("610103", "西安市碑林区演示街 2 号")
    assert moved["registration_cert_no"] == approved["certificate_no"]


def test_relocation_to_another_office_must_be_reported_as_moving_out(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    response = change(client, yanta.headers, equipment["id"], "relocation",
                      {"new_address": "渭南市临渭区演示路 1 号", "new_region_code": "610502"})
    assert (response.status_code, response.json["code"]) == (409, "relocation_crosses_office")
    within = change(client, yanta.headers, equipment["id"], "relocation_out", {"new_region_code": "610103"})
    assert (within.status_code, within.json["code"]) == (409, "relocation_within_office")


def test_moving_out_cancels_at_the_origin_and_the_new_office_registers_it(client, yanta, city, regulator):
    weinan = regulator("610500")
    equipment = registered_elevator(client, yanta.headers, city)
    out = decide(client, city, applied(change(client, yanta.headers, equipment["id"], "relocation_out",
                                              {"new_region_code": "610502"})))
    assert out["form"]["change_certificate_no"].startswith("陕A变字")
    gone = record(client, yanta.headers, equipment["id"])
    assert (gone["registration_status"], gone["use_status"]) == ("cancelled", "moved_out")

    no_place = apply(client, yanta.headers, equipment["id"], "use_registration", {})
    assert (no_place.status_code, no_place.json["code"]) == (422, "moved_in_place_required")
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration",
                           {"region_code": "610502", "address": "渭南市临渭区演示路 1 号"}))
    assert do(client, city, app_id, "accept").status_code == 404  # no longer 西安's to see
    approved = decide(client, weinan, app_id)
    assert (approved["office_region_code"], approved["certificate_no"]) == ("610500", f"梯11陕E00001({yy()})")
    arrived = record(client, yanta.headers, equipment["id"])
    assert (arrived["region_code"], arrived["registration_status"], arrived["use_status"]) == (
        "610502", "registered", "in_use")


def test_continued_use_past_the_design_life_needs_an_inspection_or_assessment_report(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    response = change(client, yanta.headers, equipment["id"], "continued_use",
                      {"evidence_type": "safety_assessment", "report_no": "PG-2026-01"})
    assert response.status_code == 422
    assert "report_file_id" in response.json["details"]["fields"]["form"]
    report = upload(client, yanta.headers, "安全评估报告.pdf")
    ok = change(client, yanta.headers, equipment["id"], "continued_use",
                {"evidence_type": "safety_assessment", "report_no": "PG-2026-01", "report_file_id": report})
    assert ok.status_code == 201 and ok.json["documents"] == [report]
    assert decide(client, city, ok.json["id"])["status"] == "approved"


@pytest.mark.parametrize("change_type,form", [("rename", {"new_name": "新名称"}),
                                              ("alteration", {"completed_on": "2026-01-01"})])
def test_change_registration_needs_registered_equipment(client, yanta, change_type, form):
    equipment = add_elevator(client, yanta.headers)
    response = change(client, yanta.headers, equipment["id"], change_type, form)
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_registered")
    assert "在册" in response.json["message"]


def test_scrapped_equipment_cannot_change(client, yanta, make_equipment):
    equipment = make_equipment(yanta.unit, use_status="scrapped", registration_status="cancelled")
    response = change(client, yanta.headers, equipment.id, "rename", {"new_name": "新名称"})
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_in_service")


# -- 施工告知 -------------------------------------------------------------------------------------

@pytest.fixture
def installer(make_unit, make_person, auth_headers):
    unit = make_unit("production", "610113", name="演示电梯安装公司", production_scopes=["installation", "maintenance"])
    return auth_headers(make_person(unit, "unit_admin"))


def notice(**overrides):
    return {"work_type": "installation", "planned_start_date": days(3), "contact_name": "施工负责人",
            "contact_phone": "029-88888888", **overrides}


def test_the_installing_unit_files_a_construction_notice_before_work_starts(client, yanta, city, installer):
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, installer, equipment["id"], "construction_notice", notice())
    assert response.status_code == 201, response.json
    assert (response.json["status"], response.json["office_region_code"]) == ("submitted", "610100")
    assert client.get("/api/v1/equipment-applications", headers=installer).json["total"] == 1
    approved = decide(client, city, response.json["id"])
    assert approved["certificate_no"] is None
    assert record(client, yanta.headers, equipment["id"])["registration_status"] == "unregistered"


def test_a_construction_notice_after_work_started_is_refused(client, yanta, installer):
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, installer, equipment["id"], "construction_notice", notice(planned_start_date=days(-1)))
    assert (response.status_code, response.json["code"]) == (422, "construction_already_started")


def test_a_construction_notice_under_an_expired_licence_is_refused(client, yanta, make_unit, make_person,
                                                                     auth_headers):
    unit = make_unit("production", "610113", production_scopes=["installation"],
                     licence_expiry=business_today() - timedelta(days=1))
    headers = auth_headers(make_person(unit, "unit_admin"))
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, headers, equipment["id"], "construction_notice", notice())
    assert (response.status_code, response.json["code"]) == (422, "licence_expired")
    assert "生产许可证" in response.json["message"]


def test_construction_notices_come_from_a_unit_licensed_for_the_work(client, yanta, installer):
    equipment = add_elevator(client, yanta.headers)
    by_use_unit = apply(client, yanta.headers, equipment["id"], "construction_notice", notice())
    assert (by_use_unit.status_code, by_use_unit.json["code"]) == (403, "not_construction_unit")
    unlicensed = apply(client, installer, equipment["id"], "construction_notice", notice(work_type="alteration"))
    assert (unlicensed.status_code, unlicensed.json["code"]) == (403, "production_scope_missing")
    unknown = apply(client, installer, 999999, "construction_notice", notice())
    assert (unknown.status_code, unknown.json["code"]) == (404, "equipment_not_found")


def test_a_construction_notice_does_not_block_the_registration(client, yanta, city, installer):
    equipment = add_elevator(client, yanta.headers)
    applied(apply(client, installer, equipment["id"], "construction_notice", notice()))
    applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    kinds = set(db.session.scalars(select(Application.kind).where(Application.equipment_id == equipment["id"])))
    assert kinds == {"construction_notice", "use_registration"}
