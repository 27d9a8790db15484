"""Unit self-registration (「立即注册」) and review by the regulator of the unit's region."""
from sqlalchemy import select

from models.notify import OutboxMessage
from services.demo import demo_uscc

USCC = demo_uscc("610113", "R00001")


def registration(**overrides):
    body = {
        "kind": "use", "name": "雁塔演示酒店有限公司", "uscc": USCC, "region_code": "610113",
        "address": "西安市雁塔区演示路 5 号", "legal_representative": "张三", "contact_name": "李四",
        "contact_phone": "029-81234567",
        "admin": {"name": "王五", "phone": "13812345678", "username": "hotel-admin", "password": "hotel2026"},
    }
    body.update(overrides)
    return body


def test_registration_lands_pending_and_the_county_approves_it(client, regulator):
    county = regulator("610113")
    response = client.post("/api/v1/units/registrations", json=registration())
    assert response.status_code == 201, response.json
    unit = response.json
    assert unit["status"] == "pending"
    assert unit["completeness"]["percent"] == 100

    pending = client.get("/api/v1/units?status=pending", headers=county).json
    assert [u["id"] for u in pending["items"]] == [unit["id"]]

    approved = client.post(f"/api/v1/units/{unit['id']}/review", json={"action": "approve"}, headers=county)
    assert approved.status_code == 200, approved.json
    assert approved.json["status"] == "approved"

    login = client.post("/api/v1/auth/login", json={"username": "hotel-admin", "password": "hotel2026"})
    assert login.status_code == 200
    assert login.json["roles"] == ["unit_admin"]
    assert login.json["unit"]["status"] == "approved"


def test_registration_tells_the_regulator_and_the_approval_tells_the_applicant(client, regulator, run_jobs):
    county = regulator("610113")
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    run_jobs()
    inbox = client.get("/api/v1/me/messages", headers=county).json["items"]
    assert [m["template"] for m in inbox] == ["unit_registration_submitted"]

    client.post(f"/api/v1/units/{unit_id}/review", json={"action": "return", "note": "地址不完整"}, headers=county)
    run_jobs()
    token = client.post("/api/v1/auth/login", json={"username": "hotel-admin", "password": "hotel2026"}).json["token"]
    mine = client.get("/api/v1/me/messages", headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert mine[0]["template"] == "unit_return"
    assert "地址不完整" in mine[0]["body"]


def test_wrong_uscc_check_character_is_refused(client):
    bad = USCC[:-1] + ("0" if USCC[-1] != "0" else "1")
    response = client.post("/api/v1/units/registrations", json=registration(uscc=bad))
    assert response.status_code == 422
    assert response.json["code"] == "uscc_invalid"
    assert "uscc" in response.json["details"]["fields"]


def test_duplicate_uscc_is_refused(client):
    assert client.post("/api/v1/units/registrations", json=registration()).status_code == 201
    again = registration(admin={"name": "赵六", "phone": "13812345679", "username": "other", "password": "abcd1234"})
    response = client.post("/api/v1/units/registrations", json=again)
    assert response.status_code == 409
    assert response.json["code"] == "unit_uscc_exists"


def test_wrong_id_number_of_a_person_owned_unit_is_refused(client):
    body = registration(person_owned=True, owner_id_number="110105194912310021")
    del body["uscc"]
    response = client.post("/api/v1/units/registrations", json=body)
    assert response.status_code == 422
    assert response.json["code"] == "id_number_invalid"


def test_person_owned_use_unit_registers_with_an_id_number(client):
    body = registration(person_owned=True, owner_id_number="11010519491231002x")
    del body["uscc"]
    response = client.post("/api/v1/units/registrations", json=body)
    assert response.status_code == 201, response.json
    assert response.json["owner_id_number"] == "1101**********002X"


def test_regulators_cannot_self_register(client):
    response = client.post("/api/v1/units/registrations", json=registration(kind="regulator"))
    assert response.status_code == 422
    assert response.json["code"] == "unit_kind_not_registrable"


def test_weak_password_and_taken_username_are_refused(client, demo):
    weak = registration(admin={"name": "王五", "phone": "13812345678", "username": "x-admin", "password": "12345678"})
    assert client.post("/api/v1/units/registrations", json=weak).json["code"] == "password_weak"
    taken = registration(admin={"name": "王五", "phone": "13812345678", "username": "demo-county",
                                "password": "abcd1234"})
    response = client.post("/api/v1/units/registrations", json=taken)
    assert (response.status_code, response.json["code"]) == (409, "username_taken")


def test_return_needs_a_reason_and_resubmission_goes_back_to_review(client, regulator):
    county = regulator("610113")
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    no_reason = client.post(f"/api/v1/units/{unit_id}/review", json={"action": "return"}, headers=county)
    assert (no_reason.status_code, no_reason.json["code"]) == (422, "reason_required")
    returned = client.post(f"/api/v1/units/{unit_id}/review", json={"action": "return", "note": "营业执照不清晰"},
                           headers=county)
    assert returned.json["status"] == "returned"
    assert returned.json["review_note"] == "营业执照不清晰"

    token = client.post("/api/v1/auth/login", json={"username": "hotel-admin", "password": "hotel2026"}).json["token"]
    admin = {"Authorization": f"Bearer {token}"}
    fixed = client.patch(f"/api/v1/units/{unit_id}", json={"address": "西安市雁塔区演示路 5 号 A 座"}, headers=admin)
    assert fixed.status_code == 200
    assert client.post(f"/api/v1/units/{unit_id}/resubmit", headers=admin).json["status"] == "pending"


def test_an_approved_unit_cannot_be_approved_again(client, regulator):
    county = regulator("610113")
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"}, headers=county)
    again = client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"}, headers=county)
    assert (again.status_code, again.json["code"]) == (409, "unit_transition_not_allowed")


def test_a_neighbour_county_cannot_see_or_review_the_registration(client, regulator):
    beilin = regulator("610103")
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    assert client.get(f"/api/v1/units/{unit_id}", headers=beilin).status_code == 404
    response = client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"}, headers=beilin)
    assert response.status_code == 404


def test_weinan_city_does_not_review_a_hancheng_registration(client, regulator):
    weinan, hancheng = regulator("610500"), regulator("610581")
    body = registration(region_code="610581", uscc=demo_uscc("610581", "R00002"))
    unit_id = client.post("/api/v1/units/registrations", json=body).json["id"]
    assert client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"},
                       headers=weinan).status_code == 404
    assert client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"},
                       headers=hancheng).json["status"] == "approved"


def test_a_pending_unit_admin_sees_own_unit_but_cannot_act_as_approved(client):
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    token = client.post("/api/v1/auth/login", json={"username": "hotel-admin", "password": "hotel2026"}).json["token"]
    admin = {"Authorization": f"Bearer {token}"}
    mine = client.get(f"/api/v1/units/{unit_id}", headers=admin)
    assert mine.json["status"] == "pending"
    review = client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"}, headers=admin)
    assert review.status_code == 403


def test_unit_information_completeness_lists_missing_required_fields(client):
    body = registration(kind="production", production_scopes=["installation"])
    unit = client.post("/api/v1/units/registrations", json=body).json
    missing = {m["field"] for m in unit["completeness"]["missing"]}
    assert missing == {"licence_no", "licence_expiry"}
    assert unit["completeness"]["percent"] == 80


def test_production_unit_needs_a_licensed_scope(client):
    response = client.post("/api/v1/units/registrations", json=registration(kind="production"))
    assert response.status_code == 422
    assert "production_scopes" in response.json["details"]["fields"]


def test_region_fields_lock_after_approval(client, regulator):
    county = regulator("610113")
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"}, headers=county)
    token = client.post("/api/v1/auth/login", json={"username": "hotel-admin", "password": "hotel2026"}).json["token"]
    response = client.patch(f"/api/v1/units/{unit_id}", json={"region_code": "610103"},
                            headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["code"]) == (409, "unit_field_locked")


def test_registration_with_an_idempotency_key_is_made_once(client):
    from core.extensions import db
    from models.orgs import Unit

    headers = {"Idempotency-Key": "reg-0001"}
    first = client.post("/api/v1/units/registrations", json=registration(), headers=headers)
    second = client.post("/api/v1/units/registrations", json=registration(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json
    assert second.headers["Idempotent-Replay"] == "true"
    assert db.session.scalar(select(Unit.id).where(Unit.uscc == USCC)) == first.json["id"]
    other = client.post("/api/v1/units/registrations", json=registration(name="别的名字"), headers=headers)
    assert (other.status_code, other.json["code"]) == (422, "idempotency_key_reused")


def test_outbox_rows_are_written_with_the_registration(client, regulator):
    from core.extensions import db

    regulator("610113")
    client.post("/api/v1/units/registrations", json=registration())
    assert db.session.scalar(select(OutboxMessage.template)) == "unit_registration_submitted"


def _uscc_failing_only_the_inner_check() -> str:
    from core.idcodes import USCC_CHARS, uscc_check_char, uscc_inner_check_ok

    body = USCC[:16] + USCC_CHARS[(USCC_CHARS.index(USCC[16]) + 1) % 10]  # a wrong GB 11714 check digit
    code = body + uscc_check_char(body)  # with a right GB 32100 check character
    assert not uscc_inner_check_ok(code)
    return code


def test_a_uscc_whose_organisation_code_fails_gb_11714_registers_with_a_warning(client):
    response = client.post("/api/v1/units/registrations", json=registration(uscc=_uscc_failing_only_the_inner_check()))
    assert response.status_code == 201, response.json
    [warning] = response.json["warnings"]
    assert warning["code"] == "uscc_org_code_check_failed"
    assert "GB 11714" in warning["message"] and "组织机构代码" in warning["message"]


def test_a_valid_uscc_registers_without_warnings(client):
    response = client.post("/api/v1/units/registrations", json=registration())
    assert (response.status_code, response.json["warnings"]) == (201, [])
