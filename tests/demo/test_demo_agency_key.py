"""The demo agency's /open/v1 key (issue 12, done-when): `flask demo-data` creates the client,
`flask clients demo-key` prints a key that signs a working ping, `make run` prints it, and
nowhere but a development machine."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from core.extensions import db
from integration_api.client import FlaskOpenClient
from models.clients import ApiClient, ApiClientKey
from tests.demo.quick_start import quick_start_app

ROOT = Path(__file__).resolve().parents[2]


def printed_key(output: str) -> tuple[str, str]:
    return re.search(r"key_id: (\S+)", output).group(1), re.search(r"secret: (\S+)", output).group(1)


@pytest.fixture
def app_env(app):
    """`app_env("development")` for this test."""
    before = app.config["APP_ENV"]

    def set_env(value: str) -> None:
        app.config["APP_ENV"] = value

    yield set_env
    app.config["APP_ENV"] = before


def test_the_printed_demo_key_signs_a_working_ping(app, client, demo, app_env):
    app_env("development")

    result = app.test_cli_runner().invoke(args=["clients", "demo-key", "--base-url", "http://127.0.0.1:8000"])

    assert result.exit_code == 0, result.output
    key_id, secret = printed_key(result.output)
    ping = FlaskOpenClient(client, key_id, secret).get("/open/v1/ping")
    assert ping.status_code == 200, ping.json
    assert ping.json["client_name"] == "演示检验院业务系统"
    assert ping.json["scopes"] == ["inspection:read", "inspection:write", "open:read"]
    assert f"OpenClient('http://127.0.0.1:8000', '{key_id}', '{secret}')" in result.output


def test_the_demo_key_is_the_same_every_time_it_is_shown(app, demo, app_env):
    app_env("development")
    runner = app.test_cli_runner()

    first = printed_key(runner.invoke(args=["clients", "demo-key"]).output)
    second = printed_key(runner.invoke(args=["clients", "demo-key"]).output)

    assert first == second
    assert db.session.scalar(select(ApiClient).where(ApiClient.name == "演示检验院业务系统")).keys[0].key_id == first[0]


def test_the_demo_key_is_never_shown_outside_development(app, demo, app_env):
    app_env("production")

    result = app.test_cli_runner().invoke(args=["clients", "demo-key"])

    assert result.exit_code != 0
    assert "demo_key_development_only" in result.output and "secret" not in result.output


def test_a_demo_key_unreadable_under_a_new_secret_key_is_replaced(app, client, demo, app_env):
    app_env("development")
    runner = app.test_cli_runner()
    old_key_id, _ = printed_key(runner.invoke(args=["clients", "demo-key"]).output)
    secret_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "another-secret"
    try:
        result = runner.invoke(args=["clients", "demo-key"])
        key_id, secret = printed_key(result.output)
        ping = FlaskOpenClient(client, key_id, secret).get("/open/v1/ping")
    finally:
        app.config["SECRET_KEY"] = secret_key

    assert key_id != old_key_id and ping.status_code == 200
    assert db.session.scalar(select(ApiClientKey.status).where(ApiClientKey.key_id == old_key_id)) == "revoked"


def test_loading_the_demo_twice_adds_no_second_client(demo):
    assert demo.load() == 0
    assert len(db.session.scalars(select(ApiClient).where(ApiClient.name == "演示检验院业务系统")).all()) == 1


def test_make_run_prints_the_demo_key_after_loading_the_demo():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    lines = [line for line in run.splitlines() if "flask" in line or "gunicorn" in line]

    demo_data = next(i for i, line in enumerate(lines) if "flask demo-data" in line)
    demo_key = next(i for i, line in enumerate(lines) if "flask clients demo-key" in line)
    server = next(i for i, line in enumerate(lines) if "gunicorn" in line)
    assert demo_data < demo_key < server


@pytest.mark.no_db
def test_the_quick_start_prints_a_key_that_signs_a_ping(tmp_path, fake_wechat):
    """`make run` on SQLite without Redis: demo-data, then demo-key, then a signed ping."""
    with quick_start_app(tmp_path, fake_wechat) as app:
        runner = app.test_cli_runner()
        with app.app_context():  # as `flask` pushes one for every command
            assert runner.invoke(args=["demo-data"]).exit_code == 0
            db.session.remove()
        with app.app_context():
            result = runner.invoke(args=["clients", "demo-key"])
            db.session.remove()
        assert result.exit_code == 0, result.output
        key_id, secret = printed_key(result.output)
        ping = FlaskOpenClient(app.test_client(), key_id, secret).get("/open/v1/ping")
        assert ping.status_code == 200, ping.json
        assert ping.json["scopes"] == ["inspection:read", "inspection:write", "open:read"]
