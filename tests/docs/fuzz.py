"""schemathesis over both OpenAPI documents, in-process through the test client: no server error
and no answer that breaks its own document (status, content type, body schema).

Shared by the quick run in the suite (tests/docs/test_fuzz.py, a few examples per operation) and
`make fuzz` (FUZZ_EXAMPLES examples per operation)."""
from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from werkzeug.test import EnvironBuilder

from integration_api.client import signed_request

CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# Raw file bodies (PUT /open/v1/inspection/results/<report_no>/report.pdf) are sent as bytes.
schemathesis.serializer.alias("application/pdf", "application/octet-stream")

FUZZ_SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


def load(app, document: str):
    """The document as served, bound to `app` (requests go through the session passed to `call`)."""
    return schemathesis.openapi.from_wsgi(document, app)


def fuzz(schema, send) -> list[str]:
    """Run every operation of `schema` for EXAMPLES generated cases, each sent with `send(case)`;
    the failures, one line per operation (empty: all answers conform)."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def run(case):
            case.validate_response(send(case), checks=CHECKS)

        try:
            run()
        except Exception as error:  # noqa: BLE001  (every failing operation is reported, not just the first)
            failures.append(f"{operation.label}: {str(error).strip()[:2000]}")
    return failures


class SigningClient:
    """Looks like the werkzeug client schemathesis sends through, signing each request as built
    (integration_api.client.signed_request), so the fuzzed requests pass the signature check."""

    def __init__(self, client, key_id: str, secret: str) -> None:
        self.client, self.key_id, self.secret = client, key_id, secret

    def open(self, **data):
        request = EnvironBuilder(**data).get_request()
        body = request.get_data()
        target, signature = signed_request(self.key_id, self.secret, request.method, request.path,
                                           params=list(request.args.items(multi=True)), body=body)
        headers = {key: value for key, value in request.headers.items()
                   if key.lower() not in ("host", "content-length")}
        return self.client.open(target, method=request.method, data=body, headers={**headers, **signature})
