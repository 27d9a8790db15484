"""Inspection agencies (检验检测机构) as applicants see them: approved units of kind "inspection"."""
from __future__ import annotations

from sqlalchemy import Select, select

from core.errors import InvalidInput
from core.extensions import db
from models.orgs import Unit
from services.orgs import certificates, regions


def agencies_stmt(q: str | None = None, region_code: str | None = None) -> Select:
    """Approved inspection agencies anyone logged in may pick from, by name; `region_code` keeps a subtree."""
    stmt = select(Unit).where(Unit.kind == "inspection", Unit.status == "approved")
    if q:
        stmt = stmt.where(Unit.name.contains(q, autoescape=True))
    if region_code:
        stmt = stmt.where(Unit.region_code.in_(regions.subtree_codes(region_code)))
    return stmt.order_by(Unit.name, Unit.id)


def require_agency(unit_id: int) -> Unit:
    """The approved inspection agency `unit_id` with its 核准证 in date; a 422 naming `agency_unit_id`
    otherwise (`agency_invalid`, `licence_expired`)."""
    unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None  # an INTEGER key
    if unit is None or unit.kind != "inspection" or unit.status != "approved":
        raise InvalidInput.field("agency_unit_id", "请选择已通过审核的检验检测机构。", code="agency_invalid")
    certificates.require_licence_in_date(unit, "受理检验申请，请选择其他检验检测机构", field="agency_unit_id")
    return unit
