"""Findings of the daily check and their rectification (Order 74): a general one is closed by the
安全员 or 安全总监 with a note; a serious one only by the 安全总监, with evidence, which restores the
device once no other serious finding stays open on it. Regulators read their region's."""
from datetime import timedelta

from sqlalchemy import func, select, update

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.equipment import Equipment
from models.findings import Finding
from tests.checks.conftest import answers, checklist_keys, fresh, submit, upload
from tests.images import png_bomb, stored_unchecked, truncated_png


def serious_check(client, mall, *items: str, equipment_key: str = "elevator") -> dict:
    keys = checklist_keys(client, mall["officer_headers"])
    chosen = items or (keys[2],)
    response = submit(client, mall["officer_headers"], mall[equipment_key].id, answers(keys, **{
        k: {"severity": "serious", "note": "制动器异响"} for k in chosen}))
    assert response.status_code == 201, response.json
    return response.json


def general_check(client, mall, equipment_key: str = "second") -> dict:
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], mall[equipment_key].id, answers(keys, **{keys[0]: {
        "severity": "general", "immediate_action": "fixed", "note": "警示标志脱落，已重新张贴"}}))
    assert response.status_code == 201, response.json
    return response.json


def close(client, headers, finding_id: int, note: str = "已更换制动器并试运行正常", evidence=()):
    return client.post(f"/api/v1/findings/{finding_id}/close", json={"note": note, "evidence_ids": list(evidence)},
                       headers=headers)


def test_only_the_director_closes_a_serious_finding_with_evidence_and_the_device_is_restored(client, mall):
    finding_id = serious_check(client, mall)["findings"][0]["id"]
    assert client.get(f"/api/v1/scan/{mall['code']}").json["card"]["status_colour"] == "red"

    by_officer = close(client, mall["officer_headers"], finding_id, evidence=[upload(client, mall["officer_headers"])])
    assert (by_officer.status_code, by_officer.json["code"]) == (403, "director_required")
    by_admin = close(client, mall["admin_headers"], finding_id, evidence=[upload(client, mall["admin_headers"])])
    assert (by_admin.status_code, by_admin.json["code"]) == (403, "director_required")
    no_evidence = close(client, mall["director_headers"], finding_id)
    assert (no_evidence.status_code, no_evidence.json["code"]) == (422, "evidence_required")
    assert fresh(Equipment, mall["elevator"].id).hazard_stopped is True

    evidence = upload(client, mall["director_headers"])
    closed = close(client, mall["director_headers"], finding_id, evidence=[evidence])
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["closed_by_person_id"]) == ("closed", mall["director"].id)
    assert closed.json["closing_evidence_ids"] == [evidence]
    assert closed.json["equipment"]["hazard_stopped"] is False
    assert fresh(Equipment, mall["elevator"].id).hazard_stopped is False
    assert client.get(f"/api/v1/scan/{mall['code']}").json["card"]["status_colour"] == "green"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("%hazard%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["equipment.hazard_stop", "equipment.hazard_restore"]

    again = close(client, mall["director_headers"], finding_id, evidence=[evidence])
    assert (again.status_code, again.json["code"]) == (409, "finding_closed")


def test_an_inspection_reports_open_serious_problem_does_not_keep_a_daily_check_stop(client, mall):
    """The report's problems stop nothing (its conclusion decides the use): once the daily check's
    serious finding is closed, the device is restored though the report's problem is still open."""
    from services import findings

    elevator = mall["elevator"]
    finding_id = serious_check(client, mall)["findings"][0]["id"]
    findings.open_many("inspection", [findings.NewFinding(
        source_id=1, equipment_id=elevator.id, unit_id=elevator.use_unit_id, region_code=elevator.region_code,
        severity="serious", description="曳引钢丝绳断丝超标", deadline=business_today() + timedelta(days=30))], None)
    closed = close(client, mall["director_headers"], finding_id, evidence=[upload(client, mall["director_headers"])])
    assert closed.status_code == 200, closed.json
    assert fresh(Equipment, elevator.id).hazard_stopped is False
    assert db.session.scalar(select(func.count()).select_from(Finding).where(
        Finding.source_type == "inspection", Finding.status == "open")) == 1


def upload_pdf(client, headers) -> str:
    import io

    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO("%PDF-1.4 整改报告".encode()), "整改报告.pdf")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_a_serious_finding_is_not_closed_with_a_png_bomb_or_a_broken_image_as_evidence(client, mall):
    finding_id = serious_check(client, mall)["findings"][0]["id"]
    # Evidence stored before uploads were decoded is checked the same way as a photo.
    for data, code in ((png_bomb(), "image_too_large"), (truncated_png(), "image_invalid")):
        evidence = stored_unchecked(mall["unit"].id, data, "整改照片.png", "image/png")
        refused = close(client, mall["director_headers"], finding_id, evidence=[evidence])
        assert (refused.status_code, refused.json["code"]) == (422, code), refused.json
        assert "evidence_ids" in refused.json["details"]["fields"]
    assert fresh(Finding, finding_id).status == "open"
    assert fresh(Equipment, mall["elevator"].id).hazard_stopped is True
    pdf = upload_pdf(client, mall["director_headers"])
    assert close(client, mall["director_headers"], finding_id, evidence=[pdf]).status_code == 200


def test_the_device_stays_stopped_while_another_serious_finding_is_open(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    first, second = serious_check(client, mall, keys[0], keys[3])["findings"]
    evidence = [upload(client, mall["director_headers"])]
    assert close(client, mall["director_headers"], first["id"], evidence=evidence).status_code == 200
    assert fresh(Equipment, mall["elevator"].id).hazard_stopped is True
    assert client.get(f"/api/v1/scan/{mall['code']}").json["card"]["status_colour"] == "red"
    assert close(client, mall["director_headers"], second["id"], evidence=evidence).status_code == 200
    assert fresh(Equipment, mall["elevator"].id).hazard_stopped is False


def test_a_general_finding_is_closed_by_the_officer_with_a_note(client, mall, neighbour):
    finding_id = general_check(client, mall)["findings"][0]["id"]
    blank = close(client, mall["officer_headers"], finding_id, note="  ")
    assert (blank.status_code, blank.json["code"]) == (422, "closing_note_required")
    reporter = close(client, mall["reporter_headers"], finding_id)
    assert (reporter.status_code, reporter.json["code"]) == (403, "not_finding_closer")
    foreign = close(client, mall["officer_headers"], finding_id, evidence=[upload(client, neighbour["headers"])])
    assert (foreign.status_code, foreign.json["code"]) == (422, "file_invalid")
    closed = close(client, mall["colleague_headers"], finding_id, note="已重新张贴警示标志")
    assert closed.status_code == 200, closed.json
    assert (closed.json["status"], closed.json["closing_note"]) == ("closed", "已重新张贴警示标志")
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "finding.close", AuditEntry.entity_id == str(finding_id))) == 1


def test_findings_are_listed_with_filters_and_overdue_means_open_past_the_deadline(client, mall):
    serious_id = serious_check(client, mall)["findings"][0]["id"]
    general_id = general_check(client, mall)["findings"][0]["id"]
    headers = mall["director_headers"]

    def ids(query: str = "") -> list[int]:
        response = client.get(f"/api/v1/findings{query}", headers=headers)
        assert response.status_code == 200, response.json
        return [f["id"] for f in response.json["items"]]

    assert ids() == [general_id, serious_id]
    assert ids("?severity=serious") == [serious_id]
    assert ids(f"?equipment_id={mall['second'].id}") == [general_id]
    assert ids("?overdue=true") == []
    db.session.execute(update(Finding).where(Finding.id == general_id)
                       .values(deadline=business_today() - timedelta(days=1)))
    assert ids("?overdue=true") == [general_id]
    assert ids("?overdue=false") == [serious_id]
    detail = client.get(f"/api/v1/findings/{general_id}", headers=headers).json
    assert (detail["overdue"], detail["status_label"], detail["immediate_action_label"]) == (True, "待整改", "已当场处理")
    assert close(client, mall["officer_headers"], general_id).status_code == 200
    assert ids("?overdue=true") == [] and ids("?status=closed") == [general_id]


def test_regulators_read_their_region_only_and_cannot_close(client, mall, regulator):
    finding_id = serious_check(client, mall)["findings"][0]["id"]
    check_id = db.session.scalar(select(Finding.source_id).where(Finding.id == finding_id))

    county = regulator("610113")
    assert [f["id"] for f in client.get("/api/v1/findings", headers=county).json["items"]] == [finding_id]
    assert client.get(f"/api/v1/checks/daily/{check_id}", headers=county).status_code == 200
    assert client.get("/api/v1/checks/daily", headers=county).json["total"] == 1
    refused = close(client, county, finding_id, evidence=[])
    assert (refused.status_code, refused.json["code"]) == (403, "director_required")

    other_county = regulator("610103")
    assert client.get("/api/v1/findings", headers=other_county).json["total"] == 0
    assert client.get(f"/api/v1/findings/{finding_id}", headers=other_county).status_code == 404
    assert client.get("/api/v1/checks/daily", headers=other_county).json["total"] == 0
    assert client.get(f"/api/v1/checks/daily/{check_id}", headers=other_county).status_code == 404
    assert client.get("/api/v1/checks/missing-appointments", headers=other_county).json["total"] == 0


def test_another_unit_sees_none_of_it(client, mall, neighbour):
    finding_id = serious_check(client, mall)["findings"][0]["id"]
    assert client.get("/api/v1/findings", headers=neighbour["headers"]).json["total"] == 0
    assert client.get(f"/api/v1/findings/{finding_id}", headers=neighbour["headers"]).status_code == 404
    assert close(client, neighbour["headers"], finding_id).status_code == 404
