def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_openapi_document_lists_the_api(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json["paths"]
    assert "/api/v1/auth/wx-login" in paths
    assert "/api/v1/units/registrations" in paths
    assert response.json["components"]["schemas"]["Error"]["properties"].keys() >= {"code", "message", "details"}


def test_the_openapi_document_is_valid_and_its_bounds_are_numbers(client):
    from openapi_spec_validator import validate

    spec = client.get("/api/openapi.json").json
    validate(spec)
    latitude = spec["components"]["schemas"]["EquipmentInput"]["properties"]["latitude"]
    assert (latitude["type"], latitude["minimum"], latitude["maximum"]) == ("number", -90, 90)
    # what the API sends for a coordinate is decimal text, and the document says so
    assert spec["components"]["schemas"]["Equipment"]["properties"]["latitude"]["type"] == "string"


def test_liveness_answers_without_calling_a_dependency(client, app, monkeypatch):
    from miniapp_api import health

    def broken(*args, **kwargs):
        raise AssertionError("liveness must not call a dependency")

    monkeypatch.setattr(health, "_database", broken)
    monkeypatch.setattr(health, "_redis", broken)
    response = client.get("/healthz/live")
    assert (response.status_code, response.json) == (200, {"status": "ok"})


def test_readiness_checks_database_redis_and_migrations_at_head(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "failed": [],
                             "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}


def test_readiness_fails_when_the_migrations_are_not_at_head(client, monkeypatch):
    from miniapp_api import health

    monkeypatch.setattr(health, "migration_heads", lambda: {"9999_newer"})
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json["failed"] == ["migrations"]
    assert response.json["checks"]["migrations"] == "not_at_head"


def test_readiness_fails_when_redis_is_down(client, app, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{closed}/0")
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json["failed"] == ["redis"]
    assert response.json["checks"]["database"] == "ok"
