"""Delivery of outbox messages."""
from __future__ import annotations

from core import tx
from core.tx import enqueue_after_commit
from services import notify


def deliver_message(message_id: int) -> None:
    """Deliver one outbox message (idempotent: a sent message is left alone)."""
    notify.deliver(message_id)
    tx.commit()


def sweep_outbox() -> int:
    """Re-enqueue what is still pending, e.g. after Redis was down when it was written."""
    ids = notify.pending_message_ids()
    for message_id in ids:
        enqueue_after_commit("jobs.notify.deliver_message", message_id, queue="notify")
    tx.commit()
    return len(ids)
