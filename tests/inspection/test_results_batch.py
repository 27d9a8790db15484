"""Inspection results in batches: idempotent by report number, each record checked on its own,
the agency's reach, corrections and late results, and who may record."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select, update

from core.extensions import db
from models.equipment import Equipment
from models.findings import Finding
from models.inspection import InspectionResult
from models.notify import OutboxMessage
from models.orgs import PersonRole
from tests.inspection.results_fixtures import (approve, audit_count, coded, day, lab, mall,  # noqa: F401
                                               result_record)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _send(lab, *records):
    response = lab.machine.post("/open/v1/inspection/results", json={"records": list(records)})
    assert response.status_code == 200, response.json
    return response.json


def _device(device_id: int) -> Equipment:
    return db.session.get(Equipment, device_id, populate_existing=True)


def test_the_same_batch_twice_changes_nothing(lab, coded):
    devices = [coded("3110") for _ in range(3)]
    batch = [result_record(devices[0].code, "B-1"),
             result_record(devices[1].code, "B-2", conclusion="不合格",
                           problems=[{"description": "限速器动作速度超标", "severity": "serious"}]),
             result_record(devices[2].code, "B-3", inspection_type="self_test", conclusion="符合",
                           problems=[{"description": "井道照明不足", "severity": "general"}])]
    first = _send(lab, *batch)
    assert first["counts"] == {"applied": 3, "unchanged": 0, "error": 0}
    counts = (audit_count("inspection_result."), audit_count("finding."), audit_count("equipment."),
              _count(Finding), _count(OutboxMessage), _count(InspectionResult))

    second = _send(lab, *batch)

    assert second["counts"] == {"applied": 0, "unchanged": 3, "error": 0}
    assert [r["id"] for r in second["results"]] == [r["id"] for r in first["results"]]
    assert [r["external_id"] for r in second["results"]] == ["B-1", "B-2", "B-3"]
    assert (audit_count("inspection_result."), audit_count("finding."), audit_count("equipment."),
            _count(Finding), _count(OutboxMessage), _count(InspectionResult)) == counts


def test_a_batch_with_bad_rows_applies_the_good_ones_and_answers_row_errors(lab, coded):
    elevator, vessel, pipe, boiler = coded("3110"), coded("2150"), coded("8310"), coded("1100")
    rows = [
        result_record(elevator.code, "OK-1"),
        result_record("3110610113209999999", "E-unknown"),
        result_record(elevator.code, "E-vocab", conclusion="符合要求"),
        result_record(vessel.code, "E-grade-missing", conclusion="符合要求"),
        result_record(pipe.code, "E-grade-range", conclusion="不符合要求", safety_grade=5),
        result_record(elevator.code, "E-future", inspection_date=day(3).isoformat(), report_date=None),
        result_record(elevator.code, "E-order", inspection_date=day(-2).isoformat(), report_date=day(-5).isoformat()),
        result_record(elevator.code, "E-problems", problems=[{"description": "x", "severity": "general"}] * 101),
        result_record(elevator.code, "E-reinspect", conclusion="复检合格", reinspection_of="NO-SUCH"),
        result_record(boiler.code, "E-type", inspection_type="self_test", conclusion="符合"),
        result_record(elevator.code, "OK-1"),
        {**result_record(elevator.code, "E-field"), "colour": "red"},
        "not an object",
        result_record(vessel.code, "OK-2", conclusion="基本符合要求", safety_grade=3, inspection_type="periodic"),
        result_record(elevator.code, "E-severity", problems=[{"description": "门锁失效", "severity": "urgent"}]),
        result_record(elevator.code, "E-type-list", inspection_type=["periodic"]),
        result_record(elevator.code, "E-severity-object", problems=[{"description": "门锁失效", "severity": {}}]),
    ]
    answer = _send(lab, *rows)

    codes = {r["external_id"]: (r["error"] or {}).get("code") for r in answer["results"] if r["status"] == "error"}
    assert codes == {
        "E-unknown": "equipment_unknown", "E-vocab": "conclusion_not_allowed",
        "E-grade-missing": "safety_grade_required", "E-grade-range": "safety_grade_out_of_range",
        "E-future": "inspection_date_in_future", "E-order": "report_date_before_inspection",
        "E-problems": "too_many_problems", "E-reinspect": "reinspection_of_unknown",
        "E-type": "inspection_type_not_for_category", "OK-1": "report_no_repeated", "E-field": "validation_error",
        None: "record_invalid", "E-severity": "severity_invalid", "E-type-list": "inspection_type_invalid",
        "E-severity-object": "severity_invalid"}
    assert answer["counts"] == {"applied": 2, "unchanged": 0, "error": 15}
    by_index = {r["index"]: r for r in answer["results"]}
    assert by_index[2]["error"]["details"]["fields"] == {"conclusion": ["电梯定期检验的检验结论应为：合格、不合格、复检合格、复检不合格。"]}
    assert "colour" in by_index[11]["error"]["details"]["fields"]
    assert "problems.0.severity" in by_index[14]["error"]["details"]["fields"]
    assert [by_index[i]["status"] for i in (0, 13)] == ["applied", "applied"]
    assert {r.report_no for r in db.session.scalars(select(InspectionResult))} == {"OK-1", "OK-2"}
    assert _device(vessel.id).last_inspection_grade == 3


@pytest.mark.parametrize("category,grade,conclusion,red", [
    ("2150", 5, "不符合要求", True), ("2150", 4, "基本符合要求", False), ("8310", 4, "不符合要求", True),
    ("8310", 3, "符合要求", False), ("1100", None, "不符合要求", True), ("3110", None, "复检不合格", True),
])
def test_the_worst_grade_and_failing_words_forbid_use(client, lab, coded, category, grade, conclusion, red):
    device = coded(category)
    kind = "external" if category == "1100" else "periodic"
    answer = _send(lab, result_record(device.code, "G-1", inspection_type=kind, conclusion=conclusion,
                                      safety_grade=grade))
    assert answer["counts"]["applied"] == 1, answer
    colour = client.get(f"/api/v1/scan/{device.scan}").json["card"]["status_colour"]
    assert (colour == "red") is red
    assert (_device(device.id).failed_inspection_result_id is not None) is red


def test_an_agency_cannot_touch_another_agencys_report_numbers(client, lab, coded, make_unit, make_person,
                                                               auth_headers, approve):
    device = coded("3110")
    _send(lab, result_record(device.code, "SAME-NO", conclusion="不合格"))
    other = make_unit("inspection", "610100", name="另一检验机构")
    approve(other)
    inspector = auth_headers(make_person(other, "inspector"))
    record = result_record(device.code, "SAME-NO", conclusion="合格", inspection_date=day(-1).isoformat())
    record["equipment_id"] = record.pop("equipment_code") and device.id

    response = client.post("/api/v1/inspection/results", headers=inspector, json=record)

    assert response.status_code == 201, response.json
    mine, theirs = db.session.scalars(select(InspectionResult).where(InspectionResult.report_no == "SAME-NO")
                                      .order_by(InspectionResult.id)).all()
    assert (mine.agency_unit_id, mine.conclusion) == (lab.unit.id, "不合格")
    assert (theirs.agency_unit_id, theirs.conclusion) == (other.id, "合格")
    # Neither sees nor changes the other's: their result is not found by id, nor its report.
    assert client.get(f"/api/v1/inspection/results/{mine.id}", headers=inspector).status_code == 404
    assert client.put(f"/api/v1/inspection/results/{mine.id}/report", headers=inspector,
                      json={"file_id": "0" * 32}).status_code == 404


@pytest.mark.parametrize("scope,code,field", [
    ({"categories": ("3000",)}, "agency_not_approved_for", "equipment_code"),
    ({"types": ("supervision",)}, "agency_not_approved_for", "inspection_type"),
    ({"regions": ("610200",)}, "agency_not_approved_for", "equipment_code"),
    ({"valid_until": date(2020, 1, 1)}, "agency_approval_lapsed", "inspection_date"),
    (None, "agency_not_approved_for", "agency_unit_id"),
])
def test_devices_outside_the_agencys_approved_scope_are_refused(client, make_unit, make_person, auth_headers,
                                                                 approve, coded, scope, code, field):
    agency = make_unit("inspection", "610100")
    if scope is not None:
        approve(agency, **{"categories": ("1000", "3000"), **scope})
    boiler = coded("1100")
    record = result_record(boiler.code, "R-1", inspection_type="external", conclusion="符合要求")

    response = client.post("/api/v1/inspection/results", headers=auth_headers(make_person(agency, "inspector")),
                           json=record)

    assert response.status_code == 422, response.json
    assert response.json["code"] == code
    assert field in response.json["details"]["fields"]
    assert db.session.scalar(select(InspectionResult.id)) is None


def test_excluded_pipes_take_no_result(lab, coded):
    answer = _send(lab, result_record(coded("8210").code, "X-1", inspection_type="annual", conclusion="符合要求"))
    assert answer["results"][0]["error"]["code"] == "inspection_out_of_scope"


def test_a_corrected_result_recomputes_the_device_and_its_findings(client, lab, coded):
    device = coded("3110")
    problems = [{"description": "层门间隙超标", "severity": "general"}, {"description": "底坑积水", "severity": "general"}]
    _send(lab, result_record(device.code, "C-1", problems=problems))
    assert _device(device.id).failed_inspection_result_id is None

    corrected = _send(lab, result_record(device.code, "C-1", conclusion="不合格",
                                         problems=[problems[0], {"description": "安全钳失效", "severity": "serious"}]))

    assert corrected["counts"]["applied"] == 1
    assert client.get(f"/api/v1/scan/{device.scan}").json["card"]["status_colour"] == "red"
    rows = {f.description: (f.status, f.closing_note) for f in db.session.scalars(select(Finding))}
    assert rows["层门间隙超标"] == ("open", None)
    assert rows["安全钳失效"] == ("open", None)
    assert rows["底坑积水"][0] == "closed" and "更正" in rows["底坑积水"][1]
    assert audit_count("inspection_result.update") == 1

    _send(lab, result_record(device.code, "C-1", conclusion="合格", problems=[problems[0]]))
    assert client.get(f"/api/v1/scan/{device.scan}").json["card"]["status_colour"] == "green"


def test_only_the_latest_result_drives_the_device(lab, coded):
    device = coded("3110")
    _send(lab, result_record(device.code, "L-new", inspection_date=day(-2).isoformat(), report_date=None))

    _send(lab, result_record(device.code, "L-old", conclusion="不合格", inspection_date=day(-40).isoformat(),
                             report_date=None))

    row = _device(device.id)
    assert (row.last_inspection_date, row.last_inspection_conclusion) == (day(-2), "合格")
    assert row.failed_inspection_result_id is None


def test_a_later_pass_of_the_same_type_clears_red_and_another_type_does_not(lab, coded):
    device = coded("3110")
    _send(lab, result_record(device.code, "T-1", conclusion="不合格", inspection_date=day(-30).isoformat(),
                             report_date=None, problems=[{"description": "曳引轮磨损", "severity": "general"}]))
    _send(lab, result_record(device.code, "T-2", inspection_type="self_test", conclusion="符合",
                             inspection_date=day(-20).isoformat(), report_date=None))
    assert _device(device.id).failed_inspection_result_id is not None

    _send(lab, result_record(device.code, "T-3", conclusion="合格", inspection_date=day(-10).isoformat(),
                             report_date=None))

    assert _device(device.id).failed_inspection_result_id is None
    finding = db.session.scalar(select(Finding).where(Finding.description == "曳引轮磨损"))
    assert finding.status == "closed" and "T-3" in finding.closing_note


def test_a_supervision_pass_is_what_the_use_registration_cites(client, lab, mall, coded, regulator):
    device = coded("3110", registration_status="unregistered", use_status="not_in_use", next_due_date=None)
    _send(lab, result_record(device.code, "JJ-2026-0007", inspection_type="supervision", work_type="installation",
                             inspection_date=day(-3).isoformat()))
    row = _device(device.id)
    assert (row.supervision_passed_on, row.supervision_report_no) == (day(-3), "JJ-2026-0007")
    assert row.next_due_date is not None

    applied = client.post(f"/api/v1/equipment/{device.id}/applications", headers=mall.headers, json={
        "kind": "use_registration", "form": {"put_into_use_date": day(0).isoformat()}, "submit": True})
    assert applied.status_code == 201, applied.json
    cited = {"passed_on": day(-3).isoformat(), "report_no": "JJ-2026-0007"}
    detail = client.get(f"/api/v1/equipment-applications/{applied.json['id']}", headers=mall.headers).json
    assert detail["supervision"] == cited
    office = regulator("610100")
    for action in ("accept", "approve"):
        done = client.post(f"/api/v1/equipment-applications/{applied.json['id']}/{action}", headers=office, json={})
        assert done.status_code == 200, done.json
    assert done.json["form"]["supervision"] == cited


def test_only_agency_staff_with_a_certificate_in_date_record(client, mall, coded, make_unit, make_person,
                                                             auth_headers, approve):
    device = coded("3110")
    record = result_record(device.code, "P-1")
    refused = client.post("/api/v1/inspection/results", headers=mall.headers, json=record)
    assert (refused.status_code, refused.json["code"]) == (403, "not_inspection_agency")
    agency = make_unit("inspection", "610100")
    approve(agency)
    inspector = make_person(agency, "inspector")
    db.session.execute(update(PersonRole).where(PersonRole.person_id == inspector.id)
                       .values(certificate_expiry=date(2020, 1, 1)))

    response = client.post("/api/v1/inspection/results", headers=auth_headers(inspector), json=record)

    assert (response.status_code, response.json["code"]) == (422, "certificate_expired")
    assert db.session.scalar(select(InspectionResult.id)) is None


def test_a_named_application_must_be_this_agencys_for_this_device_and_type_and_pending(
        lab, mall, coded, make_unit):
    from models.inspection import InspectionApplication

    device, other_device = coded("3110"), coded("3110")
    other_agency = make_unit("inspection", "610100")

    def application(agency_id, equipment_id, kind="periodic", status="accepted"):
        row = InspectionApplication(equipment_id=equipment_id, applicant_unit_id=mall.unit.id, agency_unit_id=agency_id,
                                    region_code="610113", inspection_type=kind, requested_date=day(1), status=status,
                                    contact_name="张三", contact_phone="13912345678")
        db.session.add(row)
        db.session.flush()
        return row.id

    theirs = application(other_agency.id, device.id, status="refused")
    other_device_app = application(lab.unit.id, other_device.id)
    wrong_type = application(lab.unit.id, device.id, kind="self_test")
    done = application(lab.unit.id, device.id, status="completed")
    pending = application(lab.unit.id, device.id)
    answer = _send(lab, *(result_record(device.code, f"APP-{n}", application_id=app_id)
                          for n, app_id in enumerate([theirs, other_device_app, wrong_type, done, pending, pending])))

    assert [(r["status"], (r.get("error") or {}).get("code")) for r in answer["results"]] == [
        ("error", "application_unknown"), ("error", "application_unknown"), ("error", "application_type_mismatch"),
        ("error", "application_not_pending"), ("applied", None), ("error", "application_not_pending")]
    completed = db.session.get(InspectionApplication, pending, populate_existing=True)
    assert (completed.status, completed.result_id) == ("completed", answer["results"][4]["id"])
