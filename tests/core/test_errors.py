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
    assert body["details"]["fields"] == {"q": ["不能包含控制字符。"]}
    admin = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    assert_envelope(client.post("/api/v1/onecode/codes/%00AB/void", json={"reason": "遗失"}, headers=admin),
                    400, "code_malformed")


@pytest.mark.parametrize("path", ["/api/v1/checks/monthly?kind_code=3000&month=9999-12",
                                  "/api/v1/checks/weekly?kind_code=3000&week=0001-01-01",
                                  "/api/v1/risk/statistics?date_to=9999-12-31",
                                  "/api/v1/risk/recognition?period=0001-01"])
def test_dates_beyond_the_business_years_are_4xx_not_500(client, regulator, path):
    response = client.get(path, headers=regulator("610000"))
    assert response.status_code in (400, 422), response.json
    assert response.json["code"] in ("validation_error", "period_invalid")


def test_a_constraint_refusing_a_change_inside_the_request_is_a_409(client, make_unit, make_person, auth_headers,
                                                                     monkeypatch):
    import io

    from sqlalchemy.exc import IntegrityError

    def raced(*args, **kwargs):  # what a flush raises when a concurrent request took the same unique value
        raise IntegrityError("INSERT ...", {}, Exception("duplicate key value violates unique constraint"))

    monkeypatch.setattr("miniapp_api.uploads.store_upload", raced)
    headers = auth_headers(make_person(make_unit("use", "610113"), "safety_officer"))
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n"), "a.png")},
                           headers=headers, content_type="multipart/form-data")
    assert_envelope(response, 409, "conflict")


DEEPLY_NESTED = "[" * 5000 + "]" * 5000


def test_a_json_body_nested_thousands_deep_is_400_malformed_json(client):
    response = client.post("/api/v1/auth/wx-login", data=DEEPLY_NESTED, content_type="application/json")
    assert_envelope(response, 400, "malformed_json")


def test_no_json_endpoint_answers_500_to_a_deeply_nested_body(client, app, regulator):
    headers = regulator("610100")
    from werkzeug.routing import IntegerConverter

    for rule in app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"})
        if not methods:
            continue
        values = {name: 1 if isinstance(conv, IntegerConverter) else "x" for name, conv in rule._converters.items()}
        path = app.url_map.bind("localhost").build(rule.endpoint, values)
        for method in methods:
            response = client.open(path, method=method, data=DEEPLY_NESTED, content_type="application/json",
                                   headers=headers)
            assert response.status_code < 500, (method, path, response.json)
