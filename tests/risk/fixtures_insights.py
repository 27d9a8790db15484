"""Risk reports of 2026-Q3 (and one of Q2), made directly with the models — reports, their path
events at chosen times, ratings — so the statistics, periodic-report, case and recognition tests
do not depend on the intake and handling screens.

Import the fixture into a test module: `from tests.risk.fixtures_insights import insights  # noqa: F401`.

The reports (times are Asia/Shanghai):

| name | region | area / kind            | category | hazard  | path                                                        |
| ---- | ------ | ---------------------- | -------- | ------- | ----------------------------------------------------------- |
| r1   | 雁塔   | use / hazard           | 3110     | serious | county 07-01 10:00 → closed 07-03 10:00 (2 d)               |
| r2   | 雁塔   | maintenance / problem  | 3110     | general | county 07-10 → city 07-12 → closed 07-16 (6 d)              |
| r3   | 雁塔   | inspection / suggestion| 4110     | major*  | county 08-01 → city 08-02 → province 08-04 → assessing 08-05 → implementing 08-10 → closed 08-20 (19 d) |
| r4   | 碑林   | management / hazard    | 3110     | serious | county 09-01, still there                                   |
| r5   | 碑林   | use / difficulty       | —        | —       | county 09-15 → city 09-17, still there                      |
| r6   | 雁塔   | use / hazard           | 3110     | general | county 07-02 → merged 07-03                                 |
| r8   | 韩城   | production / problem   | 2100     | general | city (韩城) 08-15 → closed 08-18 (3 d)                       |
| r7   | 雁塔   | use / problem          | 3110     | general | 2026-06-20 → closed 06-22 (Q2, outside the quarter)         |

(*r3: the province assessed it major.) Reporters: A (雁塔 point) r1 r2 r6 r7; B (雁塔 point) r3;
C (碑林 point) r4 r5; D (韩城 point) r8. Ratings: r1 expert 4+adopted (13) and centre 2 (4) → 8.5;
r2 expert 3 (6); r3 expert 5+adopted (15); r7 expert 5 (10, in Q2).
"""
from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from core.extensions import db
from core.timeutil import SHANGHAI
from models.risk import MonitoringPoint, Reporter, ReportRating, RiskReport, RiskReportEvent
from services.risk.recognition import points_for

QUARTER = "2026-Q3"
Q3_FROM, Q3_TO = date(2026, 7, 1), date(2026, 9, 30)


def at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime:
    """A Shanghai wall-clock time, in UTC."""
    return datetime.combine(date(year, month, day), time(hour), SHANGHAI).astimezone(timezone.utc)


def add_report(reporter: Reporter, steps: list[tuple], *, area: str = "use", kind: str = "hazard",
               catalogue_code: str | None = "3110", suggested_level: str | None = "general",
               risk_level: str | None = None, title: str | None = None, region_code: str | None = None,
               measures: str | None = None) -> RiskReport:
    """A report with its path: steps are (action, to_status, to_level, holder_region_code, when)."""
    point = db.session.get(MonitoringPoint, reporter.point_id)
    person_unit_id = reporter.person.unit_id
    last = steps[-1]
    report = RiskReport(
        point_id=point.id, reporter_id=reporter.id, reporter_unit_id=person_unit_id, area=area, kind=kind,
        title=title or f"测试风险信息{len(steps)}", body="现场发现的问题。", catalogue_code=catalogue_code,
        region_code=region_code or point.region_code, suggested_level=suggested_level, risk_level=risk_level,
        submitted_at=steps[0][4], status=last[1], level=last[2], holder_region_code=last[3],
        closed_at=last[4] if last[1] == "closed" else None, measures=measures,
        closing_note="已督促企业整改完毕。" if last[1] == "closed" else None,
    )
    db.session.add(report)
    db.session.flush()
    previous = None
    for action, to_status, to_level, holder, when in steps:
        db.session.add(RiskReportEvent(
            report_id=report.id, action=action, from_status=previous and previous[1], to_status=to_status,
            from_level=previous and previous[2], to_level=to_level, holder_region_code=holder, created_at=when))
        previous = (action, to_status, to_level)
    db.session.flush()
    return report


def rate(report: RiskReport, rater, quality: int, adopted: bool) -> ReportRating:
    rating = ReportRating(report_id=report.id, rated_by_person_id=rater.id, quality=quality, adopted=adopted,
                          points=points_for(quality, adopted))
    db.session.add(rating)
    db.session.flush()
    return rating


@pytest.fixture
def insights(make_unit, make_person, auth_headers):
    """Regulators, the risk centre, three points with four reporters, and the reports above."""
    def regulator(code: str, name: str):
        unit = make_unit("regulator", code, name=name)
        person = make_person(unit, "regulator_staff", "unit_admin", name=f"{name}监管员")
        return person, auth_headers(person)

    province, province_h = regulator("610000", "省局")
    city, city_h = regulator("610100", "西安市局")
    county, county_h = regulator("610113", "雁塔区局")
    beilin, beilin_h = regulator("610103", "碑林区局")
    hancheng, hancheng_h = regulator("610581", "韩城市局")
    centre_unit = make_unit("risk_center", "610000", name="省风险监测中心")
    centre = make_person(centre_unit, "unit_admin", name="中心工作人员")
    expert = make_person(centre_unit, "expert", name="评估专家")

    def point(code: str, name: str, *reporter_names: str):
        unit = make_unit("use", code, name=name, control_level="一级")
        manager = make_person(unit, "unit_admin", "safety_director", name=f"{name}负责人")
        p = MonitoringPoint(unit_id=unit.id, point_type="use", region_code=code, manager_person_id=manager.id)
        db.session.add(p)
        db.session.flush()
        reporters = []
        for reporter_name in reporter_names:
            person = make_person(unit, "risk_reporter", "operator", name=reporter_name)
            reporter = Reporter(point_id=p.id, person_id=person.id)
            db.session.add(reporter)
            reporters.append(reporter)
        db.session.flush()
        return unit, manager, p, reporters

    yanta_unit, yanta_manager, yanta_point, (a, b) = point("610113", "雁塔演示商场", "报送员甲", "报送员乙")
    beilin_unit, beilin_manager, beilin_point, (c,) = point("610103", "碑林演示商场", "报送员丙")
    hancheng_unit, hancheng_manager, hancheng_point, (d,) = point("610581", "韩城演示化工", "报送员丁")

    Y, X, B, H, P = "610113", "610100", "610103", "610581", "610000"
    r1 = add_report(a, [("submitted", "handling", "county", Y, at(7, 1)), ("closed", "closed", "county", Y, at(7, 3))],
                    suggested_level="serious", title="商场客梯门锁异常")
    r2 = add_report(a, [("submitted", "handling", "county", Y, at(7, 10)),
                        ("escalated", "handling", "city", X, at(7, 12)), ("closed", "closed", "city", X, at(7, 16))],
                    area="maintenance", kind="problem", title="维保记录不完整")
    r3 = add_report(b, [("submitted", "handling", "county", Y, at(8, 1)), ("escalated", "handling", "city", X, at(8, 2)),
                        ("escalated", "handling", "province", P, at(8, 4)),
                        ("assessing", "assessing", "province", P, at(8, 5)),
                        ("measures_sent", "implementing", "county", Y, at(8, 10)),
                        ("measures_done", "closed", "county", Y, at(8, 20))],
                    area="inspection", kind="suggestion", catalogue_code="4110", suggested_level="serious",
                    risk_level="major", title="起重机械检验周期建议", measures="开展起重机械专项检查。")
    r4 = add_report(c, [("submitted", "handling", "county", B, at(9, 1))], area="management",
                    suggested_level="serious", title="安全管理制度缺失")
    r5 = add_report(c, [("submitted", "handling", "county", B, at(9, 15)), ("escalated", "handling", "city", X, at(9, 17))],
                    kind="difficulty", catalogue_code=None, suggested_level=None, title="改造资金困难")
    r6 = add_report(a, [("submitted", "handling", "county", Y, at(7, 2)), ("merged", "merged", "county", Y, at(7, 3))],
                    title="客梯门锁（重复）")
    r8 = add_report(d, [("submitted", "handling", "city", H, at(8, 15)), ("closed", "closed", "city", H, at(8, 18))],
                    area="production", kind="problem", catalogue_code="2100", title="储罐安全阀校验")
    r7 = add_report(a, [("submitted", "handling", "county", Y, at(6, 20)), ("closed", "closed", "county", Y, at(6, 22))],
                    kind="problem", title="二季度问题")
    rate(r1, expert, 4, True)
    rate(r1, centre, 2, False)
    rate(r2, expert, 3, False)
    rate(r3, expert, 5, True)
    rate(r7, expert, 5, False)
    return {
        "province": province, "province_h": province_h, "city": city, "city_h": city_h,
        "county": county, "county_h": county_h, "beilin": beilin, "beilin_h": beilin_h,
        "hancheng": hancheng, "hancheng_h": hancheng_h,
        "centre": centre, "centre_h": auth_headers(centre), "expert": expert, "expert_h": auth_headers(expert),
        "yanta_unit": yanta_unit, "yanta_manager": yanta_manager, "yanta_manager_h": auth_headers(yanta_manager),
        "beilin_manager_h": auth_headers(beilin_manager), "yanta_point": yanta_point, "beilin_point": beilin_point,
        "a": a, "b": b, "c": c, "d": d, "reporter_names": ["报送员甲", "报送员乙", "报送员丙", "报送员丁"],
        "a_h": auth_headers(a.person),
        "r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "r6": r6, "r7": r7, "r8": r8,
    }
