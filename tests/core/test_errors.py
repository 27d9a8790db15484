"""Every error has one shape: {"code", "message", "details"}, a 4xx and a Chinese message."""
import pytest


def assert_envelope(response, status, code):
    assert response.status_code == status, response.json
    body = response.json
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), body["message"]
    return body


def test_unknown_route_is_404_in_the_envelope(client):
    assert_envelope(client.get("/api/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_in_the_envelope(client):
    response = client.delete("/api/v1/auth/wx-login")
    assert_envelope(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/wx-login", data="{not json", content_type="application/json")
    assert_envelope(response, 400, "malformed_json")


def test_missing_field_is_named_in_details(client):
    body = assert_envelope(client.post("/api/v1/auth/wx-login", json={}), 422, "validation_error")
    assert body["details"]["fields"] == {"code": ["缺少必填字段。"]}


def test_unknown_field_is_refused(client):
    body = assert_envelope(client.post("/api/v1/auth/wx-login", json={"code": "x", "admin": True}), 422,
                           "validation_error")
    assert "admin" in body["details"]["fields"]


@pytest.mark.parametrize("payload", [[], "text", 12, None, {"code": 12}, {"code": ["a"]}, {"code": ""}])
def test_odd_bodies_get_4xx_never_500(client, payload):
    response = client.post("/api/v1/auth/wx-login", json=payload)
    assert 400 <= response.status_code < 500
    assert set(response.json) == {"code", "message", "details"}


def test_bad_token_is_401(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer forged.token"})
    assert_envelope(response, 401, "token_invalid")


def test_list_without_login_is_401(client):
    assert_envelope(client.get("/api/v1/units"), 401, "unauthorized")


def test_query_parameter_out_of_range_is_422(client, regulator):
    headers = regulator("610113")
    body = assert_envelope(client.get("/api/v1/units?page=0", headers=headers), 422, "validation_error")
    assert "page" in body["details"]["fields"]


def test_an_id_beyond_the_database_integer_range_is_404_not_500(client, regulator):
    headers = regulator("610113")
    for path in ("/api/v1/units/99999999999", "/api/v1/equipment/99999999999", "/api/v1/risk/reports/99999999999"):
        assert_envelope(client.get(path, headers=headers), 404, "not_found")


def test_values_the_database_cannot_hold_are_named_field_errors_not_500(client, regulator, make_unit, make_person,
                                                                          auth_headers):
    province = regulator("610000")
    body = assert_envelope(client.post("/api/v1/onecode/jobs", json={"kind": "assign", "unit_id": 2**40},
                                       headers=province), 422, "validation_error")
    assert body["details"]["fields"] == {"unit_id": ["数值超出范围。"]}
    body = assert_envelope(client.get("/api/v1/equipment?q=%00abc", headers=province), 422, "validation_error")
    assert body["details"]["fields"] == {"q": ["不能包含空字符。"]}
    admin = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    assert_envelope(client.post("/api/v1/onecode/codes/%00AB/void", json={"reason": "遗失"}, headers=admin),
                    400, "code_malformed")
