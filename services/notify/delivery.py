"""Delivering one outbox row on its channel, with retries and back-off.

- inbox: delivered as soon as the job runs;
- subscribe: needs the user's WeChat (openid) and one of their authorisations for
  the template, else `skipped` (the inbox has the message);
- customer_service / wecom_robot / wecom_app: one call through wechatpy.

WeChat's token-expired answers (40001, 40014, 42001) are handled inside wechatpy: it
fetches a new token and retries once. A passing failure (errcode -1, 45009 and the
other rate limits, a timeout, an HTTP error) leaves the row pending with
`next_attempt_at` set by exponential back-off; the sweep enqueues it again then.
Any other errcode is a lasting refusal: the row ends `failed` with the error kept.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable

import requests
from flask import current_app
from sqlalchemy import select
from wechatpy.exceptions import WeChatClientException

from core.extensions import db
from core.timeutil import as_utc, utcnow
from core.wechat_clients import miniapp_client, wecom_client
from models.notify import OutboxMessage
from models.orgs import Account
from services.notify import subscriptions

log = logging.getLogger(__name__)

# Errors worth trying again later: busy, rate-limited, a token that expired again.
TRANSIENT_ERRCODES = frozenset({-1, 40001, 40014, 42001, 45009, 45011, 45033})
# The user holds no authorisation in WeChat's view (43101) or the 48-hour window closed (45015).
SKIP_ERRCODES = {43101: "用户未授权或已拒收该订阅消息", 45015: "已超过客服消息 48 小时回复时限"}
ROBOT_MAX_BYTES = 4096
APP_MAX_BYTES = 2048


class Skip(Exception):
    """Nothing to send on this channel; the reason is kept in `last_error`."""


def _clip(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", "ignore") + "…"


def _openid_of(person_id: int | None) -> str | None:
    if person_id is None:
        return None
    return db.session.scalar(select(Account.openid).where(Account.person_id == person_id))


def _send_inbox(message: OutboxMessage) -> None:
    return None


def _send_subscribe(message: OutboxMessage) -> None:
    spec = subscriptions.template_for(message.template)
    if spec is None:
        raise Skip("未配置该类消息的订阅消息模板")
    openid = _openid_of(message.recipient_person_id)
    if not openid:
        raise Skip("用户未绑定微信")
    if subscriptions.reserve_grant(message, spec.template_id) is None:
        raise Skip("用户没有可用的订阅授权，仅站内消息")
    message.recipient_address = openid
    miniapp_client().wxa.send_subscribe_message(openid, spec.template_id, spec.render(message), page=spec.page)


def _send_customer_service(message: OutboxMessage) -> None:
    if not message.recipient_address:
        raise Skip("没有接收人 openid")
    miniapp_client().message.send_text(message.recipient_address, message.body)


def _send_wecom_robot(message: OutboxMessage) -> None:
    key = message.recipient_address or current_app.config["WECOM_ROBOT_KEY"]
    if not key:
        raise Skip("未配置运维群机器人")
    content = _clip(f"**{message.title}**\n{message.body}", ROBOT_MAX_BYTES)
    wecom_client().send_group_robot(key, {"msgtype": "markdown", "markdown": {"content": content}})


def _send_wecom_app(message: OutboxMessage) -> None:
    if not message.recipient_address:
        raise Skip("没有接收人")
    content = _clip(f"{message.title}\n{message.body}" if message.title else message.body, APP_MAX_BYTES)
    agent_id = str(current_app.config["WECOM_AGENT_ID"])
    wecom_client().message.send_text(int(agent_id) if agent_id.isdigit() else agent_id,
                                     message.recipient_address.split("|"), content)


SENDERS: dict[str, Callable[[OutboxMessage], None]] = {
    "inbox": _send_inbox,
    "subscribe": _send_subscribe,
    "customer_service": _send_customer_service,
    "wecom_robot": _send_wecom_robot,
    "wecom_app": _send_wecom_app,
}


def backoff(attempts: int) -> timedelta:
    """Wait before attempt `attempts + 1`: base · 2^(attempts-1), capped."""
    cfg = current_app.config
    seconds = cfg["NOTIFY_RETRY_BASE_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, cfg["NOTIFY_RETRY_MAX_SECONDS"]))


def _describe(exc: Exception) -> tuple[str, bool, int | None]:
    """(error text, worth retrying, errcode) for a failed send."""
    if isinstance(exc, WeChatClientException):
        errcode = exc.errcode
        if errcode is None:  # an HTTP error status: WeChat or the network is unwell
            return f"HTTP {getattr(exc.response, 'status_code', '?')}", True, None
        return f"errcode {errcode}: {exc.errmsg}", int(errcode) in TRANSIENT_ERRCODES, int(errcode)
    if isinstance(exc, requests.RequestException):
        return f"{type(exc).__name__}: {exc}"[:500], True, None
    return f"{type(exc).__name__}: {exc}"[:500], True, None


def deliver(message_id: int, now: datetime | None = None) -> OutboxMessage | None:
    """Deliver one pending message, once: the row is locked and a sent one is left alone.

    A message not yet due (`next_attempt_at` in the future) is left for later.
    Never raises for a WeChat failure: it is recorded on the row (attempts,
    last_error, next_attempt_at or `failed` after NOTIFY_MAX_ATTEMPTS).
    """
    message = db.session.get(OutboxMessage, message_id, with_for_update=True, populate_existing=True)
    if message is None or message.status != "pending":
        return message
    now = now or utcnow()
    if message.next_attempt_at is not None and as_utc(message.next_attempt_at) > now:
        return message
    message.attempts += 1
    try:
        SENDERS[message.channel](message)
    except Skip as reason:
        message.status, message.last_error, message.next_attempt_at = "skipped", str(reason), None
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        _record_failure(message, exc, now)
    else:
        message.status, message.sent_at, message.next_attempt_at = "sent", utcnow(), None
    db.session.flush()
    return message


def _record_failure(message: OutboxMessage, exc: Exception, now: datetime) -> None:
    error, transient, errcode = _describe(exc)
    log.warning("outbox message %s (%s) attempt %s failed: %s", message.id, message.channel, message.attempts,
                error, exc_info=not isinstance(exc, (WeChatClientException, requests.RequestException)))
    message.last_error = error
    if errcode in SKIP_ERRCODES:
        message.status, message.next_attempt_at = "skipped", None
        message.last_error = f"{SKIP_ERRCODES[errcode]}（{error}）"
        if errcode != 43101 and message.channel == "subscribe":
            subscriptions.release_grant(message)
        return
    if transient and message.attempts < current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        message.next_attempt_at = now + backoff(message.attempts)
        return
    message.status, message.next_attempt_at = "failed", None
    if message.channel == "subscribe":
        subscriptions.release_grant(message)
