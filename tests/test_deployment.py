"""The deployment files hold together (Docker itself may be absent here): compose.yaml runs two web
processes, two workers, one cron, PostgreSQL and Redis with health checks and volumes; the
Dockerfile builds a pinned, non-root image that serves wsgi:app with gunicorn."""
from __future__ import annotations

import re

import pytest
import yaml

from core.config import ROOT

pytestmark = pytest.mark.no_db

APP_SERVICES = ("migrate", "web", "worker", "cron")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text(encoding="utf-8")


def replicas(service: dict) -> int:
    return service.get("deploy", {}).get("replicas", 1)


def command(service: dict) -> list[str]:
    value = service["command"]
    return value.split() if isinstance(value, str) else value


def test_compose_runs_two_web_two_workers_one_cron_postgres_and_redis(compose):
    services = compose["services"]
    assert set(services) >= {"web", "worker", "cron", "postgres", "redis", "migrate"}
    assert (replicas(services["web"]), replicas(services["worker"]), replicas(services["cron"])) == (2, 2, 1)


def test_compose_services_run_the_right_entry_points(compose):
    services = compose["services"]
    web = command(services["web"])
    assert web[0] == "gunicorn" and web[-1] == "wsgi:app" and "--no-control-socket" in web
    assert command(services["worker"]) == ["flask", "worker"]
    assert command(services["cron"]) == ["flask", "cron"]
    assert command(services["migrate"]) == ["flask", "db", "upgrade"]


def test_every_compose_service_is_health_checked_or_waits_for_healthy_ones(compose):
    services = compose["services"]
    for name, service in services.items():
        check = service.get("healthcheck", {})
        checked = bool(check.get("test")) and not check.get("disable")
        waits = service.get("depends_on", {})
        assert checked or (waits and all(
            condition["condition"] in ("service_healthy", "service_completed_successfully")
            for condition in waits.values())), name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert any("/healthz/" in part for part in services["web"]["healthcheck"]["test"])
    for name in ("web", "worker", "cron"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["restart"] == "unless-stopped"


def test_compose_keeps_database_redis_and_uploads_in_volumes_shared_where_needed(compose):
    services = compose["services"]
    assert set(compose["volumes"]) >= {"postgres-data", "redis-data", "uploads"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    for name in ("web", "worker"):  # uploads are written by the web and read by jobs, and back
        mounts = services[name]["volumes"]
        upload_dir = services[name]["environment"]["UPLOAD_DIR"]
        assert f"uploads:{upload_dir}" in mounts, name


def environment_names() -> set[str]:
    """Every environment variable core.config reads (`_env("NAME"`, `_int("NAME"`, ...)."""
    source = (ROOT / "core" / "config.py").read_text(encoding="utf-8")
    return set(re.findall(r"_(?:env|int|list|list_or|region_codes)\(\"([A-Z][A-Z0-9_]*)\"", source))


def test_compose_environment_names_are_settings_of_the_app(compose):
    settings = environment_names()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "UPLOAD_DIR"} <= settings
    for name in APP_SERVICES:
        unknown = set(compose["services"][name]["environment"]) - settings
        assert not unknown, (name, unknown)


def test_dockerfile_is_pinned_non_root_and_serves_wsgi_app_with_gunicorn(dockerfile):
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.M).group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", base), base
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^EXPOSE\s+8000\b", dockerfile, re.M)
    assert "fonts-wqy-microhei" in dockerfile  # PDFs and labels print Chinese
    cmd = re.findall(r"^CMD\s+(.+)$", dockerfile, re.M)[-1]
    assert cmd.startswith("[") and "gunicorn" in cmd and '"wsgi:app"' in cmd and "--no-control-socket" in cmd
    assert re.search(r"^HEALTHCHECK .*\n?.*?/healthz/live", dockerfile, re.M)
