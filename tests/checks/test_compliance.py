"""Compliance figures of the two regulations (Order 74) for regulators: appointment rate, daily-check
completion, weekly and monthly completion, open and overdue findings, by unit and by region, and the
units that fell behind; scoped to the regulator's subtree, a unit sees only itself."""
from datetime import timedelta

import pytest
from sqlalchemy import event

from core.extensions import db
from core.timeutil import business_today
from models.checks import MonthlyMinutes, WeeklyReport
from tests.checks.fixtures_reports import add_checks, add_finding, appoint, monday, previous_month
from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)

URL = "/api/v1/checks/compliance"


def month_days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def due_mondays(first, last):
    """Weeks belong to the month of their Thursday and are due once their Sunday has passed."""
    return [d - timedelta(days=3) for d in month_days(first, last)
            if d.weekday() == 3 and d + timedelta(days=3) < business_today()]


def submit_all(unit, kind_code, first, last):
    for week_start in due_mondays(first, last):
        db.session.add(WeeklyReport(unit_id=unit.id, region_code=unit.region_code, kind_code=kind_code,
                                    week_start=week_start, status="submitted"))
    db.session.add(MonthlyMinutes(unit_id=unit.id, region_code=unit.region_code, kind_code=kind_code, month=first,
                                  status="submitted"))
    db.session.flush()


@pytest.fixture
def county(works, make_unit, make_person, make_equipment):
    """Last month in 雁塔区: `works` did everything; a second unit fell behind; a 碑林区 unit too."""
    first, last = previous_month()
    days = month_days(first, last)
    for elevator in works["elevators"]:
        add_checks(elevator, days, works["officer"])
    submit_all(works["unit"], "3000", first, last)

    lagging = make_unit("use", "610113", name="落后商场")
    officer = make_person(lagging, "safety_officer", name="落后安全员")
    director = make_person(lagging, "safety_director", name="落后总监")
    elevator = make_equipment(lagging, "3110", use_status="in_use", safety_officer_person_id=officer.id)
    boiler = make_equipment(lagging, "1100", use_status="in_use", safety_officer_person_id=officer.id)
    make_equipment(lagging, "4210", use_status="in_use", jurisdiction="housing")  # a building-site crane
    appoint(lagging, director, "safety_director", "3000")
    appoint(lagging, officer, "safety_officer", "3000")
    appoint(lagging, director, "safety_director", "1000")
    appoint(lagging, officer, "safety_officer", "1000", end=first + timedelta(days=5))  # ended in the month
    add_checks(elevator, days, officer)
    add_checks(boiler, days[:10], officer)
    add_finding(elevator, opened=first, deadline=first + timedelta(days=7))  # overdue at the month's end
    add_finding(boiler, opened=first + timedelta(days=3), deadline=last + timedelta(days=30))
    add_finding(elevator, opened=first, closed=first + timedelta(days=2))

    idle = make_unit("use", "610113", name="停用设备单位")
    make_equipment(idle, "3110", use_status="suspended")
    neighbour = make_unit("use", "610103", name="碑林商场")
    make_equipment(neighbour, "3110", use_status="in_use")
    return {"first": first, "last": last, "days": len(days), "lagging": lagging, "neighbour": neighbour,
            "query": f"date_from={first}&date_to={last}"}


def test_a_county_regulator_sees_its_units_figures_and_who_fell_behind(client, works, county, regulator):
    response = client.get(f"{URL}?{county['query']}", headers=regulator("610113"))
    assert response.status_code == 200, response.json
    body, n = response.json, county["days"]
    weeks = len(due_mondays(county["first"], county["last"]))
    assert (body["region_code"], body["group_by"], body["threshold"], body["total"]) == ("610113", "unit", 0.8, 2)
    lagging, good = body["items"]  # the lowest daily rate first
    assert (good["unit_id"], good["behind"], good["appointment_rate"], good["daily_rate"]) == (
        works["unit"].id, False, 1.0, 1.0)
    assert (good["daily_expected"], good["weekly_expected"], good["weekly_submitted"], good["monthly_rate"]) == (
        2 * n, weeks, weeks, 1.0)
    assert lagging["unit_id"] == county["lagging"].id and lagging["kinds"] == ["1000", "3000"]
    assert lagging["missing_appointment_kinds"] == ["1000"] and lagging["appointment_rate"] == 0.0
    assert (lagging["daily_expected"], lagging["daily_done"]) == (2 * n, n + 10)
    assert (lagging["weekly_expected"], lagging["weekly_submitted"], lagging["monthly_expected"]) == (
        2 * weeks, 0, 2)
    assert (lagging["open_findings"], lagging["overdue_findings"]) == (2, 1)
    assert lagging["behind_reasons"] == ["appointments_missing", "daily_checks_low", "weekly_reports_low",
                                         "monthly_minutes_low"]
    totals = body["totals"]
    assert (totals["units"], totals["units_appointed"], totals["units_behind"], totals["appointment_rate"]) == (
        2, 1, 1, 0.5)
    assert (totals["daily_expected"], totals["daily_done"]) == (4 * n, 3 * n + 10)

    behind = client.get(f"{URL}?{county['query']}&behind_only=true", headers=regulator("610113")).json
    assert [u["unit_id"] for u in behind["items"]] == [county["lagging"].id]
    lenient = client.get(f"{URL}?{county['query']}&threshold=0.3", headers=regulator("610113")).json
    assert lenient["items"][0]["behind_reasons"] == ["appointments_missing", "weekly_reports_low",
                                                     "monthly_minutes_low"]


def test_a_city_sees_its_counties_and_the_province_sees_every_unit(client, county, regulator):
    city = client.get(f"{URL}?{county['query']}&group_by=region", headers=regulator("610100"))
    assert city.status_code == 200, city.json
    rows = {r["region_code"]: r for r in city.json["items"]}
    assert (rows["610113"]["units"], rows["610113"]["units_behind"], rows["610103"]["units"]) == (2, 1, 1)
    assert rows["610104"]["units"] == 0 and rows["610104"]["daily_rate"] is None
    assert rows["610103"]["daily_rate"] == 0.0 and city.json["totals"]["units"] == 3
    province = client.get(f"{URL}?{county['query']}", headers=regulator("610000")).json
    assert province["totals"]["units"] == 3
    by_city = client.get(f"{URL}?{county['query']}&group_by=region", headers=regulator("610000")).json
    assert {r["region_code"]: r["units"] for r in by_city["items"] if r["units"]} == {"610100": 3}


def test_a_regulator_cannot_look_outside_its_subtree_and_a_unit_sees_only_itself(client, works, county,
                                                                                 regulator):
    response = client.get(f"{URL}?{county['query']}&region_code=610113", headers=regulator("610103"))
    assert (response.status_code, response.json["code"]) == (403, "region_out_of_scope")
    own = client.get(f"{URL}?{county['query']}&group_by=region&region_code=610000",
                     headers=works["admin_headers"]).json
    assert own["group_by"] == "unit" and [u["unit_id"] for u in own["items"]] == [works["unit"].id]
    assert client.get(URL).status_code == 401
    response = client.get(f"{URL}?date_from={county['last']}&date_to={county['first']}",
                          headers=regulator("610113"))
    assert (response.status_code, response.json["code"]) == (422, "period_invalid")
    response = client.get(f"{URL}?group_by=county", headers=regulator("610113"))
    assert response.status_code == 422 and "group_by" in response.json["details"]["fields"]


def test_the_figures_take_the_same_number_of_queries_for_three_units_as_for_twelve(
        client, make_unit, make_person, make_equipment, regulator):
    headers = regulator("610113")
    first, last = previous_month()
    query = f"{URL}?date_from={first}&date_to={last}"

    def units(n):
        for _ in range(n):
            unit = make_unit("use", "610113")
            officer = make_person(unit, "safety_officer")
            appoint(unit, officer, "safety_officer", "3000")
            elevator = make_equipment(unit, "3110", use_status="in_use")
            add_checks(elevator, [first, first + timedelta(days=1)], officer)
            add_finding(elevator, opened=first)

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(query, headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    units(3)
    statements()  # warm up: the first request also caches the regulator's subtree
    few = statements()
    units(9)
    assert statements() == few and 0 < few < 25, few
    assert client.get(query, headers=headers).json["totals"]["units"] == 12


def test_the_default_window_is_the_thirty_days_ending_yesterday(client, works, regulator):
    body = client.get(URL, headers=regulator("610113")).json
    yesterday = business_today() - timedelta(days=1)
    assert (body["date_to"], body["date_from"]) == (yesterday.isoformat(),
                                                    (yesterday - timedelta(days=29)).isoformat())
    assert body["items"][0]["daily_expected"] == 2 * 30


def test_this_weeks_report_is_not_expected_before_the_week_is_over(client, works, regulator):
    start = monday()
    body = client.get(f"{URL}?date_from={start}&date_to={start + timedelta(days=6)}", headers=regulator("610113")).json
    unit = body["items"][0]
    assert body["through"] == business_today().isoformat()
    assert (unit["weekly_expected"], unit["weekly_rate"]) == (0, None)
    assert unit["daily_expected"] == 2 * ((business_today() - start).days + 1)
