"""Lifecycle applications (TSG 08-2017): 使用登记, 停用 / 启用, 注销 / 报废, the state machine,
the registration office and who sees what. Change registrations, 施工告知 and maintenance
contracts have their own modules; the helpers here are shared with them."""
import io
import itertools
from datetime import timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from core.workdays import add_workdays
from models.equipment import Application, Equipment

_codes = itertools.count(1)


def today():
    return business_today()


def days(n: int) -> str:
    """An ISO date `n` days from today (negative: in the past)."""
    return (business_today() + timedelta(days=n)).isoformat()


def yy() -> str:
    return f"{business_today().year % 100:02d}"


@pytest.fixture
def yanta(make_unit, make_person, auth_headers):
    """A use unit in 西安 雁塔区 with its admin."""
    unit = make_unit("use", "610113", name="雁塔演示商场有限公司")
    admin = make_person(unit, "unit_admin")
    return SimpleNamespace(unit=unit, admin=admin, headers=auth_headers(admin))


@pytest.fixture
def city(regulator):
    """The 西安市 regulator: the registration office of 雁塔区 by default."""
    return regulator("610100")


def add_elevator(client, headers, region_code="610113", catalogue_code="3110", **overrides) -> dict:
    """新增设备 through the API, with an in-date inspection."""
    body = {"catalogue_code": catalogue_code, "equipment_code": f"{catalogue_code}61001202{next(_codes):06d}",
            "address": "西安市雁塔区演示路 8 号 1 号梯", "region_code": region_code, "product_name": "乘客电梯",
            "next_due_date": days(300), "next_due_type": "定期检验", **overrides}
    response = client.post("/api/v1/equipment", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def apply(client, headers, equipment_id, kind, form=None, *, change_type=None, submit=True, **extra):
    body = {"kind": kind, "form": form or {}, "submit": submit, **extra}
    if change_type:
        body["change_type"] = change_type
    return client.post(f"/api/v1/equipment/{equipment_id}/applications", json=body, headers=headers)


def do(client, headers, application_id, action, note=None):
    body = {"note": note} if note else {}
    return client.post(f"/api/v1/equipment-applications/{application_id}/{action}", json=body, headers=headers)


def decide(client, office, application_id) -> dict:
    """The office accepts and approves."""
    accepted = do(client, office, application_id, "accept")
    assert accepted.status_code == 200, accepted.json
    approved = do(client, office, application_id, "approve")
    assert approved.status_code == 200, approved.json
    return approved.json


def applied(response) -> int:
    assert response.status_code == 201, response.json
    return response.json["id"]


def registered_elevator(client, unit_headers, office, **overrides) -> dict:
    """An elevator added and registered through the API; returns the equipment."""
    equipment = add_elevator(client, unit_headers, **overrides)
    app_id = applied(apply(client, unit_headers, equipment["id"], "use_registration", {"put_into_use_date": days(0)}))
    decide(client, office, app_id)
    return client.get(f"/api/v1/equipment/{equipment['id']}", headers=unit_headers).json


def set_equipment(equipment_id: int, **values) -> None:
    """What an inspection result would change (the record locks these fields once registered)."""
    db.session.execute(update(Equipment).where(Equipment.id == equipment_id).values(**values))
    db.session.flush()


def upload(client, headers, name="证明.pdf") -> str:
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(b"%PDF-1.4 demo"), name)},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


# -- the "done when" path --------------------------------------------------------------

def test_a_use_unit_registers_a_new_elevator_end_to_end(client, yanta, city, regulator):
    county = regulator("610113")
    equipment = add_elevator(client, yanta.headers)
    assert (equipment["use_status"], equipment["registration_status"]) == ("not_in_use", "unregistered")

    response = apply(client, yanta.headers, equipment["id"], "use_registration", {"put_into_use_date": days(0)})
    assert response.status_code == 201, response.json
    application = response.json
    assert (application["status"], application["office_region_code"]) == ("submitted", "610100")
    assert application["due_date"] == add_workdays(today(), 15).isoformat()
    assert application["late_days"] is None

    # The county can read the application but the city is the registration office.
    assert client.get(f"/api/v1/equipment-applications/{application['id']}", headers=county).status_code == 200
    refused = do(client, county, application["id"], "accept")
    assert (refused.status_code, refused.json["code"]) == (403, "not_registration_office")

    approved = decide(client, city, application["id"])
    assert approved["status"] == "approved"
    assert approved["certificate_no"] == f"梯11陕A00001({yy()})"
    assert [e["action"] for e in approved["events"]] == ["create", "submit", "accept", "approve"]
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["use_status"], record["registration_status"]) == ("in_use", "registered")
    assert record["registration_cert_no"] == approved["certificate_no"]
    assert record["put_into_use_date"] == days(0)

    # 停用
    stop = applied(apply(client, yanta.headers, equipment["id"], "suspension",
                         {"stopped_on": days(-3), "reason": "商场装修"}))
    decide(client, city, stop)
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["use_status"], record["suspended_on"]) == ("suspended", days(-3))

    # 启用 is refused while the periodic inspection is lapsed, allowed once inspected.
    set_equipment(equipment["id"], next_due_date=today() - timedelta(days=1))
    lapsed = apply(client, yanta.headers, equipment["id"], "resumption", {"self_check_on": days(0)})
    assert (lapsed.status_code, lapsed.json["code"]) == (409, "inspection_lapsed")
    assert "定期检验" in lapsed.json["message"]
    set_equipment(equipment["id"], next_due_date=today() + timedelta(days=365), last_inspection_date=today())
    restart = applied(apply(client, yanta.headers, equipment["id"], "resumption", {"self_check_on": days(0)}))
    decide(client, city, restart)
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["use_status"], record["suspended_on"]) == ("in_use", None)

    # 报废
    scrap = applied(apply(client, yanta.headers, equipment["id"], "scrapping", {"reason": "达到报废条件"}))
    decide(client, city, scrap)
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["use_status"], record["registration_status"]) == ("scrapped", "cancelled")

    again = apply(client, yanta.headers, equipment["id"], "use_registration", {})
    assert (again.status_code, again.json["code"]) == (409, "equipment_not_registrable")


def test_a_regulator_of_another_county_sees_none_of_it(client, yanta, city, regulator):
    beilin = regulator("610103")
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    assert client.get(f"/api/v1/equipment-applications/{app_id}", headers=beilin).status_code == 404
    assert client.get("/api/v1/equipment-applications", headers=beilin).json["total"] == 0
    assert do(client, beilin, app_id, "accept").status_code == 404
    assert client.get(f"/api/v1/equipment/{equipment['id']}/maintenance-contracts", headers=beilin).status_code == 404
    assert client.get("/api/v1/equipment-applications", headers=city).json["total"] == 1


def test_a_delegating_city_lets_its_county_decide(client, app, monkeypatch, yanta, city, regulator):
    monkeypatch.setitem(app.config, "REGISTRATION_DELEGATED_CITIES", ["610100"])
    county = regulator("610113")
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    assert client.get(f"/api/v1/equipment-applications/{app_id}", headers=county).json["office_region_code"] == "610113"
    assert do(client, city, app_id, "accept").json["code"] == "not_registration_office"
    # The certificate still carries the city's letter.
    assert decide(client, county, app_id)["certificate_no"] == f"梯11陕A00001({yy()})"


def test_hancheng_equipment_is_decided_by_hancheng_itself_not_weinan(client, make_unit, make_person, auth_headers,
                                                                    regulator):
    hancheng, weinan = regulator("610581"), regulator("610500")
    admin = auth_headers(make_person(make_unit("use", "610581"), "unit_admin"))
    equipment = add_elevator(client, admin, region_code="610581", address="韩城市演示路 1 号")
    app_id = applied(apply(client, admin, equipment["id"], "use_registration", {}))
    assert client.get(f"/api/v1/equipment-applications/{app_id}", headers=weinan).status_code == 404
    assert do(client, weinan, app_id, "accept").status_code == 404
    approved = decide(client, hancheng, app_id)
    assert approved["office_region_code"] == "610581"
    assert approved["certificate_no"] == f"梯11陕E00001({yy()})"


def test_two_approvals_in_the_same_office_get_consecutive_serials(client, yanta, city):
    first = registered_elevator(client, yanta.headers, city)
    second = registered_elevator(client, yanta.headers, city, catalogue_code="3310")
    assert first["registration_cert_no"] == f"梯11陕A00001({yy()})"
    assert second["registration_cert_no"] == f"梯31陕A00002({yy()})"


# -- the state machine ------------------------------------------------------------------------

def test_an_illegal_transition_is_a_409_naming_the_status_and_the_action(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    response = do(client, city, app_id, "approve")
    assert (response.status_code, response.json["code"]) == (409, "application_transition_not_allowed")
    assert response.json["message"] == "申请当前状态为「已提交」，不能批准。"
    withdraw = do(client, yanta.headers, app_id, "withdraw")
    assert (withdraw.status_code, withdraw.json["code"]) == (409, "application_transition_not_allowed")
    unknown = do(client, city, app_id, "stamp")
    assert (unknown.status_code, unknown.json["code"]) == (404, "application_action_unknown")


def test_the_applicant_cannot_decide_and_the_office_cannot_act_for_the_applicant(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}, submit=False))
    assert client.get(f"/api/v1/equipment-applications/{app_id}", headers=city).status_code == 404  # a draft
    do(client, yanta.headers, app_id, "submit")
    assert do(client, yanta.headers, app_id, "accept").json["code"] == "not_registration_office"
    assert do(client, city, app_id, "withdraw").json["code"] == "not_equipment_manager"


def test_returning_and_refusing_need_a_reason(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    no_reason = do(client, city, app_id, "return")
    assert (no_reason.status_code, no_reason.json["code"]) == (422, "reason_required")
    assert "note" in no_reason.json["details"]["fields"]
    do(client, city, app_id, "accept")
    assert do(client, city, app_id, "refuse", "  ").json["code"] == "reason_required"
    refused = do(client, city, app_id, "refuse", "设备不符合安全技术规范要求")
    assert (refused.json["status"], refused.json["decision_note"]) == ("refused", "设备不符合安全技术规范要求")
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert record["registration_status"] == "unregistered"


def test_a_returned_application_is_corrected_and_submitted_again(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    returned = do(client, city, app_id, "return", "请补充产品合格证")
    assert (returned.json["status"], returned.json["decision_note"]) == ("returned", "请补充产品合格证")
    document = upload(client, yanta.headers, "合格证.pdf")
    fixed = client.patch(f"/api/v1/equipment-applications/{app_id}",
                         json={"form": {"put_into_use_date": days(-1)}, "documents": [document]}, headers=yanta.headers)
    assert fixed.status_code == 200, fixed.json
    assert (fixed.json["form"], fixed.json["documents"]) == ({"put_into_use_date": days(-1)}, [document])
    again = do(client, yanta.headers, app_id, "submit")
    assert again.json["status"] == "submitted"
    assert [(e["action"], e["to_status"]) for e in again.json["events"]] == [
        ("create", "draft"), ("submit", "submitted"), ("return", "returned"), ("edit", "returned"),
        ("submit", "submitted")]
    assert decide(client, city, app_id)["status"] == "approved"


def test_only_drafts_and_returned_applications_can_be_edited_or_withdrawn(client, yanta):
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    response = client.patch(f"/api/v1/equipment-applications/{app_id}", json={"note": "改一下"},
                            headers=yanta.headers)
    assert (response.status_code, response.json["code"]) == (409, "application_not_editable")
    draft = add_elevator(client, yanta.headers)
    draft_id = applied(apply(client, yanta.headers, draft["id"], "use_registration", {}, submit=False))
    assert do(client, yanta.headers, draft_id, "withdraw").json["status"] == "withdrawn"
    assert do(client, yanta.headers, draft_id, "submit").json["code"] == "application_transition_not_allowed"


def test_one_registration_business_is_open_per_device_at_a_time(client, yanta):
    equipment = add_elevator(client, yanta.headers)
    first = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}, submit=False))
    second = apply(client, yanta.headers, equipment["id"], "use_registration", {})
    assert (second.status_code, second.json["code"]) == (409, "application_already_open")
    do(client, yanta.headers, first, "withdraw")
    assert apply(client, yanta.headers, equipment["id"], "use_registration", {}).status_code == 201


def test_creating_an_application_is_idempotent(client, yanta):
    equipment = add_elevator(client, yanta.headers)
    headers = {**yanta.headers, "Idempotency-Key": "reg-1"}
    first = apply(client, headers, equipment["id"], "use_registration", {})
    retry = apply(client, headers, equipment["id"], "use_registration", {})
    assert retry.status_code == 201 and retry.headers.get("Idempotent-Replay") == "true"
    assert retry.json["id"] == first.json["id"]


# -- 使用登记 -------------------------------------------------------------------------------------

def test_registration_more_than_30_days_after_use_is_accepted_but_flagged_late(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, yanta.headers, equipment["id"], "use_registration", {"put_into_use_date": days(-40)})
    assert response.json["late_days"] == 10
    assert decide(client, city, response.json["id"])["status"] == "approved"


def test_a_put_into_use_date_in_the_future_is_refused(client, yanta):
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, yanta.headers, equipment["id"], "use_registration", {"put_into_use_date": days(5)})
    assert (response.status_code, response.json["code"]) == (422, "date_in_future")
    assert "put_into_use_date" in response.json["details"]["fields"]["form"]


def test_registration_before_use_is_in_use_from_the_approval_date(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    decide(client, city, applied(apply(client, yanta.headers, equipment["id"], "use_registration", {})))
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["use_status"], record["put_into_use_date"]) == ("in_use", days(0))


def test_registered_equipment_cannot_be_registered_again(client, yanta, make_equipment):
    equipment = make_equipment(yanta.unit, registration_status="registered", use_status="in_use")
    response = apply(client, yanta.headers, equipment.id, "use_registration", {})
    assert (response.status_code, response.json["code"]) == (409, "equipment_already_registered")


def test_a_form_field_that_is_missing_or_unknown_is_a_422_naming_it(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    missing = apply(client, yanta.headers, equipment["id"], "suspension", {"reason": "装修"})
    assert (missing.status_code, missing.json["code"]) == (422, "validation_error")
    assert list(missing.json["details"]["fields"]["form"]) == ["stopped_on"]
    unknown = apply(client, yanta.headers, equipment["id"], "suspension",
                    {"stopped_on": days(0), "reason": "装修", "colour": "red"})
    assert list(unknown.json["details"]["fields"]["form"]) == ["colour"]
    no_type = apply(client, yanta.headers, equipment["id"], "change_registration", {})
    assert (no_type.status_code, no_type.json["code"]) == (422, "change_type_invalid")


def test_a_safety_officer_cannot_apply_and_a_stranger_cannot_see_the_device(client, yanta, make_unit, make_person,
                                                                           auth_headers):
    equipment = add_elevator(client, yanta.headers)
    officer = auth_headers(make_person(yanta.unit, "safety_officer"))
    response = apply(client, officer, equipment["id"], "use_registration", {})
    assert (response.status_code, response.json["code"]) == (403, "not_equipment_manager")
    stranger = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    assert apply(client, stranger, equipment["id"], "use_registration", {}).status_code == 404


def test_documents_must_be_the_applicants_own_uploads(client, yanta, make_unit, make_person, auth_headers):
    other = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    foreign = upload(client, other)
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, yanta.headers, equipment["id"], "use_registration", {}, documents=[foreign])
    assert (response.status_code, response.json["code"]) == (422, "document_invalid")


# -- 停用 / 启用 / 注销 / 报废 ------------------------------------------------------------------------

def test_only_equipment_in_use_can_be_suspended(client, yanta):
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, yanta.headers, equipment["id"], "suspension", {"stopped_on": days(0), "reason": "x"})
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_registered")


def test_a_suspension_reported_after_30_days_is_flagged_late(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    response = apply(client, yanta.headers, equipment["id"], "suspension", {"stopped_on": days(-45), "reason": "x"})
    assert response.json["late_days"] == 15


def test_an_elevator_stopped_a_year_needs_an_inspection_after_it_stopped(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    long_ago = today() - timedelta(days=400)
    set_equipment(equipment["id"], use_status="suspended", suspended_on=long_ago,
                  last_inspection_date=long_ago - timedelta(days=30))
    response = apply(client, yanta.headers, equipment["id"], "resumption", {"self_check_on": days(0)})
    assert (response.status_code, response.json["code"]) == (409, "inspection_required_after_long_stop")
    set_equipment(equipment["id"], last_inspection_date=today() - timedelta(days=2))
    assert apply(client, yanta.headers, equipment["id"], "resumption", {"self_check_on": days(0)}).status_code == 201


def test_the_inspection_is_checked_again_at_approval(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    set_equipment(equipment["id"], use_status="suspended", suspended_on=today())
    app_id = applied(apply(client, yanta.headers, equipment["id"], "resumption", {"self_check_on": days(0)}))
    do(client, city, app_id, "accept")
    set_equipment(equipment["id"], next_due_date=today() - timedelta(days=1))
    response = do(client, city, app_id, "approve")
    assert (response.status_code, response.json["code"]) == (409, "inspection_lapsed")
    assert client.get(f"/api/v1/equipment-applications/{app_id}", headers=city).json["status"] == "accepted"


def test_cancellation_takes_the_device_out_of_supervision(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    decide(client, city, applied(apply(client, yanta.headers, equipment["id"], "cancellation", {"reason": "拆除"})))
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["use_status"], record["registration_status"]) == ("removed", "cancelled")


def test_scrapping_by_a_use_unit_that_does_not_own_the_device_needs_the_owners_authorisation(
        client, yanta, city, make_unit):
    owner = make_unit("use", "610113", name="产权单位")
    equipment = registered_elevator(client, yanta.headers, city)
    set_equipment(equipment["id"], property_unit_id=owner.id)
    response = apply(client, yanta.headers, equipment["id"], "scrapping", {"reason": "报废"})
    assert (response.status_code, response.json["code"]) == (422, "property_authorisation_required")
    assert "authorisation_file_id" in response.json["details"]["fields"]["form"]
    letter = upload(client, yanta.headers, "委托书.pdf")
    ok = apply(client, yanta.headers, equipment["id"], "scrapping", {"reason": "报废", "authorisation_file_id": letter})
    assert ok.status_code == 201, ok.json
    assert ok.json["documents"] == [letter]


# -- messages, audit, lists ------------------------------------------------------------------------

def test_the_office_is_told_of_a_submission_and_the_applicant_of_each_decision(client, yanta, city, run_jobs):
    equipment = add_elevator(client, yanta.headers)
    app_id = applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    run_jobs()
    office_inbox = client.get("/api/v1/me/messages", headers=city).json["items"]
    assert [m["template"] for m in office_inbox] == ["equipment_application_submitted"]
    do(client, city, app_id, "return", "照片不清晰")
    run_jobs()
    mine = client.get("/api/v1/me/messages", headers=yanta.headers).json["items"]
    assert mine[0]["template"] == "equipment_application_return"
    assert "照片不清晰" in mine[0]["body"]


def test_an_approval_leaves_audit_entries_for_the_application_and_the_equipment(client, yanta, city):
    equipment = registered_elevator(client, yanta.headers, city)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "equipment.use_registration",
                                                       AuditEntry.entity_id == str(equipment["id"])))
    assert entry.before["registration_status"] == "unregistered"
    assert entry.after["registration_status"] == "registered"
    assert entry.after["registration_cert_no"] == equipment["registration_cert_no"]
    actions = set(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_type == "equipment_application")))
    assert {"equipment_application.create", "equipment_application.submit", "equipment_application.accept",
            "equipment_application.approve"} <= actions


def test_the_list_filters_by_kind_status_office_and_overdue(client, yanta, city):
    first = add_elevator(client, yanta.headers)
    second = add_elevator(client, yanta.headers)
    late_id = applied(apply(client, yanta.headers, first["id"], "use_registration", {}))
    applied(apply(client, yanta.headers, second["id"], "use_registration", {}, submit=False))
    db.session.execute(update(Application).where(Application.id == late_id)
                       .values(due_date=today() - timedelta(days=1)))

    def ids(**query):
        response = client.get("/api/v1/equipment-applications", query_string=query, headers=city)
        assert response.status_code == 200, response.json
        return [a["id"] for a in response.json["items"]]

    assert ids(overdue="true") == [late_id]
    assert ids(status="submitted", office_region_code="610100", kind="use_registration") == [late_id]
    assert ids(equipment_id=second["id"]) == []  # a draft stays with its applicant
    assert ids(region_code="610113") == [late_id]
    assert ids(region_code="610103") == []
    item = client.get(f"/api/v1/equipment-applications/{late_id}", headers=city).json
    assert item["overdue"] is True and item["kind_label"] == "使用登记"


def test_the_list_exports_to_xlsx(client, yanta, city):
    equipment = add_elevator(client, yanta.headers)
    applied(apply(client, yanta.headers, equipment["id"], "use_registration", {}))
    response = client.get("/api/v1/equipment-applications/export.xlsx", headers=city)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.data)).active.values)
    assert rows[0][:3] == ("编号", "业务类型", "状态")
    assert rows[1][1:3] == ("使用登记", "已提交")
