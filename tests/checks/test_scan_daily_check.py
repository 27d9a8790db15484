"""The one-code scan of a device by its use unit carries today's daily check (日管控, Order 74):
the 安全员 / 安全总监 get the state, the risk-control list and a scan token the submission accepts;
the unit's other staff see the state only; a device outside the daily check gets none."""
from core.timeutil import business_today
from tests.checks.conftest import ELEVATOR_ITEMS, answers, submit


def scan_view(client, headers, code: str) -> dict:
    response = client.get(f"/api/v1/scan/{code}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_the_officers_scan_of_an_unchecked_device_carries_the_list_and_a_token_the_check_accepts(client, mall):
    view = scan_view(client, mall["officer_headers"], mall["code"])
    assert view["audience"] == "unit" and view["equipment"]["id"] == mall["elevator"].id
    day = view["daily_check"]
    assert (day["date"], day["checked"], day["can_check"]) == (business_today().isoformat(), False, True)
    assert (day["check_id"], day["checked_at"], day["checked_by_name"]) == (None, None, None)
    assert len(day["checklist"]["items"]) == ELEVATOR_ITEMS and day["submit_path"] == "/api/v1/checks/daily"
    assert day["scan_token"] and day["expires_in"] > 0 and "daily_check" in view["actions"]

    keys = [item["key"] for item in day["checklist"]["items"]]
    response = submit(client, mall["officer_headers"], mall["elevator"].id, answers(keys),
                      scan_token=day["scan_token"])
    assert response.status_code == 201, response.json
    assert response.json["scanned"] is True and response.json["scanned_at"] == day["scanned_at"]

    after = scan_view(client, mall["officer_headers"], mall["code"])["daily_check"]
    assert (after["checked"], after["check_id"], after["checked_at"]) == (True, response.json["id"],
                                                                        response.json["submitted_at"])
    assert (after["checked_by_person_id"], after["checked_by_name"]) == (mall["officer"].id, "安全员甲")
    assert (after["zero_risk"], after["abnormal_count"], after["can_check"]) == (True, 0, False)
    assert after["checklist"] is None and after["scan_token"] is None


def test_the_safety_director_scanning_gets_the_checklist_entry_too(client, mall):
    day = scan_view(client, mall["director_headers"], mall["second_code"])["daily_check"]
    assert day["can_check"] is True and day["checklist"] is not None and day["scan_token"]


def test_a_unit_admin_who_is_no_officer_sees_the_state_but_no_checklist_entry(client, mall):
    view = scan_view(client, mall["admin_headers"], mall["code"])
    assert view["audience"] == "unit"
    day = view["daily_check"]
    assert (day["checked"], day["can_check"], day["checklist"], day["scan_token"]) == (False, False, None, None)
    assert "daily_check" not in view["actions"]


def test_a_device_outside_the_daily_check_gets_no_daily_check_in_its_scan(client, mall, make_equipment):
    from services.equipment.onecode import active_code, assign_many

    stopped = make_equipment(mall["unit"], "3110", use_status="suspended", registration_status="registered",
                             safety_officer_person_id=mall["officer"].id)
    assign_many([stopped.id], None)
    view = scan_view(client, mall["officer_headers"], active_code(stopped.id).code)
    assert view["audience"] == "unit" and view["daily_check"] is None
    assert "daily_check" not in view["actions"]


def test_the_public_and_a_reporter_get_no_daily_check(client, mall):
    assert "daily_check" not in scan_view(client, {}, mall["code"])
    assert "daily_check" not in scan_view(client, mall["reporter_headers"], mall["code"])
