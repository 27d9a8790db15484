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
