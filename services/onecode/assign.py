"""Assigning, voiding and reissuing codes, for any registered target type.

「为使用单位提供设备赋码服务，全省特种设备使用单位应完成在用特种设备赋码工作。」
A target has at most one active code; a lost or damaged label's code is voided (it then
answers 此码已作废 and points to nothing) and a new one issued. Who may manage a target's codes,
and which targets take a new code, is the target's domain's rule (`targets.Target`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core import audit
from core.auth import Identity
from core.errors import InvalidInput, RuleViolation
from core.extensions import db
from core.timeutil import utcnow
from models.onecode import Code
from qr.codes import new_code
from services.onecode import targets


def active_code(target_type: str, target_id: int) -> Code | None:
    """The target's active code, if any."""
    return db.session.scalar(select(Code).where(Code.target_type == target_type, Code.target_id == target_id,
                                                Code.status == "active"))


def codes_of(target_type: str, target_id: int) -> list[Code]:
    """Every code the target has had, oldest first, voided ones included."""
    return list(db.session.scalars(select(Code).where(Code.target_type == target_type, Code.target_id == target_id)
                                   .order_by(Code.created_at)))


def _issue(target_type: str, target_id: int, person_id: int | None) -> Code:
    while True:  # 31^9 codes: a collision is rare, but checked
        code = new_code()
        if db.session.get(Code, code) is None:
            break
    row = Code(code=code, target_type=target_type, target_id=target_id, status="active", created_at=utcnow(),
               created_by_person_id=person_id)
    db.session.add(row)
    return row


def assign(identity: Identity, target_type: str, target: Any) -> Code:
    """The target's active code, issued now if it has none (idempotent).

    Raises Forbidden when the caller may not manage the target's codes, RuleViolation when the
    target takes no new code (both the target domain's rules)."""
    registered = targets.get(target_type)
    registered.require_manager(identity, target)
    current = active_code(target_type, target.id)
    if current is not None:
        return current
    registered.require_assignable(target)
    row = _issue(target_type, target.id, identity.person_id)
    db.session.flush()
    audit.record(identity.audit_context(), "onecode.assign", target_type, target.id, None, {"code": row.code})
    return row


def void_and_reissue(identity: Identity, code: Code, reason: str) -> Code:
    """Void a lost or damaged label's code and issue a new one for the same target.

    Raises Forbidden (not the target's code manager), InvalidInput (no reason), RuleViolation
    (the code is already voided)."""
    target = targets.load(code.target_type, code.target_id)
    targets.get(code.target_type).require_manager(identity, target)
    if not reason or not reason.strip():
        raise InvalidInput.field("reason", "请填写作废原因（如标签遗失、损坏）。", code="reason_required")
    if code.status != "active":
        raise RuleViolation("此码已作废。", code="code_already_voided")
    code.status, code.voided_at = "voided", utcnow()
    code.voided_by_person_id, code.void_reason = identity.person_id, reason.strip()
    db.session.flush()
    replacement = _issue(code.target_type, code.target_id, identity.person_id)
    db.session.flush()
    audit.record(identity.audit_context(), "onecode.reissue", code.target_type, code.target_id,
                 {"code": code.code}, {"code": replacement.code, "reason": code.void_reason})
    return replacement


def assign_many(target_type: str, target_ids: list[int], person_id: int | None) -> int:
    """Issue codes for these targets (a bulk job's chunk); skips targets coded meanwhile. The
    caller chose the ids by the target domain's rule of what is codable."""
    coded = set(db.session.scalars(select(Code.target_id).where(
        Code.target_type == target_type, Code.target_id.in_(target_ids), Code.status == "active")))
    issued = 0
    for target_id in dict.fromkeys(target_ids):
        if target_id not in coded:
            _issue(target_type, target_id, person_id)
            issued += 1
    db.session.flush()
    return issued
