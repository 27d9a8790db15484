"""The browsable documents: Swagger UI served offline, who may call what, the error envelope,
file downloads, the error-code catalogue and enum errors with their Chinese labels."""
import re

import pytest

DOCS = {"/api/docs": "/api/openapi.json", "/open/v1/docs": "/open/v1/openapi.json"}
ERROR_STATUSES = ("400", "401", "403", "404", "409", "422")


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield method, path, operation


@pytest.mark.parametrize("page", DOCS)
def test_swagger_ui_loads_only_local_assets(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert not re.search(r"https?://", html), "the docs page must not load anything from another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {a.rsplit("/", 1)[-1] for a in assets} >= {"swagger-ui.css", "swagger-ui-bundle.js"}
    types = {"css": "text/css", "js": "text/javascript"}
    for asset in assets:
        answer = client.get(asset)
        assert answer.status_code == 200, asset
        assert answer.mimetype == types[asset.rsplit(".", 1)[-1]], (asset, answer.mimetype)
        assert len(answer.data) > 1000
    assert f'url: "{DOCS[page]}"' in html
    assert client.get(DOCS[page]).status_code == 200


def test_docs_assets_serve_only_the_bundle_files(client):
    assert client.get("/api/docs/assets/swagger-ui.css.map").status_code == 404
    assert client.get("/api/docs/assets/..%2Findex.html").status_code == 404


def test_every_operation_needing_login_documents_the_bearer_scheme(client):
    from miniapp_api import PUBLIC_OPERATIONS

    spec = client.get("/api/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    for method, path, operation in _operations(spec):
        expected = PUBLIC_OPERATIONS.get((method, path), [{"bearer": []}])
        assert operation["security"] == expected, (method, path)
    assert set(PUBLIC_OPERATIONS) <= {(m, p) for m, p, _ in _operations(spec)}, "a stale public operation"
    # Spot checks: a public read answers without a token, a protected one does not.
    assert client.get("/api/v1/regions").status_code == 200
    assert client.get("/api/v1/me").status_code == 401
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearer": []}]
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []


def test_every_open_operation_documents_the_signing_headers(client):
    spec = client.get("/open/v1/openapi.json").json
    schemes = set(spec["components"]["securitySchemes"])
    for method, path, operation in _operations(spec):
        assert [set(requirement) for requirement in operation["security"]] == [schemes], (method, path)


@pytest.mark.parametrize("document", DOCS.values())
def test_error_statuses_are_documented_with_the_envelope(client, document):
    spec = client.get(document).json
    envelope = {"$ref": "#/components/schemas/Error"}
    assert set(spec["components"]["schemas"]["Error"]["properties"]) == {"code", "message", "details"}
    for method, path, operation in _operations(spec):
        for status in ERROR_STATUSES:
            response = operation["responses"][status]
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
            assert response["content"]["application/json"]["schema"] == envelope, (method, path, status)


DOWNLOADS = {
    ("/api/v1/equipment/export.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/v1/equipment/import-template.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/v1/equipment-applications/export.xlsx",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/v1/equipment/{equipment_id}/label.png", "image/png"),
    ("/api/v1/equipment/{equipment_id}/wxacode.png", "image/png"),
    ("/api/v1/onecode/jobs/{job_id}/file", "application/pdf"),
    ("/api/v1/checks/records/device/{equipment_id}.{fmt}", "application/pdf"),
    ("/api/v1/checks/records/unit/{unit_id}/week.{fmt}", "application/pdf"),
    ("/api/v1/checks/records/unit/{unit_id}/month.{fmt}", "application/pdf"),
    ("/api/v1/risk/periodic-reports/{report_id}/{fmt}", "application/pdf"),
    ("/api/v1/risk/recognition/export.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("/api/v1/uploads/{file_id}", "*/*"),
    ("/api/v1/risk/reports/{report_id}/files/{file_id}", "*/*"),
}


def test_file_downloads_are_documented_as_binary(client):
    spec = client.get("/api/openapi.json").json
    binary = {"type": "string", "format": "binary"}
    for path, mimetype in DOWNLOADS:
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert content[mimetype]["schema"] == binary, path
    # No other operation answers 200 without documenting what it answers.
    for method, path, operation in _operations(spec):
        ok = operation["responses"].get("200") or operation["responses"].get("201") \
            or operation["responses"].get("202") or operation["responses"].get("204")
        assert ok is not None, (method, path)


# A few codes answer different statuses where they are raised (the same condition met at a
# different step); the catalogue lists each (code, status) pair.
MULTI_STATUS = {"client_revoked": {403, 409}, "person_inactive": {409, 422}, "unit_disabled": {401, 409},
                "unit_not_approved": {403, 409}}


def test_error_catalogue_lists_codes_with_status_and_chinese_message(client):
    response = client.get("/api/errors")
    assert response.status_code == 200
    entries = response.json
    by_code: dict[str, set[int]] = {}
    for entry in entries:
        assert set(entry) == {"code", "status", "message"}
        assert re.fullmatch(r"[a-z0-9_{…}]+", entry["code"]), entry
        assert 400 <= entry["status"] < 600, entry
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry["message"]), entry
        by_code.setdefault(entry["code"], set()).add(entry["status"])
    lookup = {(e["code"], e["status"]): e["message"] for e in entries}
    assert lookup[("token_invalid", 401)] == "登录已失效，请重新登录。"
    assert lookup[("code_malformed", 400)] == "二维码编号有误，请核对后重新输入。"
    assert ("scope_missing", 403) in lookup
    assert ("validation_error", 422) in lookup and ("not_found", 404) in lookup
    assert ("login_failed", 401) in lookup  # a subclass's own code
    assert {code: statuses for code, statuses in by_code.items() if len(statuses) > 1} == MULTI_STATUS
    description = client.get("/api/openapi.json").json["info"]["description"]
    assert "| `token_invalid` | 401 | 登录已失效，请重新登录。 |" in description
    assert "/api/errors" in client.get("/open/v1/openapi.json").json["info"]["description"]


def test_enum_errors_list_the_chinese_labels(client):
    response = client.get("/api/v1/risk/reports?status=bogus")
    assert response.status_code == 422
    message = response.json["details"]["fields"]["status"][0]
    assert message.startswith("取值应为以下之一：")
    assert "handling（处置中）" in message and "assessing（专家评估中）" in message
