"""The daily check (日管控, Order 74): risk-control lists, scanning as proof of presence, one record
per device per Asia/Shanghai day, zero-risk days recorded, a serious hazard stops the device."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.checks import Appointment, DailyCheck
from models.equipment import Equipment
from models.findings import Finding
from models.notify import OutboxMessage
from tests.checks.conftest import ELEVATOR_ITEMS, answers, checklist_keys, fresh, new_key, scan, submit, upload
from tests.images import EXE_AS_JPEG, stored_unchecked


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# -- risk-control lists ---------------------------------------------------------------------

def test_the_platform_default_list_applies_until_the_unit_adapts_its_own(client, mall):
    default = client.get("/api/v1/checks/checklists?kind_code=3000", headers=mall["officer_headers"]).json
    assert (default["is_default"], default["unit_id"], len(default["items"])) == (True, None, ELEVATOR_ITEMS)

    response = client.put(f"/api/v1/units/{mall['unit'].id}/checklists/3000", headers=mall["director_headers"],
                          json={"items": [{"key": "door", "text": " 层门、轿门开关正常 "}, {"text": "紧急报警装置有效"}]})
    assert response.status_code == 200, response.json
    own = response.json
    assert own["is_default"] is False and own["unit_id"] == mall["unit"].id
    assert own["items"][0] == {"key": "door", "text": "层门、轿门开关正常"}
    assert own["items"][1]["key"] and own["items"][1]["key"] != "door"
    assert checklist_keys(client, mall["officer_headers"]) == [i["key"] for i in own["items"]]
    # Another unit still gets the platform's list.
    assert client.get("/api/v1/checks/checklists?kind_code=3000", headers=mall["admin_headers"]).json["id"] == own["id"]


def test_only_a_manager_adapts_the_list_and_it_has_one_to_fifty_items(client, mall):
    url = f"/api/v1/units/{mall['unit'].id}/checklists/3000"
    refused = client.put(url, headers=mall["officer_headers"], json={"items": [{"text": "检查"}]})
    assert (refused.status_code, refused.json["code"]) == (403, "not_checklist_manager")
    assert client.put(url, headers=mall["admin_headers"], json={"items": []}).status_code == 422
    many = [{"text": f"第{n}项"} for n in range(51)]
    assert client.put(url, headers=mall["admin_headers"], json={"items": many}).status_code == 422
    duplicate = client.put(url, headers=mall["admin_headers"], json={"items": [{"key": "a", "text": "甲"},
                                                                               {"key": "a", "text": "乙"}]})
    assert (duplicate.status_code, duplicate.json["code"]) == (422, "checklist_key_duplicate")


def test_a_cylinder_is_checked_against_the_filling_list_and_a_vessel_against_its_kind(client, mall, make_equipment):
    from services.equipment.onecode import active_code, assign_many

    cylinder = make_equipment(mall["unit"], "2310", use_status="in_use")
    vessel = make_equipment(mall["unit"], "2150", use_status="in_use")
    assign_many([cylinder.id, vessel.id], None)
    director = mall["director_headers"]
    assert scan(client, director, active_code(cylinder.id).code)["checklist"]["kind_code"] == "2300"
    assert scan(client, director, active_code(vessel.id).code)["checklist"]["kind_code"] == "2000"


# -- scanning and submitting --------------------------------------------------------------------

def test_the_officer_scans_checks_and_a_zero_risk_day_is_still_recorded(client, mall):
    scanned = scan(client, mall["officer_headers"], mall["code"])
    assert scanned["equipment"]["id"] == mall["elevator"].id
    assert scanned["today_state"] == "missing" and len(scanned["checklist"]["items"]) == ELEVATOR_ITEMS
    keys = [i["key"] for i in scanned["checklist"]["items"]]

    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys),
                      scan_token=scanned["scan_token"])
    assert response.status_code == 201, response.json
    check = response.json
    assert check["zero_risk"] is True and check["abnormal_count"] == 0 and check["findings"] == []
    assert check["scanned"] is True and check["scanned_at"] == scanned["scanned_at"]
    assert check["check_date"] == business_today().isoformat()
    assert [r["key"] for r in check["results"]] == keys
    assert count(AuditEntry, AuditEntry.action == "daily_check.create", AuditEntry.entity_id == str(check["id"])) == 1
    assert scan(client, mall["officer_headers"], mall["code"])["today_state"] == "done"


def test_a_check_without_a_scan_is_accepted_but_flagged(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys))
    assert response.status_code == 201, response.json
    assert (response.json["scanned_at"], response.json["scanned"]) == (None, False)


def test_a_scan_token_proves_only_this_officers_scan_of_this_device(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    token = scan(client, mall["officer_headers"], mall["second_code"])["scan_token"]
    wrong_device = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys), scan_token=token)
    assert (wrong_device.status_code, wrong_device.json["code"]) == (422, "scan_token_invalid")
    forged = submit(client, mall["officer_headers"], mall["second"].id, answers(keys), scan_token=token[:-2] + "xx")
    assert (forged.status_code, forged.json["code"]) == (422, "scan_token_invalid")
    colleague = submit(client, mall["colleague_headers"], mall["second"].id, answers(keys), scan_token=token)
    assert (colleague.status_code, colleague.json["code"]) == (422, "scan_token_invalid")


def test_one_check_per_device_per_day_and_a_retry_returns_the_first_answer(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    key = new_key()
    first = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys), key=key)
    assert first.status_code == 201, first.json
    retry = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys), key=key)
    assert (retry.status_code, retry.json, retry.headers.get("Idempotent-Replay")) == (201, first.json, "true")
    again = submit(client, mall["director_headers"], mall["elevator"].id, answers(keys, i1={
        "severity": "general", "immediate_action": "fixed", "note": "标志脱落"}), key=new_key())
    assert (again.status_code, again.json["code"]) == (409, "daily_check_exists")
    assert again.json["details"]["daily_check_id"] == first.json["id"]
    assert count(DailyCheck, DailyCheck.equipment_id == mall["elevator"].id) == 1
    assert count(Finding) == 0


def test_only_the_devices_units_officer_or_director_may_check_it(client, mall, neighbour):
    keys = checklist_keys(client, mall["officer_headers"])
    reporter = submit(client, mall["reporter_headers"], mall["elevator"].id, answers(keys))
    assert (reporter.status_code, reporter.json["code"]) == (403, "not_check_officer")
    stranger_scan = client.post("/api/v1/checks/scan", json={"code": mall["code"]}, headers=neighbour["headers"])
    assert (stranger_scan.status_code, stranger_scan.json["code"]) == (403, "not_check_officer")
    assert submit(client, neighbour["headers"], mall["elevator"].id, answers(keys)).status_code == 404
    # The director may check any device of the unit, not only their own.
    assert submit(client, mall["director_headers"], mall["other"].id, answers(keys)).status_code == 201


def test_every_item_of_the_list_is_answered_once(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    missing = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys[:-1]))
    assert (missing.status_code, missing.json["code"]) == (422, "answers_incomplete")
    assert missing.json["details"]["item_keys"] == [keys[-1]]
    unknown = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys + ["nope"]))
    assert (unknown.status_code, unknown.json["code"]) == (422, "answer_item_unknown")
    assert count(DailyCheck) == 0


def test_photos_must_be_the_units_own_uploads(client, mall, neighbour):
    keys = checklist_keys(client, mall["officer_headers"])
    foreign = upload(client, neighbour["headers"])
    refused = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[0]: {
        "severity": "general", "immediate_action": "fixed", "photo_ids": [foreign]}}))
    assert (refused.status_code, refused.json["code"]) == (422, "file_invalid")
    own = upload(client, mall["officer_headers"])
    accepted = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[0]: {
        "severity": "general", "immediate_action": "fixed", "photo_ids": [own]}}))
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["results"][0]["photo_ids"] == [own]


def test_a_daily_check_photo_must_be_an_image_that_decodes(client, mall):
    # Files stored before uploads were decoded: a program behind JPEG magic bytes, and a PDF.
    keys = checklist_keys(client, mall["officer_headers"])
    for data, filename, content_type, code in (
            (EXE_AS_JPEG, "现场.jpg", "image/jpeg", "image_invalid"),
            (b"%PDF-1.4 demo", "记录.pdf", "application/pdf", "photo_type_not_allowed")):
        file_id = stored_unchecked(mall["unit"].id, data, filename, content_type)
        refused = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[0]: {
            "severity": "general", "immediate_action": "fixed", "photo_ids": [file_id]}}))
        assert (refused.status_code, refused.json["code"]) == (422, code), refused.json
        assert "answers" in refused.json["details"]["fields"]
    assert count(DailyCheck) == 0


def test_a_device_not_in_use_is_not_checked(client, mall):
    db.session.get(Equipment, mall["second"].id).use_status = "suspended"
    db.session.flush()
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], mall["second"].id, answers(keys))
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_in_use")


def test_a_device_under_another_authority_is_not_in_the_day_nor_checked(client, mall, make_equipment, regulator):
    crane = make_equipment(mall["unit"], "4210", use_status="in_use", jurisdiction="housing",  # a building-site crane
                           safety_officer_person_id=mall["officer"].id)
    day = client.get("/api/v1/checks/today", headers=mall["officer_headers"]).json
    assert crane.id not in {i["equipment"]["id"] for i in day["items"]} and day["total"] == 2
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], crane.id, answers(keys))
    assert (response.status_code, response.json["code"]) == (409, "equipment_not_in_use")
    # The mall has no 起重机械 appointments, yet the crane owes none: only the escalator's missing officer.
    listed = client.get("/api/v1/checks/missing-appointments", headers=regulator("610113")).json
    assert [p["kind_code"] for p in listed["items"][0]["problems"]] == ["3000"], listed


def test_the_day_is_the_asia_shanghai_day_of_submission(client, mall, monkeypatch):
    from services.checks import daily

    # 16:30 UTC on 31 December is 00:30 on 1 January in Shanghai.
    monkeypatch.setattr(daily, "utcnow", lambda: datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc))
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys))
    assert response.status_code == 201, response.json
    assert response.json["check_date"] == "2026-01-01"


# -- hazards found by the check -----------------------------------------------------------------

def test_an_ordinary_hazard_needs_an_immediate_action_and_gets_a_deadline(client, mall, app, monkeypatch):
    keys = checklist_keys(client, mall["officer_headers"])
    no_action = submit(client, mall["officer_headers"], mall["elevator"].id,
                       answers(keys, **{keys[1]: {"severity": "general"}}))
    assert no_action.status_code == 422
    assert "immediate_action" in no_action.json["details"]["fields"]["answers"]["1"]
    no_severity = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[1]: {}}))
    assert no_severity.status_code == 422

    monkeypatch.setitem(app.config, "FINDING_GENERAL_DEADLINE_DAYS", 3)
    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[1]: {
        "severity": "general", "immediate_action": "maintenance_notified", "note": "轿厢照明一只不亮"}}))
    assert response.status_code == 201, response.json
    assert response.json["zero_risk"] is False and response.json["abnormal_count"] == 1
    [finding] = response.json["findings"]
    assert (finding["severity"], finding["immediate_action"], finding["status"]) == (
        "general", "maintenance_notified", "open")
    assert finding["deadline"] == (business_today() + timedelta(days=3)).isoformat()
    assert response.json["results"][1]["finding_id"] == finding["id"]
    stored = fresh(Finding, finding["id"])
    assert (stored.source_type, stored.source_id, stored.item_key) == ("daily_check", response.json["id"], keys[1])
    assert "轿厢照明一只不亮" in stored.description
    assert fresh(Equipment, mall["elevator"].id).hazard_stopped is False


def test_a_serious_hazard_stops_the_device_turns_its_code_red_and_tells_the_director(client, mall):
    public = client.get(f"/api/v1/scan/{mall['code']}")  # cached while green
    assert public.json["card"]["status_colour"] == "green"
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[2]: {
        "severity": "serious", "note": "制动器异响，轿厢溜车"}}))
    assert response.status_code == 201, response.json
    [finding] = response.json["findings"]
    assert (finding["severity"], finding["immediate_action"]) == ("serious", "stopped")
    assert response.json["equipment"]["hazard_stopped"] is True

    card = client.get(f"/api/v1/scan/{mall['code']}").json["card"]
    assert (card["status_colour"], card["status_text"]) == ("red", "存在严重事故隐患，已停止使用")
    told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "serious_finding_opened",
                                                          OutboxMessage.channel == "inbox")).all()
    assert [m.recipient_person_id for m in told] == [mall["director"].id]
    assert told[0].data["finding_id"] == finding["id"]
    assert count(AuditEntry, AuditEntry.action == "equipment.hazard_stop",
                 AuditEntry.entity_id == str(mall["elevator"].id)) == 1
    # The other elevators are not touched.
    assert client.get(f"/api/v1/scan/{mall['second_code']}").json["card"]["status_colour"] == "green"



def _serious_hazard_told(client, mall) -> list[int]:
    keys = checklist_keys(client, mall["officer_headers"])
    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys, **{keys[2]: {
        "severity": "serious", "note": "制动器异响，轿厢溜车"}}))
    assert response.status_code == 201, response.json
    return sorted(db.session.scalars(select(OutboxMessage.recipient_person_id).where(
        OutboxMessage.template == "serious_finding_opened", OutboxMessage.channel == "inbox")))


def test_a_serious_hazard_is_told_to_the_director_appointed_for_the_kind_not_to_other_directors(
        client, mall, make_person):
    boilers = make_person(mall["unit"], "safety_director", name="安全总监乙")
    db.session.add(Appointment(unit_id=mall["unit"].id, person_id=boilers.id, role="safety_director",
                               kind_code="1000", start_date=business_today() - timedelta(days=30)))
    db.session.flush()
    assert _serious_hazard_told(client, mall) == [mall["director"].id]


def test_with_no_director_appointed_for_the_kind_every_director_of_the_unit_is_told(client, mall, make_person):
    db.session.execute(delete(Appointment).where(Appointment.person_id == mall["director"].id))
    other = make_person(mall["unit"], "safety_director", name="安全总监丙")
    assert _serious_hazard_told(client, mall) == sorted([mall["director"].id, other.id])

# -- the officer's day ---------------------------------------------------------------------------

def test_today_lists_the_officers_devices_done_or_missing(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    assert submit(client, mall["officer_headers"], mall["second"].id, answers(keys)).status_code == 201

    day = client.get("/api/v1/checks/today", headers=mall["officer_headers"])
    assert day.status_code == 200, day.json
    day = day.json
    assert (day["date"], day["total"], day["done"], day["missing"]) == (business_today().isoformat(), 2, 1, 1)
    states = {i["equipment"]["id"]: i["state"] for i in day["items"]}
    assert states == {mall["elevator"].id: "missing", mall["second"].id: "done"}
    assert day["items"][0]["state"] == "missing"  # what is left to do comes first
    assert day["items"][0]["code"] == mall["code"]
    assert {i["checklist_id"] for i in day["items"]} == {c["id"] for c in day["checklists"]}

    missing = client.get("/api/v1/checks/today?state=missing", headers=mall["officer_headers"]).json
    assert [i["equipment"]["id"] for i in missing["items"]] == [mall["elevator"].id]


def test_a_missed_day_shows_as_missing(client, mall):
    yesterday = business_today() - timedelta(days=1)
    db.session.add(DailyCheck(equipment_id=mall["second"].id, unit_id=mall["unit"].id, region_code="610113",
                              officer_person_id=mall["officer"].id, check_date=yesterday, results=[],
                              abnormal_count=0, zero_risk=True))
    db.session.flush()
    day = client.get(f"/api/v1/checks/today?date={yesterday.isoformat()}", headers=mall["officer_headers"]).json
    assert (day["done"], day["missing"]) == (1, 1)
    assert {i["equipment"]["id"]: i["state"] for i in day["items"]}[mall["elevator"].id] == "missing"
    today = client.get("/api/v1/checks/today", headers=mall["officer_headers"]).json
    assert (today["done"], today["missing"]) == (0, 2)
    future = client.get(f"/api/v1/checks/today?date={business_today() + timedelta(days=3)}",
                        headers=mall["officer_headers"])
    assert (future.status_code, future.json["code"]) == (422, "date_in_future")


def test_the_director_sees_the_whole_units_day(client, mall):
    unit_day = client.get("/api/v1/checks/today?scope=unit", headers=mall["director_headers"]).json
    assert unit_day["total"] == 4 and unit_day["missing"] == 4
    refused = client.get("/api/v1/checks/today?scope=unit", headers=mall["officer_headers"])
    assert (refused.status_code, refused.json["code"]) == (403, "not_check_officer")


# -- a day's batch from a weak network --------------------------------------------------------------

def test_a_batch_keeps_what_was_accepted_and_a_resent_batch_does_not_duplicate(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    token = scan(client, mall["officer_headers"], mall["code"])["scan_token"]
    items = [
        {"idempotency_key": new_key(), "equipment_id": mall["elevator"].id, "answers": answers(keys),
         "scan_token": token},
        {"idempotency_key": new_key(), "equipment_id": mall["second"].id, "answers": answers(keys[:2])},
        {"idempotency_key": new_key(), "equipment_id": mall["other"].id, "answers": answers(keys, **{keys[0]: {
            "severity": "serious", "note": "门锁失效"}})},
        {"equipment_id": mall["second"].id, "answers": answers(keys)},
        {"idempotency_key": new_key(), "equipment_id": mall["second"].id,
         "answers": [{"item_key": k, "result": "maybe"} for k in keys]},
    ]
    first = client.post("/api/v1/checks/daily/batch", json={"items": items}, headers=mall["officer_headers"])
    assert first.status_code == 200, first.json
    results = first.json["results"]
    assert [r["status"] for r in results] == ["created", "error", "created", "error", "error"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert results[0]["daily_check"]["scanned"] is True
    assert [r["error"]["code"] for r in results if r["status"] == "error"] == [
        "answers_incomplete", "idempotency_key_invalid", "validation_error"]
    assert (first.json["created"], first.json["replayed"], first.json["errors"]) == (2, 0, 3)
    assert fresh(Equipment, mall["other"].id).hazard_stopped is True

    resent = client.post("/api/v1/checks/daily/batch", json={"items": items}, headers=mall["officer_headers"])
    assert [r["status"] for r in resent.json["results"]] == ["replayed", "error", "replayed", "error", "error"]
    assert resent.json["results"][0]["daily_check"]["id"] == results[0]["daily_check"]["id"]
    assert (count(DailyCheck), count(Finding)) == (2, 1)

    # What failed is sent again, corrected, under the same key: now it is accepted.
    items[1]["answers"] = answers(keys)
    fixed = client.post("/api/v1/checks/daily/batch", json={"items": items[:2]}, headers=mall["officer_headers"])
    assert [r["status"] for r in fixed.json["results"]] == ["replayed", "created"]
    assert count(DailyCheck) == 3


def test_a_batch_replays_a_check_first_sent_alone_and_refuses_a_reused_key(client, mall):
    keys = checklist_keys(client, mall["officer_headers"])
    key = new_key()
    alone = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys), key=key)
    assert alone.status_code == 201
    items = [{"idempotency_key": key, "equipment_id": mall["elevator"].id, "answers": answers(keys)},
             {"idempotency_key": key, "equipment_id": mall["second"].id, "answers": answers(keys)}]
    response = client.post("/api/v1/checks/daily/batch", json={"items": items}, headers=mall["officer_headers"])
    results = response.json["results"]
    assert results[0]["status"] == "replayed" and results[0]["daily_check"]["id"] == alone.json["id"]
    assert (results[1]["status"], results[1]["error"]["code"]) == ("error", "idempotency_key_reused")
    assert count(DailyCheck) == 1


def test_the_demo_officer_has_the_malls_devices_each_with_a_list(client, demo, auth_headers):
    headers = auth_headers(demo.demo_person("demo-officer"), client="miniapp")
    day = client.get("/api/v1/checks/today?page_size=100", headers=headers)
    assert day.status_code == 200, day.json
    assert (day.json["total"], day.json["done"]) == (19, 0)  # 12 + 4 elevators, 2 parking devices, 1 boiler
    assert all(item["checklist_id"] for item in day.json["items"])
    assert {c["kind_code"] for c in day.json["checklists"]} == {"3000", "4000", "1000"}
    elsewhere = client.get("/api/v1/checks/today", headers=auth_headers(demo.demo_person("demo-hancheng-admin")))
    assert elsewhere.status_code == 200 and elsewhere.json["total"] == 0
