"""Checking that a callback really comes from WeChat / WeCom, and comes once.

The signature and decryption are wechatpy's (`WeChatCrypto`, `check_signature`).
On top of them: the timestamp must be within BOT_PUSH_MAX_AGE_SECONDS of now, and
a nonce seen before (kept in Redis for twice that window) is a replay. Without
Redis (the quick start) nonces are kept in this process's memory.
"""
from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

from flask import current_app, request
from redis.exceptions import RedisError
from werkzeug.exceptions import RequestEntityTooLarge
from wechatpy.exceptions import InvalidSignatureException

from core.errors import AppError, ServiceUnavailable
from core.redis import get_redis

T = TypeVar("T")
MAX_BODY_BYTES = 64 * 1024


class PushRejected(AppError):
    status, code, message = 403, "push_signature_invalid", "签名校验失败。"


class PushReplayed(AppError):
    status, code, message = 409, "push_replayed", "重复的推送消息。"


_memory: dict[str, float] = {}
_memory_lock = threading.Lock()


def _remember_in_memory(key: str, ttl: int) -> bool:
    now = time.monotonic()
    with _memory_lock:
        for old in [k for k, expiry in _memory.items() if expiry < now]:
            del _memory[old]
        if key in _memory:
            return False
        _memory[key] = now + ttl
        return True


def require_configured(token_key: str) -> None:
    """Refuse pushes while production still runs with the public development token (503)."""
    cfg = current_app.config
    if str(cfg[token_key]).startswith("demo-") and "weixin.qq.com" in (cfg.get("WECHAT_API_BASE_URL") or ""):
        raise ServiceUnavailable("消息推送尚未配置。", code="push_not_configured")


def check_fresh(timestamp: str | None, nonce: str | None) -> None:
    """Refuse a missing or stale timestamp and a missing nonce (403), a malformed timestamp (400)."""
    if not timestamp or not nonce or len(nonce) > 64:
        raise PushRejected("缺少签名参数。", code="push_params_missing")
    # Seconds since 1970 have 10 digits until 2286; a longer number cannot be compared with a
    # float clock (OverflowError) and is no timestamp WeChat sends.
    if len(timestamp) > 12:
        raise PushRejected("时间戳无效。", code="push_timestamp_invalid", status=400)
    try:
        sent = int(timestamp)
    except ValueError:
        raise PushRejected("时间戳无效。", code="push_timestamp_invalid", status=400) from None
    if abs(time.time() - sent) > current_app.config["BOT_PUSH_MAX_AGE_SECONDS"]:
        raise PushRejected("推送消息已过期。", code="push_stale")


def read_body() -> bytes:
    """The request body, read through a stream that stops after MAX_BODY_BYTES (413 beyond it).

    The limit is on the bytes read, not on the Content-Length header, so a chunked body
    (no Content-Length) cannot slip past it. Werkzeug's limited stream stops quietly at
    its limit, so it is set one byte higher: reading that byte means the body is too large.
    The body is cached for `request.get_json`."""
    request.max_content_length = MAX_BODY_BYTES + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:  # a Content-Length header over the limit
        body = None
    if body is None or len(body) > MAX_BODY_BYTES:
        raise PushRejected("消息过大。", code="push_too_large", status=413)
    return body


def claim_nonce(channel: str, nonce: str) -> str:
    """Record a nonce as seen; raise PushReplayed if it was. Returns the key (to release it)."""
    key = f"bot:nonce:{channel}:{nonce}"
    ttl = 2 * current_app.config["BOT_PUSH_MAX_AGE_SECONDS"]
    redis = get_redis()
    if redis is None:
        fresh = _remember_in_memory(key, ttl)
    else:
        try:
            fresh = bool(redis.set(key, "1", nx=True, ex=ttl))
        except RedisError:
            raise ServiceUnavailable("服务暂不可用，请稍后重试。", code="push_store_unavailable") from None
    if not fresh:
        raise PushReplayed()
    return key


def release_nonce(key: str) -> None:
    """Forget a nonce whose message could not be handled, so WeChat's retry is accepted."""
    redis = get_redis()
    try:
        if redis is None:
            with _memory_lock:
                _memory.pop(key, None)
        else:
            redis.delete(key)
    except RedisError:
        pass


def verified(check: Callable[[], T]) -> T:
    """Run a wechatpy signature check / decryption; any failure is a 403."""
    try:
        return check()
    except InvalidSignatureException:
        raise PushRejected() from None
    except Exception:  # wrong appid/corpid, bad base64 or padding: not from WeChat for us
        raise PushRejected("消息解密失败。", code="push_decrypt_failed") from None
