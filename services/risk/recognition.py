"""Recognition of reporters and points (表彰和奖励), guidance 二(六): 「省局将定期结合风险监测点、信息报送员的
信息质量对风险监测点、信息报送员进行表彰和奖励」.

Ratings: an expert (a person with the `expert` role) or the risk centre's staff rates a *closed*
report they can see (`access.visible_clause`: an expert the reports assigned to them, the centre
those that reached the province; others are 404, like everywhere else) once: its quality 1-5 and whether it was adopted (采纳). Nobody rates a report of their own
unit (409 `own_unit_report`). A rating is final (a second one by the same rater: 409 `rating_exists`).

Points (the formula, stored on each rating):

    rating points = quality × 2 + (5 if adopted else 0)            (2 … 15)
    report points = the average of its ratings' points (one decimal), so the number of raters
                    does not change what a report is worth
    adopted report = at least half of its raters marked it adopted

A report's points accrue to its reporter and to the monitoring point it was submitted through,
in the period the report was *submitted* (`2026-Q4`, `2026-11` or `2026`). A report rated after
its period ends still counts in that period: a period's ranking is final once its reports are
rated.

Ranking: reporters (or points) who reported in the period, by points, then adopted reports, then
rated reports; equal points share a rank (1, 2, 2, 4). The ranking *names* reporters: it is the
commendation. So, unlike statistics and the periodic report, it is shown only to the province
regulator and the risk centre (everyone), and to a point's manager (their own point's reporters).
City and county regulators do not see it: the guidance keeps reported information for help, not
for judging people (二(六)). Every view that shows reporters outside the viewer's own unit is
audited (`risk.recognition_view`), and so is every export (`risk.recognition_export`). The
commendation list (.xlsx) is for the province and the centre only.
"""
from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from sqlalchemy import case, distinct, func, select
from sqlalchemy.exc import IntegrityError

from core import audit, xlsx
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from models.orgs import Person, Region, Unit
from models.risk import POINT_TYPES, MonitoringPoint, Reporter, ReportRating, RiskReport
from services.risk import access, handling
from services.risk import statistics as stats

QUALITY_WEIGHT = 2
ADOPTED_BONUS = 5
BY = {"reporter": "信息报送员", "point": "风险监测点"}
FORMULA = f"每次评分积分 = 信息质量（1-5）× {QUALITY_WEIGHT} + 被采纳加 {ADOPTED_BONUS}；每条信息的积分取各评分的平均值"


def points_for(quality: int, adopted: bool) -> int:
    """The points one rating gives (see the module docstring)."""
    return quality * QUALITY_WEIGHT + (ADOPTED_BONUS if adopted else 0)


# -- rating ------------------------------------------------------------------------------------------

def can_rate(identity: Identity) -> bool:
    """An expert (of any unit) or the risk centre's staff."""
    return (identity.is_authenticated and identity.unit_status == "approved"
            and (identity.has_role("expert") or handling.is_centre_staff(identity)))


def rate(identity: Identity, report_id: int, quality: int, adopted: bool) -> ReportRating:
    """Rate a closed report's quality and adoption once (flush; audited).

    Raises Forbidden `rating_forbidden`, NotFound (also for a report the rater cannot see),
    RuleViolation `report_not_closed` or
    `own_unit_report`, Conflict `rating_exists`, InvalidInput for a quality outside 1-5.
    """
    if not can_rate(identity):
        raise Forbidden("只有专家或省风险监测中心可以评价风险信息。", code="rating_forbidden")
    if not 1 <= int(quality) <= 5:
        raise InvalidInput.field("quality", "信息质量评分应为 1 到 5。")
    report = access.get_visible(identity, report_id)
    if report.status != "closed":
        raise RuleViolation("只有已办结的风险信息可以评价。", code="report_not_closed")
    if report.reporter_unit_id == identity.unit_id:
        raise RuleViolation("不能评价本单位报送的风险信息。", code="own_unit_report")
    rating = ReportRating(report_id=report.id, rated_by_person_id=identity.person_id, quality=int(quality),
                          adopted=bool(adopted), points=points_for(int(quality), bool(adopted)))
    exists = Conflict("您已评价过该风险信息。", code="rating_exists")
    if db.session.scalar(select(ReportRating.id).where(ReportRating.report_id == report.id,
                                                       ReportRating.rated_by_person_id == identity.person_id)):
        raise exists
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:
        raise exists
    audit.record(identity.audit_context(), "risk.report_rate", "risk_report", report.id, None,
                 {"rating_id": rating.id, "quality": rating.quality, "adopted": rating.adopted,
                  "points": rating.points})
    return rating


def ratings_of(identity: Identity, report_id: int) -> list[ReportRating]:
    """A report's ratings, for the raters and the province (who rated is shown, not who reported),
    of a report the caller can see (NotFound otherwise, as for the report itself)."""
    if not (can_rate(identity) or handling.is_province_body(identity)):
        raise Forbidden("只有专家、省局或省风险监测中心可以查看评价。", code="rating_forbidden")
    access.get_visible(identity, report_id)
    return list(db.session.scalars(select(ReportRating).where(ReportRating.report_id == report_id)
                                   .order_by(ReportRating.id)))


# -- ranking -------------------------------------------------------------------------------------------

def _managed_points(identity: Identity) -> list[int]:
    if identity.person_id is None:
        return []
    return list(db.session.scalars(select(MonitoringPoint.id).where(
        MonitoringPoint.manager_person_id == identity.person_id, MonitoringPoint.status == "active")))


def _reach(identity: Identity) -> list[int] | None:
    """None: every point (the province, the centre); else the points the caller manages."""
    if handling.is_province_body(identity):
        return None
    points = _managed_points(identity)
    if not points:
        raise Forbidden("表彰排名仅省局、省风险监测中心和本监测点负责人可以查看。", code="recognition_forbidden")
    return points


def _report_points():
    """Per rated report: its points (average of ratings), average quality, adopted or not."""
    return (select(ReportRating.report_id,
                   func.avg(ReportRating.points).label("points"),
                   func.avg(ReportRating.quality).label("quality"),
                   func.avg(case((ReportRating.adopted, 1.0), else_=0.0)).label("adopted_share"))
            .group_by(ReportRating.report_id).subquery())


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows.sort(key=lambda r: (-r["points"], -r["adopted"], -r["rated"], r["id"]))
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        if row["points"] != previous:
            rank, previous = position, row["points"]
        row["rank"] = rank
    return rows


def _tallies(rp):
    return (func.count(distinct(RiskReport.id)).label("reports"),
            func.count(distinct(rp.c.report_id)).label("rated"),
            func.coalesce(func.sum(case((rp.c.adopted_share >= 0.5, 1), else_=0)), 0).label("adopted"),
            func.avg(rp.c.quality).label("quality"),
            func.coalesce(func.sum(func.round(rp.c.points, 1)), 0).label("points"))


def _common(row) -> dict[str, Any]:
    return {"reports": row.reports, "rated": row.rated, "adopted": int(row.adopted or 0),
            "average_quality": None if row.quality is None else round(float(row.quality), 2),
            "points": round(float(row.points or 0), 1)}


def _by_reporter(where, points: list[int] | None) -> list[dict[str, Any]]:
    rp = _report_points()
    point_unit = select(Unit.id, Unit.name).subquery()
    stmt = (select(Reporter.id, Person.name.label("person_name"), Person.unit_id.label("person_unit_id"),
                   Unit.name.label("unit_name"), Reporter.is_expert, MonitoringPoint.id.label("point_id"),
                   point_unit.c.name.label("point_name"), *_tallies(rp))
            .select_from(RiskReport).join(Reporter, Reporter.id == RiskReport.reporter_id)
            .join(Person, Person.id == Reporter.person_id).join(Unit, Unit.id == Person.unit_id)
            .join(MonitoringPoint, MonitoringPoint.id == RiskReport.point_id)
            .join(point_unit, point_unit.c.id == MonitoringPoint.unit_id)
            .outerjoin(rp, rp.c.report_id == RiskReport.id).where(where)
            .group_by(Reporter.id, Person.name, Person.unit_id, Unit.name, Reporter.is_expert, MonitoringPoint.id,
                      point_unit.c.name))
    if points is not None:
        stmt = stmt.where(RiskReport.point_id.in_(points))
    return _ranked([{"id": r.id, "reporter_id": r.id, "name": r.person_name, "unit_name": r.unit_name,
                     "person_unit_id": r.person_unit_id, "is_expert": r.is_expert, "point_id": r.point_id,
                     "point_name": r.point_name, **_common(r)} for r in db.session.execute(stmt).all()])


def _by_point(where, points: list[int] | None) -> list[dict[str, Any]]:
    rp = _report_points()
    stmt = (select(MonitoringPoint.id, MonitoringPoint.point_type, Unit.name.label("unit_name"),
                   Region.name.label("region_name"), func.count(distinct(RiskReport.reporter_id)).label("reporters"),
                   *_tallies(rp))
            .select_from(RiskReport).join(MonitoringPoint, MonitoringPoint.id == RiskReport.point_id)
            .join(Unit, Unit.id == MonitoringPoint.unit_id).join(Region, Region.code == MonitoringPoint.region_code)
            .outerjoin(rp, rp.c.report_id == RiskReport.id).where(where)
            .group_by(MonitoringPoint.id, MonitoringPoint.point_type, Unit.name, Region.name))
    if points is not None:
        stmt = stmt.where(RiskReport.point_id.in_(points))
    return _ranked([{"id": r.id, "point_id": r.id, "point_type": r.point_type,
                     "point_type_label": POINT_TYPES.get(r.point_type, r.point_type), "unit_name": r.unit_name,
                     "region_name": r.region_name, "reporters": r.reporters, **_common(r)}
                    for r in db.session.execute(stmt).all()])


def ranking(identity: Identity, period_code: str, by: str) -> dict[str, Any]:
    """The period's ranking by reporter or by point (see the module docstring for who sees it).

    Audits a view that names reporters of other units than the viewer's (flush; the edge commits).
    """
    if by not in BY:
        raise InvalidInput.field("by", "应为 reporter 或 point。")
    points = _reach(identity)
    period = stats.parse_period(period_code)
    where = stats.submitted_between(period.start, period.end)
    rows = _by_reporter(where, points) if by == "reporter" else _by_point(where, points)
    if by == "reporter":
        outside = [r["reporter_id"] for r in rows if r["person_unit_id"] != identity.unit_id]
        if outside:
            audit.record(identity.audit_context(), "risk.recognition_view", "risk_recognition", period.code, None,
                         {"by": by, "reporter_ids": outside})
    return {"period": period.code, "period_label": period.label, "date_from": period.start,
            "date_to": period.end, "by": by, "formula": FORMULA, "items": rows}


# -- the commendation list ------------------------------------------------------------------------------

def commendation_xlsx(identity: Identity, period_code: str) -> tuple[bytes, str]:
    """The period's commendation list (表彰名单): reporters and points with points, ranked (province and
    centre only; audited). Returns (workbook bytes, file name)."""
    if not handling.is_province_body(identity):
        raise Forbidden("表彰名单仅省局和省风险监测中心可以导出。", code="recognition_forbidden")
    period = stats.parse_period(period_code)
    where = stats.submitted_between(period.start, period.end)
    reporters = [r for r in _by_reporter(where, None) if r["points"] > 0]
    point_rows = [r for r in _by_point(where, None) if r["points"] > 0]
    workbook = Workbook()

    def sheet_with(sheet, title: str, header: tuple[str, ...], rows: list[list]) -> None:
        sheet.append([f"{title}（{period.label}）"])
        sheet["A1"].font = xlsx.TITLE_FONT
        sheet.append([f"积分规则：{FORMULA}。"])
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
        xlsx.style_table(sheet, header_row=3)

    sheet = workbook.active
    sheet.title = "信息报送员"
    sheet_with(sheet, "风险监测信息报送员表彰名单",
               ("名次", "姓名", "所在单位", "监测点", "报送（条）", "已评价（条）", "被采纳（条）", "平均质量", "积分"),
               [[r["rank"], r["name"], r["unit_name"], r["point_name"], r["reports"], r["rated"], r["adopted"],
                 r["average_quality"], r["points"]] for r in reporters])
    sheet_with(workbook.create_sheet("风险监测点"), "风险监测点表彰名单",
               ("名次", "监测点单位", "类型", "地区", "报送员（人）", "报送（条）", "已评价（条）", "被采纳（条）",
                "平均质量", "积分"),
               [[r["rank"], r["unit_name"], r["point_type_label"], r["region_name"], r["reporters"], r["reports"],
                 r["rated"], r["adopted"], r["average_quality"], r["points"]] for r in point_rows])
    audit.record(identity.audit_context(), "risk.recognition_export", "risk_recognition", period.code, None,
                 {"reporter_ids": [r["reporter_id"] for r in reporters], "point_ids": [r["point_id"] for r in point_rows]})
    return xlsx.to_bytes(workbook), f"风险监测表彰名单-{period.code}.xlsx"
