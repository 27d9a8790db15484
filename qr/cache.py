"""The public scan cache in Redis, invalidated when a device or its code changes.

Two entries per code, both ready to send:

- `onecode:card:<code>`: `<equipment id>\\n<card JSON>` (the whitelisted public card, serialised
  once), or `<equipment id>\\nvoided` for a voided code;
- `onecode:page:<code>`: the rendered public page (HTML bytes).

The codes cached for a device are kept in a set, so a change to the device (seen at flush,
acted on at commit) deletes all of its entries. Bulk Core updates bypass the session and are
covered by the TTL (PUBLIC_CACHE_SECONDS).

A read is one Redis call: a Lua script bumps the client's rate-limit counter and returns the
first of the asked keys that exists, so a public scan costs one round trip whether it hits or
misses. Redis being down makes every read a miss and puts no limit; nothing fails.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import ratelimit
from core.redis import get_hot_redis, get_redis
from models.equipment import Equipment
from models.onecode import EquipmentCode

log = logging.getLogger(__name__)
_DIRTY = "onecode_dirty_equipment"
VOIDED = b"voided"

# KEYS[1]: the client's rate-limit counter (ARGV[1] its TTL, or '' not to count this read);
# KEYS[2..]: cache keys, read in order until one exists. Returns {count, index of the hit, value}.
_READ = """
local count = false
if ARGV[1] ~= '' then
  count = redis.call('INCR', KEYS[1])
  if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
end
for i = 2, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value then return {count, i - 1, value} end
end
return {count, 0, false}
"""
_scripts: dict[int, object] = {}


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
    """The first of `keys` that is cached and, with `rate_bucket`, this client's count, in one call."""
    rate_key = ratelimit.window_key(rate_bucket) if rate_bucket else "ratelimit:none"
    try:
        redis = get_hot_redis()  # connects on first use
        if redis is None:
            return Read()
        script = _scripts.get(id(redis))
        if script is None:
            script = _scripts[id(redis)] = redis.register_script(_READ)
        count, hit, value = script(keys=(rate_key, *keys),
                                   args=(ratelimit.WINDOW_TTL_SECONDS if rate_bucket else "",))
    except RedisError:
        log.warning("public scan cache unavailable", exc_info=True)
        return Read()
    return Read(count, hit, value)


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
