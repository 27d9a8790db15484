"""Risk statistics: counts and handling times in each regulator's scope, no reporter identity,
a fixed number of GROUP BY queries."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event

from core.extensions import db
from tests.risk.fixtures_insights import Q3_FROM, Q3_TO, add_report, at
from tests.risk.fixtures_insights import insights  # noqa: F401  (a fixture)

Q3 = f"date_from={Q3_FROM.isoformat()}&date_to={Q3_TO.isoformat()}"


def stats(client, headers, group_by="level", window=Q3):
    response = client.get(f"/api/v1/risk/statistics?{window}&group_by={group_by}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def by_key(body):
    return {g["key"]: g for g in body["groups"]}


def test_the_province_counts_every_report_of_the_quarter_with_handling_times(client, insights):
    body = stats(client, insights["province_h"], "region")
    totals = body["totals"]
    assert (totals["reports"], totals["closed"], totals["open"], totals["merged"]) == (7, 4, 2, 1)
    # closed: r1 2 d, r2 6 d, r3 19 d, r8 3 d; the Q2 report and the merged one do not count
    assert totals["handling_days"] == {"closed": 4, "average": 7.5, "median": 4.5}
    assert (totals["serious"], totals["major"]) == (2, 1)
    regions = by_key(body)
    assert regions["610100"]["label"] == "西安市" and regions["610100"]["reports"] == 6
    assert regions["610581"]["reports"] == 1 and regions["610581"]["average_days"] == 3.0
    assert regions["610200"]["reports"] == 0  # every city listed, 铜川 with none
    assert body["scope"]["region_code"] == "610000"


def test_a_city_sees_its_counties_and_not_hancheng(client, insights):
    body = stats(client, insights["city_h"], "region")
    regions = {g["key"]: g["reports"] for g in body["groups"] if g["reports"]}
    assert regions == {"610113": 4, "610103": 2}
    assert body["totals"]["reports"] == 6
    assert body["totals"]["handling_days"] == {"closed": 3, "average": 9.0, "median": 6.0}


def test_a_county_sees_only_its_own_reports(client, insights):
    assert stats(client, insights["beilin_h"])["totals"]["reports"] == 2
    assert stats(client, insights["county_h"])["totals"]["reports"] == 4
    assert stats(client, insights["hancheng_h"])["totals"]["reports"] == 1


def test_the_risk_centre_sees_the_whole_province(client, insights):
    assert stats(client, insights["centre_h"])["totals"]["reports"] == 7
    assert stats(client, insights["expert_h"])["totals"]["reports"] == 7


def test_units_and_reporters_see_no_statistics(client, insights):
    for headers in (insights["a_h"], insights["yanta_manager_h"]):
        response = client.get(f"/api/v1/risk/statistics?{Q3}", headers=headers)
        assert (response.status_code, response.json["code"]) == (403, "risk_statistics_forbidden")
    assert client.get("/api/v1/risk/statistics").status_code == 401


def test_groupings_by_level_area_kind_category_status_and_month(client, insights):
    h = insights["province_h"]
    level = by_key(stats(client, h, "level"))
    assert {k: g["reports"] for k, g in level.items()} == {"general": 3, "serious": 2, "major": 1, "unrated": 1}
    assert level["major"]["label"] == "重大" and level["major"]["average_days"] == 19.0
    area = by_key(stats(client, h, "area"))
    assert (area["use"]["reports"], area["use"]["label"], area["supervision"]["reports"]) == (3, "使用", 0)
    kind = by_key(stats(client, h, "kind"))
    assert (kind["hazard"]["reports"], kind["problem"]["reports"], kind["planning"]["reports"]) == (3, 2, 0)
    category = stats(client, h, "category")["groups"]
    assert [(g["key"], g["label"], g["reports"]) for g in category] == [
        ("3000", "电梯", 4), ("2000", "压力容器", 1), ("4000", "起重机械", 1), ("none", "未注明设备种类", 1)]
    status = by_key(stats(client, h, "status"))
    assert {k: g["reports"] for k, g in status.items() if g["reports"]} == {"handling": 2, "closed": 4, "merged": 1}
    month = stats(client, h, "month")["groups"]
    assert [(g["key"], g["reports"], g["closed"]) for g in month] == [
        ("2026-07", 3, 2), ("2026-08", 2, 2), ("2026-09", 2, 0)]
    handling_level = by_key(stats(client, h, "handling_level"))
    assert {k: g["reports"] for k, g in handling_level.items()} == {"county": 3, "city": 3, "province": 1}


def test_time_held_per_level_comes_from_the_path(client, insights):
    held = {h["level"]: h for h in stats(client, insights["province_h"])["held_by_level"]}
    # county: r1 2, r2 2, r3 1, r5 2, r6 1 (r4 still there); city: r2 4, r3 2, r8 3 (r5 still there)
    assert (held["county"]["holdings"], held["county"]["average_days"], held["county"]["median_days"],
            held["county"]["held_now"]) == (5, 1.6, 2.0, 1)
    assert (held["city"]["holdings"], held["city"]["average_days"], held["city"]["held_now"]) == (3, 3.0, 1)
    # province: r3 1 day waiting and 5 days with the experts, one holding; the locality then took 10 days
    assert (held["province"]["holdings"], held["province"]["average_days"]) == (1, 6.0)
    assert (held["implementing"]["holdings"], held["implementing"]["average_days"]) == (1, 10.0)


def test_statistics_carry_no_reporter_identity(client, insights):
    for group_by in ("level", "region", "area", "kind", "category", "status", "month", "handling_level"):
        text = json.dumps(stats(client, insights["province_h"], group_by), ensure_ascii=False)
        assert not any(name in text for name in insights["reporter_names"])
        assert "reporter" not in text and "演示商场" not in text


@pytest.mark.parametrize("query, field", [
    ("group_by=reporter", "group_by"), ("date_from=2026-09-01&date_to=2026-08-01", "date_from"),
    ("date_from=2020-01-01&date_to=2026-08-01", "date_to"), ("date_from=2026-13-01", "date_from")])
def test_a_bad_window_or_grouping_is_a_field_error(client, insights, query, field):
    response = client.get(f"/api/v1/risk/statistics?{query}", headers=insights["province_h"])
    assert response.status_code == 422, response.json
    assert field in response.json["details"]["fields"]


def test_the_default_window_is_this_year(client, insights):
    body = stats(client, insights["province_h"], window="")
    assert body["date_from"].endswith("-01-01")


def test_the_number_of_queries_does_not_grow_with_the_reports(client, insights):
    def count_queries(group_by):
        statements = []

        def listen(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith(("SELECT", "WITH")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            stats(client, insights["province_h"], group_by)
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        return len(statements)

    before = {g: count_queries(g) for g in ("region", "category", "level")}
    Y = "610113"
    for day in range(1, 21):
        add_report(insights["a"], [("submitted", "handling", "county", Y, at(9, day)),
                                   ("closed", "closed", "county", Y, at(9, day, 18))])
    assert {g: count_queries(g) for g in before} == before
    assert stats(client, insights["province_h"])["totals"]["reports"] == 27


def test_the_province_may_narrow_the_statistics_to_one_city(client, insights):
    body = stats(client, insights["province_h"], "region", f"{Q3}&region_code=610100")
    assert body["scope"]["region_code"] == "610100"
    assert body["totals"]["reports"] == 6  # 西安's; 韩城's report is not under any city
    assert stats(client, insights["centre_h"], window=f"{Q3}&region_code=610581")["totals"]["reports"] == 1


def test_a_region_outside_the_viewers_subtree_is_refused(client, insights):
    for headers, code in ((insights["city_h"], "610581"), (insights["county_h"], "610100")):
        response = client.get(f"/api/v1/risk/statistics?{Q3}&region_code={code}", headers=headers)
        assert (response.status_code, response.json["code"]) == (403, "region_out_of_scope")
