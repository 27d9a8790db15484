"""JSON logs: a request id accepted from and answered in X-Request-ID, the caller (never a token),
the timing, and the same request id on the log lines of the jobs a request enqueued."""
from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from core.audit import AuditContext
from core.logs import JsonFormatter
from integration_api.client import FlaskOpenClient
from services import clients
from tests.orgs.test_registration import registration
from tests.onecode.conftest import site  # noqa: F401  (a fixture)


class JsonCapture(logging.Handler):
    """Formats each record as it is emitted (as the real handler does), so the request id in force
    at that moment is the one written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def entries(self, logger: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in self.lines]  # every line is one JSON object
        return [e for e in parsed if logger is None or e["logger"] == logger]


@pytest.fixture
def captured() -> Iterator[JsonCapture]:
    handler = JsonCapture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_the_request_id_is_accepted_answered_and_logged_with_the_person_and_timing(
        client, make_unit, make_person, auth_headers, captured):
    person = make_person(make_unit("use"), "safety_officer")
    headers = auth_headers(person)
    token = headers["Authorization"].split()[1]
    response = client.get("/api/v1/me", headers={**headers, "X-Request-ID": "abc123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "abc123"
    [access] = captured.entries("access")
    assert access["request_id"] == "abc123"
    assert access["caller"] == f"person:{person.id}"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/v1/me", 200)
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert access["time"].endswith("+00:00") and access["level"] == "INFO"
    assert token not in "\n".join(captured.lines)
    assert "Bearer" not in "\n".join(captured.lines)


def test_a_signed_client_is_logged_by_its_client_id(client, make_unit, captured):
    issued = clients.create_client(AuditContext(None, None, "test"), make_unit("inspection"), "检验系统",
                                   ["open:read"])
    response = FlaskOpenClient(client, issued.key.key_id, issued.secret).get("/open/v1/ping")
    assert response.status_code == 200
    [access] = captured.entries("access")
    assert access["caller"] == f"client:{issued.client.id}"
    assert issued.secret not in "\n".join(captured.lines)


@pytest.mark.parametrize("sent", [None, "", "x" * 129, "abc 123", "abc/../123", "<script>", "请求"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_fresh_one(client, sent, captured):
    headers = {} if sent is None else {"X-Request-ID": sent}
    response = client.get("/healthz/live", headers=headers)
    answered = response.headers["X-Request-ID"]
    assert answered != sent and len(answered) == 32 and int(answered, 16) >= 0
    [access] = captured.entries("access")
    assert (access["request_id"], access["caller"]) == (answered, "public")


def test_a_job_logs_with_the_request_id_of_the_request_that_enqueued_it(
        client, regulator, run_jobs, captured, monkeypatch):
    from services import notify

    job_log = logging.getLogger("tests.job")
    deliver = notify.deliver

    def logging_deliver(message_id: int):
        job_log.info("delivering message %s", message_id)
        return deliver(message_id)

    monkeypatch.setattr(notify, "deliver", logging_deliver)
    regulator("610113")  # a reviewer, so the registration enqueues a message
    response = client.post("/api/v1/units/registrations", json=registration(),
                           headers={"X-Request-ID": "reg-42"})
    assert response.status_code == 201, response.json
    assert captured.entries("tests.job") == []  # not run yet: it waits in rq

    run_jobs()  # a SimpleWorker in burst mode against the real Redis, outside any request
    [line] = captured.entries("tests.job")
    assert line["request_id"] == "reg-42"
    assert line["job_id"]
    # rq's own line on the job's success is written while the job runs, so it carries the id too
    [done] = [e for e in captured.entries("rq.worker") if "Job OK" in e["message"]]
    assert (done["request_id"], done["job_id"]) == ("reg-42", line["job_id"])


def test_an_in_process_job_keeps_the_request_id(app, client, regulator, captured, monkeypatch):
    from services import notify

    job_log = logging.getLogger("tests.job")
    deliver = notify.deliver

    def logging_deliver(message_id: int):
        job_log.info("delivering message %s", message_id)
        return deliver(message_id)

    monkeypatch.setattr(notify, "deliver", logging_deliver)
    monkeypatch.setitem(app.config, "REDIS_URL", None)  # the quick start: jobs run after the commit
    regulator("610113")
    response = client.post("/api/v1/units/registrations", json=registration(),
                           headers={"X-Request-ID": "inline-7"})
    assert response.status_code == 201, response.json
    [line] = captured.entries("tests.job")
    assert line["request_id"] == "inline-7"



def test_public_scan_hits_write_no_access_line_but_refusals_and_logged_in_scans_do(client, site, captured):
    """The anonymous public scan is the busiest path (ACCESS_LOG_QUIET_PREFIXES): its successes are
    left to the reverse proxy's log; a refused scan and a logged-in caller's scan are still logged."""
    code = site["code"]
    assert client.get(f"/api/v1/scan/{code}").status_code == 200
    assert client.get(f"/c/{code}").status_code == 200
    assert client.get("/api/v1/scan/AAAAAAAAAA").status_code == 400
    assert client.get(f"/api/v1/scan/{code}", headers=site["officer_headers"]).status_code == 200
    logged = [(e["path"], e["status"], e["caller"]) for e in captured.entries("access")]
    assert logged == [("/api/v1/scan/AAAAAAAAAA", 400, "public"),
                      (f"/api/v1/scan/{code}", 200, f"person:{site['officer'].id}")]
