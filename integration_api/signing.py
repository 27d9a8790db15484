"""Checking a machine caller's signed request, before any route of /open/v1 runs.

Order: the four headers present and well formed -> the key exists -> the HMAC matches (constant
time) -> the client is active, the key not revoked, the unit approved -> the timestamp is within the
window -> the nonce is new -> the client's rate limit. Each refusal has its own code, and
nothing is written for it: the nonce is remembered only once the signature proved the sender
holds the key (so a forger cannot burn someone's nonces), and the database session is rolled back
for any 4xx. The canonical string is the reference client's own (`integration_api.client`).

Nonces live in Redis (`SET NX`, kept for twice the window: a timestamp older than the window is
refused anyway); without Redis (the quick start) in this process's memory.
"""
from __future__ import annotations

import hmac
import re
import threading
import time
from urllib.parse import parse_qsl

from flask import current_app, g, request
from redis import RedisError

from core.auth import Identity
from core.errors import AppError, Forbidden, Unauthorized
from core.ratelimit import enforce_limit
from core.redis import get_redis
from integration_api.client import (HEADER_KEY, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP,
                                    canonical_string, sign)
from models.clients import ApiClientKey
from services import clients

HEADERS = (HEADER_KEY, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_SIGNATURE)
_FORMATS = {
    HEADER_KEY: re.compile(r"ak_[A-Za-z0-9]{1,61}"),
    HEADER_TIMESTAMP: re.compile(r"[0-9]{1,12}"),
    HEADER_NONCE: re.compile(r"[A-Za-z0-9_-]{16,64}"),
    HEADER_SIGNATURE: re.compile(r"[0-9a-fA-F]{64}"),
}

_local_nonces: dict[str, float] = {}
_local_lock = threading.Lock()


class MalformedSignature(AppError):
    status, code = 400, "signature_header_malformed"


def _headers() -> dict[str, str]:
    values = {name: request.headers.get(name, "").strip() for name in HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise Unauthorized(f"请求缺少签名头：{'、'.join(missing)}。", code="signature_missing",
                           details={"headers": missing})
    bad = [name for name, value in values.items() if not _FORMATS[name].fullmatch(value)]
    if bad:
        raise MalformedSignature(f"签名头格式不正确：{'、'.join(bad)}。", details={"headers": bad})
    return values


def _query_pairs() -> list[tuple[str, str]]:
    try:
        raw = request.query_string.decode("utf-8")
        return parse_qsl(raw, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise MalformedSignature("查询字符串不是有效的 UTF-8 编码。", code="query_malformed")


def _remember_nonce(client_id: int, nonce: str, ttl: int) -> bool:
    """True when the nonce is new for this client (and is now remembered)."""
    name = f"open:nonce:{client_id}:{nonce}"
    connection = get_redis()
    if connection is None:
        now = time.monotonic()
        with _local_lock:
            if len(_local_nonces) > 100_000:
                for stale in [k for k, until in _local_nonces.items() if until < now]:
                    del _local_nonces[stale]
            if _local_nonces.get(name, 0) > now:
                return False
            _local_nonces[name] = now + ttl
            return True
    return bool(connection.set(name, b"1", nx=True, ex=ttl))


def _count_request(client_id: int) -> int | None:
    connection = get_redis()
    if connection is None:
        return None
    name = f"ratelimit:open:{client_id}:{int(time.time() // 60)}"
    try:
        pipe = connection.pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, 61)
        return pipe.execute()[0]
    except RedisError:  # a rate limit is no reason to refuse service
        return None


def authenticate() -> tuple[Identity, ApiClientKey]:
    """Check the signed request and return the machine caller; raise the refusal otherwise."""
    values = _headers()
    key = clients.find_key(values[HEADER_KEY])
    if key is None:
        raise Unauthorized("密钥不存在。", code="client_key_unknown")
    secret = clients.key_secret(key)
    body = request.get_data(cache=True)
    message = canonical_string(request.method, request.path, _query_pairs(), values[HEADER_TIMESTAMP],
                               values[HEADER_NONCE], body)
    if secret is None or not hmac.compare_digest(sign(secret, message), values[HEADER_SIGNATURE].lower()):
        raise Unauthorized("签名不正确。", code="signature_invalid")
    client = key.client
    if client.status != "active":
        raise Forbidden("该接入客户端已停用。", code="client_revoked")
    if key.status != "active":
        raise Unauthorized("该密钥已吊销，请使用新密钥。", code="client_key_revoked")
    if client.unit.status != "approved":
        raise Forbidden("接入客户端所属单位未通过审核或已停用。", code="client_unit_not_approved")
    window = current_app.config["OPEN_SIGNATURE_WINDOW_SECONDS"]
    if abs(time.time() - int(values[HEADER_TIMESTAMP])) > window:
        raise Unauthorized(f"请求时间戳与服务器时间相差超过 {window} 秒，请校准时钟后重新签名。",
                           code="timestamp_stale")
    try:
        fresh = _remember_nonce(client.id, values[HEADER_NONCE], 2 * window)
    except RedisError:
        raise AppError("暂时无法校验请求，请稍后重试。", code="nonce_store_unavailable", status=503)
    if not fresh:
        raise Unauthorized("该随机串（X-Nonce）已使用过，请求被视为重放。", code="nonce_reused")
    limit = client.rate_limit_per_minute
    enforce_limit(_count_request(client.id),
                  current_app.config["OPEN_RATE_LIMIT_PER_MINUTE"] if limit is None else limit)
    return clients.identity_for_client(client, request.remote_addr), key


def verify_request() -> None:
    """`before_request` of every /open/v1 route: the caller becomes `g.identity`."""
    identity, key = authenticate()
    g.identity = identity
    g.open_key = key


def require_scope(scope: str) -> Identity:
    """The machine caller, holding `scope` (403 scope_missing otherwise)."""
    identity: Identity = g.identity
    if not identity.has_scope(scope):
        raise Forbidden(f"该接入客户端没有「{scope}」权限。", code="scope_missing", details={"scope": scope})
    return identity
