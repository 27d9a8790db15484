"""Inspection agencies (检验检测机构) as applicants see them: approved units of kind "inspection"
whose approved scope (业务开通, services.inspection.approvals) is in date and covers what the
applicant needs."""
from __future__ import annotations

from sqlalchemy import Select, select

from core.errors import InvalidInput
from core.extensions import db
from models.equipment import Equipment
from models.orgs import Unit
from services.inspection import approvals
from services.orgs import certificates, regions


def agencies_stmt(q: str | None = None, region_code: str | None = None, *, catalogue_code: str | None = None,
                  inspection_type: str | None = None, equipment: Equipment | None = None) -> Select:
    """Approved inspection agencies with an in-date approved scope, by name; `region_code` keeps
    agencies of a subtree. The scope must cover `catalogue_code` and `inspection_type` when given;
    with `equipment`, its category and the region where it stands (so a unit sees only agencies
    that can take its application)."""
    if equipment is not None:
        catalogue_code = equipment.catalogue_code
    ids = approvals.covering_agency_ids(catalogue_code, inspection_type,
                                        equipment.region_code if equipment is not None else None)
    stmt = select(Unit).where(Unit.kind == "inspection", Unit.status == "approved", Unit.id.in_(ids))
    if q:
        stmt = stmt.where(Unit.name.contains(q, autoescape=True))
    if region_code:
        stmt = stmt.where(Unit.region_code.in_(regions.subtree_codes(region_code)))
    return stmt.order_by(Unit.name, Unit.id)


def require_agency(unit_id: int) -> Unit:
    """The approved inspection agency `unit_id`; a 422 naming `agency_unit_id` otherwise (`agency_invalid`)."""
    unit = db.session.get(Unit, unit_id) if 0 < unit_id < 2**31 else None  # an INTEGER key
    if unit is None or unit.kind != "inspection" or unit.status != "approved":
        raise InvalidInput.field("agency_unit_id", "请选择已通过审核的检验检测机构。", code="agency_invalid")
    return unit


def require_agency_for(unit_id: int, equipment: Equipment, inspection_type: str) -> Unit:
    """The agency an application may be addressed to: approved, its approved scope in date and
    covering the device and type (422 `agency_not_approved_for`, `agency_approval_lapsed`), its
    核准证 in date (422 `licence_expired`), each naming `agency_unit_id`."""
    unit = require_agency(unit_id)
    approvals.require_covering(unit, equipment, inspection_type)
    certificates.require_licence_in_date(unit, "受理检验申请，请选择其他检验检测机构", field="agency_unit_id")
    return unit
