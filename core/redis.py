"""Redis connection and rq queues, made lazily from `REDIS_URL`.

Nothing connects at import or start-up: the first caller opens the pool.
Without `REDIS_URL` there is no Redis and jobs run in-process.
"""
from __future__ import annotations

import os
import threading

from flask import current_app
from redis import ConnectionPool, Redis
from rq import Queue

QUEUE_NAMES = ("default", "notify", "reports")

_pools: dict[str, Redis] = {}
_own_connections: dict[tuple[str, int], OwnConnection] = {}


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


class OwnConnection:
    """One Redis connection of this process's own, for a hot path that makes one round trip per
    request (the public scan): redis-py's pool checkout and command machinery cost more CPU than
    the round trip itself, so commands are packed and sent in one write and their replies read
    back directly. Threads take turns; after any error the connection is closed and the next
    call opens a new one."""

    def __init__(self, url: str):
        pool = ConnectionPool.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self._connection = pool.make_connection()
        self._lock = threading.Lock()

    def round_trip(self, *commands: tuple) -> list:
        """The replies to `commands`, sent together; raises RedisError (and then reconnects)."""
        connection = self._connection
        with self._lock:
            try:
                connection.send_packed_command(connection.pack_commands(commands), check_health=False)
                return [connection.read_response() for _ in commands]
            except BaseException:
                connection.disconnect()  # replies may be left unread: never reuse the stream
                raise


def own_connection() -> OwnConnection | None:
    """This process's own connection (see OwnConnection), or None when Redis is not configured.
    A forked worker opens its own."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    key = (url, os.getpid())
    connection = _own_connections.get(key)
    if connection is None:
        connection = _own_connections[key] = OwnConnection(url)
    return connection


def get_queue(name: str = "default") -> Queue:
    """An rq queue on the shared connection (rq 3 wants it explicit)."""
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    connection = get_redis()
    if connection is None:
        raise RuntimeError("REDIS_URL is not configured")
    return Queue(name, connection=connection, default_timeout=current_app.config["RQ_DEFAULT_TIMEOUT"])
