"""Per-client rate limits for public endpoints (fixed one-minute windows in Redis).

Without Redis (the quick start) there is no limit. A client over the limit
gets 429 with Retry-After.
"""
from __future__ import annotations

import functools
import logging
import time

from flask import current_app, request
from redis.exceptions import RedisError

from core.errors import AppError
from core.redis import get_redis

log = logging.getLogger(__name__)


class TooManyRequests(AppError):
    status, code, message = 429, "too_many_requests", "访问过于频繁，请稍后再试。"


def limit_per_minute(bucket: str, setting: str):
    """Decorate a view: at most `app.config[setting]` requests a minute per client address."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            redis = get_redis()
            limit = current_app.config[setting]
            if redis is not None and limit > 0:
                window = int(time.time() // 60)
                key = f"ratelimit:{bucket}:{request.remote_addr}:{window}"
                try:
                    pipe = redis.pipeline()
                    pipe.incr(key)
                    pipe.expire(key, 61)
                    count = pipe.execute()[0]
                except RedisError:
                    log.warning("rate limit skipped: Redis unavailable", exc_info=True)
                    count = 0
                if count > limit:
                    error = TooManyRequests(details={"retry_after": 60 - int(time.time()) % 60})
                    error.headers = {"Retry-After": str(error.details["retry_after"])}
                    raise error
            return view(*args, **kwargs)

        return wrapper

    return decorator
