"""Delivery of outbox messages, the sweep and the delivery alert (queue `notify`)."""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError

from core import tx
from core.redis import get_queue, get_redis
from services import notify
from services.notify import alerts

log = logging.getLogger(__name__)

DELIVER = "jobs.notify.deliver_message"
DELIVER_TIMEOUT = 60


def deliver_message(message_id: int) -> None:
    """Deliver one outbox message (idempotent: the row is locked, a sent message is left alone).

    A WeChat failure is recorded on the row (retry later or `failed`), never raised.
    """
    notify.deliver(message_id)
    tx.commit()


def sweep_outbox() -> int:
    """Enqueue every pending message that is due: first attempts whose enqueue was lost
    (Redis down at commit) and retries whose back-off has passed. Returns how many.

    Each gets the job id `notify-sweep-<id>`, unique while queued, so sweeps that
    overlap do not pile up jobs; a message enqueued twice is still sent once.
    Without Redis the deliveries run here.
    """
    ids = notify.due_message_ids()
    tx.commit()
    if get_redis() is None:
        for message_id in ids:
            tx.run_inline(tx.PendingJob(DELIVER, (message_id,), "notify"))
        return len(ids)
    queue = get_queue("notify")
    for message_id in ids:
        try:
            queue.enqueue(DELIVER, message_id, job_id=f"notify-sweep-{message_id}", unique=True, result_ttl=0,
                          job_timeout=DELIVER_TIMEOUT)
        except DuplicateJobError:
            continue
        except RedisError:
            log.warning("sweep could not enqueue message %s; the next sweep will", message_id, exc_info=True)
            break
    return len(ids)


def alert_delivery_failures() -> bool:
    """Alert the ops group when failed messages pile up (at most once an hour)."""
    queued = alerts.queue_failure_alert() is not None
    tx.commit()
    return queued
