"""Redis connection and rq queues, made lazily from `REDIS_URL`.

Nothing connects at import or start-up: the first caller opens the pool.
Without `REDIS_URL` there is no Redis and jobs run in-process.
"""
from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAMES = ("default", "notify", "reports")

_pools: dict[str, Redis] = {}


def get_redis() -> Redis | None:
    """The shared Redis client for this process, or None when not configured."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = _pools.get(url)
    if client is None:
        client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        _pools[url] = client
    return client


def get_queue(name: str = "default") -> Queue:
    """An rq queue on the shared connection (rq 3 wants it explicit)."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    connection = get_redis()
    if connection is None:
        raise RuntimeError("REDIS_URL is not configured")
    return Queue(name, connection=connection, default_timeout=current_app.config["RQ_DEFAULT_TIMEOUT"])
