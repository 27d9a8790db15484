"""Delivery of outbox messages, the sweep and the delivery alert (queue `notify`)."""
from __future__ import annotations

from core import tx
from core.redis import get_redis
from core.timeutil import utcnow
from jobs.maintenance import sweep_work
from services import notify
from services.notify import alerts, outbox
from services.notify.outbox import DELIVERY_WORK


@DELIVERY_WORK.job
def deliver_message(message_id: int) -> None:
    """Deliver one outbox message (`DELIVERY_WORK`: queue `notify`, NOTIFY_DELIVERY_JOB_TIMEOUT).

    Idempotent: the row is locked, a sent message is left alone. A WeChat failure is recorded on
    the row (retry later or `failed`), never raised.
    """
    DELIVERY_WORK.perform(message_id, lambda row_id, progress: notify.deliver(row_id))


def sweep_outbox() -> int:
    """Enqueue every pending message that is due (every minute): first attempts whose enqueue was
    lost (Redis down at commit), retries whose back-off has passed, and messages whose job a dead
    worker left `started`. Returns how many.

    First, messages due for longer than NOTIFY_GIVE_UP_SECONDS are marked failed and the ops group
    alerted (`outbox.give_up_stuck`, `alerts.alert_given_up`; committed here).

    The registry's sweep with no grace period (`jobs.maintenance.sweep_work`): each message's job
    has one id (`notify-message-<id>`), a message whose job rq still holds is left alone, so
    sweeps that overlap do not pile up jobs; a message enqueued twice is still sent once.
    Without Redis the deliveries run here.
    """
    alerts.alert_given_up(outbox.give_up_stuck())
    tx.commit()
    if get_redis() is None:
        ids = DELIVERY_WORK.waiting(utcnow())
        tx.commit()
        for message_id in ids:
            tx.run_inline(tx.PendingJob(deliver_message, (message_id,), DELIVERY_WORK.queue))
        return len(ids)
    return sweep_work([DELIVERY_WORK], grace_seconds=0)


def alert_delivery_failures() -> bool:
    """Alert the ops group when failed messages pile up (at most once an hour)."""
    queued = alerts.queue_failure_alert() is not None
    tx.commit()
    return queued
