"""A device's master data for the inspection agency that is to inspect it (`GET
/open/v1/equipment/<设备代码>`, scope `inspection:read`): what the agency's own system needs to
prepare and write the inspection — identifiers, catalogue, product, units, place, status, due
dates per series and the last result.

Reach (setting INSPECTION_OPEN_EQUIPMENT_REACH):

- `applications` (default): devices with an application (any status) addressed to the agency;
- `region`: those, and the devices standing in the regions of the agency's approved scope
  (业务开通: `AgencyApproval.region_codes`, each with its supervision subtree; none listed: the
  whole province) whose category the scope covers. The approval must be approved and in date: a
  lapsed approval takes no new work, so it reaches no device beyond its applications.

Outside the reach, unknown, or a record nobody can meet (垃圾数据, 移除监察): one and the same 404,
so a caller learns nothing of devices it may not see. No personal data in full: the safety
officer's name with the phone masked (`core.idcodes.mask_phone`, the house rule).

One round trip for the device (by its unique code, with its catalogue, units, region and code),
one for its series, and one or two for the reach: the same cost at the millionth device.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased

from core.auth import Identity
from core.errors import NotFound
from core.extensions import db
from core.idcodes import mask_phone
from core.timeutil import business_today
from models.equipment import REGISTRATION_STATUSES, USE_STATUSES, CatalogueEntry, Equipment
from models.inspection import DUE_SERIES, EquipmentDueDate, InspectionApplication
from models.onecode import Code
from models.orgs import Person, Region, Unit
from services.inspection import approvals

REACHES = ("applications", "region")
HIDDEN_STATUSES = ("junk", "removed")  # records, not devices an agency can meet
CODE_MAX_LENGTH = 32  # Equipment.equipment_code

_USE_UNIT, _MAINTAINER = aliased(Unit, name="use_unit"), aliased(Unit, name="maintainer")
_KIND = aliased(CatalogueEntry, name="kind")


def _not_found() -> NotFound:
    return NotFound("未找到该设备，或该设备不在本机构的检验范围内。", code="equipment_not_found")


def _plausible(code: str) -> bool:
    """A code the column can hold; anything else is simply not found (never a 500)."""
    return 0 < len(code) <= CODE_MAX_LENGTH and code.isprintable()


def _device_row(code: str, agency_unit_id: int):
    applied = exists().where(InspectionApplication.equipment_id == Equipment.id,
                             InspectionApplication.agency_unit_id == agency_unit_id)
    stmt = (
        select(Equipment.id, Equipment.equipment_code, Equipment.registration_cert_no, Equipment.legacy_reg_code,
               Equipment.catalogue_code, CatalogueEntry.name.label("category_name"), CatalogueEntry.kind_code,
               _KIND.name.label("kind_name"), Equipment.product_name, Equipment.model_spec,
               Equipment.product_serial_no, Equipment.manufacturer_name, Equipment.manufacture_date,
               Equipment.design_life_years, Equipment.put_into_use_date, Equipment.use_unit_id,
               _USE_UNIT.name.label("use_unit_name"), _USE_UNIT.uscc.label("use_unit_uscc"),
               Equipment.legacy_use_unit_name, _MAINTAINER.name.label("maintenance_unit_name"),
               Equipment.address, Equipment.region_code, Region.name.label("region_name"),
               Equipment.use_status, Equipment.registration_status,
               Equipment.hazard_stopped, Equipment.supervision_passed_on, Equipment.last_inspection_date,
               Equipment.last_inspection_conclusion, Equipment.last_inspection_grade, Equipment.next_due_date,
               Equipment.next_due_type, Equipment.failed_inspection_result_id,
               Person.name.label("officer_name"), Person.phone.label("officer_phone"),
               Code.code.label("onecode"), applied.label("applied"))
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .outerjoin(_KIND, _KIND.code == CatalogueEntry.kind_code)
        .join(Region, Region.code == Equipment.region_code)
        .outerjoin(_USE_UNIT, _USE_UNIT.id == Equipment.use_unit_id)
        .outerjoin(_MAINTAINER, _MAINTAINER.id == Equipment.maintenance_unit_id)
        .outerjoin(Person, Person.id == Equipment.safety_officer_person_id)
        .outerjoin(Code, and_(Code.target_type == "equipment", Code.target_id == Equipment.id,
                              Code.status == "active"))
        .where(Equipment.equipment_code == code, Equipment.use_status.notin_(HIDDEN_STATUSES))
        .limit(1))
    return db.session.execute(stmt).first()


def reaches(identity: Identity, row: Any, today: date) -> bool:
    """INSPECTION_OPEN_EQUIPMENT_REACH: an application to the agency, or (`region`) its approved scope."""
    if row.applied:
        return True
    if current_app.config["INSPECTION_OPEN_EQUIPMENT_REACH"] != "region":
        return False
    return approvals.covering_approval(identity.unit_id, row.catalogue_code, None, row.region_code, today) is not None


def _series(equipment_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(EquipmentDueDate.series, EquipmentDueDate.due_date, EquipmentDueDate.last_date,
               EquipmentDueDate.last_conclusion)
        .where(EquipmentDueDate.equipment_id == equipment_id)).all()
    order = list(DUE_SERIES)
    rows = sorted(rows, key=lambda r: order.index(r.series) if r.series in order else len(order))
    return [{"series": r.series, "series_name": DUE_SERIES.get(r.series, r.series), "due_date": r.due_date,
             "last_date": r.last_date, "last_conclusion": r.last_conclusion} for r in rows]


def agency_device(identity: Identity, code: str, today: date | None = None) -> dict[str, Any]:
    """The master data of the device with 设备代码 `code`, for the calling agency (see the module
    docstring for the reach). Raises NotFound `equipment_not_found` alike for an unknown device
    and one out of reach."""
    if identity.unit_id is None or not _plausible(code):
        raise _not_found()
    row = _device_row(code, identity.unit_id)
    if row is None or not reaches(identity, row, today or business_today()):
        raise _not_found()
    officer = ({"name": row.officer_name, "phone": mask_phone(row.officer_phone)}
               if row.officer_name is not None else None)
    return {
        "equipment_code": row.equipment_code, "code": row.onecode,
        "registration_cert_no": row.registration_cert_no, "legacy_reg_code": row.legacy_reg_code,
        "catalogue_code": row.catalogue_code, "category_name": row.category_name,
        "kind_code": row.kind_code, "kind_name": row.kind_name,
        "product_name": row.product_name, "model_spec": row.model_spec, "product_serial_no": row.product_serial_no,
        "manufacturer_name": row.manufacturer_name, "manufacture_date": row.manufacture_date,
        "design_life_years": row.design_life_years, "put_into_use_date": row.put_into_use_date,
        "use_unit_name": row.use_unit_name or row.legacy_use_unit_name, "use_unit_uscc": row.use_unit_uscc,
        "maintenance_unit_name": row.maintenance_unit_name,
        "address": row.address, "region_code": row.region_code, "region_name": row.region_name,
        "use_status": row.use_status, "use_status_name": USE_STATUSES.get(row.use_status, row.use_status),
        "registration_status": row.registration_status,
        "registration_status_name": REGISTRATION_STATUSES.get(row.registration_status, row.registration_status),
        "hazard_stopped": row.hazard_stopped,
        "use_forbidden_by_inspection": row.failed_inspection_result_id is not None,
        "safety_officer": officer, "supervision_passed_on": row.supervision_passed_on,
        "last_inspection_date": row.last_inspection_date,
        "last_inspection_conclusion": row.last_inspection_conclusion,
        "last_inspection_grade": row.last_inspection_grade,
        "next_due_date": row.next_due_date, "next_due_type": row.next_due_type,
        "due_dates": _series(row.id),
    }
