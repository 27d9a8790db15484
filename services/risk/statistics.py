"""Statistics of risk reports for regulators and the risk centre (guidance 二(五): the centre
「统计各级风险信息及处置情况」).

What is counted: the reports *submitted* in the window (Asia/Shanghai days), in the viewer's
scope — a regulator its supervision subtree, the province regulator and the risk centre the
whole province. Definitions:

- handling time (办结用时): submitted_at → closed_at of the reports of the window that are
  closed, in days; average and median. Merged reports (已合并) are handled with the report
  they were merged into, so they have no handling time of their own.
- time held per level (各级停留时间): from the report's events (its visible path). Each event
  opens a holding at its `to_level` (or, once measures are sent down, at 措施落实 by the
  locality) that ends with the next event. Only finished holdings are averaged; holdings
  still running are counted as `held_now`.
- hazard level (`group_by=level`): the province's assessed `risk_level` when there is one,
  else the reporter's suggested level, else 未定级. The handling level a report reached
  (县级 / 市级 / 省级, the highest on its path) is `group_by=handling_level`.
- region (`group_by=region`): rolled up to the level below the viewer (the province sees its
  cities, a city its counties).

Non-punitive rule: nothing here groups by, names or counts a reporter, a point or a unit.
Every figure comes from a few GROUP BY queries; on PostgreSQL the median is
`percentile_cont`, elsewhere it is taken from the durations in Python (the portable path).
"""
from __future__ import annotations

import statistics as pystats
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from core import periods
from core.auth import Identity
from core.errors import Forbidden, InvalidInput
from core.extensions import db
# Periods are core's; the risk modules name them through here (`stats.Period`, `stats.parse_period`).
from core.periods import Period, period_of  # noqa: F401
from models.equipment import CatalogueEntry
from models.orgs import Region
from models.risk import AREAS, HAZARD_LEVELS, LEVELS, REPORT_KINDS, REPORT_STATUSES, RiskReport, RiskReportEvent
from services.orgs import regions

MAX_WINDOW_DAYS = 3 * 366
OPEN_STATUSES = ("handling", "assessing", "implementing")
LEVEL_RANK = {"county": 1, "city": 2, "province": 3}
HELD_BUCKETS = {"county": "县级", "city": "市级", "province": "省级（含专家评估）", "implementing": "措施落实（属地）"}
UNRATED, UNKNOWN = "unrated", "none"
GROUP_BYS = {
    "level": "隐患等级", "handling_level": "处置层级", "region": "地区", "area": "领域", "kind": "信息类型",
    "category": "设备种类", "status": "状态", "month": "月份",
}
# Fixed vocabularies are listed whole (zeros included), in this order.
FIXED_LABELS: dict[str, dict[str, str]] = {
    "level": {**HAZARD_LEVELS, UNRATED: "未定级"},
    "handling_level": LEVELS,
    "area": AREAS,
    "kind": REPORT_KINDS,
    "status": REPORT_STATUSES,
}


# -- who may see what ------------------------------------------------------------------------------

def is_centre(identity: Identity) -> bool:
    """Staff of the province risk centre (风险监测及应急保障中心), experts and operators included."""
    return identity.is_authenticated and identity.unit_kind == "risk_center" and identity.unit_status == "approved"


def region_scope(identity: Identity, region_code: str | None = None) -> regions.RegionScope:
    """The regions a statistics viewer counts: a regulator its subtree, the province and the centre all;
    with `region_code`, that region's subtree within it.

    Raises Forbidden for anyone else (units, reporters, the public), Forbidden `region_out_of_scope`
    for a region outside the viewer's subtree.
    """
    if is_centre(identity):
        return regions.statistics_scope(identity, region_code, province_wide=True)
    if identity.is_regulator:
        return regions.statistics_scope(identity, region_code)
    raise Forbidden("只有监管部门和省风险监测中心可以查看风险信息统计。", code="risk_statistics_forbidden")


province_root = regions.province_root


# -- periods and windows (`core.periods`) ------------------------------------------------------------

parse_period = periods.parse_code  # `2026`, `2026-Q4` or `2026-11`


def window(date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """Default: from the first of January to today. At most MAX_WINDOW_DAYS."""
    period = periods.custom_range(date_from, date_to, today, max_days=MAX_WINDOW_DAYS)
    return period.start, period.end


def submitted_between(start: date, end: date) -> ColumnElement[bool]:
    """Reports submitted on the Asia/Shanghai days `start`..`end`."""
    first, last = periods.utc_bounds(start, end)
    return and_(RiskReport.submitted_at >= first, RiskReport.submitted_at < last)


# -- SQL pieces -----------------------------------------------------------------------------------------

def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _days(later, earlier):
    """`later - earlier` in days, as a float."""
    if _postgres():
        return func.extract("epoch", later - earlier) / 86400.0
    return func.julianday(later) - func.julianday(earlier)


def _month(column):
    """The Asia/Shanghai month of a UTC timestamp, `YYYY-MM`."""
    if _postgres():
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def hazard_level_expr():
    return func.coalesce(RiskReport.risk_level, RiskReport.suggested_level, UNRATED)


def _rank(column):
    return case(*((column == level, rank) for level, rank in LEVEL_RANK.items()), else_=1)


def _handling_level_expr():
    """The highest level on the report's path (its events), or its current level."""
    reached = (select(func.max(_rank(RiskReportEvent.to_level)))
               .where(RiskReportEvent.report_id == RiskReport.id).scalar_subquery())
    own = _rank(RiskReport.level)
    highest = case((func.coalesce(reached, 0) > own, reached), else_=own)
    return case((highest == 3, "province"), (highest == 2, "city"), else_="county")


def _key_expr(group_by: str, root: Region):
    if group_by == "level":
        return hazard_level_expr()
    if group_by == "handling_level":
        return _handling_level_expr()
    if group_by == "region":
        child = func.substr(Region.path, len(root.path) + 2, 6)
        return case((Region.path == root.path, root.code), else_=child)
    if group_by == "category":
        return func.coalesce(CatalogueEntry.kind_code, UNKNOWN)
    if group_by == "month":
        return _month(RiskReport.submitted_at)
    return getattr(RiskReport, group_by)  # area, kind, status


def _from_reports(*columns):
    return (select(*columns).select_from(RiskReport).join(Region, Region.code == RiskReport.region_code)
            .outerjoin(CatalogueEntry, CatalogueEntry.code == RiskReport.catalogue_code))


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _count_by(keyed) -> dict[Any, int]:
    """{key: rows} of a select with a `key` column (grouped outside it, so that an expression with
    bound parameters need not be repeated in GROUP BY)."""
    sub = keyed.subquery()
    return dict(db.session.execute(select(sub.c.key, func.count()).group_by(sub.c.key)).all())


def _summarise(durations) -> dict[Any, dict[str, Any]]:
    """{key: {count, average_days, median_days}} of a subquery with columns `key` and `days`."""
    if _postgres():
        rows = db.session.execute(
            select(durations.c.key, func.count(), func.avg(durations.c.days),
                   func.percentile_cont(0.5).within_group(durations.c.days))
            .group_by(durations.c.key)).all()
        return {k: {"count": n, "average_days": _round(a), "median_days": _round(m)} for k, n, a, m in rows}
    values: dict[Any, list[float]] = {}
    for key, days in db.session.execute(select(durations.c.key, durations.c.days)).all():
        values.setdefault(key, []).append(float(days))
    return {k: {"count": len(v), "average_days": _round(sum(v) / len(v)), "median_days": _round(pystats.median(v))}
            for k, v in values.items()}


# -- the figures --------------------------------------------------------------------------------------

def totals(where: ColumnElement[bool]) -> dict[str, Any]:
    """Counts by state and the handling time of the closed reports."""
    by_status = dict(db.session.execute(
        select(RiskReport.status, func.count()).where(where).group_by(RiskReport.status)).all())
    by_level = _count_by(select(hazard_level_expr().label("key")).where(where))
    reports = sum(by_status.values())
    closed = by_status.get("closed", 0)
    durations = (select(RiskReport.status.label("key"), _days(RiskReport.closed_at, RiskReport.submitted_at)
                        .label("days"))
                 .where(where, RiskReport.status == "closed", RiskReport.closed_at.is_not(None)).subquery())
    handling = _summarise(durations).get("closed", {"count": 0, "average_days": None, "median_days": None})
    return {
        "reports": reports, "closed": closed, "open": sum(by_status.get(s, 0) for s in OPEN_STATUSES),
        "merged": by_status.get("merged", 0),
        "closed_rate": round(closed / reports, 3) if reports else None,
        "serious": by_level.get("serious", 0), "major": by_level.get("major", 0),
        "handling_days": {"closed": handling["count"], "average": handling["average_days"],
                          "median": handling["median_days"]},
    }


def _labels(group_by: str, keys: set[str], root: Region) -> dict[str, str]:
    if group_by in FIXED_LABELS:
        return dict(FIXED_LABELS[group_by])
    if group_by == "region":
        names = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(keys))).all())
        if root.code in names and keys - {root.code}:
            names[root.code] = f"{names[root.code]}（本级）"
        return names
    if group_by == "category":
        names = dict(db.session.execute(select(CatalogueEntry.code, CatalogueEntry.name)
                                        .where(CatalogueEntry.code.in_(keys))).all())
        return {**names, UNKNOWN: "未注明设备种类"}
    return {k: k for k in keys}  # month


def _all_keys(group_by: str, root: Region, start: date, end: date) -> list[str]:
    """Groups shown even with no report: fixed vocabularies, the root's children, every month."""
    if group_by in FIXED_LABELS:
        return list(FIXED_LABELS[group_by])
    if group_by == "region":
        return list(db.session.scalars(select(Region.code).where(Region.supervision_parent_code == root.code)
                                       .order_by(Region.code)))
    if group_by == "month":
        return [first.strftime("%Y-%m") for first in periods.month_starts(start, end)]
    return []


def groups(where: ColumnElement[bool], group_by: str, root: Region, start: date, end: date) -> list[dict[str, Any]]:
    """One row per group: reports, closed, open, merged and the handling time of the closed ones."""
    if group_by not in GROUP_BYS:
        raise InvalidInput.field("group_by", f"分组应为以下之一：{', '.join(GROUP_BYS)}。", code="group_by_invalid")
    key = _key_expr(group_by, root).label("key")
    keyed = _from_reports(key, RiskReport.status).where(where).subquery()
    closed = func.sum(case((keyed.c.status == "closed", 1), else_=0))
    open_ = func.sum(case((keyed.c.status.in_(OPEN_STATUSES), 1), else_=0))
    merged = func.sum(case((keyed.c.status == "merged", 1), else_=0))
    counts = {row.key: row for row in db.session.execute(
        select(keyed.c.key, func.count().label("reports"), closed.label("closed"), open_.label("open"),
               merged.label("merged")).group_by(keyed.c.key)).all()}
    durations = _from_reports(key, _days(RiskReport.closed_at, RiskReport.submitted_at).label("days")).where(
        where, RiskReport.status == "closed", RiskReport.closed_at.is_not(None)).subquery()
    times = _summarise(durations)
    keys = _all_keys(group_by, root, start, end)
    keys += [k for k in counts if k not in keys]
    labels = _labels(group_by, set(keys), root)
    rows = []
    for k in keys:
        row = counts.get(k)
        time_ = times.get(k, {})
        rows.append({"key": k, "label": labels.get(k, k), "reports": row.reports if row else 0,
                     "closed": int(row.closed or 0) if row else 0, "open": int(row.open or 0) if row else 0,
                     "merged": int(row.merged or 0) if row else 0,
                     "average_days": time_.get("average_days"), "median_days": time_.get("median_days")})
    if group_by in ("region", "category"):
        rows.sort(key=lambda r: (-r["reports"], r["key"]))
    return rows


def held_by_level(where: ColumnElement[bool]) -> list[dict[str, Any]]:
    """Time held at each level, from the events of the window's reports (finished holdings only).

    A holding is a run of consecutive events in the same bucket (a step that does not move the
    report, such as the consolidation of expert opinions, does not split it); it ends with the
    first event of another bucket.
    """
    report_ids = select(RiskReport.id).where(where)
    bucket = case((RiskReportEvent.to_status.in_(("closed", "merged")), "end"),
                  (RiskReportEvent.to_status == "implementing", "implementing"), else_=RiskReportEvent.to_level)
    order = (RiskReportEvent.created_at, RiskReportEvent.id)
    events = (select(RiskReportEvent.report_id, RiskReportEvent.id, RiskReportEvent.created_at.label("at"),
                     bucket.label("bucket"),
                     func.lag(bucket).over(partition_by=RiskReportEvent.report_id, order_by=order).label("previous"))
              .where(RiskReportEvent.report_id.in_(report_ids)).subquery())
    starts = (select(events.c.bucket, events.c.at,
                     func.lead(events.c.at).over(partition_by=events.c.report_id,
                                                 order_by=(events.c.at, events.c.id)).label("next_at"))
              .where(or_(events.c.previous.is_(None), events.c.previous != events.c.bucket)).subquery())
    durations = (select(starts.c.bucket.label("key"), _days(starts.c.next_at, starts.c.at).label("days"))
                 .where(starts.c.next_at.is_not(None), starts.c.bucket != "end").subquery())
    times = _summarise(durations)
    now_bucket = case((RiskReport.status == "implementing", "implementing"), else_=RiskReport.level)
    held_now = _count_by(select(now_bucket.label("key")).where(where, RiskReport.status.in_(OPEN_STATUSES)))
    return [{"level": k, "label": label, "holdings": times.get(k, {}).get("count", 0),
             "average_days": times.get(k, {}).get("average_days"),
             "median_days": times.get(k, {}).get("median_days"), "held_now": held_now.get(k, 0)}
            for k, label in HELD_BUCKETS.items()]


def report_statistics(identity: Identity, date_from: date | None, date_to: date | None, group_by: str,
                      today: date, region_code: str | None = None) -> dict[str, Any]:
    """`GET /risk/statistics`: totals, one grouping and time held per level, in the viewer's scope
    (narrowed to `region_code` when given).

    Raises Forbidden for non-regulators and for a region outside the scope, InvalidInput for a bad
    window or grouping.
    """
    scope = region_scope(identity, region_code)
    start, end = window(date_from, date_to, today)
    root = scope.root
    where = and_(scope.clause(RiskReport.region_code), submitted_between(start, end))
    return {
        "date_from": start, "date_to": end, "group_by": group_by,
        "scope": {"region_code": root.code, "region_name": root.name},
        "totals": totals(where), "groups": groups(where, group_by, root, start, end),
        "held_by_level": held_by_level(where),
    }
