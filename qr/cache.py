"""The public scan cache in Redis, invalidated when a device or its code changes.

Two entries per code, both ready to send:

- `onecode:card:<code>`: `<equipment id>\\n<card JSON>` (the whitelisted public card, serialised
  once), or `<equipment id>\\nvoided` for a voided code;
- `onecode:page:<code>`: the rendered public page (HTML bytes).

The codes cached for a device are kept in a set, so a change to the device (seen at flush,
acted on at commit) deletes all of its entries. Bulk Core updates bypass the session and are
covered by the TTL (PUBLIC_CACHE_SECONDS).

A read is one round trip on the process's own connection (core.redis.OwnConnection): the
client's rate-limit counter is bumped and the asked keys are read in one write, so a public scan
costs one round trip whether it hits or misses. Redis being down makes every read a miss and
puts no limit; nothing fails.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import ratelimit
from core.redis import get_redis, own_connection
from models.equipment import Equipment
from models.onecode import EquipmentCode

log = logging.getLogger(__name__)
_DIRTY = "onecode_dirty_equipment"
VOIDED = b"voided"


def card_key(code: str) -> str:
    return f"onecode:card:{code}"


def page_key(code: str) -> str:
    return f"onecode:page:{code}"


def _codes_key(equipment_id: int) -> str:
    return f"onecode:codes:{equipment_id}"


@dataclass(frozen=True)
class Entry:
    """A cached card: its device and the payload (card JSON, or VOIDED)."""

    equipment_id: int
    payload: bytes

    @classmethod
    def parse(cls, raw: bytes) -> Entry:
        head, _, payload = raw.partition(b"\n")
        return cls(int(head), payload)

    def dump(self) -> bytes:
        return b"%d\n%s" % (self.equipment_id, self.payload)


@dataclass(frozen=True)
class Read:
    """What one read found: the client's request count this minute (None: not counted or no Redis),
    which of the asked keys hit (0: none) and its value."""

    count: int | None = None
    hit: int = 0
    value: bytes | None = None


def read(keys: tuple[str, ...], rate_bucket: str | None = None) -> Read:
    """The first of `keys` that is cached and, with `rate_bucket`, this client's count, in one
    round trip."""
    commands: list[tuple] = []
    if rate_bucket:
        rate_key = ratelimit.window_key(rate_bucket)
        commands += [("INCR", rate_key), ("EXPIRE", rate_key, ratelimit.WINDOW_TTL_SECONDS)]
    commands += [("GET", key) for key in keys]
    try:
        connection = own_connection()
        if connection is None:
            return Read()
        replies = connection.round_trip(*commands)
    except RedisError:
        log.warning("public scan cache unavailable", exc_info=True)
        return Read()
    values = replies[2:] if rate_bucket else replies
    count = replies[0] if rate_bucket else None
    for index, value in enumerate(values, start=1):
        if value is not None:
            return Read(count, index, value)
    return Read(count)


def put(code: str, equipment_id: int, card: bytes | None = None, page: bytes | None = None) -> None:
    """Cache a code's card entry (card JSON or VOIDED) and/or its rendered page."""
    redis = get_redis()
    if redis is None:
        return
    ttl = current_app.config["PUBLIC_CACHE_SECONDS"]
    try:
        pipe = redis.pipeline(transaction=False)
        if card is not None:
            pipe.set(card_key(code), Entry(equipment_id, card).dump(), ex=ttl)
        if page is not None:
            pipe.set(page_key(code), page, ex=ttl)
        # The set outlives every entry it lists, so invalidation always finds them.
        pipe.sadd(_codes_key(equipment_id), code)
        pipe.expire(_codes_key(equipment_id), ttl + 60)
        pipe.execute()
    except RedisError:
        log.warning("public scan answer not cached", exc_info=True)


def invalidate(equipment_ids: set[int]) -> None:
    redis = get_redis()
    if redis is None or not equipment_ids:
        return
    try:
        for equipment_id in equipment_ids:
            codes = [c.decode() for c in redis.smembers(_codes_key(equipment_id))]
            keys = [key(c) for c in codes for key in (card_key, page_key)] + [_codes_key(equipment_id)]
            redis.delete(*keys)
    except RedisError:
        log.warning("public scan cache not invalidated; the TTL will", exc_info=True)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Equipment) and obj.id is not None:
            session.info.setdefault(_DIRTY, set()).add(obj.id)
        elif isinstance(obj, EquipmentCode):
            session.info.setdefault(_DIRTY, set()).add(obj.equipment_id)


@event.listens_for(Session, "after_commit")
def _invalidate(session: Session) -> None:
    dirty = session.info.pop(_DIRTY, None)
    if dirty and has_app_context():
        invalidate(dirty)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DIRTY, None)
