"""The demo's inspection loop (issue 12, done-when): the demo agency holds an approved scope, has
applications in every state, and has recorded a passing and a failing result; what a newcomer
finds with the demo accounts and the demo agency's key."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from integration_api.client import FlaskOpenClient
from models.equipment import Equipment
from models.findings import Finding
from models.inspection import INSPECTION_APPLICATION_STATUSES, AgencyApproval, InspectionApplication, InspectionResult
from models.notify import OutboxMessage
from models.onecode import Code
from models.orgs import Unit
from services.demo.inspection import AGENCY
from services.equipment.scope import covers


@pytest.fixture
def agency(demo) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == AGENCY))


def result(report_no: str) -> InspectionResult:
    return db.session.scalar(select(InspectionResult).where(InspectionResult.report_no == report_no))


def test_the_demo_agency_holds_an_approved_scope_in_date_over_every_demo_device(agency):
    approval = db.session.scalar(select(AgencyApproval).where(AgencyApproval.unit_id == agency.id,
                                                              AgencyApproval.status == "approved"))
    devices = db.session.scalars(select(Equipment.catalogue_code).where(Equipment.use_status == "in_use")).all()

    assert approval is not None and approval.valid_until >= business_today()
    assert approval.region_codes == []  # the whole province
    assert len(approval.inspection_types) == 7
    assert all(any(covers(code, device) for code in approval.categories) for device in devices)
    assert approval.decided_by_person_id == agency_decider()


def agency_decider() -> int:
    from services.demo import demo_person

    return demo_person("demo-province").id


def test_the_demo_agency_has_applications_in_every_state(agency):
    statuses = db.session.scalars(select(InspectionApplication.status)
                                  .where(InspectionApplication.agency_unit_id == agency.id)).all()

    assert set(statuses) == set(INSPECTION_APPLICATION_STATUSES)


def test_the_passing_result_completed_its_application_and_set_the_series(agency):
    passed = result("DEMO-DT-0001")
    application = db.session.get(InspectionApplication, passed.application_id)
    device = db.session.get(Equipment, passed.equipment_id)

    assert (passed.conclusion, passed.forbids_use) == ("合格", False)
    assert application.status == "completed" and application.result_id == passed.id
    assert (device.last_inspection_conclusion, device.last_inspection_date) == ("合格", business_today())
    assert device.next_due_date > business_today() and device.failed_inspection_result_id is None


def test_the_failing_result_turned_its_elevators_code_red_with_two_open_findings(agency, client):
    failed = result("DEMO-DT-0002")
    device = db.session.get(Equipment, failed.equipment_id)
    findings = db.session.scalars(select(Finding).where(Finding.source_type == "inspection",
                                                        Finding.equipment_id == device.id)).all()
    code = db.session.scalar(select(Code.code).where(Code.target_type == "equipment", Code.target_id == device.id,
                                                     Code.status == "active"))

    card = client.get(f"/api/v1/scan/{code}").json["card"]

    assert (failed.conclusion, failed.forbids_use) == ("不合格", True)
    assert device.failed_inspection_result_id == failed.id
    assert sorted((f.severity, f.status) for f in findings) == [("general", "open"), ("serious", "open")]
    assert card["status_colour"] == "red" and card["last_inspection_conclusion"] == "不合格"


def test_the_mall_and_its_regulator_were_told_of_the_failed_elevator(agency):
    from services.demo import demo_person

    failed = result("DEMO-DT-0002")
    told = {m.recipient_person_id for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.body.contains("DEMO-DT-0002")))}

    assert demo_person("demo-unit-admin").id in told
    assert demo_person("demo-county").id in told
    assert failed is not None


def test_the_demo_key_reads_the_failed_elevator_over_the_machine_api(app, client, agency):
    from services.demo.clients import demo_key

    before = app.config["APP_ENV"]
    app.config["APP_ENV"] = "development"
    try:
        key = demo_key()
    finally:
        app.config["APP_ENV"] = before
    device = db.session.get(Equipment, result("DEMO-DT-0002").equipment_id)

    body = FlaskOpenClient(client, key.key_id, key.secret).get(f"/open/v1/equipment/{device.equipment_code}").json

    assert body["equipment_code"] == device.equipment_code
    assert body["use_forbidden_by_inspection"] is True and body["last_inspection_conclusion"] == "不合格"
    assert re.fullmatch(r"\d{3}\*{4}\d{4}", body["safety_officer"]["phone"])


def test_loading_the_demo_again_adds_no_application_or_result(demo, agency):
    counts = (db.session.query(InspectionApplication).count(), db.session.query(InspectionResult).count())

    assert demo.load() == 0
    assert (db.session.query(InspectionApplication).count(), db.session.query(InspectionResult).count()) == counts
