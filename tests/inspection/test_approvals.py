"""业务开通: an agency declares its approved scope, the province (or city, by setting) decides;
applications reach only an agency whose in-date scope covers the device, the type and the region;
a lapsed scope takes no new work; the agencies picker offers only agencies that can take it."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.inspection import AgencyApproval
from services.inspection import approvals
from tests.inspection.conftest import approve_scope, days

URL = "/api/v1/inspection/approvals"


@pytest.fixture
def newcomer(make_unit, make_person, auth_headers):
    """An approved inspection agency in 西安 without a scope yet: its admin and an inspector."""
    unit = make_unit("inspection", "610100", name="新开通检验公司")
    admin = make_person(unit, "unit_admin")
    inspector = make_person(unit, "inspector")
    return SimpleNamespace(unit=unit, admin=admin, headers=auth_headers(admin), inspector=auth_headers(inspector))


@pytest.fixture
def province(make_unit, make_person, auth_headers):
    unit = make_unit("regulator", "610000", name="省局")
    staff = make_person(unit, "regulator_staff")
    return SimpleNamespace(person=staff, headers=auth_headers(staff))


def declaration(**overrides) -> dict:
    return {"licence_no": "TS7161001-2029", "valid_from": days(-30), "valid_until": days(700),
            "categories": ["3000", "4100"], "inspection_types": ["periodic", "self_test", "supervision"],
            "region_codes": ["610100"], "note": "首次开通", **overrides}


def declare(client, headers, **overrides):
    return client.post(URL, json=declaration(**overrides), headers=headers)


def decide(client, headers, approval_id, action, **body):
    return client.post(f"{URL}/{approval_id}/{action}", json=body, headers=headers)


def inbox(client, headers) -> list[dict]:
    return client.get("/api/v1/me/messages", headers=headers).json["items"]


def test_an_agency_admin_declares_its_scope_and_the_province_is_told(client, newcomer, province, run_jobs):
    response = declare(client, newcomer.headers, categories=["3000", "4100", "3000"])
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["status_label"], body["unit_name"]) == ("submitted", "待审核", "新开通检验公司")
    assert body["categories"] == [{"code": "3000", "name": "电梯"}, {"code": "4100", "name": "桥式起重机"}]
    assert [t["key"] for t in body["inspection_types"]] == ["supervision", "periodic", "self_test"]
    assert body["region_codes"] == [{"code": "610100", "name": "西安市"}]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "agency_approval.declare"))
    assert entry.entity_id == str(body["id"]) and entry.actor_person_id == newcomer.admin.id
    run_jobs()
    assert [m["template"] for m in inbox(client, province.headers)] == ["agency_approval_submitted"]


def test_only_an_approved_agencys_admin_declares(client, newcomer, yanta):
    for headers in (newcomer.inspector, yanta.headers):
        response = declare(client, headers)
        assert (response.status_code, response.json["code"]) == (403, "not_agency_admin")


@pytest.mark.parametrize("overrides,field,code", [
    ({"categories": ["3999"]}, "categories", "catalogue_code_unknown"),
    ({"categories": ["3000", "8200"]}, "categories", "approval_category_excluded"),
    ({"categories": ["8120"]}, "categories", "approval_category_excluded"),
    ({"categories": []}, "categories", "validation_error"),
    ({"inspection_types": ["yearly"]}, "inspection_types", "validation_error"),
    ({"region_codes": ["619999"]}, "region_codes", "region_unknown"),
    ({"valid_from": days(10), "valid_until": days(5)}, "valid_until", "approval_validity_invalid"),
    ({"valid_until": days(-1)}, "valid_until", "approval_validity_lapsed"),
    ({"licence_no": "  "}, "licence_no", "validation_error"),
])
def test_a_declaration_is_checked_naming_the_field(client, newcomer, overrides, field, code):
    response = declare(client, newcomer.headers, **overrides)
    assert (response.status_code, response.json["code"]) == (422, code), response.json
    assert list(response.json["details"]["fields"]) == [field]


def test_the_excluded_pipelines_are_named_when_refused(client, newcomer):
    response = declare(client, newcomer.headers, categories=["8210"])
    assert response.json["message"] == "「8210 燃气管道」的检验不在本平台办理（陕市监发〔2024〕454号），不能申报。"


def test_one_declaration_waits_at_a_time(client, newcomer):
    first = declare(client, newcomer.headers).json
    second = declare(client, newcomer.headers)
    assert (second.status_code, second.json["code"]) == (409, "agency_approval_pending")
    assert second.json["details"]["approval_id"] == first["id"]


def test_the_province_approves_and_the_agency_takes_applications_within_its_scope(
        client, newcomer, province, device, apply, run_jobs):
    declared = declare(client, newcomer.headers).json
    before = apply(device().id, agency_unit_id=newcomer.unit.id)
    assert (before.status_code, before.json["code"]) == (422, "agency_not_approved_for")
    approved = decide(client, province.headers, declared["id"], "approve", note="材料齐全")
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["decision_note"], approved.json["in_date"]) == (
        "approved", "材料齐全", True)
    # The approved 核准证 is the unit's licence.
    db.session.refresh(newcomer.unit)
    assert (newcomer.unit.licence_no, newcomer.unit.licence_expiry.isoformat()) == ("TS7161001-2029", days(700))
    assert apply(device().id, agency_unit_id=newcomer.unit.id).status_code == 201
    run_jobs()
    assert [m["template"] for m in inbox(client, newcomer.headers)] == [
        "inspection_application_submitted", "agency_approval_approved"]  # newest first
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "agency_approval")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["agency_approval.declare", "agency_approval.approve"]


def test_approving_a_new_declaration_supersedes_the_approved_one(client, newcomer, province):
    first = declare(client, newcomer.headers).json
    decided_first = decide(client, province.headers, first["id"], "approve").json["decided_at"]
    second = declare(client, newcomer.headers, licence_no="TS7161001-2031", categories=["3000"]).json
    assert decide(client, province.headers, second["id"], "approve").status_code == 200
    statuses = dict(db.session.execute(select(AgencyApproval.id, AgencyApproval.status)
                                       .where(AgencyApproval.unit_id == newcomer.unit.id)).all())
    assert statuses == {first["id"]: "superseded", second["id"]: "approved"}
    superseded = client.get(f"{URL}/{first['id']}", headers=newcomer.headers).json
    assert superseded["decided_at"] == decided_first  # its own decision is kept
    assert approvals.current_approval(newcomer.unit.id).licence_no == "TS7161001-2031"
    again = decide(client, province.headers, first["id"], "revoke", reason="误操作")
    assert (again.status_code, again.json["code"]) == (409, "agency_approval_transition_not_allowed")


def test_a_refusal_needs_a_reason_and_a_revoked_scope_takes_no_new_applications(
        client, newcomer, province, device, apply, run_jobs):
    refused = declare(client, newcomer.headers).json
    blank = decide(client, province.headers, refused["id"], "refuse", reason="  ")
    assert (blank.status_code, blank.json["code"]) == (422, "reason_required")
    response = decide(client, province.headers, refused["id"], "refuse", reason="核准证复印件不清晰")
    assert (response.status_code, response.json["status"]) == (200, "refused")
    approved = declare(client, newcomer.headers).json
    decide(client, province.headers, approved["id"], "approve")
    revoked = decide(client, province.headers, approved["id"], "revoke", reason="核准证被吊销")
    assert (revoked.status_code, revoked.json["status"]) == (200, "revoked")
    response = apply(device().id, agency_unit_id=newcomer.unit.id)
    assert (response.status_code, response.json["code"]) == (422, "agency_not_approved_for")
    run_jobs()
    messages = inbox(client, newcomer.headers)
    assert {m["template"] for m in messages} == {"agency_approval_refused", "agency_approval_approved",
                                                 "agency_approval_revoked"}
    assert any("核准证被吊销" in m["body"] for m in messages)


def test_by_default_only_the_province_decides(client, newcomer, regulator):
    declared = declare(client, newcomer.headers).json
    response = decide(client, regulator("610100"), declared["id"], "approve")
    assert (response.status_code, response.json["code"]) == (403, "not_approval_decider")
    assert decide(client, newcomer.headers, declared["id"], "approve").status_code == 403


def test_with_the_city_level_the_city_over_the_agency_decides_and_the_province_still_may(
        app, monkeypatch, client, newcomer, province, regulator, make_unit, make_person, auth_headers, run_jobs):
    monkeypatch.setitem(app.config, "INSPECTION_APPROVAL_LEVEL", "city")
    city_unit = make_unit("regulator", "610100", name="西安市局")
    city = make_person(city_unit, "regulator_staff")
    first = declare(client, newcomer.headers).json
    county = decide(client, regulator("610113"), first["id"], "approve")
    assert county.status_code == 404  # the agency stands in 西安 itself, above the county
    other_city = decide(client, regulator("610300"), first["id"], "approve")
    assert other_city.status_code == 404  # not in its region: it does not even see it
    assert decide(client, auth_headers(city), first["id"], "approve").status_code == 200
    second = declare(client, newcomer.headers, categories=["3000"]).json
    assert decide(client, province.headers, second["id"], "approve").status_code == 200
    run_jobs()
    city_inbox = [m["template"] for m in inbox(client, auth_headers(city))]
    assert city_inbox == ["agency_approval_submitted", "agency_approval_submitted"]
    assert inbox(client, province.headers) == []


def test_the_agency_sees_its_own_declarations_and_regulators_those_of_their_region(
        client, newcomer, province, regulator, make_unit, make_person, auth_headers):
    mine = declare(client, newcomer.headers).json
    hancheng = make_unit("inspection", "610581", name="韩城检验所")
    other = declare(client, auth_headers(make_person(hancheng, "unit_admin")), region_codes=[]).json

    def ids(headers, query: str = "") -> list[int]:
        response = client.get(f"{URL}?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids(newcomer.headers) == [mine["id"]]
    assert ids(province.headers) == [other["id"], mine["id"]]
    assert ids(regulator("610100")) == [mine["id"]]
    assert ids(province.headers, f"unit_id={hancheng.id}") == [other["id"]]
    assert ids(province.headers, "q=韩城") == [other["id"]]
    assert ids(province.headers, "status=approved") == []
    assert client.get(f"{URL}/{other['id']}", headers=newcomer.headers).status_code == 404
    assert client.get(f"{URL}/{mine['id']}", headers=regulator("610581")).status_code == 404


@pytest.mark.parametrize("scope,device_fields,missing", [
    ({"categories": ["4000"]}, {}, "设备类别「曳引驱动乘客电梯」"),
    ({"inspection_types": ["self_test"]}, {}, "检验类型「定期检验」"),
    ({"region_codes": ["610581"]}, {}, "地区「雁塔区」"),
    ({"categories": ["3200"], "region_codes": ["610300"]}, {}, "设备类别「曳引驱动乘客电梯」、地区「雁塔区」"),
])
def test_an_agency_outside_the_scope_cannot_be_addressed(newcomer, device, apply, scope, device_fields, missing):
    approve_scope(newcomer.unit, **scope)
    response = apply(device(**device_fields).id, agency_unit_id=newcomer.unit.id)
    assert (response.status_code, response.json["code"]) == (422, "agency_not_approved_for")
    assert missing in response.json["message"] and "新开通检验公司" in response.json["message"]
    assert list(response.json["details"]["fields"]) == ["agency_unit_id"]


def test_a_scope_for_a_city_covers_its_counties_and_a_category_its_varieties(newcomer, device, apply):
    approve_scope(newcomer.unit, categories=["3100"], inspection_types=["periodic"], region_codes=["610100"])
    assert apply(device().id, agency_unit_id=newcomer.unit.id).status_code == 201  # 3110 in 雁塔区 (西安)


def test_a_lapsed_approval_takes_no_new_work(client, agency, device, apply, make_person, auth_headers):
    accepted = apply(device().id).json
    planned_later = apply(device().id).json
    assert client.post(f"/api/v1/inspection/applications/{accepted['id']}/accept", json={},
                       headers=agency.headers).status_code == 200
    agency.approval.valid_until = business_today() - timedelta(days=1)
    db.session.flush()
    fresh = apply(device().id)
    assert (fresh.status_code, fresh.json["code"]) == (422, "agency_approval_lapsed")
    assert "到期" in fresh.json["message"] and "不能承接新的检验" in fresh.json["message"]
    accept = client.post(f"/api/v1/inspection/applications/{planned_later['id']}/accept", json={},
                         headers=agency.headers)
    assert (accept.status_code, accept.json["code"]) == (422, "agency_approval_lapsed")
    plan = client.post(f"/api/v1/inspection/applications/{accepted['id']}/plan",
                       json={"planned_date": days(3), "inspector_person_ids": [agency.inspector.id]},
                       headers=agency.headers)
    assert (plan.status_code, plan.json["code"]) == (422, "agency_approval_lapsed")
    # Refusing and withdrawing are not new work.
    assert client.post(f"/api/v1/inspection/applications/{planned_later['id']}/refuse",
                       json={"reason": "核准已到期"}, headers=agency.headers).status_code == 200


def test_a_scope_not_yet_in_force_takes_no_application(newcomer, device, apply):
    approve_scope(newcomer.unit, valid_from=business_today() + timedelta(days=3))
    response = apply(device().id, agency_unit_id=newcomer.unit.id)
    assert (response.status_code, response.json["code"]) == (422, "agency_not_approved_for")
    assert "起生效" in response.json["message"]


def test_covering_approval_answers_the_scope_that_covers_or_none(agency, newcomer):
    approve_scope(newcomer.unit, categories=["3000"], inspection_types=["periodic"], region_codes=["610100"])
    covering = approvals.covering_approval(newcomer.unit.id, "3110", "periodic", "610113")
    assert covering is not None and covering.unit_id == newcomer.unit.id
    assert approvals.covering_approval(newcomer.unit.id, "4110", "periodic", "610113") is None
    assert approvals.covering_approval(newcomer.unit.id, "3110", "self_test", "610113") is None
    assert approvals.covering_approval(newcomer.unit.id, "3110", "periodic", "610581") is None
    later = business_today() + timedelta(days=800)
    assert approvals.covering_approval(newcomer.unit.id, "3110", "periodic", "610113", today=later) is None
    assert approvals.covering_approval(agency.unit.id, "8310", "annual", "610581") is not None


def test_the_agencies_picker_offers_only_agencies_that_can_take_the_application(
        client, yanta, agency, other_agency, newcomer, device, make_unit):
    approve_scope(newcomer.unit, categories=["3000"], inspection_types=["self_test"])
    lapsed = make_unit("inspection", "610100", name="核准过期的机构")
    approve_scope(lapsed, valid_until=business_today() - timedelta(days=1))
    make_unit("inspection", "610100", name="未开通的机构")
    equipment = device()

    def names(query: str = "") -> set[str]:
        response = client.get(f"/api/v1/inspection/agencies?page_size=100&{query}", headers=yanta.headers)
        assert response.status_code == 200, response.json
        return {item["name"] for item in response.json["items"]}

    everyone = {"测试特种设备检验院", "另一家检验检测机构", "新开通检验公司"}
    assert names() == everyone
    assert names(f"equipment_id={equipment.id}&inspection_type=periodic") == everyone - {"新开通检验公司"}
    assert names(f"equipment_id={equipment.id}&inspection_type=self_test") == everyone
    assert names("catalogue_code=4110") == everyone - {"新开通检验公司"}
    stranger = client.get(f"/api/v1/inspection/agencies?equipment_id={equipment.id}",
                          headers=other_agency.headers)
    assert stranger.status_code == 404  # not a device the caller sees
