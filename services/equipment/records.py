"""Equipment records: 新增设备 by the use unit, maintenance of the record, lists and filters.

New equipment is 未投入使用 / 待注册 until its use registration is approved.
Once registered, what would change the registration (category, place, codes)
changes only through a lifecycle application.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, or_, select

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import scoped
from core.timeutil import business_today
from models.equipment import CatalogueEntry, Equipment
from models.orgs import Person
from services.equipment import catalogue, codes
from services.orgs import people, regions

MANAGER_ROLES = ("unit_admin", "principal", "safety_director")
USE_UNIT_KINDS = ("use", "filling")

# Fields that, once the equipment is registered, change only through an application.
REGISTERED_FIELDS = ("catalogue_code", "equipment_code", "legacy_reg_code", "address", "region_code")
INSPECTION_FIELDS = ("last_inspection_date", "last_inspection_conclusion", "next_due_date", "next_due_type")

SNAPSHOT_FIELDS = ("catalogue_code", "equipment_code", "legacy_reg_code", "registration_cert_no", "use_unit_id",
                   "maintenance_unit_id", "address", "region_code", "use_status", "registration_status",
                   "safety_officer_person_id", "next_due_date", "next_due_type", "put_into_use_date")


def snapshot(equipment: Equipment) -> dict[str, Any]:
    return {f: getattr(equipment, f) for f in SNAPSHOT_FIELDS}


def require_manager(identity: Identity, unit_id: int | None) -> None:
    """The use unit's admin, principal or safety director, of an approved use or filling unit."""
    if (identity.unit_id is None or identity.unit_id != unit_id or identity.unit_status != "approved"
            or identity.unit_kind not in USE_UNIT_KINDS or not identity.has_role(*MANAGER_ROLES)):
        raise Forbidden("只有使用单位的管理员、主要负责人或安全总监可以办理设备业务。", code="not_equipment_manager")


def _check_officer(person_id: int | None, unit_id: int) -> None:
    """Order 74: the responsible 安全员 is one of the unit's own safety officers."""
    if person_id is None:
        return
    ok = db.session.scalar(people.people_with_roles_stmt(unit_id, "safety_officer", Person.id)
                           .where(Person.id == person_id))
    if not ok:
        raise InvalidInput.field("safety_officer_person_id", "负责的安全员须为本单位在职的安全员。",
                                 code="safety_officer_invalid")


def _clean_codes(data: dict) -> dict:
    data = dict(data)
    if "equipment_code" in data:
        data["equipment_code"] = codes.clean_equipment_code(data["equipment_code"])
    if "legacy_reg_code" in data:
        data["legacy_reg_code"] = codes.clean_legacy_reg_code(data["legacy_reg_code"])
    if data.get("equipment_code"):
        existing = db.session.scalar(select(Equipment.id).where(Equipment.equipment_code == data["equipment_code"]))
        if existing and existing != data.get("_id"):
            raise Conflict("该设备代码已在平台登记；历史设备请通过认领办理。", code="equipment_code_exists",
                           details={"fields": {"equipment_code": ["已存在。"]}, "equipment_id": existing})
    data.pop("_id", None)
    return data


def create_equipment(identity: Identity, data: dict) -> Equipment:
    """新增设备: the use unit adds a device; it is 未投入使用 until registered."""
    require_manager(identity, identity.unit_id)
    entry = catalogue.require_registrable(data.get("catalogue_code"))
    data = _clean_codes(data)
    data["catalogue_code"] = entry.code
    regions.require_region(data["region_code"])
    _check_officer(data.get("safety_officer_person_id"), identity.unit_id)
    equipment = Equipment(use_unit_id=identity.unit_id, created_by_unit_id=identity.unit_id, source="new",
                          use_status="not_in_use", registration_status="unregistered", **data)
    db.session.add(equipment)
    db.session.flush()
    audit.record(identity.audit_context(), "equipment.create", "equipment", equipment.id, None, snapshot(equipment))
    return equipment


def update_equipment(identity: Identity, equipment: Equipment, changes: dict) -> Equipment:
    """Maintain the record. Registered equipment keeps its category, codes and place."""
    require_manager(identity, equipment.use_unit_id)
    registered = equipment.registration_status == "registered"
    locked = [f for f in REGISTERED_FIELDS + INSPECTION_FIELDS if f in changes and registered]
    if locked:
        raise RuleViolation("设备已登记，类别、代码、地点的变化须办理变更登记，检验信息以检验机构回传为准。",
                            code="equipment_field_locked",
                            details={"fields": {f: ["已登记设备不能直接修改。"] for f in locked}})
    if "catalogue_code" in changes:
        changes["catalogue_code"] = catalogue.require_registrable(changes["catalogue_code"]).code
    if "region_code" in changes:
        regions.require_region(changes["region_code"])
    changes = _clean_codes({**changes, "_id": equipment.id})
    if "safety_officer_person_id" in changes:
        _check_officer(changes["safety_officer_person_id"], equipment.use_unit_id)
    before = snapshot(equipment)
    for name, value in changes.items():
        setattr(equipment, name, value)
    db.session.flush()
    audit.record(identity.audit_context(), "equipment.update", "equipment", equipment.id, before, snapshot(equipment))
    return equipment


def warnings(equipment: Equipment) -> list[str]:
    return codes.warnings_for(equipment.catalogue_code, equipment.equipment_code, equipment.legacy_reg_code,
                              equipment.registration_cert_no, equipment.catalogue.retired)


def inspection_state(equipment: Equipment, today: date | None = None) -> str:
    """in_date / due_soon / overdue / unknown, from the next due date."""
    if equipment.next_due_date is None:
        return "unknown"
    today = today or business_today()
    if equipment.next_due_date < today:
        return "overdue"
    if equipment.next_due_date <= today + timedelta(days=current_app.config["INSPECTION_DUE_SOON_DAYS"]):
        return "due_soon"
    return "in_date"


def catalogue_codes_under(code: str) -> list[str]:
    """A catalogue code and every code below it (a kind, a category or a variety)."""
    entries = db.session.execute(select(CatalogueEntry.code, CatalogueEntry.parent_code)).all()
    children: dict[str | None, list[str]] = {}
    for child, parent in entries:
        children.setdefault(parent, []).append(child)
    found, stack = [], [code.upper()]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def list_equipment_stmt(identity: Identity, *, category: str | None = None, use_status: str | None = None,
                        registration_status: str | None = None, region_code: str | None = None,
                        use_unit_id: int | None = None, maintenance_unit_id: int | None = None,
                        due_from: date | None = None, due_to: date | None = None, overdue: bool | None = None,
                        public_place: bool | None = None, q: str | None = None) -> Select:
    """Equipment the identity may see, filtered; newest first."""
    stmt = scoped(select(Equipment), Equipment, identity)
    if category:
        stmt = stmt.where(Equipment.catalogue_code.in_(catalogue_codes_under(category)))
    for column, value in ((Equipment.use_status, use_status), (Equipment.registration_status, registration_status),
                          (Equipment.use_unit_id, use_unit_id), (Equipment.maintenance_unit_id, maintenance_unit_id),
                          (Equipment.public_place, public_place)):
        if value is not None:
            stmt = stmt.where(column == value)
    if region_code:
        stmt = stmt.where(Equipment.region_code.in_(regions.subtree_codes(region_code)))
    if due_from:
        stmt = stmt.where(Equipment.next_due_date >= due_from)
    if due_to:
        stmt = stmt.where(Equipment.next_due_date <= due_to)
    if overdue is not None:
        today = business_today()
        stmt = stmt.where(Equipment.next_due_date < today) if overdue else stmt.where(
            or_(Equipment.next_due_date.is_(None), Equipment.next_due_date >= today))
    if q:
        text = q.strip()
        stmt = stmt.where(or_(Equipment.equipment_code == text.upper(), Equipment.legacy_reg_code == text.upper(),
                              Equipment.registration_cert_no == text, Equipment.product_name.contains(text, autoescape=True),
                              Equipment.address.contains(text, autoescape=True)))
    return stmt.order_by(Equipment.id.desc())
