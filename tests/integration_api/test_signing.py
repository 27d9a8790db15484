"""Signed requests: each refusal has its own code, and nothing is written for it."""
from __future__ import annotations

import time

import pytest

from core.audit import AuditContext
from core.extensions import db
from core.redis import get_redis
from integration_api.client import encode_json, signed_request
from services import clients

CTX = AuditContext(None, None, "test")
NONCE = "n0nce-for-the-test-0001"


def _nonce_stored(issued, nonce: str = NONCE) -> bool:
    return bool(get_redis().exists(f"open:nonce:{issued.client.id}:{nonce}"))


@pytest.fixture
def issued(make_api_client):
    return make_api_client("inspection", ("inspection:write", "open:read"))


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.json
    assert response.json["code"] == code
    assert response.json["message"]  # Chinese text for the caller


def test_forged_signature_is_refused_and_burns_no_nonce(issued, signed, audit_count):
    before = audit_count()

    response = signed(issued, secret="sk_not-the-secret").get("/open/v1/ping", nonce=NONCE)

    _refused(response, 401, "signature_invalid")
    assert not _nonce_stored(issued)
    assert audit_count() == before


def test_missing_signature_headers_are_named(client, audit_count):
    before = audit_count()

    response = client.get("/open/v1/ping", headers={"X-Api-Key": "ak_abc"})

    _refused(response, 401, "signature_missing")
    assert set(response.json["details"]["headers"]) == {"X-Timestamp", "X-Nonce", "X-Signature"}
    assert audit_count() == before


@pytest.mark.parametrize("header, value", [
    ("X-Timestamp", "9" * 400), ("X-Timestamp", "-5"), ("X-Timestamp", "1e9"),
    ("X-Nonce", "short"), ("X-Nonce", "has spaces in it, too many"), ("X-Signature", "zz" * 32),
    ("X-Api-Key", "not-a-key"),
])
def test_malformed_signature_headers_are_a_client_error(issued, client, header, value):
    _, headers = signed_request(issued.key.key_id, issued.secret, "GET", "/open/v1/ping")
    headers[header] = value

    response = client.get("/open/v1/ping", headers=headers)

    _refused(response, 400, "signature_header_malformed")
    assert response.json["details"]["headers"] == [header]


def test_unknown_key_is_refused(issued, client):
    _, headers = signed_request("ak_000000000000000000000000", issued.secret, "GET", "/open/v1/ping")

    _refused(client.get("/open/v1/ping", headers=headers), 401, "client_key_unknown")


def test_stale_timestamp_is_refused(issued, signed, audit_count):
    before = audit_count()

    response = signed(issued).get("/open/v1/ping", timestamp=int(time.time()) - 301, nonce=NONCE)

    _refused(response, 401, "timestamp_stale")
    assert not _nonce_stored(issued)
    assert audit_count() == before


def test_future_timestamp_is_refused(issued, signed):
    _refused(signed(issued).get("/open/v1/ping", timestamp=int(time.time()) + 301), 401, "timestamp_stale")


def test_timestamp_window_is_configurable(app, issued, signed):
    app.config["OPEN_SIGNATURE_WINDOW_SECONDS"] = 900
    try:
        response = signed(issued).get("/open/v1/ping", timestamp=int(time.time()) - 600)
    finally:
        app.config["OPEN_SIGNATURE_WINDOW_SECONDS"] = 300
    assert response.status_code == 200


def test_replayed_nonce_is_refused(issued, signed, audit_count):
    first = signed(issued).get("/open/v1/ping", nonce=NONCE)
    assert first.status_code == 200
    after_first = audit_count()

    replay = signed(issued).get("/open/v1/ping", nonce=NONCE)

    _refused(replay, 401, "nonce_reused")
    assert audit_count() == after_first


def test_same_request_replayed_byte_for_byte_is_refused(issued, client):
    target, headers = signed_request(issued.key.key_id, issued.secret, "GET", "/open/v1/ping")
    assert client.get(target, headers=headers).status_code == 200

    _refused(client.get(target, headers=headers), 401, "nonce_reused")


def test_body_changed_after_signing_is_refused(issued, client):
    body = encode_json({"records": [{"external_id": "A1"}]})
    target, headers = signed_request(issued.key.key_id, issued.secret, "POST", "/open/v1/ping", body=body)

    response = client.post(target, data=body.replace(b"A1", b"A2"), headers=headers,
                           content_type="application/json")

    _refused(response, 401, "signature_invalid")


def test_query_changed_after_signing_is_refused(issued, client):
    target, headers = signed_request(issued.key.key_id, issued.secret, "GET", "/open/v1/ping",
                                     params={"scope": "open:read"})
    assert target == "/open/v1/ping?scope=open%3Aread"

    response = client.get("/open/v1/ping?scope=inspection:write", headers=headers)

    _refused(response, 401, "signature_invalid")


def test_method_and_path_are_signed(issued, client):
    _, headers = signed_request(issued.key.key_id, issued.secret, "GET", "/open/v1/other")

    _refused(client.get("/open/v1/ping", headers=headers), 401, "signature_invalid")


def test_revoked_key_is_refused(issued, signed, audit_count):
    clients.revoke_key(CTX, issued.key)
    before = audit_count()

    response = signed(issued).get("/open/v1/ping")

    _refused(response, 401, "client_key_revoked")
    assert audit_count() == before


def test_revoked_client_is_refused(issued, signed):
    clients.revoke_client(CTX, issued.client)

    _refused(signed(issued).get("/open/v1/ping"), 403, "client_revoked")
    assert issued.key.status == "revoked"  # its keys went with it


def test_client_of_a_disabled_unit_is_refused(issued, signed):
    issued.client.unit.status = "disabled"
    db.session.flush()

    _refused(signed(issued).get("/open/v1/ping"), 403, "client_unit_not_approved")


def test_scope_the_client_lacks_is_refused(make_api_client, signed, audit_count):
    issued = make_api_client("inspection", ("open:read",))
    before = audit_count()

    response = signed(issued).get("/open/v1/ping", params={"scope": "inspection:write"})

    _refused(response, 403, "scope_missing")
    assert response.json["details"] == {"scope": "inspection:write"}
    assert audit_count() == before
    assert signed(issued).get("/open/v1/ping", params={"scope": "open:read"}).status_code == 200


def test_a_person_token_does_not_open_the_machine_api(client, make_unit, make_person, auth_headers):
    headers = auth_headers(make_person(make_unit("inspection"), "unit_admin"))

    _refused(client.get("/open/v1/ping", headers=headers), 401, "signature_missing")


def test_client_rate_limit_refuses_beyond_its_minute(make_api_client, signed):
    issued = make_api_client(rate_limit_per_minute=2)
    caller = signed(issued)

    assert [caller.get("/open/v1/ping").status_code for _ in range(2)] == [200, 200]
    response = caller.get("/open/v1/ping")

    _refused(response, 429, "too_many_requests")
    assert response.headers["Retry-After"]


def test_reference_client_signs_queries_with_unicode_and_repeats(issued, signed):
    response = signed(issued).get("/open/v1/ping?b=2&a=x%20y", params={"a": ["测试", "/?&="]})

    assert response.status_code == 200, response.json  # the server's canonical query matched the client's


def test_path_with_encoded_characters_is_signed_as_sent(issued, signed):
    response = signed(issued).get("/open/v1/%70ing")  # %70 is "p": the same route

    assert response.status_code == 200, response.json


def test_query_that_is_not_utf8_is_a_client_error(issued, client):
    _, headers = signed_request(issued.key.key_id, issued.secret, "GET", "/open/v1/ping")

    _refused(client.get("/open/v1/ping?a=%ff", headers=headers), 400, "query_malformed")
