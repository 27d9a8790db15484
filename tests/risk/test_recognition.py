"""Recognition: experts or the centre rate closed reports once; points = quality × 2 + 5 if adopted,
averaged per report, to the reporter and the point, in the period the report was submitted; the
ranking names reporters, so only the province, the centre and a point's own manager see it."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.extensions import db
from models.risk import ExpertAssignment, MonitoringPoint, Reporter, ReportRating
from services.risk.recognition import points_for
from tests.risk.fixtures_insights import QUARTER, add_report, at
from tests.risk.fixtures_insights import insights  # noqa: F401  (a fixture)


def rank(client, headers, by="reporter", period=QUARTER):
    response = client.get(f"/api/v1/risk/recognition?period={period}&by={by}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.parametrize("quality, adopted, points", [(1, False, 2), (3, False, 6), (3, True, 11), (5, True, 15)])
def test_the_points_formula(quality, adopted, points):
    assert points_for(quality, adopted) == points


def assessed_report(insights):
    """A report closed after it reached the province and was assigned to the fixture's expert."""
    report = add_report(insights["d"], [("submitted", "handling", "city", "610581", at(8, 15)),
                                        ("escalated", "handling", "province", "610000", at(8, 16)),
                                        ("assessing", "assessing", "province", "610000", at(8, 17)),
                                        ("measures_sent", "implementing", "city", "610581", at(8, 18)),
                                        ("measures_done", "closed", "city", "610581", at(8, 20))],
                        area="production", kind="problem", catalogue_code="2100", title="储罐安全阀校验")
    db.session.add(ExpertAssignment(report_id=report.id, expert_person_id=insights["expert"].id,
                                    assigned_by_person_id=insights["centre"].id))
    db.session.flush()
    return report


def test_an_expert_rates_a_closed_report_once(client, insights):
    r8 = assessed_report(insights)
    response = client.post(f"/api/v1/risk/reports/{r8.id}/rating", json={"quality": 4, "adopted": True},
                           headers=insights["expert_h"])
    assert response.status_code == 201, response.json
    assert (response.json["points"], response.json["quality"], response.json["adopted"]) == (13, 4, True)
    again = client.post(f"/api/v1/risk/reports/{r8.id}/rating", json={"quality": 5, "adopted": True},
                        headers=insights["expert_h"])
    assert (again.status_code, again.json["code"]) == (409, "rating_exists")
    # the centre's staff rate as well, once each
    assert client.post(f"/api/v1/risk/reports/{r8.id}/rating", json={"quality": 2, "adopted": False},
                       headers=insights["centre_h"]).status_code == 201
    ratings = client.get(f"/api/v1/risk/reports/{r8.id}/ratings", headers=insights["province_h"]).json
    assert sorted(r["points"] for r in ratings) == [4, 13]
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "risk.report_rate"))


def test_experts_and_the_centre_neither_rate_nor_read_ratings_of_reports_they_cannot_see(
        client, insights, make_unit, make_person, auth_headers):
    # r1 was closed by the county: never assigned to the expert, never at the province.
    # r8 was closed by 韩城 (city level); its point is another unit's, not the expert's own.
    point_unit = make_unit("inspection", "610113", name="另一监测点单位")
    point_expert = make_person(point_unit, "expert", "inspector", name="监测点专家")
    before = db.session.scalar(select(func.count()).select_from(ReportRating))
    for report in (insights["r1"], insights["r8"]):
        for headers in (insights["expert_h"], insights["centre_h"], auth_headers(point_expert)):
            rated = client.post(f"/api/v1/risk/reports/{report.id}/rating", json={"quality": 5, "adopted": True},
                                headers=headers)
            assert (rated.status_code, rated.json["code"]) == (404, "risk_report_not_found")
            read = client.get(f"/api/v1/risk/reports/{report.id}/ratings", headers=headers)
            assert (read.status_code, read.json["code"]) == (404, "risk_report_not_found")
    assert db.session.scalar(select(func.count()).select_from(ReportRating)) == before
    # The province sees every report and its ratings.
    assert client.get(f"/api/v1/risk/reports/{insights['r1'].id}/ratings",
                      headers=insights["province_h"]).status_code == 200


def test_an_open_or_merged_report_is_not_rated(client, insights):
    for report in (insights["r4"], insights["r6"]):
        db.session.add(ExpertAssignment(report_id=report.id, expert_person_id=insights["expert"].id,
                                        assigned_by_person_id=insights["centre"].id))
        db.session.flush()
        response = client.post(f"/api/v1/risk/reports/{report.id}/rating", json={"quality": 3, "adopted": False},
                               headers=insights["expert_h"])
        assert (response.status_code, response.json["code"]) == (409, "report_not_closed")


def test_only_experts_and_the_centre_rate(client, insights):
    for headers in (insights["province_h"], insights["county_h"], insights["a_h"], insights["yanta_manager_h"]):
        response = client.post(f"/api/v1/risk/reports/{insights['r8'].id}/rating",
                               json={"quality": 3, "adopted": False}, headers=headers)
        assert (response.status_code, response.json["code"]) == (403, "rating_forbidden")


def test_an_expert_does_not_rate_a_report_of_their_own_unit(client, insights, make_unit, make_person, auth_headers):
    agency = make_unit("inspection", "610113", name="演示检验机构")
    expert = make_person(agency, "expert", "inspector", name="检验专家")
    staff = make_person(agency, "risk_reporter", "inspector", name="检验报送员")
    point = MonitoringPoint(unit_id=agency.id, point_type="inspection", region_code="610113",
                            manager_person_id=expert.id)
    db.session.add(point)
    db.session.flush()
    reporter = Reporter(point_id=point.id, person_id=staff.id)
    db.session.add(reporter)
    db.session.flush()
    report = add_report(reporter, [("submitted", "handling", "county", "610113", at(8, 3)),
                                   ("closed", "closed", "county", "610113", at(8, 4))])
    response = client.post(f"/api/v1/risk/reports/{report.id}/rating", json={"quality": 5, "adopted": True},
                           headers=auth_headers(expert))
    assert (response.status_code, response.json["code"]) == (409, "own_unit_report")


@pytest.mark.parametrize("body", [{"quality": 6, "adopted": True}, {"quality": 0, "adopted": True},
                                  {"quality": 3}, {"quality": 3, "adopted": True, "reporter_id": 1}])
def test_a_bad_rating_is_a_field_error(client, insights, body):
    response = client.post(f"/api/v1/risk/reports/{insights['r8'].id}/rating", json=body,
                           headers=insights["expert_h"])
    assert response.status_code == 422, response.json


def test_the_quarters_ranking_of_reporters(client, insights):
    body = rank(client, insights["province_h"])
    rows = [(r["rank"], r["name"], r["points"], r["reports"], r["rated"], r["adopted"]) for r in body["items"]]
    # B: r3 15; A: r1 (13 + 4) / 2 = 8.5 and r2 6 → 14.5 (r6 merged, r7 in Q2); C and D: nothing rated
    assert rows[:2] == [(1, "报送员乙", 15.0, 1, 1, 1), (2, "报送员甲", 14.5, 3, 2, 1)]
    assert sorted(rows[2:]) == [(3, "报送员丁", 0.0, 1, 0, 0), (3, "报送员丙", 0.0, 2, 0, 0)]
    assert body["items"][1]["point_name"] == "雁塔演示商场" and body["period_label"] == "2026年第三季度"
    assert "× 2" in body["formula"]
    q2 = rank(client, insights["province_h"], period="2026-Q2")["items"]
    assert [(r["name"], r["points"]) for r in q2] == [("报送员甲", 10.0)]
    year = {r["name"]: r["points"] for r in rank(client, insights["centre_h"], period="2026")["items"]}
    assert year["报送员甲"] == 24.5


def test_the_quarters_ranking_of_points(client, insights):
    rows = rank(client, insights["centre_h"], by="point")["items"]
    assert [(r["rank"], r["unit_name"], r["points"], r["reporters"], r["reports"]) for r in rows][0] == (
        1, "雁塔演示商场", 29.5, 2, 4)
    assert rows[0]["point_type_label"].startswith("特种设备使用单位")
    assert {r["unit_name"] for r in rows[1:]} == {"碑林演示商场", "韩城演示化工"}


def test_a_point_manager_sees_only_their_own_reporters(client, insights):
    names = [r["name"] for r in rank(client, insights["yanta_manager_h"])["items"]]
    assert names == ["报送员乙", "报送员甲"]
    assert [r["name"] for r in rank(client, insights["beilin_manager_h"])["items"]] == ["报送员丙"]
    assert [r["unit_name"] for r in rank(client, insights["beilin_manager_h"], by="point")["items"]] == ["碑林演示商场"]


def test_regulators_below_the_province_and_reporters_do_not_see_the_ranking(client, insights):
    for headers in (insights["city_h"], insights["county_h"], insights["a_h"], insights["expert_h"]):
        response = client.get(f"/api/v1/risk/recognition?period={QUARTER}", headers=headers)
        assert (response.status_code, response.json["code"]) == (403, "recognition_forbidden")


def test_viewing_reporters_of_other_units_is_audited(client, insights):
    rank(client, insights["province_h"])
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "risk.recognition_view"))
    assert entry.actor_person_id == insights["province"].id
    assert sorted(entry.after["reporter_ids"]) == sorted(insights[x].id for x in "abcd")
    rank(client, insights["yanta_manager_h"])  # the manager's own unit: nothing to audit
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "risk.recognition_view")).all()) == 1


def test_the_commendation_list_export(client, insights):
    response = client.get(f"/api/v1/risk/recognition/export.xlsx?period={QUARTER}", headers=insights["centre_h"])
    assert response.status_code == 200 and response.data.startswith(b"PK")
    book = load_workbook(io.BytesIO(response.data))
    reporters = [row for row in book["信息报送员"].iter_rows(min_row=4, values_only=True)]
    assert [(r[0], r[1], r[8]) for r in reporters] == [(1, "报送员乙", 15), (2, "报送员甲", 14.5)]
    points = [row for row in book["风险监测点"].iter_rows(min_row=4, values_only=True)]
    assert [(r[1], r[9]) for r in points] == [("雁塔演示商场", 29.5)]
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "risk.recognition_export"))
    for headers in (insights["yanta_manager_h"], insights["city_h"]):
        refused = client.get(f"/api/v1/risk/recognition/export.xlsx?period={QUARTER}", headers=headers)
        assert (refused.status_code, refused.json["code"]) == (403, "recognition_forbidden")


def test_a_bad_period_is_a_field_error(client, insights):
    for period in ("2026-Q5", "26-Q1", "2026-13"):
        response = client.get(f"/api/v1/risk/recognition?period={period}", headers=insights["province_h"])
        assert response.status_code == 422 and "period" in response.json["details"]["fields"]
