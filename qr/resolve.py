"""Scan resolution: one answer per code, shaped by who scans.

- the public (no token) and anyone without a closer tie: the public card;
- a risk reporter: the card plus "report a risk about this device";
- the device's use unit (安全员 / 安全总监 / managers): the card plus the record's
  state for their daily work;
- an inspection agency with a pending inspection application for the device: that application;
- a regulator over the device's region (or ops): the full record and its recent history.

A mistyped code is caught by its check character before any lookup; a voided
code answers 此码已作废 and points to nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable
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
from models.inspection import InspectionApplication
from qr import cache, cards
from qr.codes import is_well_formed, normalize
from services.inspection import applications as inspection

UNIT_ROLES = ("safety_officer", "safety_director", "unit_admin", "principal")


class CodeVoided(AppError):
    status, code, message = 410, "code_voided", "此码已作废。"


@dataclass(frozen=True)
class Scan:
    audience: str
    card: dict[str, Any]
    equipment: Equipment | None = None
    history: list[dict[str, Any]] | None = None
    application: InspectionApplication | None = None


def checked_code(raw_code: str) -> str:
    """The code as stored (normalised); a malformed one (its check character caught it) is a 400."""
    code = normalize(raw_code)
    if not is_well_formed(code):
        raise InvalidInput("二维码编号有误，请核对后重新输入。", code="code_malformed", status=400)
    return code


def _fill(code: str, render: Callable[[dict[str, Any]], str] | None = None) -> tuple[cache.Entry, bytes | None]:
    """Read the code from the database and cache its card entry (and, with `render`, its page, in
    the same write); raises for unknown and voided codes."""
    found = cards.load(code)
    if found.state == "unknown":
        raise NotFound("未找到该设备码。", code="code_not_found")
    if found.state == "voided":
        cache.put(code, found.equipment_id, card=cache.VOIDED)
        raise CodeVoided()
    payload = json.dumps(found.card, ensure_ascii=False, separators=(",", ":")).encode()
    page = render(found.card).encode() if render else None
    cache.put(code, found.equipment_id, card=payload, page=page)
    return cache.Entry(found.equipment_id, payload), page


def _entry(raw: bytes) -> cache.Entry:
    entry = cache.Entry.parse(raw)
    if entry.payload == cache.VOIDED:
        raise CodeVoided()
    return entry


def public_entry(raw_code: str, rate_bucket: str | None = None) -> cache.Entry:
    """The code's public card as cached (device id and card JSON); raises for malformed, unknown
    and voided codes.

    With `rate_bucket`, the client's per-minute limit (PUBLIC_RATE_LIMIT_PER_MINUTE) is counted
    and enforced in the same Redis call as the cache read.
    """
    code = checked_code(raw_code)
    found = cache.read((cache.card_key(code),), rate_bucket)
    ratelimit.enforce(found.count, "PUBLIC_RATE_LIMIT_PER_MINUTE")
    return _entry(found.value) if found.hit else _fill(code)[0]


def public(raw_code: str, rate_bucket: str | None = None) -> tuple[dict[str, Any], int]:
    """The public card and the device id (see `public_entry`)."""
    entry = public_entry(raw_code, rate_bucket)
    return json.loads(entry.payload), entry.equipment_id


def public_json(raw_code: str, rate_bucket: str | None = None) -> bytes:
    """The anonymous scan's whole JSON answer, `{"audience": "public", "card": ...}`, built from
    the cached card without parsing it again (the hot path)."""
    return b'{"audience":"public","card":%s}' % public_entry(raw_code, rate_bucket).payload


def public_page(raw_code: str, render: Callable[[dict[str, Any]], str], rate_bucket: str | None = None) -> bytes:
    """The public page for a code: cached as rendered, else rendered by `render(card)` and cached.

    One Redis call reads the page, or failing that the card, and counts the client.
    """
    code = checked_code(raw_code)
    found = cache.read((cache.page_key(code), cache.card_key(code)), rate_bucket)
    ratelimit.enforce(found.count, "PUBLIC_RATE_LIMIT_PER_MINUTE")
    if found.hit == 1:
        return found.value
    if found.hit == 0:
        return _fill(code, render)[1]
    entry = _entry(found.value)
    page = render(json.loads(entry.payload)).encode()
    cache.put(code, entry.equipment_id, page=page)
    return page


def audience(identity: Identity, equipment: Equipment) -> tuple[str, InspectionApplication | None]:
    """Who this caller is to the device, closest tie first; for an agency, its pending application."""
    if not identity.is_authenticated:
        return "public", None
    if (identity.is_regulator or identity.is_ops) and region_in_scope(equipment.region_code, identity):
        return "regulator", None
    if identity.unit_id == equipment.use_unit_id and identity.has_role(*UNIT_ROLES):
        return "unit", None
    if identity.unit_kind == "inspection" and identity.has_role(*inspection.AGENCY_ROLES):
        application = inspection.pending_for_agency(equipment.id, identity.unit_id)
        if application is not None:
            return "agency", application
    if identity.has_role("risk_reporter"):
        return "reporter", None
    return "public", None


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
    who, application = audience(identity, equipment)
    return Scan(who, card, equipment, history(equipment_id) if who == "regulator" else None, application)
