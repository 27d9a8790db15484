"""Login through the fake WeChat (wechatpy code-to-session) and by password; tokens."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.extensions import db
from core.timeutil import utcnow
from fake_wechat import encrypt_for_miniapp, session_key_for
from models.orgs import AuthSession

DEMO_ROLES = {
    "demo-reporter": "risk_reporter", "demo-officer": "safety_officer", "demo-director": "safety_director",
    "demo-unit-admin": "unit_admin", "demo-county": "regulator_staff", "demo-city": "regulator_staff",
    "demo-province": "regulator_staff", "demo-expert": "expert", "demo-agency": "inspector", "demo-ops": "ops",
}


def wx_login(client, code):
    return client.post("/api/v1/auth/wx-login", json={"code": code})


@pytest.mark.parametrize("code,role", sorted(DEMO_ROLES.items()))
def test_each_demo_code_logs_in_through_the_fake_wechat_with_its_role(client, demo, fake, code, role):
    response = wx_login(client, code)
    assert response.status_code == 200, response.json
    assert response.json["bound"] is True
    assert role in response.json["roles"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.status_code == 200
    assert me.json["client"] == "miniapp"
    assert [c["args"]["js_code"] for c in fake.calls("sns/jscode2session")] == [code]


def test_regulator_scopes_follow_the_supervision_hierarchy(client, demo):
    def scope(code):
        token = wx_login(client, code).json["token"]
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json["scope"]

    assert scope("demo-province") == {"kind": "province", "region_code": "610000", "region_level": "province",
                                      "region_codes": None}
    city = scope("demo-city")
    assert city["kind"] == "region" and "610113" in city["region_codes"] and "610581" not in city["region_codes"]
    assert scope("demo-county")["region_codes"] == ["610113"]
    assert scope("demo-officer")["kind"] == "unit"


def test_an_unknown_wechat_gets_a_bind_ticket_not_a_token(client, demo):
    response = wx_login(client, "newcomer")
    assert response.status_code == 200
    assert response.json["bound"] is False
    assert response.json["token"] is None
    assert response.json["bind_ticket"]


def test_binding_by_invitation_code_logs_the_person_in(client, demo, make_person, auth_headers):
    admin = auth_headers(demo.demo_person("demo-unit-admin"))
    colleague = make_person(demo.demo_person("demo-unit-admin").unit, "safety_officer")
    code = client.post(f"/api/v1/people/{colleague.id}/invitations", headers=admin).json["code"]
    ticket = wx_login(client, "new-officer").json["bind_ticket"]

    bound = client.post("/api/v1/auth/wx-bind/invitation", json={"bind_ticket": ticket, "invitation_code": code})
    assert bound.status_code == 200, bound.json
    assert bound.json["person"]["id"] == colleague.id
    assert wx_login(client, "new-officer").json["roles"] == ["safety_officer"]

    reused = client.post("/api/v1/auth/wx-bind/invitation",
                         json={"bind_ticket": wx_login(client, "someone-else").json["bind_ticket"],
                               "invitation_code": code})
    assert (reused.status_code, reused.json["code"]) == (422, "invitation_invalid")


def test_binding_by_the_phone_number_wechat_provides(client, demo, make_person, app):
    person = make_person(demo.demo_person("demo-unit-admin").unit, "safety_officer", phone="13688889999")
    ticket = wx_login(client, "phone-user").json["bind_ticket"]
    encrypted, iv = encrypt_for_miniapp(session_key_for("openid-phone-user"), app.config["WECHAT_MINIAPP_APPID"],
                                        {"phoneNumber": "13688889999", "purePhoneNumber": "13688889999",
                                         "countryCode": "86"})
    bound = client.post("/api/v1/auth/wx-bind/phone", json={"bind_ticket": ticket, "encrypted_data": encrypted,
                                                             "iv": iv})
    assert bound.status_code == 200, bound.json
    assert bound.json["person"]["id"] == person.id


def test_phone_binding_refuses_an_unknown_number_and_data_for_another_app(client, demo, app):
    ticket = wx_login(client, "stranger").json["bind_ticket"]
    key = session_key_for("openid-stranger")
    unknown = encrypt_for_miniapp(key, app.config["WECHAT_MINIAPP_APPID"], {"purePhoneNumber": "13500000000"})
    response = client.post("/api/v1/auth/wx-bind/phone",
                           json={"bind_ticket": ticket, "encrypted_data": unknown[0], "iv": unknown[1]})
    assert (response.status_code, response.json["code"]) == (404, "phone_not_found")
    other_app = encrypt_for_miniapp(key, "wx-other-app", {"purePhoneNumber": "13900000010"})
    response = client.post("/api/v1/auth/wx-bind/phone",
                           json={"bind_ticket": ticket, "encrypted_data": other_app[0], "iv": other_app[1]})
    assert (response.status_code, response.json["code"]) == (422, "phone_decrypt_failed")


def test_a_forged_bind_ticket_is_refused(client):
    response = client.post("/api/v1/auth/wx-bind/invitation",
                           json={"bind_ticket": "forged", "invitation_code": "ABCDEFGH"})
    assert (response.status_code, response.json["code"]) == (401, "bind_ticket_invalid")


def test_an_invalid_wechat_code_is_401(client, fake):
    response = wx_login(client, "invalid-code")
    assert (response.status_code, response.json["code"]) == (401, "wx_code_invalid")


def test_wechat_being_busy_is_503_not_500(client, fake):
    fake.fail("sns/jscode2session", errcode=-1)
    response = wx_login(client, "demo-officer")
    assert (response.status_code, response.json["code"]) == (503, "wechat_unavailable")


def test_wechat_timing_out_is_503(client, fake, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT_SECONDS", 0.2)
    fake.fail("sns/jscode2session", mode="timeout", seconds=1)
    response = wx_login(client, "demo-officer")
    assert (response.status_code, response.json["code"]) == (503, "wechat_unavailable")


def test_password_login_gives_the_same_token(client, demo):
    response = client.post("/api/v1/auth/login", json={"username": "demo-county", "password": demo.DEMO_PASSWORD})
    assert response.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"})
    assert me.json["client"] == "pc"
    assert me.json["roles"] == ["regulator_staff", "unit_admin"]


def test_repeated_wrong_passwords_lock_the_account(client, demo, app):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = client.post("/api/v1/auth/login", json={"username": "demo-county", "password": "wrong-pass1"})
        assert (wrong.status_code, wrong.json["code"]) == (401, "login_failed")
    locked = client.post("/api/v1/auth/login", json={"username": "demo-county", "password": demo.DEMO_PASSWORD})
    assert (locked.status_code, locked.json["code"]) == (429, "account_locked")


def test_logout_revokes_the_token(client, demo):
    token = client.post("/api/v1/auth/login",
                        json={"username": "demo-officer", "password": demo.DEMO_PASSWORD}).json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_expired_token_is_refused(client, demo):
    token = wx_login(client, "demo-officer").json["token"]
    db.session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json["code"]) == (401, "token_invalid")
