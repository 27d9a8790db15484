"""The public card cache in Redis, invalidated when a device or its code changes.

A card is cached under its code; the codes cached for a device are kept in a
set, so a change to the device (seen at flush, acted on at commit) deletes them
all. Bulk Core updates bypass the session and are covered by the TTL.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import ratelimit
from core.redis import get_redis
from models.equipment import Equipment
from models.onecode import EquipmentCode

log = logging.getLogger(__name__)
_DIRTY = "onecode_dirty_equipment"


def _card_key(code: str) -> str:
    return f"onecode:card:{code}"


def _codes_key(equipment_id: int) -> str:
    return f"onecode:codes:{equipment_id}"


def get(code: str, rate_bucket: str | None = None) -> tuple[int | None, dict[str, Any] | None]:
    """The cached answer for a code, and this client's request count when `rate_bucket` is given,
    in one Redis round trip (the public scan's hot path)."""
    redis = get_redis()
    if redis is None:
        return None, None
    try:
        pipe = redis.pipeline(transaction=False)
        if rate_bucket:
            ratelimit.count_in(pipe, rate_bucket)
        pipe.get(_card_key(code))
        results = pipe.execute()
    except RedisError:
        log.warning("public card cache unavailable", exc_info=True)
        return None, None
    raw = results[-1]
    return (results[0] if rate_bucket else None), (json.loads(raw) if raw else None)


def put(code: str, equipment_id: int | None, card: dict[str, Any]) -> None:
    redis = get_redis()
    if redis is None:
        return
    ttl = current_app.config["PUBLIC_CACHE_SECONDS"]
    try:
        pipe = redis.pipeline()
        pipe.set(_card_key(code), json.dumps(card, ensure_ascii=False), ex=ttl)
        if equipment_id is not None:
            pipe.sadd(_codes_key(equipment_id), code)
            pipe.expire(_codes_key(equipment_id), ttl + 60)
        pipe.execute()
    except RedisError:
        log.warning("public card not cached", exc_info=True)


def invalidate(equipment_ids: set[int]) -> None:
    redis = get_redis()
    if redis is None or not equipment_ids:
        return
    try:
        for equipment_id in equipment_ids:
            codes = redis.smembers(_codes_key(equipment_id))
            keys = [_card_key(c.decode()) for c in codes] + [_codes_key(equipment_id)]
            redis.delete(*keys)
    except RedisError:
        log.warning("public card cache not invalidated; the TTL will", exc_info=True)


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
