"""Inspection results: the loop closed (apply → accept → 不合格 with problems → red code, findings,
unit and regulator told → rectified → 复检合格 → green, next due dates by rule), by hand and by
the agency's machine."""
from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from core.audit import AuditEntry, verify_chain
from core.extensions import db
from models.equipment import Equipment
from models.findings import Finding
from models.inspection import EquipmentDueDate, InspectionApplication, InspectionResult
from services.inspection import due_dates
from tests.inspection.results_fixtures import (approve, coded, day, lab, mall, messages_to,  # noqa: F401
                                               result_record)


def _apply(client, mall, lab, device) -> int:
    applied = client.post("/api/v1/inspection/applications", headers=mall.headers, json={
        "equipment_id": device.id, "agency_unit_id": lab.unit.id, "inspection_type": "periodic",
        "requested_date": day(0).isoformat(), "contact_name": "张三", "contact_phone": "13912345678"})
    assert applied.status_code == 201, applied.json
    return applied.json["id"]


def _apply_and_accept(client, mall, lab, device) -> int:
    application_id = _apply(client, mall, lab, device)
    accepted = client.post(f"/api/v1/inspection/applications/{application_id}/accept", headers=lab.headers,
                           json={"planned_date": day(0).isoformat()})
    assert accepted.status_code == 200, accepted.json
    return application_id


def _apply_and_plan(client, mall, lab, device) -> int:
    """The unit applies; the agency's staff accept and plan it (date and inspector) through /api."""
    application_id = _apply_and_accept(client, mall, lab, device)
    planned = client.post(f"/api/v1/inspection/applications/{application_id}/plan", headers=lab.headers,
                          json={"planned_date": day(0).isoformat(), "inspector_person_ids": [lab.inspector.id]})
    assert planned.status_code == 200, planned.json
    assert (planned.json["status"], planned.json["inspector_person_ids"]) == ("planned", [lab.inspector.id])
    return application_id


def _card(client, device) -> dict:
    return client.get(f"/api/v1/scan/{device.scan}").json["card"]


def _by_hand(device, report_no, **overrides) -> dict:
    record = result_record(device.code, report_no, **overrides)
    record.pop("equipment_code")
    return {**record, "equipment_id": device.id}


def test_the_loop_closes_failed_result_turns_the_code_red_and_a_passing_reinspection_restores_it(
        client, mall, lab, coded):
    elevator = coded("3110", supervision_passed_on=date(2020, 5, 10), last_inspection_date=date(2025, 5, 8),
                     last_inspection_conclusion="合格")
    application_id = _apply_and_plan(client, mall, lab, elevator)
    assert _card(client, elevator)["status_colour"] == "green"  # and now cached

    failed = client.post("/api/v1/inspection/results", headers=lab.headers, json=_by_hand(
        elevator, "DT-2026-0001", conclusion="不合格", inspection_date=day(-1).isoformat(),
        report_date=day(0).isoformat(), problems=[
            {"description": "制动器制动力不足", "severity": "serious", "item_key": "2.8"},
            {"description": "轿厢应急照明失效", "severity": "general", "deadline": day(20).isoformat()}]))
    assert failed.status_code == 201, failed.json
    assert (failed.json["forbids_use"], failed.json["problem_count"]) == (True, 2)
    assert failed.json["application_id"] == application_id

    card = _card(client, elevator)
    assert (card["status_colour"], card["status_text"]) == ("red", "检验结论为不合格，禁止使用")
    assert card["last_inspection_conclusion"] == "不合格"
    application = db.session.get(InspectionApplication, application_id)
    assert (application.status, application.result_id) == ("completed", failed.json["id"])

    found = client.get("/api/v1/findings", headers=mall.officer_headers,
                       query_string={"source_type": "inspection", "status": "open"}).json["items"]
    assert sorted(f["description"] for f in found) == ["制动器制动力不足", "轿厢应急照明失效"]
    general = next(f for f in found if f["severity"] == "general")
    assert general["deadline"] == day(20).isoformat()
    for person in (mall.admin, mall.director, mall.regulator):
        assert any("禁止使用" in m.body and elevator.code in m.body for m in messages_to(person.id)), person.name
    assert not any("禁止使用" in m.body for m in messages_to(mall.officer.id))
    assert any("已办结" in m.body for m in messages_to(mall.admin.id))

    # The unit rectifies: the 安全员 the general one, the 安全总监 the serious one (with evidence).
    evidence = client.post("/api/v1/uploads", headers=mall.director_headers,
                           data={"file": (io.BytesIO(b"%PDF-1.4 rectified"), "整改报告.pdf")})
    serious = next(f for f in found if f["severity"] == "serious")
    closed = client.post(f"/api/v1/findings/{general['id']}/close", headers=mall.officer_headers,
                         json={"note": "已更换应急照明电源", "evidence_ids": []})
    assert closed.status_code == 200, closed.json
    closed = client.post(f"/api/v1/findings/{serious['id']}/close", headers=mall.director_headers,
                         json={"note": "已调整制动器", "evidence_ids": [evidence.json["id"]]})
    assert closed.status_code == 200, closed.json
    assert _card(client, elevator)["status_colour"] == "red"  # still red until the 复检

    passed = lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(
        elevator.code, "DT-2026-0001-F", conclusion="复检合格", reinspection_of="DT-2026-0001",
        inspection_date=day(0).isoformat(), report_date=day(0).isoformat())]})
    assert passed.status_code == 200, passed.json
    assert passed.json["counts"] == {"applied": 1, "unchanged": 0, "error": 0}

    card = _card(client, elevator)
    assert (card["status_colour"], card["last_inspection_conclusion"]) == ("green", "复检合格")
    expected = due_dates.due_after(
        due_dates.DeviceFacts("3110", date(2020, 5, 10), None),
        due_dates.ResultFacts("periodic", None, "复检合格", None, day(0), True), client.application.config)
    assert card["next_due_date"] == min(d for d in expected.values() if d).isoformat()
    series = {row.series: row.due_date for row in db.session.scalars(
        select(EquipmentDueDate).where(EquipmentDueDate.equipment_id == elevator.id))}
    assert series == expected
    reinspection = db.session.scalar(select(InspectionResult).where(InspectionResult.report_no == "DT-2026-0001-F"))
    assert reinspection.reinspection_of_id == failed.json["id"]
    assert db.session.get(Equipment, elevator.id).failed_inspection_result_id is None
    for person in (mall.admin, mall.regulator):
        assert any("复检合格" in m.body for m in messages_to(person.id))
    assert list(verify_chain()) == []


def test_the_loop_closes_through_the_agencys_machine_feed_accept_plan_result_and_reinspection(
        client, mall, lab, coded):
    """The institute's own system does the agency's part: it reads the new application from its
    feed, accepts and plans it, sends the failing result; the unit rectifies; the 复检 comes back
    by machine too, and the code turns green with the next dates of the elevator's year list."""
    # 监检 passed six years and about a month ago: today falls in year 6 of its list.
    month_ago = day(-30).replace(day=1)
    supervised = month_ago.replace(year=month_ago.year - 6)
    elevator = coded("3110", supervision_passed_on=supervised, last_inspection_conclusion="合格")
    application_id = _apply(client, mall, lab, elevator)
    feed = lab.machine.get("/open/v1/inspection/applications")
    assert feed.status_code == 200, feed.json
    assert [item["id"] for item in feed.json["items"]] == [application_id]
    base = f"/open/v1/inspection/applications/{application_id}"
    assert lab.machine.post(f"{base}/accept", json={}).status_code == 200
    planned = lab.machine.post(f"{base}/plan", json={"planned_date": day(0).isoformat(),
                                                     "inspector_person_ids": [lab.inspector.id]})
    assert (planned.status_code, planned.json["status"]) == (200, "planned"), planned.json
    again = lab.machine.get("/open/v1/inspection/applications", params={"since": feed.json["next_cursor"]})
    assert [(item["id"], item["status"]) for item in again.json["items"]] == [(application_id, "planned")]

    failed = lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(
        elevator.code, "DT-2026-0100", conclusion="不合格", inspection_date=day(0).isoformat(),
        report_date=day(0).isoformat(), problems=[{"description": "限速器动作速度超差", "severity": "serious"}])]})
    assert failed.json["counts"] == {"applied": 1, "unchanged": 0, "error": 0}, failed.json
    assert _card(client, elevator)["status_colour"] == "red"
    assert db.session.get(InspectionApplication, application_id).status == "completed"
    [finding] = client.get("/api/v1/findings", headers=mall.director_headers,
                           query_string={"source_type": "inspection", "status": "open"}).json["items"]
    evidence = client.post("/api/v1/uploads", headers=mall.director_headers,
                           data={"file": (io.BytesIO(b"%PDF-1.4 rectified"), "整改报告.pdf")})
    closed = client.post(f"/api/v1/findings/{finding['id']}/close", headers=mall.director_headers,
                         json={"note": "已更换限速器", "evidence_ids": [evidence.json["id"]]})
    assert closed.status_code == 200, closed.json
    assert _card(client, elevator)["status_colour"] == "red"

    passed = lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(
        elevator.code, "DT-2026-0100-F", conclusion="复检合格", reinspection_of="DT-2026-0100",
        inspection_date=day(0).isoformat(), report_date=day(0).isoformat())]})
    assert passed.json["counts"]["applied"] == 1, passed.json
    card = _card(client, elevator)
    assert card["status_colour"] == "green"
    # The year list counted from the 监检: periodic inspections in years 1, 4, 7, 9, 11, 13, 15 and
    # self-tests in the others. After an inspection in year 6, the periodic one is due in year 7
    # and the self-test in year 8.
    series = {row.series: row.due_date for row in db.session.scalars(
        select(EquipmentDueDate).where(EquipmentDueDate.equipment_id == elevator.id))}
    year_7, year_8 = (supervised.replace(year=supervised.year + n) for n in (7, 8))
    assert series == {"periodic": year_7, "self_test": year_8}
    assert (card["next_due_date"], card["next_due_type"]) == (year_7.isoformat(), "定期检验")
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_client_id == lab.client_id)
                                 .order_by(AuditEntry.id)).all()
    assert {"inspection_application.accept", "inspection_application.plan", "inspection_result.record"} <= {
        e.action for e in entries}


def test_a_passing_reinspection_closes_the_failed_reports_findings_still_open(client, lab, mall, coded):
    elevator = coded("3110")
    failed = lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(
        elevator.code, "DT-2026-0200", conclusion="不合格", problems=[
            {"description": "层门门锁失效", "severity": "serious"},
            {"description": "轿厢照明不足", "severity": "general"}])]})
    assert failed.json["counts"]["applied"] == 1, failed.json
    passed = lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(
        elevator.code, "DT-2026-0200-F", conclusion="复检合格", reinspection_of="DT-2026-0200",
        inspection_date=day(0).isoformat(), report_date=day(0).isoformat())]})
    assert passed.json["counts"]["applied"] == 1, passed.json
    closed = db.session.scalars(select(Finding).where(Finding.source_type == "inspection")
                                .execution_options(populate_existing=True)).all()
    assert [(f.status, "复检合格" in (f.closing_note or "") and "DT-2026-0200-F" in f.closing_note)
            for f in closed] == [("closed", True), ("closed", True)]
    assert _card(client, elevator)["status_colour"] == "green"
