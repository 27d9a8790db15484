"""Every kind of application the notice names: 监督检验 by the production unit doing the work
(before registration), 首次检验, 定期检验, elevator 自行检测, 年度检查, boiler 外部/内部检验; the type
must fit the category; the excluded pipelines keep their message; a 复检 names a failed result."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from core.extensions import db
from core.timeutil import business_today
from models.equipment import Application
from models.inspection import InspectionResult


@pytest.fixture
def installer(make_unit, make_person, auth_headers):
    """An elevator installer licensed for installation and alteration (not repair)."""
    unit = make_unit("production", "610113", name="雁塔电梯安装有限公司", production_scopes=["installation", "alteration"])
    admin = make_person(unit, "unit_admin")
    return SimpleNamespace(unit=unit, headers=auth_headers(admin),
                           officer=auth_headers(make_person(unit, "quality_safety_officer")))


@pytest.fixture
def new_lift(make_equipment, yanta, installer):
    """An elevator being installed at the mall: not registered, not in use, its installer named."""
    return make_equipment(yanta.unit, "3110", installer_unit_id=installer.unit.id)


def supervise(apply, equipment, installer, work_type="installation", **overrides):
    return apply(equipment.id, headers=installer.headers, inspection_type="supervision", work_type=work_type,
                 **overrides)


def test_the_installer_applies_for_installation_supervision_before_the_device_is_registered(
        client, apply, new_lift, installer, agency, run_jobs):
    response = supervise(apply, new_lift, installer)
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["inspection_type_label"], body["work_type"], body["work_type_label"]) == ("监督检验", "installation", "安装")
    assert (body["applicant_unit_name"], body["late"]) == ("雁塔电梯安装有限公司", False)
    assert client.get("/api/v1/inspection/applications", headers=installer.headers).json["total"] == 1
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=agency.headers).json["items"]
    assert "雁塔电梯安装有限公司申请监督检验" in inbox[0]["body"]


def test_a_unit_that_filed_a_construction_notice_applies_for_the_supervision_of_that_work(
        apply, make_equipment, yanta, installer):
    registered = make_equipment(yanta.unit, "3110", use_status="in_use", registration_status="registered")
    unlinked = supervise(apply, registered, installer, work_type="alteration")
    assert (unlinked.status_code, unlinked.json["code"]) == (404, "equipment_not_found")  # not even its existence
    assert "施工告知" in unlinked.json["message"]
    db.session.add(Application(kind="construction_notice", equipment_id=registered.id,
                               applicant_unit_id=installer.unit.id, region_code="610113", office_region_code="610100",
                               status="submitted", form={"work_type": "alteration"}))
    db.session.flush()
    assert supervise(apply, registered, installer, work_type="alteration").status_code == 201


def test_a_linked_production_unit_still_needs_the_notice_of_that_very_work(apply, new_lift, installer):
    """Named as installer, it may apply for the installation's supervision, not an alteration's."""
    refused = supervise(apply, new_lift, installer, work_type="alteration")
    assert (refused.status_code, refused.json["code"]) == (422, "supervision_work_not_notified")
    assert "施工告知" in refused.json["message"] and list(refused.json["details"]["fields"]) == ["equipment_id"]


def test_the_agencies_picker_tells_a_production_unit_nothing_of_a_device_it_is_not_linked_to(
        client, make_equipment, yanta, installer):
    registered = make_equipment(yanta.unit, "3110", use_status="in_use", registration_status="registered")
    response = client.get("/api/v1/inspection/agencies", headers=installer.headers,
                          query_string={"equipment_id": registered.id, "inspection_type": "supervision"})
    assert (response.status_code, response.json["code"]) == (404, "equipment_not_found")


def test_supervision_comes_from_a_production_unit_licensed_for_the_work(apply, new_lift, installer, yanta,
                                                                         make_unit, make_person, auth_headers):
    repair = supervise(apply, new_lift, installer, work_type="major_repair")
    assert (repair.status_code, repair.json["code"]) == (403, "production_scope_missing")
    assert "修理" in repair.json["message"]
    by_the_use_unit = supervise(apply, new_lift, SimpleNamespace(headers=yanta.headers))
    assert (by_the_use_unit.status_code, by_the_use_unit.json["code"]) == (403, "not_supervision_applicant")
    by_an_officer = supervise(apply, new_lift, SimpleNamespace(headers=installer.officer))
    assert (by_an_officer.status_code, by_an_officer.json["code"]) == (403, "not_supervision_applicant")
    stranger = make_unit("production", "610113", production_scopes=["installation"])
    other = SimpleNamespace(headers=auth_headers(make_person(stranger, "unit_admin")))
    response = supervise(apply, new_lift, other)
    assert (response.status_code, response.json["code"]) == (404, "equipment_not_found")
    missing = apply(10**6, headers=installer.headers, inspection_type="supervision", work_type="installation")
    assert (missing.status_code, missing.json["code"]) == (404, "equipment_not_found")


def test_supervision_names_its_work_and_no_other_type_does(apply, new_lift, installer, device):
    response = supervise(apply, new_lift, installer, work_type=None)
    assert (response.status_code, response.json["code"]) == (422, "work_type_required")
    response = apply(device().id, work_type="installation")
    assert (response.status_code, response.json["code"]) == (422, "work_type_not_applicable")


def test_a_device_gone_for_good_takes_no_supervision(apply, make_equipment, yanta, installer):
    scrapped = make_equipment(yanta.unit, "3110", installer_unit_id=installer.unit.id, use_status="scrapped")
    response = supervise(apply, scrapped, installer)
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_inspectable")


def test_an_expired_production_licence_applies_for_nothing(apply, new_lift, installer):
    installer.unit.licence_no, installer.unit.licence_expiry = "TS3161001-2020", business_today() - timedelta(days=1)
    db.session.flush()
    response = supervise(apply, new_lift, installer)
    assert (response.status_code, response.json["code"]) == (422, "licence_expired")


@pytest.mark.parametrize("catalogue_code,inspection_type,fits", [
    ("3110", "periodic", True),
    ("3110", "self_test", True),
    ("3110", "annual", False),
    ("3110", "external", False),
    ("3110", "first", False),
    ("1100", "external", True),
    ("1200", "internal", True),
    ("1100", "periodic", False),
    ("1100", "self_test", False),
    ("2150", "annual", True),
    ("2150", "periodic", True),
    ("2150", "first", True),
    ("2220", "annual", True),
    ("2410", "annual", True),
    ("2310", "periodic", False),   # cylinders: their own domain
    ("2310", "first", False),
    ("8310", "annual", True),
    ("8310", "periodic", True),
    ("5110", "first", True),
    ("4110", "periodic", True),
    ("4110", "self_test", False),
    ("6100", "periodic", True),
    ("9110", "periodic", True),
])
def test_the_inspection_type_must_fit_the_category(apply, make_equipment, yanta, catalogue_code, inspection_type,
                                                   fits):
    equipment = make_equipment(yanta.unit, catalogue_code, use_status="in_use", registration_status="registered")
    response = apply(equipment.id, inspection_type=inspection_type)
    if fits:
        assert response.status_code == 201, response.json
    else:
        assert (response.status_code, response.json["code"]) == (422, "inspection_type_not_for_category")
        assert list(response.json["details"]["fields"]) == ["inspection_type"]


def test_the_refusal_names_the_categories_that_take_the_type(apply, device):
    response = apply(device().id, inspection_type="annual")
    assert response.json["message"] == ("「曳引驱动乘客电梯」不做年度检查（年度检查适用于：固定式压力容器、移动式压力容器、氧舱、"
                                        "工业管道）。")


@pytest.mark.parametrize("inspection_type", ["annual", "periodic", "first"])
def test_public_and_long_distance_pipelines_keep_their_clear_message_for_every_type(
        apply, make_equipment, yanta, inspection_type):
    pipe = make_equipment(yanta.unit, "8210", use_status="in_use", registration_status="registered")
    response = apply(pipe.id, inspection_type=inspection_type)
    assert (response.status_code, response.json["code"]) == (422, "inspection_out_of_scope")
    assert "检验不在本平台办理" in response.json["message"]


def _result(equipment, agency, *, forbids_use=True, inspection_type="periodic", report_no="JD-2026-001"):
    result = InspectionResult(agency_unit_id=agency.unit.id, report_no=report_no, equipment_id=equipment.id,
                              use_unit_id=equipment.use_unit_id, region_code=equipment.region_code,
                              inspection_type=inspection_type, conclusion="不合格" if forbids_use else "合格",
                              forbids_use=forbids_use, inspection_date=business_today() - timedelta(days=3),
                              content_hash="0" * 64)
    db.session.add(result)
    db.session.flush()
    return result


def test_a_reinspection_names_a_failed_result_of_the_same_device_and_type(client, apply, device, agency, run_jobs):
    equipment, other = device(), device()
    failed = _result(equipment, agency)
    response = apply(equipment.id, reinspection_of_result_id=failed.id)
    assert response.status_code == 201, response.json
    assert response.json["reinspection_of_result_id"] == failed.id
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=agency.headers).json["items"]
    assert inbox[0]["title"] == "定期检验（复检）申请待受理"
    for result_id, text in ((_result(equipment, agency, forbids_use=False, report_no="JD-2").id, "不需要复检"),
                            (_result(other, agency, report_no="JD-3").id, "该设备"),
                            (_result(equipment, agency, inspection_type="self_test", report_no="JD-4").id, "同一检验类型"),
                            (10**6, "该设备")):
        response = apply(equipment.id, reinspection_of_result_id=result_id)
        assert (response.status_code, response.json["code"]) == (422, "reinspection_result_invalid"), result_id
        assert text in response.json["message"]


def test_the_production_unit_withdraws_its_supervision_application_and_the_use_unit_cannot(
        client, apply, new_lift, installer, yanta):
    application = supervise(apply, new_lift, installer).json
    url = f"/api/v1/inspection/applications/{application['id']}/withdraw"
    assert client.post(url, json={}, headers=yanta.headers).status_code == 404  # not a party to it
    response = client.post(url, json={"reason": "安装推迟"}, headers=installer.headers)
    assert (response.status_code, response.json["status"]) == (200, "withdrawn")
