"""Scan resolution: one answer per code, shaped by who scans.

- the public (no token) and anyone without a closer tie: the public card;
- a risk reporter: the card plus "report a risk about this device";
- the device's use unit (安全员 / 安全总监 / managers): the card plus the record's
  state for their daily work;
- a regulator over the device's region (or ops): the full record and its recent history.

A mistyped code is caught by its check character before any lookup; a voided
code answers 此码已作废 and points to nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from core.audit import AuditEntry
from core import ratelimit
from core.auth import Identity
from core.errors import AppError, InvalidInput, NotFound
from core.extensions import db
from core.scoping import region_in_scope
from models.equipment import Application, Equipment
from qr import cache, cards
from qr.codes import is_well_formed, normalize

UNIT_ROLES = ("safety_officer", "safety_director", "unit_admin", "principal")


class CodeVoided(AppError):
    status, code, message = 410, "code_voided", "此码已作废。"


@dataclass(frozen=True)
class Scan:
    audience: str
    card: dict[str, Any]
    equipment: Equipment | None = None
    history: list[dict[str, Any]] | None = None


def public(raw_code: str, rate_bucket: str | None = None) -> tuple[dict[str, Any], int]:
    """The public card (cached) and the device id; raises for malformed, unknown and voided codes.

    With `rate_bucket`, the client's per-minute limit (PUBLIC_RATE_LIMIT_PER_MINUTE) is counted
    and enforced in the same Redis round trip as the cache read.
    """
    code = normalize(raw_code)
    if not is_well_formed(code):
        raise InvalidInput("二维码编号有误，请核对后重新输入。", code="code_malformed", status=400)
    count, cached = cache.get(code, rate_bucket)
    ratelimit.enforce(count, "PUBLIC_RATE_LIMIT_PER_MINUTE")
    if cached is not None:
        if cached.get("voided"):
            raise CodeVoided()
        return cached["card"], cached["equipment_id"]
    found = cards.lookup(code)
    if found.state == "unknown":
        raise NotFound("未找到该设备码。", code="code_not_found")
    if found.state == "voided":
        cache.put(code, found.equipment_id, {"voided": True})
        raise CodeVoided()
    card = cards.public_card(code, found.equipment_id)
    cache.put(code, found.equipment_id, {"card": card, "equipment_id": found.equipment_id})
    return card, found.equipment_id


def audience(identity: Identity, equipment: Equipment) -> str:
    if not identity.is_authenticated:
        return "public"
    if (identity.is_regulator or identity.is_ops) and region_in_scope(equipment.region_code, identity):
        return "regulator"
    if identity.unit_id == equipment.use_unit_id and identity.has_role(*UNIT_ROLES):
        return "unit"
    if identity.has_role("risk_reporter"):
        return "reporter"
    return "public"


def history(equipment_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The device's recent changes: audit entries on it and on its applications."""
    application_ids = [str(i) for i in db.session.scalars(
        select(Application.id).where(Application.equipment_id == equipment_id))]
    stmt = (select(AuditEntry)
            .where(or_((AuditEntry.entity_type == "equipment") & (AuditEntry.entity_id == str(equipment_id)),
                       (AuditEntry.entity_type == "equipment_application")
                       & AuditEntry.entity_id.in_(application_ids or ["-"])))
            .order_by(AuditEntry.id.desc()).limit(limit))
    return [{"at": e.created_at, "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id,
             "actor_person_id": e.actor_person_id} for e in db.session.scalars(stmt)]


def scan(identity: Identity, raw_code: str, rate_bucket: str | None = None) -> Scan:
    """Resolve a scanned code for this caller."""
    card, equipment_id = public(raw_code, rate_bucket)
    if not identity.is_authenticated:
        return Scan("public", card)
    equipment = db.session.get(Equipment, equipment_id)
    who = audience(identity, equipment)
    return Scan(who, card, equipment, history(equipment_id) if who == "regulator" else None)
