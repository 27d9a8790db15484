"""Housekeeping jobs: forgetting old idempotency keys, and enqueueing again work whose job was lost."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from core import tx, work
from core.idempotency import purge_expired
from core.redis import get_queue, get_redis
from core.timeutil import utcnow

log = logging.getLogger(__name__)

# rq still holds these: the job will run (or is running), so the sweep leaves it alone.
LIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED})


def purge_idempotency_keys() -> int:
    """Forget idempotency keys past their retention."""
    count = purge_expired()
    tx.commit()
    return count


def sweep_lost_jobs() -> int:
    """Enqueue again the work whose job was lost (every 5 minutes, `jobs/schedule.py`), for every
    kind of work in the registry (`core.work.registered()`).

    "Nothing accepted is lost": the rows are committed with their work, and the job is enqueued
    after the commit; when Redis was down then, or a worker died before the job's commit, the row
    is still waiting. See `sweep_work`. Returns how many jobs were enqueued.
    """
    return sweep_work(work.registered(), current_app.config["JOB_SWEEP_GRACE_SECONDS"])


def sweep_work(kinds: Iterable[work.WorkKind], grace_seconds: int) -> int:
    """Enqueue again, for each kind, the rows waiting (`kind.waiting`) since more than
    `grace_seconds` whose rq job is missing or over (finished, failed, stopped): under the kind's
    job id, queue and timeout, and only if no other sweep enqueued it meanwhile. A job rq still
    holds (queued, started, deferred, scheduled) is left alone. Each job claims its row and does
    nothing when the row is no longer waiting, so work enqueued twice is still done once. Without
    Redis (jobs run in-process at commit) there is nothing to sweep. Returns how many were enqueued.
    """
    connection = get_redis()
    if connection is None:
        return 0
    before = utcnow() - timedelta(seconds=grace_seconds)
    items = [(kind, row_id, kind.job_id(row_id)) for kind in kinds for row_id in kind.waiting(before)]
    tx.commit()  # only read; end the transaction before talking to Redis
    enqueued = 0
    for kind, row_id, job_id in items:
        try:
            enqueued += _enqueue_unless_live(connection, kind, row_id, job_id)
        except RedisError:
            log.warning("sweep could not reach Redis at %s; the next sweep will", job_id, exc_info=True)
            break
    return enqueued


def _enqueue_unless_live(connection: Redis, kind: work.WorkKind, row_id: int, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        job = None
    if job is not None:
        if job.get_status(refresh=False) in LIVE_STATUSES:
            return False
        job.delete()  # over while its row still waits (a dead worker, a run that lost its claim)
    try:
        get_queue(kind.queue).enqueue(kind.job_function(), row_id, job_id=job_id, unique=True,
                                      job_timeout=kind.timeout())
    except DuplicateJobError:  # another sweep was first
        return False
    log.info("sweep enqueued %s(%s) again as %s", kind.name, row_id, job_id)
    return True
