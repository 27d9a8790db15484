"""Scan resolution: one answer per code, shaped by who scans.

The anonymous scan is the hot path: the public card as cached bytes, one Redis round trip
(`cache.read`), one SQL statement on a miss (`cards.load`). A caller with a token gets the view
of the first audience registered for the code's target type that applies to them (`views`),
else the public card.

A mistyped code is caught by its check character before any lookup; a voided code answers
此码已作废 and points to nothing.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from core import ratelimit
from core.auth import Identity
from core.errors import AppError, InvalidInput, NotFound
from qr.codes import is_well_formed, normalize
from services.onecode import cache, cards, targets, views

# render(target_type, card) -> the public page's HTML
Render = Callable[[str, dict[str, Any]], str]


class CodeVoided(AppError):
    status, code, message = 410, "code_voided", "此码已作废。"


class TargetRef(NamedTuple):
    """What a code points at."""

    type: str
    id: int


@dataclass(frozen=True)
class Scan:
    """A resolved scan: the audience, the public card, the target and the audience's details."""

    audience: str
    card: dict[str, Any]
    target_type: str
    target_id: int
    target: Any = None
    details: dict[str, Any] = field(default_factory=dict)


def checked_code(raw_code: str) -> str:
    """The code as stored (normalised); a malformed one (its check character caught it) is a 400."""
    code = normalize(raw_code)
    if not is_well_formed(code):
        raise InvalidInput("二维码编号有误，请核对后重新输入。", code="code_malformed", status=400)
    return code


def _fill(code: str, render: Render | None = None) -> tuple[cache.Entry, bytes | None]:
    """Read the code from the database and cache its card entry (and, with `render`, its page, in
    the same write); raises for unknown and voided codes."""
    found = cards.load(code)
    if found.state == "unknown":
        raise NotFound("未找到该设备码。", code="code_not_found")
    if found.state == "voided":
        cache.put(code, found.target_type, found.target_id, card=cache.VOIDED)
        raise CodeVoided()
    payload = json.dumps(found.card, ensure_ascii=False, separators=(",", ":")).encode()
    page = render(found.target_type, found.card).encode() if render else None
    cache.put(code, found.target_type, found.target_id, card=payload, page=page)
    return cache.Entry(found.target_type, found.target_id, payload), page


def _entry(raw: bytes) -> cache.Entry:
    entry = cache.Entry.parse(raw)
    if entry.payload == cache.VOIDED:
        raise CodeVoided()
    return entry


def public_entry(raw_code: str, rate_bucket: str | None = None) -> cache.Entry:
    """The code's public card as cached (target and card JSON); raises InvalidInput for a
    malformed code, NotFound for an unknown one, CodeVoided for a voided one.

    With `rate_bucket`, the client's per-minute limit (PUBLIC_RATE_LIMIT_PER_MINUTE) is counted
    and enforced in the same Redis call as the cache read.
    """
    code = checked_code(raw_code)
    found = cache.read((cache.card_key(code),), rate_bucket)
    ratelimit.enforce(found.count, "PUBLIC_RATE_LIMIT_PER_MINUTE")
    return _entry(found.value) if found.hit else _fill(code)[0]


def public(raw_code: str, rate_bucket: str | None = None) -> tuple[dict[str, Any], TargetRef]:
    """The public card and what the code points at (see `public_entry`)."""
    entry = public_entry(raw_code, rate_bucket)
    return json.loads(entry.payload), TargetRef(entry.target_type, entry.target_id)


def public_json(raw_code: str, rate_bucket: str | None = None) -> bytes:
    """The anonymous scan's whole JSON answer, `{"audience": "public", "card": ...}`, built from
    the cached card without parsing it again (the hot path)."""
    return b'{"audience":"public","card":%s}' % public_entry(raw_code, rate_bucket).payload


def public_page(raw_code: str, render: Render, rate_bucket: str | None = None) -> bytes:
    """The public page for a code: cached as rendered, else rendered by `render(target_type, card)`
    and cached.

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
    page = render(entry.target_type, json.loads(entry.payload)).encode()
    cache.put(code, entry.target_type, entry.target_id, page=page)
    return page


def scan(identity: Identity, raw_code: str, rate_bucket: str | None = None) -> Scan:
    """Resolve a scanned code for this caller: the first registered audience of the code's target
    type that applies, else the public card."""
    card, ref = public(raw_code, rate_bucket)
    if not identity.is_authenticated:
        return Scan(views.PUBLIC, card, ref.type, ref.id)
    target = targets.load(ref.type, ref.id)
    audience, details = views.choose(identity, ref.type, target)
    return Scan(audience, card, ref.type, ref.id, target, details)
