"""A signed ping proves a key works; the open API's own document."""
from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db


def test_signed_ping_answers_who_the_caller_is(make_api_client, signed, audit_count):
    issued = make_api_client("inspection", ("inspection:write", "open:read"))
    before = audit_count()

    response = signed(issued).get("/open/v1/ping")

    assert response.status_code == 200, response.json
    assert response.json["ok"] is True
    assert response.json["client_id"] == issued.client.id
    assert response.json["unit_id"] == issued.client.unit_id
    assert response.json["key_id"] == issued.key.key_id
    assert response.json["scopes"] == ["inspection:write", "open:read"]
    assert audit_count() == before + 1


def test_every_accepted_request_is_audited_with_the_client(make_api_client, signed):
    issued = make_api_client()

    signed(issued).get("/open/v1/ping", params={"q": "测试 a/b", "a": ["2", "1"]})

    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "open.request"
    assert entry.actor_client_id == issued.client.id
    assert entry.actor_person_id is None
    assert entry.actor_unit_id == issued.client.unit_id
    assert entry.client == "open"
    assert entry.after == {"key_id": issued.key.key_id, "method": "GET", "path": "/open/v1/ping", "status": 200}


def test_audit_chain_still_verifies_with_client_entries(make_api_client, signed):
    from core.audit import verify_chain

    signed(make_api_client()).get("/open/v1/ping")

    assert list(verify_chain()) == []


def test_open_api_document_describes_ping_and_the_signing_scheme(client):
    spec = client.get("/open/v1/openapi.json").json

    assert "/open/v1/ping" in spec["paths"]
    schemes = spec["components"]["securitySchemes"]
    assert schemes["signature"]["name"] == "X-Signature"
    assert "HMAC-SHA256" in schemes["signature"]["description"]
    assert {"apiKey", "timestamp", "nonce", "signature"} <= set(spec["security"][0])
    assert not any(path.startswith("/api/") for path in spec["paths"])


def test_people_api_document_lists_no_open_paths(client):
    spec = client.get("/api/openapi.json").json

    assert "/api/v1/clients" in spec["paths"]
    assert not any(path.startswith("/open/") for path in spec["paths"])


def test_signed_post_ping_reports_the_body_hash(make_api_client, signed):
    from integration_api.client import body_hash, encode_json

    response = signed(make_api_client()).post("/open/v1/ping", json={"检验": "报告", "n": 1})

    assert response.status_code == 200, response.json
    assert response.json["body_sha256"] == body_hash(encode_json({"检验": "报告", "n": 1}))
