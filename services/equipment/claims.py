"""Claims of historical equipment (认领): a use unit claims a record that exists on the
platform without a use unit (imported from the offline ledger), by 设备代码 or 注册代码
plus its 使用登记证编号; the regulator of the equipment's region confirms or refuses.

A claim does not say which part of a wrong pair failed to match (a unit must not be
able to probe other units' certificate numbers). A record that has a use unit, or a
pending claim by another unit, is refused.
"""
from __future__ import annotations

from sqlalchemy import Select, select

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope, scoped
from core.timeutil import utcnow
from models.equipment import CLAIM_STATUSES, Equipment, EquipmentClaim
from models.orgs import Unit
from services import notify
from services.equipment import codes
from services.equipment.records import require_manager, snapshot
from services.orgs.units import regulators_for, tell_admins

_BRACKETS = str.maketrans("（）", "()")
DECISIONS = {"confirm": "confirmed", "refuse": "refused"}


def _cert_key(value: str | None) -> str | None:
    cleaned = codes.clean_cert_no(value)
    return cleaned.translate(_BRACKETS).upper() if cleaned else None


def find_claimable(equipment_code: str | None, legacy_reg_code: str | None, cert_no: str) -> Equipment:
    """The record whose code(s) and 使用登记证编号 all match, locked for the claim.

    Raises NotFound (claim_record_not_found) without saying what did not match.
    """
    stmt = select(Equipment)
    if equipment_code:
        stmt = stmt.where(Equipment.equipment_code == equipment_code.strip().upper())
    if legacy_reg_code:
        stmt = stmt.where(Equipment.legacy_reg_code == legacy_reg_code.strip().upper())
    wanted = _cert_key(cert_no)
    candidates = db.session.scalars(stmt.with_for_update(of=Equipment))
    found = [e for e in candidates if _cert_key(e.registration_cert_no) == wanted]
    if len(found) != 1:
        # None, or (by 注册代码 alone) several records: either way nothing to claim safely.
        raise NotFound("未找到代码与使用登记证编号都相符的设备，请核对后重试。", code="claim_record_not_found")
    return found[0]


def submit_claim(identity: Identity, equipment_code: str | None, legacy_reg_code: str | None,
                 registration_cert_no: str) -> EquipmentClaim:
    """A use unit's manager claims a historical record; the regulators of its region are told.

    Raises InvalidInput (claim_code_required), NotFound (claim_record_not_found),
    Conflict (equipment_already_claimed: the record has a use unit or another unit's
    pending claim; claim_already_pending: this unit's own claim waits).
    """
    require_manager(identity, identity.unit_id)
    if not (equipment_code or legacy_reg_code):
        raise InvalidInput.field("equipment_code", "请填写设备代码或注册代码。", code="claim_code_required")
    equipment = find_claimable(equipment_code, legacy_reg_code, registration_cert_no)
    if equipment.use_unit_id == identity.unit_id:
        raise Conflict("该设备已在本单位名下，无需认领。", code="equipment_already_yours")
    if equipment.use_unit_id is not None:
        raise Conflict("该设备已有使用单位，不能认领；如有异议请联系所在地监管部门。", code="equipment_already_claimed")
    pending = db.session.scalar(select(EquipmentClaim).where(EquipmentClaim.equipment_id == equipment.id,
                                                             EquipmentClaim.status == "pending"))
    if pending is not None and pending.unit_id == identity.unit_id:
        raise Conflict("本单位已认领该设备，正在等待监管部门确认。", code="claim_already_pending",
                       details={"claim_id": pending.id})
    if pending is not None:
        raise Conflict("该设备已有其他单位认领，正在等待监管部门确认。", code="equipment_already_claimed")
    claim = EquipmentClaim(equipment_id=equipment.id, unit_id=identity.unit_id, region_code=equipment.region_code,
                           status="pending", created_by_person_id=identity.person_id)
    db.session.add(claim)
    db.session.flush()
    audit.record(identity.audit_context(), "equipment_claim.submit", "equipment_claim", claim.id, None,
                 {"equipment_id": equipment.id, "unit_id": identity.unit_id, "status": "pending"})
    unit_name = db.session.scalar(select(Unit.name).where(Unit.id == identity.unit_id))
    label = equipment.equipment_code or equipment.legacy_reg_code
    for person in regulators_for(equipment.region_code):
        notify.queue_message(person.id, "equipment_claim_submitted", "历史设备认领待确认",
                             f"{unit_name}认领了设备 {label}（{equipment.address or ''}），请核实确认。",
                             {"claim_id": claim.id, "equipment_id": equipment.id})
    return claim


def decide_claim(identity: Identity, claim: EquipmentClaim, action: str, note: str | None = None) -> EquipmentClaim:
    """The regulator of the equipment's region confirms (the claimant becomes the use
    unit; the record's `source` stays) or refuses with a reason; the claimant's admins
    are told.

    Raises Forbidden (not_claim_reviewer), InvalidInput (reason_required),
    RuleViolation (claim_not_pending), Conflict (equipment_already_claimed).
    """
    if not identity.is_regulator or not region_in_scope(claim.region_code, identity):
        raise Forbidden("只有设备所在地区的监管部门可以确认认领。", code="not_claim_reviewer")
    if action == "refuse" and not (note and note.strip()):
        raise InvalidInput.field("note", "驳回认领须填写原因。", code="reason_required")
    db.session.refresh(claim, with_for_update=True)  # two reviewers deciding at once: the second sees the first
    if claim.status != "pending":
        raise RuleViolation(f"该认领已{CLAIM_STATUSES[claim.status]}，不能再次处理。", code="claim_not_pending",
                            details={"status": claim.status})
    equipment = db.session.scalar(select(Equipment).where(Equipment.id == claim.equipment_id)
                                  .with_for_update(of=Equipment))
    before = snapshot(equipment)
    if action == "confirm":
        if equipment.use_unit_id not in (None, claim.unit_id):
            raise Conflict("该设备已有使用单位，不能确认本次认领。", code="equipment_already_claimed")
        equipment.use_unit_id = claim.unit_id
    claim.status = DECISIONS[action]
    claim.decision_note = note.strip() if note else None
    claim.decided_by_person_id = identity.person_id
    claim.decided_at = utcnow()
    db.session.flush()
    after = {**snapshot(equipment), "claim_id": claim.id, "claim_status": claim.status}
    audit.record(identity.audit_context(), f"equipment_claim.{action}", "equipment", equipment.id, before, after)
    _tell_claimant(claim, equipment)
    return claim


def _tell_claimant(claim: EquipmentClaim, equipment: Equipment) -> None:
    label = equipment.equipment_code or equipment.legacy_reg_code
    verdict = "已确认，设备已列入本单位台账" if claim.status == "confirmed" else f"被驳回。原因：{claim.decision_note}"
    tell_admins(claim.unit_id, f"equipment_claim_{claim.status}", "设备认领结果",
                f"您单位对设备 {label} 的认领{verdict}。", {"claim_id": claim.id, "equipment_id": equipment.id})


def list_claims_stmt(identity: Identity, status: str | None = None) -> Select:
    """Claims the identity may see (its own unit's, or its regions' for a regulator), newest first."""
    stmt = scoped(select(EquipmentClaim), EquipmentClaim, identity)
    if status:
        stmt = stmt.where(EquipmentClaim.status == status)
    return stmt.order_by(EquipmentClaim.id.desc())
