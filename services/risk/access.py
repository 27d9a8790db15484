"""Who sees which risk reports. Scoping for this domain lives here, in one place.

- the reporter's own unit (reporter, its safety director, its admins): the unit's own reports;
- a regulator: reports whose region lies in its supervision subtree (all levels, read-only once
  the report has moved above it); the province regulator sees all;
- the province risk centre's staff: every report that reached the province;
- an expert: the reports they were assigned;
- nobody else, and never the unit a report is about (unless it is the reporter's own unit).

Nothing here links a report to an enforcement action (the guidance's non-punitive rule).
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, false, or_, select

from core.auth import Identity
from core.errors import NotFound
from core.extensions import db
from core.scoping import region_clause
from models.risk import ExpertAssignment, RiskReport, RiskReportEvent


def visible_clause(identity: Identity) -> ColumnElement[bool]:
    if not identity.is_authenticated:
        return false()
    if identity.is_regulator or identity.is_ops:
        return region_clause(RiskReport.region_code, identity.region_codes)
    clauses = [RiskReport.reporter_unit_id == identity.unit_id]
    if identity.unit_kind == "risk_center":
        reached_province = exists().where(RiskReportEvent.report_id == RiskReport.id,
                                          RiskReportEvent.to_level == "province")
        clauses.append(reached_province)
    if identity.has_role("expert"):
        clauses.append(exists().where(ExpertAssignment.report_id == RiskReport.id,
                                      ExpertAssignment.expert_person_id == identity.person_id))
    return or_(*clauses)


def visible_reports(identity: Identity) -> Select:
    return select(RiskReport).where(visible_clause(identity))


def get_visible(identity: Identity, report_id: int) -> RiskReport:
    report = db.session.scalar(visible_reports(identity).where(RiskReport.id == report_id))
    if report is None:
        raise NotFound("未找到该风险信息。", code="risk_report_not_found")
    return report


def in_reporter_unit(identity: Identity, report: RiskReport) -> bool:
    """Whether the viewer works in the reporter's unit (then the reporter's identity is no secret)."""
    return identity.unit_id == report.reporter_unit_id
