"""Per-client rate limits for public endpoints (fixed one-minute windows in Redis).

The counter is bumped in the same Redis call as the request's cache read
(see `services.onecode.cache.read`), so a limited endpoint pays no extra round trip. Without
Redis (the quick start) there is no limit. A client over the limit gets 429
with Retry-After.
"""
from __future__ import annotations

import time

from flask import current_app, request

from core.errors import AppError

WINDOW_TTL_SECONDS = 61  # a window's counter outlives its minute by a second


class TooManyRequests(AppError):
    status, code, message = 429, "too_many_requests", "访问过于频繁，请稍后再试。"


def window_key(bucket: str) -> str:
    """This client's counter for the current minute."""
    return f"ratelimit:{bucket}:{request.remote_addr}:{int(time.time() // 60)}"


def enforce(count: int | None, setting: str) -> None:
    """Refuse with 429 when `count` passed `app.config[setting]` (0 means no limit)."""
    enforce_limit(count, current_app.config[setting])


def enforce_limit(count: int | None, limit: int) -> None:
    """Refuse with 429 when `count` passed `limit` (0 means no limit)."""
    if count is not None and limit > 0 and count > limit:
        error = TooManyRequests(details={"retry_after": 60 - int(time.time()) % 60})
        error.headers = {"Retry-After": str(error.details["retry_after"])}
        raise error
