"""Redis connection and rq queues, made lazily from `REDIS_URL`.

Nothing connects at import or start-up: the first caller opens the pool.
Without `REDIS_URL` there is no Redis and jobs run in-process.
"""
from __future__ import annotations

import os

from flask import current_app
from redis import Redis
from rq import Queue

QUEUE_NAMES = ("default", "notify", "reports")

_pools: dict[str, Redis] = {}
_own_connection: dict[tuple[str, int], Redis] = {}


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


def get_hot_redis() -> Redis | None:
    """A client holding one connection of its own, for a hot path that makes one call per request
    (the public scan): checking a connection out of redis-py's pool and back costs about as much
    CPU as the call itself. One per process (a forked worker opens its own); redis-py serialises
    threads on it; a broken connection is reopened on the next call."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    key = (url, os.getpid())
    client = _own_connection.get(key)
    if client is None:
        client = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, single_connection_client=True)
        _own_connection[key] = client
    return client


def get_queue(name: str = "default") -> Queue:
    """An rq queue on the shared connection (rq 3 wants it explicit)."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    connection = get_redis()
    if connection is None:
        raise RuntimeError("REDIS_URL is not configured")
    return Queue(name, connection=connection, default_timeout=current_app.config["RQ_DEFAULT_TIMEOUT"])
