"""`flask clients ...`, the reference client over real HTTP, the nonce store without Redis,
and the batch answer domain endpoints will give."""
from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from core.errors import InvalidInput
from core.extensions import db
from integration_api.batch import Outcome, run_batch
from integration_api.client import FlaskOpenClient, OpenClient
from models.clients import ApiClient
from models.orgs import Unit
from tests.conftest import TEST_REDIS_URL


def _issued(output: str) -> tuple[str, str]:
    return (re.search(r"key_id: (\S+)", output).group(1), re.search(r"secret: (\S+)", output).group(1))


def test_cli_creates_rotates_and_revokes(app, client, make_unit):
    agency = make_unit("inspection", "610113")
    runner = app.test_cli_runner()

    created = runner.invoke(args=["clients", "create", "--unit", str(agency.id), "--name", "检验系统",
                                  "--scopes", "inspection:write,open:read"])
    assert created.exit_code == 0, created.output
    key_id, secret = _issued(created.output)
    assert FlaskOpenClient(client, key_id, secret).get("/open/v1/ping").status_code == 200
    client_id = db.session.scalar(select(ApiClient.id).where(ApiClient.unit_id == agency.id))

    rotated = runner.invoke(args=["clients", "rotate", str(client_id)])
    assert rotated.exit_code == 0, rotated.output
    new_key_id, new_secret = _issued(rotated.output)
    assert runner.invoke(args=["clients", "rotate", str(client_id)]).exit_code != 0  # a third key

    assert runner.invoke(args=["clients", "revoke-key", key_id]).exit_code == 0
    assert FlaskOpenClient(client, key_id, secret).get("/open/v1/ping").json["code"] == "client_key_revoked"
    assert FlaskOpenClient(client, new_key_id, new_secret).get("/open/v1/ping").status_code == 200

    listed = runner.invoke(args=["clients", "list"])
    assert f"keys: {new_key_id}" in listed.output

    assert runner.invoke(args=["clients", "revoke", str(client_id)]).exit_code == 0
    assert FlaskOpenClient(client, new_key_id, new_secret).get("/open/v1/ping").json["code"] == "client_revoked"


def test_cli_refuses_a_scope_the_unit_cannot_hold(app, make_unit):
    use_unit = make_unit("use", "610113")

    result = app.test_cli_runner().invoke(args=["clients", "create", "--unit", str(use_unit.id), "--name", "x",
                                                "--scopes", "inspection:write"])

    assert result.exit_code != 0
    assert "scope_not_for_unit" in result.output
    assert db.session.scalar(select(ApiClient).where(ApiClient.unit_id == use_unit.id)) is None


def test_reference_client_over_http(app, make_api_client):
    issued = make_api_client()
    db.session.flush()
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        caller = OpenClient(f"http://127.0.0.1:{server.server_port}", issued.key.key_id, issued.secret)
        got = caller.get("/open/v1/ping", params={"scope": "open:read"})
        posted = caller.post("/open/v1/ping", json={"记录": [1, 2]})
    finally:
        server.shutdown()
        thread.join()
        caller.session.close()
    assert got.status_code == 200, got.text
    assert posted.status_code == 200, posted.text


def test_nonce_replay_refused_without_redis(app, make_api_client, signed):
    issued = make_api_client()
    app.config["REDIS_URL"] = None
    try:
        first = signed(issued).get("/open/v1/ping", nonce="quick-start-nonce-01")
        again = signed(issued).get("/open/v1/ping", nonce="quick-start-nonce-01")
    finally:
        app.config["REDIS_URL"] = TEST_REDIS_URL
    assert first.status_code == 200
    assert again.json["code"] == "nonce_reused"


def test_batch_answers_each_record_and_keeps_the_good_ones(make_unit):
    def handle(record):
        if record["name"] == "":
            raise InvalidInput.field("name", "名称不能为空。")
        if record["external_id"] == "same":
            return Outcome("unchanged", 7)
        unit = make_unit("use", "610113", name=record["name"])
        return Outcome("applied", unit.id)

    answer = run_batch([{"external_id": "A", "name": "甲"}, {"external_id": "B", "name": ""},
                        {"external_id": "same", "name": "丙"}], handle)

    assert answer.counts == {"applied": 1, "unchanged": 1, "error": 1}
    assert [r["status"] for r in answer.results] == ["applied", "error", "unchanged"]
    assert answer.results[1]["error"]["details"] == {"fields": {"name": ["名称不能为空。"]}}
    assert db.session.scalar(select(Unit.name).where(Unit.id == answer.results[0]["id"])) == "甲"


def test_batch_rolls_back_only_the_refused_record(make_unit):
    def handle(record):
        unit = make_unit("use", "610113", name=record["name"])
        if record["name"] == "坏":
            raise InvalidInput("此条有误。")
        return Outcome("applied", unit.id)

    run_batch([{"external_id": "1", "name": "好"}, {"external_id": "2", "name": "坏"}], handle)

    names = set(db.session.scalars(select(Unit.name).where(Unit.name.in_(["好", "坏"]))))
    assert names == {"好"}


def test_batch_larger_than_the_setting_is_refused_whole(app):
    app.config["OPEN_BATCH_MAX_RECORDS"] = 2
    try:
        with pytest.raises(InvalidInput) as refused:
            run_batch([{"external_id": str(n)} for n in range(3)], lambda record: Outcome("applied"))
    finally:
        app.config["OPEN_BATCH_MAX_RECORDS"] = 500
    assert refused.value.code == "batch_too_large"
