"""Assigning, voiding and reissuing codes, one device at a time or in bulk.

「为使用单位提供设备赋码服务，全省特种设备使用单位应完成在用特种设备赋码工作。」
A device has at most one active code; a lost or damaged label's code is
voided (it then answers 此码已作废 and points to nothing) and a new one issued.
"""
from __future__ import annotations

from sqlalchemy import Select, exists, select

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope
from core.timeutil import utcnow
from models.equipment import Equipment
from models.onecode import EquipmentCode
from qr.codes import new_code
from services.equipment.records import MANAGER_ROLES

ASSIGNABLE_STATUSES = ("in_use", "not_in_use", "suspended", "in_use_unregistered")


def can_manage_codes(identity: Identity, equipment: Equipment) -> bool:
    """The use unit's managers, and regulators over the device's region."""
    own = identity.unit_id is not None and identity.unit_id == equipment.use_unit_id and identity.has_role(*MANAGER_ROLES)
    return own or (identity.is_regulator and region_in_scope(equipment.region_code, identity))


def require_code_manager(identity: Identity, equipment: Equipment) -> None:
    if not can_manage_codes(identity, equipment):
        raise Forbidden("只有使用单位管理人员或属地监管部门可以办理赋码。", code="not_code_manager")


def active_code(equipment_id: int) -> EquipmentCode | None:
    return db.session.scalar(select(EquipmentCode).where(EquipmentCode.equipment_id == equipment_id,
                                                         EquipmentCode.status == "active"))


def _issue(equipment: Equipment, person_id: int | None) -> EquipmentCode:
    while True:  # 31^9 codes: a collision is rare, but checked
        code = new_code()
        if db.session.get(EquipmentCode, code) is None:
            break
    row = EquipmentCode(code=code, equipment_id=equipment.id, status="active", created_at=utcnow(),
                        created_by_person_id=person_id)
    db.session.add(row)
    return row


def assign(identity: Identity, equipment: Equipment) -> EquipmentCode:
    """The device's active code, issued now if it has none (idempotent)."""
    require_code_manager(identity, equipment)
    current = active_code(equipment.id)
    if current is not None:
        return current
    if equipment.use_status not in ASSIGNABLE_STATUSES:
        raise RuleViolation("已报废、拆除或迁出的设备不再赋码。", code="equipment_not_assignable")
    row = _issue(equipment, identity.person_id)
    db.session.flush()
    audit.record(identity.audit_context(), "onecode.assign", "equipment", equipment.id, None, {"code": row.code})
    return row


def void_and_reissue(identity: Identity, code: EquipmentCode, reason: str) -> EquipmentCode:
    """Void a lost or damaged label's code and issue a new one for the same device."""
    equipment = code.equipment
    require_code_manager(identity, equipment)
    if not reason or not reason.strip():
        raise InvalidInput.field("reason", "请填写作废原因（如标签遗失、损坏）。", code="reason_required")
    if code.status != "active":
        raise RuleViolation("此码已作废。", code="code_already_voided")
    code.status, code.voided_at = "voided", utcnow()
    code.voided_by_person_id, code.void_reason = identity.person_id, reason.strip()
    db.session.flush()
    replacement = _issue(equipment, identity.person_id)
    db.session.flush()
    audit.record(identity.audit_context(), "onecode.reissue", "equipment", equipment.id,
                 {"code": code.code}, {"code": replacement.code, "reason": code.void_reason})
    return replacement


def uncoded_equipment_stmt(unit_id: int | None, region_codes: list[str] | None) -> Select:
    """In-use devices of a unit or a region that have no active code yet."""
    has_code = exists().where(EquipmentCode.equipment_id == Equipment.id, EquipmentCode.status == "active")
    stmt = select(Equipment.id).where(Equipment.use_status == "in_use", ~has_code)
    if unit_id is not None:
        stmt = stmt.where(Equipment.use_unit_id == unit_id)
    if region_codes is not None:
        stmt = stmt.where(Equipment.region_code.in_(region_codes))
    return stmt.order_by(Equipment.id)


def assign_many(equipment_ids: list[int], person_id: int | None) -> int:
    """Issue codes for these devices (the bulk job's chunk); skips devices coded meanwhile."""
    coded = set(db.session.scalars(select(EquipmentCode.equipment_id).where(
        EquipmentCode.equipment_id.in_(equipment_ids), EquipmentCode.status == "active")))
    issued = 0
    for equipment in db.session.scalars(select(Equipment).where(Equipment.id.in_(equipment_ids))):
        if equipment.id not in coded:
            _issue(equipment, person_id)
            issued += 1
    db.session.flush()
    return issued
