"""Writing messages to the outbox, in the caller's transaction, and reading the inbox.

Every message is one row per channel. Delivering a row is background work (`DELIVERY_WORK`,
job `jobs.notify.deliver_message`) requested after the commit; when that enqueue is lost (Redis
down), or a retry's back-off has passed, the sweep finds the row by its status and
`next_attempt_at`. A dedupe key makes a reminder go out once.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from core import bulk, work
from core.errors import NotFound, RuleViolation
from core.extensions import db
from core.timeutil import utcnow
from models.notify import CHANNELS, OutboxMessage
from services.notify import subscriptions

log = logging.getLogger(__name__)

MAX_KEY_LENGTH = 128
GIVE_UP_ERROR = "超过 {hours} 小时仍未送达，已停止发送；排除原因后可在控制台重发。"


def channel_key(dedupe_key: str | None, suffix: str) -> str | None:
    """The dedupe key of a message's copy on another channel (hashed if it would be too long)."""
    if not dedupe_key:
        return None
    key = f"{dedupe_key}:{suffix}"
    if len(key) > MAX_KEY_LENGTH:
        key = f"sha1:{hashlib.sha1(key.encode('utf-8')).hexdigest()}:{suffix}"
    return key


def _write(channel: str, template: str, title: str, body: str, *, data: dict | None = None,
           recipient_person_id: int | None = None, recipient_address: str | None = None,
           dedupe_key: str | None = None) -> OutboxMessage | None:
    """Insert one row and schedule its delivery; None when the dedupe key was already used.

    The insert runs in a savepoint, so two transactions racing on one key end
    with one row and no error for the loser.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if dedupe_key and len(dedupe_key) > MAX_KEY_LENGTH:
        raise ValueError("dedupe_key is longer than 128 characters")
    if dedupe_key and db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(channel=channel, recipient_person_id=recipient_person_id,
                            recipient_address=recipient_address, template=template, title=title[:128],
                            body=body, data=data or {}, dedupe_key=dedupe_key, status="pending", attempts=0,
                            created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        if not dedupe_key:
            raise
        return None
    DELIVERY_WORK.request(message.id)
    return message


def queue_message(recipient_person_id: int, template: str, title: str, body: str,
                  data: dict | None = None, dedupe_key: str | None = None,
                  channel: str = "inbox") -> OutboxMessage | None:
    """Record a message to a platform user for delivery after commit.

    The in-app inbox always gets it. When a subscribe-message template is
    configured for `template` (WECHAT_SUBSCRIBE_TEMPLATES), a second row goes to
    the mini program; it is sent only if the user has an authorisation left
    for that template, otherwise it ends `skipped` and the inbox alone has it.
    With a `dedupe_key` already used nothing new is recorded and None is returned.
    """
    message = _write(channel, template, title, body, data=data, recipient_person_id=recipient_person_id,
                     dedupe_key=dedupe_key)
    if message is not None and channel == "inbox" and subscriptions.template_for(template) is not None:
        _write("subscribe", template, title, body, data=data, recipient_person_id=recipient_person_id,
               dedupe_key=channel_key(dedupe_key, "subscribe"))
    return message


@dataclass(frozen=True)
class NewMessage:
    """One message of `queue_messages`: what `queue_message` takes (an inbox message to a user)."""

    recipient_person_id: int
    template: str
    title: str
    body: str
    data: dict | None = None
    dedupe_key: str | None = None


def queue_messages(messages: Sequence[NewMessage]) -> int:
    """`queue_message` for many messages at once (a batch telling dozens of people), with the same
    outcome as calling it for each in order: a dedupe key already used (in the outbox, or earlier in
    the list) records nothing, each new inbox row gets its subscribe copy when its template has one,
    every row is delivered after commit (the enqueues go to Redis in one pipeline, `core.tx`; lost,
    the sweep finds the rows). On PostgreSQL one look-up of the keys and one insert per channel
    (ON CONFLICT DO NOTHING: a transaction racing on a key leaves one row and no error); elsewhere
    one `queue_message` per message. Returns how many inbox messages were recorded.
    """
    for message in messages:
        if message.dedupe_key and len(message.dedupe_key) > MAX_KEY_LENGTH:
            raise ValueError("dedupe_key is longer than 128 characters")
    if db.session.get_bind().dialect.name != "postgresql":
        return sum(1 for m in messages if queue_message(m.recipient_person_id, m.template, m.title, m.body, m.data,
                                                        m.dedupe_key) is not None)
    keys = sorted({m.dedupe_key for m in messages if m.dedupe_key})
    used = set(db.session.scalars(select(OutboxMessage.dedupe_key).where(bulk.among(OutboxMessage.dedupe_key, keys)))
               ) if keys else set()
    fresh = []
    for message in messages:
        if message.dedupe_key:
            if message.dedupe_key in used:
                continue
            used.add(message.dedupe_key)
        fresh.append(message)
    now = utcnow()
    inbox_ids = _insert_new([_row("inbox", m, m.dedupe_key, now) for m in fresh])
    copies = [(index, m) for index, (m, new_id) in enumerate(zip(fresh, inbox_ids))
              if new_id is not None and subscriptions.template_for(m.template) is not None]
    copy_ids = dict(zip((index for index, _ in copies), _insert_new(
        [_row("subscribe", m, channel_key(m.dedupe_key, "subscribe"), now) for _, m in copies])))
    for index, new_id in enumerate(inbox_ids):
        for row_id in (new_id, copy_ids.get(index)):
            if row_id is not None:
                DELIVERY_WORK.request(row_id)
    return sum(1 for new_id in inbox_ids if new_id is not None)


def _row(channel: str, message: NewMessage, dedupe_key: str | None, now: datetime) -> dict[str, Any]:
    return {"channel": channel, "recipient_person_id": message.recipient_person_id, "recipient_address": None,
            "template": message.template, "title": message.title[:128], "body": message.body,
            "data": message.data or {}, "dedupe_key": dedupe_key, "status": "pending", "attempts": 0,
            "created_at": now}


def _insert_new(rows: list[dict[str, Any]]) -> list[int | None]:
    """Insert outbox rows, skipping those whose dedupe key a concurrent transaction has just used:
    each row's new id, None for a skipped one."""
    if not rows:
        return []
    db.session.flush()  # rows the session holds go first, as they would with queue_message
    return bulk.insert_with_ids(OutboxMessage, rows, skip_conflicts=True)


def queue_customer_service(openid: str, text: str, *, template: str = "bot_reply", person_id: int | None = None,
                           dedupe_key: str | None = None, data: dict | None = None) -> OutboxMessage | None:
    """A customer-service text to a mini-program user (the bot's answers, ops replies)."""
    return _write("customer_service", template, "客服消息", text, data=data, recipient_person_id=person_id,
                  recipient_address=openid, dedupe_key=dedupe_key)


def queue_ops_group(template: str, title: str, body: str, *, dedupe_key: str | None = None,
                    data: dict | None = None, robot_key: str | None = None) -> OutboxMessage | None:
    """A markdown post to the ops WeCom group through its robot (default robot: WECOM_ROBOT_KEY)."""
    return _write("wecom_robot", template, title, body, data=data, recipient_address=robot_key,
                  dedupe_key=dedupe_key)


def queue_wecom_app(user_ids: list[str] | str, template: str, title: str, body: str, *,
                    dedupe_key: str | None = None, data: dict | None = None) -> OutboxMessage | None:
    """A WeCom app message to ops staff by their WeCom user ids."""
    address = user_ids if isinstance(user_ids, str) else "|".join(user_ids)
    return _write("wecom_app", template, title, body, data=data, recipient_address=address,
                  dedupe_key=dedupe_key)


# -- the sweep and the ops view ------------------------------------------------------------------

def waiting_deliveries(before: datetime) -> list[int]:
    """Messages written before `before` still pending and due (a lost enqueue, a retry whose
    back-off has passed), at most NOTIFY_SWEEP_BATCH. For the sweeps (`DELIVERY_WORK`)."""
    stmt = (select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.created_at <= before,
                   or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= utcnow()))
            .order_by(OutboxMessage.id).limit(current_app.config["NOTIFY_SWEEP_BATCH"]))
    return list(db.session.scalars(stmt))


def delivery_job_id(message_id: int) -> str:
    """The rq job id of a message's delivery, the same at every enqueue and in the sweeps."""
    return f"notify-message-{message_id}"


def list_messages_stmt(status: str | None = None, channel: str | None = None) -> Select:
    """Every message (for ops staff), newest first."""
    stmt = select(OutboxMessage)
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    if channel:
        stmt = stmt.where(OutboxMessage.channel == channel)
    return stmt.order_by(OutboxMessage.id.desc())


def retry(message_id: int) -> OutboxMessage:
    """Put a failed message back in line (ops staff, once the cause is fixed); enqueued after commit."""
    message = db.session.get(OutboxMessage, message_id, with_for_update=True) if message_id < 2**31 else None
    if message is None:
        raise NotFound("未找到该消息。")
    if message.status != "failed":
        raise RuleViolation("只有发送失败的消息可以重发。", code="message_not_failed")
    # Due from now: the give-up limit (`give_up_stuck`) counts from the retry, not the first write.
    message.status, message.next_attempt_at, message.attempts = "pending", utcnow(), 0
    db.session.flush()
    DELIVERY_WORK.request(message.id)
    return message


def give_up_stuck(now: datetime | None = None) -> list[OutboxMessage]:
    """Mark failed the pending messages due (`next_attempt_at`, else written) for longer than
    NOTIFY_GIVE_UP_SECONDS: something keeps them from being delivered (a worker that dies on
    them leaves no attempt recorded), so ops must see them (`failed`, the ops list, the alert of
    `alerts.alert_given_up`) instead of them waiting forever. A message being delivered right
    now (its row locked) is skipped. Flushes; returns the messages marked, at most NOTIFY_SWEEP_BATCH.
    """
    now = now or utcnow()
    seconds = current_app.config["NOTIFY_GIVE_UP_SECONDS"]
    due_since = func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
    stmt = (select(OutboxMessage)
            .where(OutboxMessage.status == "pending", due_since < now - timedelta(seconds=seconds))
            .order_by(OutboxMessage.id).limit(current_app.config["NOTIFY_SWEEP_BATCH"])
            .with_for_update(skip_locked=True))
    messages = list(db.session.scalars(stmt))
    error = GIVE_UP_ERROR.format(hours=f"{seconds / 3600:g}")
    for message in messages:
        message.status, message.next_attempt_at = "failed", None
        message.last_error = f"{error}（{message.last_error}）" if message.last_error else error
        if message.channel == "subscribe":
            subscriptions.release_grant(message)
        log.warning("outbox message %s (%s) undelivered after %s s: marked failed",
                    message.id, message.channel, seconds)
    db.session.flush()
    return messages


# Delivery locks its row (SELECT ... FOR UPDATE) and records every failure on it: no other claim,
# nothing to fail.
DELIVERY_WORK = work.WorkKind("notify_delivery", queue="notify", timeout="NOTIFY_DELIVERY_JOB_TIMEOUT",
                              job_id=delivery_job_id, waiting=waiting_deliveries, claim=work.no_claim)


# -- the in-app inbox ------------------------------------------------------------------------------

def _inbox_where(person_id: int) -> list[Any]:
    return [OutboxMessage.recipient_person_id == person_id, OutboxMessage.channel == "inbox",
            OutboxMessage.status == "sent"]


def inbox(person_id: int) -> Select:
    """A person's delivered messages, newest first (a statement to paginate)."""
    return select(OutboxMessage).where(*_inbox_where(person_id)).order_by(OutboxMessage.id.desc())


def unread_count(person_id: int) -> int:
    """How many delivered inbox messages the person has not read."""
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(*_inbox_where(person_id), OutboxMessage.read_at.is_(None))) or 0


def mark_read(person_id: int, message_ids: list[int] | None = None) -> int:
    """Mark the person's inbox messages read (all of them without `message_ids`); returns how many.

    Someone else's message ids are ignored, not an error: nothing hints that they exist.
    """
    stmt = (update(OutboxMessage).where(*_inbox_where(person_id), OutboxMessage.read_at.is_(None))
            .values(read_at=utcnow()))
    if message_ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(message_ids))
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0
