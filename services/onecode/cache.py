"""The public scan cache in Redis, invalidated when a target or its code changes.

Two entries per code, both ready to send:

- `onecode:card:<code>`: `<target type>:<target id>\\n<card JSON>` (the whitelisted public card,
  serialised once), or `<target type>:<target id>\\nvoided` for a voided code;
- `onecode:page:<code>`: the rendered public page (HTML bytes).

The codes cached for a target are kept in a set, so a change to the target (seen at flush, acted
on at commit) deletes all of its entries. Which models stand for which target is registered by
the target's domain (`targets.Target.watch`). Bulk Core updates bypass the session: their
writer names the changed targets with `mark_changed`; anything missed is covered by the TTL
(PUBLIC_CACHE_SECONDS).

A read is one round trip on the process's own connection (core.redis.OwnConnection): the
client's rate-limit counter is bumped and the asked keys are read in one write, so a public scan
costs one round trip whether it hits or misses. Redis being down makes every read a miss and
puts no limit; nothing fails.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import ratelimit
from core.extensions import db
from core.redis import get_redis, own_connection
from models.onecode import Code
from services.onecode import targets

log = logging.getLogger(__name__)
_DIRTY = "onecode_dirty_targets"
VOIDED = b"voided"
# Entries written before codes were typed carry a bare device id.
_LEGACY_TYPE = "equipment"


def card_key(code: str) -> str:
    return f"onecode:card:{code}"


def page_key(code: str) -> str:
    return f"onecode:page:{code}"


def _codes_key(target_type: str, target_id: int) -> str:
    return f"onecode:codes:{target_type}:{target_id}"


@dataclass(frozen=True)
class Entry:
    """A cached card: its target and the payload (card JSON, or VOIDED)."""

    target_type: str
    target_id: int
    payload: bytes

    @classmethod
    def parse(cls, raw: bytes) -> Entry:
        head, _, payload = raw.partition(b"\n")
        kind, _, ident = head.rpartition(b":")
        return cls(kind.decode() if kind else _LEGACY_TYPE, int(ident), payload)

    def dump(self) -> bytes:
        return b"%s:%d\n%s" % (self.target_type.encode(), self.target_id, self.payload)


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


def put(code: str, target_type: str, target_id: int, card: bytes | None = None, page: bytes | None = None) -> None:
    """Cache a code's card entry (card JSON or VOIDED) and/or its rendered page."""
    redis = get_redis()
    if redis is None:
        return
    ttl = current_app.config["PUBLIC_CACHE_SECONDS"]
    codes_key = _codes_key(target_type, target_id)
    try:
        pipe = redis.pipeline(transaction=False)
        if card is not None:
            pipe.set(card_key(code), Entry(target_type, target_id, card).dump(), ex=ttl)
        if page is not None:
            pipe.set(page_key(code), page, ex=ttl)
        # The set outlives every entry it lists, so invalidation always finds them.
        pipe.sadd(codes_key, code)
        pipe.expire(codes_key, ttl + 60)
        pipe.execute()
    except RedisError:
        log.warning("public scan answer not cached", exc_info=True)


# Drops every code's entries listed in each set (KEYS), then the sets: one command however many
# targets changed (a batch of 500 inspection results, a unit renamed on all its devices).
_INVALIDATE = """
for _, codes_key in ipairs(KEYS) do
  for _, code in ipairs(redis.call('SMEMBERS', codes_key)) do
    redis.call('DEL', ARGV[1] .. code, ARGV[2] .. code)
  end
  redis.call('DEL', codes_key)
end
return #KEYS
"""


def invalidate(changed: set[tuple[str, int]]) -> None:
    """Drop the cached entries of every code of these (target type, target id)."""
    redis = get_redis()
    if redis is None or not changed:
        return
    try:
        codes_keys = [_codes_key(target_type, target_id) for target_type, target_id in sorted(changed)]
        script = redis.register_script(_INVALIDATE)
        for start in range(0, len(codes_keys), 1000):
            script(keys=codes_keys[start:start + 1000], args=[card_key(""), page_key("")])
    except RedisError:
        log.warning("public scan cache not invalidated; the TTL will", exc_info=True)


# model class -> [(target type, instance -> target id)], rebuilt when the registry changes
_watched: dict[type, list[tuple[str, object]]] = {}


def _rebuild_watch() -> None:
    _watched.clear()
    for target in targets.all_targets():
        for model, target_id in target.watch.items():
            _watched.setdefault(model, []).append((target.type, target_id))


targets.on_change(_rebuild_watch)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Code):
            session.info.setdefault(_DIRTY, set()).add((obj.target_type, obj.target_id))
            continue
        for target_type, target_id in _watched.get(type(obj), ()):
            ident = target_id(obj)
            if ident is None:
                continue
            idents = (ident,) if isinstance(ident, int) else ident
            session.info.setdefault(_DIRTY, set()).update((target_type, i) for i in idents)


def mark_changed(target_type: str, target_ids: Iterable[int]) -> None:
    """Targets changed by a bulk Core statement (which the flush listener cannot see): their
    cached entries are dropped after the current transaction commits, like a flushed change."""
    ids = {int(i) for i in target_ids}
    if ids:
        db.session.info.setdefault(_DIRTY, set()).update((target_type, i) for i in ids)


@event.listens_for(Session, "after_commit")
def _invalidate(session: Session) -> None:
    dirty = session.info.pop(_DIRTY, None)
    if dirty and has_app_context():
        invalidate(dirty)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DIRTY, None)
