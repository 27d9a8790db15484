"""漏检 counts a day only once it is over (Asia/Shanghai, Order 74 日管控): at 06:00 a device not yet
checked today is pending, not missed, in the weekly and monthly figures, the compliance figures
and a device's monthly record; the next day it is missed."""
from datetime import timedelta

import pytest

from core.timeutil import business_today
from tests.checks.fixtures_reports import add_checks, at, monday
from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)

WEDNESDAY = monday(1) + timedelta(days=2)  # last week's, so the whole week is in the past


@pytest.fixture
def clock(monkeypatch):
    """Set the API's clock to a Shanghai wall-clock time: `clock(day, hour)`."""
    def set_clock(day, hour):
        now = at(day, hour)
        for module in ("miniapp_api.checks.reports", "miniapp_api.checks.compliance"):
            monkeypatch.setattr(f"{module}.business_today", lambda: business_today(now))
    return set_clock


@pytest.fixture
def wednesday(works):
    """Both elevators checked Monday and Tuesday; on Wednesday the first one only (so far)."""
    first, second = works["elevators"]
    add_checks(first, [monday(1), monday(1) + timedelta(days=1), WEDNESDAY], works["officer"])
    add_checks(second, [monday(1), monday(1) + timedelta(days=1)], works["officer"])
    return works


def weekly_figures(client, works) -> dict:
    response = client.get(f"/api/v1/checks/weekly?kind_code=3000&week={WEDNESDAY}", headers=works["director_headers"])
    assert response.status_code == 200, response.json
    return response.json["figures"]


def test_at_six_in_the_morning_todays_unchecked_device_is_not_yet_missed_in_the_week(client, wednesday, clock):
    clock(WEDNESDAY, 6)
    f = weekly_figures(client, wednesday)
    assert (f["through"], f["checks_expected"], f["checks_done"]) == (WEDNESDAY.isoformat(), 6, 5)
    assert (f["checks_pending"], f["checks_missed"], f["check_rate"]) == (1, 0, 1.0)
    assert f["by_day"][-1] == {"date": WEDNESDAY.isoformat(), "expected": 2, "done": 1, "pending": 1, "missed": 0}
    assert (f["missed_devices_total"], f["missed_by_device"]) == (0, [])


def test_the_next_day_the_unchecked_day_is_missed(client, wednesday, clock):
    clock(WEDNESDAY + timedelta(days=1), 6)
    f = weekly_figures(client, wednesday)
    assert (f["checks_expected"], f["checks_done"], f["checks_pending"], f["checks_missed"]) == (8, 5, 2, 1)
    assert f["check_rate"] == round(5 / 6, 4)
    second = wednesday["elevators"][1]
    assert [(m["equipment_id"], m["dates"]) for m in f["missed_by_device"]] == [(second.id, [WEDNESDAY.isoformat()])]


def test_the_month_counts_today_as_pending_not_missed(client, wednesday, clock):
    clock(WEDNESDAY, 6)
    response = client.get(f"/api/v1/checks/monthly?kind_code=3000&month={WEDNESDAY:%Y-%m}",
                          headers=wednesday["principal_headers"])
    assert response.status_code == 200, response.json
    f = response.json["figures"]
    assert f["through"] == WEDNESDAY.isoformat() and f["checks_pending"] == 1
    assert WEDNESDAY.isoformat() not in [d for m in f["missed_by_device"] for d in m["dates"]]
    assert f["checks_missed"] == f["checks_expected"] - f["checks_done"] - 1
    assert "今日待检 1 台次，漏检 " in response.json["director_report"]


def test_compliance_counts_todays_unchecked_devices_as_pending_until_the_day_is_over(
        client, wednesday, clock, regulator):
    query = f"/api/v1/checks/compliance?date_from={monday(1)}&date_to={monday(1) + timedelta(days=6)}"
    clock(WEDNESDAY, 6)
    unit = client.get(query, headers=regulator("610113")).json["items"][0]
    assert (unit["daily_expected"], unit["daily_done"], unit["daily_pending"], unit["daily_missed"],
            unit["daily_rate"]) == (6, 5, 1, 0, 1.0)
    clock(WEDNESDAY + timedelta(days=1), 6)
    unit = client.get(query, headers=regulator("610113")).json["items"][0]
    assert (unit["daily_expected"], unit["daily_done"], unit["daily_pending"], unit["daily_missed"],
            unit["daily_rate"]) == (8, 5, 2, 1, round(5 / 6, 4))


def test_a_devices_monthly_record_marks_today_as_still_to_check(wednesday):
    from services.checks import records

    second = wednesday["elevators"][1]
    record = records.device_month(second, WEDNESDAY, WEDNESDAY)
    rows = {row[0][:10]: row[1] for row in record.sections[0].rows}
    assert rows[WEDNESDAY.isoformat()] == "今日待检查"
    assert rows[(WEDNESDAY - timedelta(days=1)).isoformat()] == "已检查"
    following = records.device_month(second, WEDNESDAY, WEDNESDAY + timedelta(days=1))
    assert {row[0][:10]: row[1] for row in following.sections[0].rows}[WEDNESDAY.isoformat()] == "未检查（漏检）"
