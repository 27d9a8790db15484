"""The agencies' machine API for results: POST /open/v1/inspection/results (batches, audited with
the client) and PUT /open/v1/inspection/results/<report_no>/report.pdf."""
from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEntry, verify_chain
from core.extensions import db
from integration_api.client import signed_request
from models.inspection import InspectionResult
from tests.inspection.results_fixtures import (approve, coded, lab, mall, result_record)  # noqa: F401

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF"


def _put_pdf(client, issued_lab, report_no: str, body: bytes, content_type: str = "application/pdf"):
    machine = issued_lab.machine
    path = f"/open/v1/inspection/results/{report_no}/report.pdf"
    target, headers = signed_request(machine.key_id, machine.secret, "PUT", path, body=body)
    return client.open(target, method="PUT", data=body, headers=headers, content_type=content_type)


def test_every_machine_write_is_audited_with_the_client(lab, coded):
    device = coded("3110")
    answer = lab.machine.post("/open/v1/inspection/results", json={"records": [
        result_record(device.code, "A-1", conclusion="不合格", problems=[{"description": "门锁回路短接",
                                                                          "severity": "serious"}])]})
    assert answer.status_code == 200, answer.json
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
        ["inspection_result.record", "finding.open", "equipment.inspection_failed"]))).all()
    assert sorted(e.action for e in entries) == ["equipment.inspection_failed", "finding.open",
                                                 "inspection_result.record"]
    assert {(e.actor_client_id, e.actor_person_id, e.actor_unit_id) for e in entries} == {(lab.client_id, None,
                                                                                           lab.unit.id)}
    result = db.session.scalar(select(InspectionResult))
    assert (result.recorded_by_client_id, result.recorded_by_person_id) == (lab.client_id, None)
    assert list(verify_chain()) == []


def test_more_than_the_batch_maximum_is_refused_whole(app, lab, coded, monkeypatch):
    device = coded("3110")
    monkeypatch.setitem(app.config, "INSPECTION_RESULTS_BATCH_MAX", 2)
    records = [result_record(device.code, f"M-{n}") for n in range(3)]

    response = lab.machine.post("/open/v1/inspection/results", json={"records": records})

    assert (response.status_code, response.json["code"]) == (422, "batch_too_large")
    assert db.session.scalar(select(InspectionResult.id)) is None


def test_a_client_without_the_write_scope_is_refused(client, lab, coded):
    from core.audit import AuditContext
    from integration_api.client import FlaskOpenClient
    from services import clients

    issued = clients.create_client(AuditContext(None, None, "test"), lab.unit, "只读系统", ["inspection:read"])
    reader = FlaskOpenClient(client, issued.key.key_id, issued.secret)
    response = reader.post("/open/v1/inspection/results", json={"records": [result_record(coded().code)]})
    assert (response.status_code, response.json["code"]) == (403, "scope_missing")


def test_the_report_pdf_is_stored_once_for_the_agencys_own_report_number(client, lab, coded, make_unit, approve):
    device = coded("3110")
    assert lab.machine.post("/open/v1/inspection/results",
                            json={"records": [result_record(device.code, "PDF-1")]}).status_code == 200

    first = _put_pdf(client, lab, "PDF-1", PDF)
    again = _put_pdf(client, lab, "PDF-1", PDF)

    assert (first.status_code, first.json["status"]) == (200, "applied"), first.json
    assert (again.status_code, again.json["status"]) == (200, "unchanged")
    assert first.json["report_sha256"] == again.json["report_sha256"]
    assert _put_pdf(client, lab, "NO-SUCH", PDF).json["code"] == "inspection_result_not_found"
    assert _put_pdf(client, lab, "PDF-1", b"GIF89a not a pdf").json["code"] == "report_not_pdf"
    assert _put_pdf(client, lab, "PDF-1", PDF + b"x", content_type="application/octet-stream").json["code"] == \
        "report_not_pdf"


def test_another_agencys_report_number_is_not_found(client, lab, coded, make_unit, approve):
    from core.audit import AuditContext
    from integration_api.client import FlaskOpenClient
    from services import clients
    from types import SimpleNamespace

    device = coded("3110")
    lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(device.code, "OWN-1")]})
    other = make_unit("inspection", "610100")
    approve(other)
    issued = clients.create_client(AuditContext(None, None, "test"), other, "另一系统", ["inspection:write"])
    stranger = SimpleNamespace(machine=FlaskOpenClient(client, issued.key.key_id, issued.secret))

    response = _put_pdf(client, stranger, "OWN-1", PDF)

    assert (response.status_code, response.json["code"]) == (404, "inspection_result_not_found")
    assert db.session.scalar(select(InspectionResult.report_file_id)) is None
