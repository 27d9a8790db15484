"""Messages to people, written to the outbox in the caller's transaction.

The `notify` domain delivers them by rq job after commit (`jobs.notify`).
The foundation delivers the in-app inbox; WeChat channels build on it.
"""
from __future__ import annotations

from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow
from core.tx import enqueue_after_commit
from models.notify import OutboxMessage


def queue_message(recipient_person_id: int, template: str, title: str, body: str,
                  data: dict | None = None, dedupe_key: str | None = None,
                  channel: str = "inbox") -> OutboxMessage | None:
    """Record a message for delivery after commit.

    With a `dedupe_key` already used, nothing new is recorded (a reminder goes
    out once) and None is returned.
    """
    if dedupe_key and db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    message = OutboxMessage(channel=channel, recipient_person_id=recipient_person_id, template=template,
                            title=title, body=body, data=data or {}, dedupe_key=dedupe_key)
    db.session.add(message)
    db.session.flush()
    enqueue_after_commit("jobs.notify.deliver_message", message.id, queue="notify")
    return message


def deliver(message_id: int) -> OutboxMessage | None:
    """Deliver one pending message. The inbox needs nothing more than marking it delivered."""
    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status == "sent":
        return message
    message.attempts += 1
    if message.channel == "inbox":
        message.status = "sent"
        message.sent_at = utcnow()
    db.session.flush()
    return message


def pending_message_ids(limit: int = 500) -> list[int]:
    """Messages still waiting, oldest first, for the periodic sweep."""
    stmt = (select(OutboxMessage.id).where(OutboxMessage.status == "pending")
            .order_by(OutboxMessage.id).limit(limit))
    return list(db.session.scalars(stmt))


def inbox(person_id: int):
    """A person's delivered messages, newest first (a statement to paginate)."""
    return (select(OutboxMessage)
            .where(OutboxMessage.recipient_person_id == person_id, OutboxMessage.channel == "inbox",
                   OutboxMessage.status == "sent")
            .order_by(OutboxMessage.id.desc()))
