"""Risk reports for other government systems (the open read API, scope `open:read`), in the spirit
of Open311 GeoReport v2: the services (what can be reported) and the requests (reports) with
their status and public fields.

Public fields only, chosen here and nowhere else: the kind, area, status, handling level, region
and equipment category of a report and its times. Never the reporter (person, point or unit,
guidance 二(三): a reporter's identity is protected), never an expert or an official, and no free
text (title, body, place, notes, measures): people write names and phone numbers into free text,
and no filter can promise to catch them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from core import cursor
from core.auth import Identity
from core.extensions import db
from core.timeutil import as_utc
from models.equipment import CatalogueEntry
from models.orgs import Region
from models.risk import AREAS, LEVELS, REPORT_KINDS, REPORT_STATUSES, RiskReport
from services.orgs.regions import open_data_scope

CURSOR_KIND = "risk-requests"
SERVICE_GROUP = "特种设备风险信息报送"
_SERVICE_DESCRIPTIONS = {
    "problem": "特种设备安全方面发现的问题",
    "hazard": "特种设备事故隐患或风险",
    "suggestion": "对特种设备安全工作的意见建议",
    "difficulty": "特种设备安全工作中遇到的困难",
    "analysis": "风险分析论证",
    "planning": "安全规划方面的信息",
}


def public_services() -> list[dict[str, Any]]:
    """What can be reported (Open311 "services"): the kinds of risk information, each with the
    areas it may concern and the statuses a report passes through."""
    areas = [{"key": key, "name": name} for key, name in AREAS.items()]
    return [{"service_code": code, "service_name": name, "description": _SERVICE_DESCRIPTIONS.get(code, name),
             "group": SERVICE_GROUP, "areas": areas} for code, name in REPORT_KINDS.items()]


@dataclass(frozen=True)
class ReportFilters:
    """What a caller narrows the list to; every field optional."""

    region_code: str | None = None
    status: str | None = None
    service_code: str | None = None
    area: str | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None
    updated_since: datetime | None = None


_REGION, _HOLDER = aliased(Region, name="region"), aliased(Region, name="holder")


def list_public_reports(identity: Identity, filters: ReportFilters, after: str | None,
                        limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of risk reports' public fields, oldest change first, and the cursor of the next
    page (None on the last). Sorted by (updated_at, id), so a caller that keeps the last cursor
    (or passes `updated_since`) sees every later change.

    Raises InvalidCursor (400), Forbidden `region_out_of_scope`, NotFound `region_not_found`.
    """
    key = cursor.decode(CURSOR_KIND, after, 2)
    scope = open_data_scope(identity, filters.region_code)
    stmt = (select(RiskReport.id, RiskReport.kind, RiskReport.area, RiskReport.status, RiskReport.level,
                   RiskReport.region_code, _REGION.name.label("region_name"), RiskReport.holder_region_code,
                   _HOLDER.name.label("holder_region_name"), RiskReport.catalogue_code,
                   CatalogueEntry.name.label("category_name"), RiskReport.submitted_at, RiskReport.updated_at,
                   RiskReport.closed_at, RiskReport.merged_into_id)
            .join(_REGION, _REGION.code == RiskReport.region_code)
            .join(_HOLDER, _HOLDER.code == RiskReport.holder_region_code)
            .outerjoin(CatalogueEntry, CatalogueEntry.code == RiskReport.catalogue_code)
            .where(scope.clause(RiskReport.region_code)))
    for column, value in ((RiskReport.status, filters.status), (RiskReport.kind, filters.service_code),
                          (RiskReport.area, filters.area)):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.submitted_from is not None:
        stmt = stmt.where(RiskReport.submitted_at >= filters.submitted_from)
    if filters.submitted_to is not None:
        stmt = stmt.where(RiskReport.submitted_at < filters.submitted_to)
    if filters.updated_since is not None:
        stmt = stmt.where(RiskReport.updated_at >= filters.updated_since)
    if key is not None:
        last_time, last_id = _key_values(key)
        stmt = stmt.where(or_(RiskReport.updated_at > last_time,
                              and_(RiskReport.updated_at == last_time, RiskReport.id > last_id)))
    rows = db.session.execute(stmt.order_by(RiskReport.updated_at, RiskReport.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    following = (cursor.encode(CURSOR_KIND, [as_utc(rows[-1].updated_at).isoformat(), rows[-1].id])
                 if more and rows else None)
    return [_public(row) for row in rows], following


def _key_values(key: list[Any]) -> tuple[datetime, int]:
    try:
        last_time = datetime.fromisoformat(key[0])
    except (TypeError, ValueError):
        raise cursor.InvalidCursor()
    if not isinstance(key[1], int) or isinstance(key[1], bool):
        raise cursor.InvalidCursor()
    return as_utc(last_time), key[1]


def _public(row: Any) -> dict[str, Any]:
    return {
        "service_request_id": row.id,
        "service_code": row.kind, "service_name": REPORT_KINDS.get(row.kind, row.kind),
        "area": row.area, "area_name": AREAS.get(row.area, row.area),
        "status": row.status, "status_name": REPORT_STATUSES.get(row.status, row.status),
        "level": row.level, "level_name": LEVELS.get(row.level, row.level),
        "region_code": row.region_code, "region_name": row.region_name,
        "holder_region_code": row.holder_region_code, "holder_region_name": row.holder_region_name,
        "category_code": row.catalogue_code, "category_name": row.category_name,
        "merged_into_id": row.merged_into_id,
        "requested_datetime": row.submitted_at, "updated_datetime": row.updated_at,
        "closed_datetime": row.closed_at,
    }
