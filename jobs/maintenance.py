"""Housekeeping jobs: forgetting old idempotency keys, and enqueueing again work whose job was lost."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.worker import Worker

from core import tx, work
from core.idempotency import purge_expired
from core.redis import get_queue, get_redis
from core.timeutil import utcnow

log = logging.getLogger(__name__)

# rq still holds these: the job will run (or is running), so the sweep leaves it alone; a `started`
# job only while its worker is alive (`dead_start`).
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


def sweep_work(kinds: Iterable[work.WorkKind], grace_seconds: int, now: datetime | None = None) -> int:
    """Enqueue again, for each kind, the rows waiting (`kind.waiting`) since more than
    `grace_seconds` whose rq job is missing or over (finished, failed, stopped), or `started` by a
    worker that is gone (`dead_start`; the job is deleted first): under the kind's job id, queue
    and timeout, and only if no other sweep enqueued it meanwhile. A job rq still holds (queued,
    deferred, scheduled, started by a live worker) is left alone. Each job claims its row and does
    nothing when the row is no longer waiting, so work enqueued twice is still done once. Without
    Redis (jobs run in-process at commit) there is nothing to sweep. Returns how many were enqueued.
    """
    connection = get_redis()
    if connection is None:
        return 0
    now = now or utcnow()
    before = now - timedelta(seconds=grace_seconds)
    items = [(kind, row_id, kind.job_id(row_id)) for kind in kinds for row_id in kind.waiting(before)]
    tx.commit()  # only read; end the transaction before talking to Redis
    enqueued = 0
    for kind, row_id, job_id in items:
        try:
            enqueued += _enqueue_unless_live(connection, kind, row_id, job_id, now)
        except RedisError:
            log.warning("sweep could not reach Redis at %s; the next sweep will", job_id, exc_info=True)
            break
    return enqueued


def dead_start(connection: Redis, job: Job, now: datetime) -> str | None:
    """Why a job rq still calls `started` can no longer finish (its worker died: killed, out of
    memory, the machine lost), or None while its run may be alive.

    rq keeps a started job's hash with no expiry and only a worker's maintenance moves it to the
    failed registry, so the sweep judges it itself. Dead when: it names no worker, or its worker's
    key (`rq:worker:<name>`, kept alive by the worker's heartbeats) has expired or records a death;
    or its execution is missing from the queue's StartedJobRegistry or its expiry there has passed;
    or its last heartbeat is older than its timeout plus JOB_STALE_HEARTBEAT_SECONDS (a run
    cannot outlive its timeout: rq stops it then).
    """
    worker_key = Worker.redis_worker_namespace_prefix + job.worker_name if job.worker_name else None
    if worker_key is None:
        return "no worker is recorded for it"
    if not connection.exists(worker_key):
        return f"its worker {job.worker_name} is gone"
    if connection.hexists(worker_key, "death"):
        return f"its worker {job.worker_name} has shut down"
    registry = StartedJobRegistry(job.origin, connection=connection)
    expiries = [connection.zscore(registry.key, execution.composite_key) for execution in job.get_executions()]
    expiries = [float(score) for score in expiries if score is not None]
    if not expiries:
        return "it has no execution in the started registry"
    if max(expiries) < now.timestamp():
        return "its execution expired in the started registry"
    beat = job.last_heartbeat or job.started_at
    config = current_app.config
    limit = (job.timeout or config["RQ_DEFAULT_TIMEOUT"]) + config["JOB_STALE_HEARTBEAT_SECONDS"]
    if beat is None or (now - beat).total_seconds() > limit:
        return f"no heartbeat since {beat}"
    return None


def _enqueue_unless_live(connection: Redis, kind: work.WorkKind, row_id: int, job_id: str, now: datetime) -> bool:
    try:
        job = Job.fetch(job_id, connection=connection)
    except NoSuchJobError:
        job = None
    if job is not None:
        status = job.get_status(refresh=False)
        if status == JobStatus.STARTED:
            reason = dead_start(connection, job, now)
            if reason is None:
                return False
            log.warning("rq job %s of %s(%s) is started but dead: %s; deleting it and enqueueing again",
                        job_id, kind.name, row_id, reason)
        elif status in LIVE_STATUSES:
            return False
        job.delete()  # over while its row still waits (a dead worker, a run that lost its claim)
    try:
        get_queue(kind.queue).enqueue(kind.job_function(), row_id, job_id=job_id, unique=True,
                                      job_timeout=kind.timeout())
    except DuplicateJobError:
        log.warning("sweep did not enqueue %s(%s): rq job %s appeared meanwhile (another sweep or the "
                    "request's own enqueue); left to it", kind.name, row_id, job_id)
        return False
    log.info("sweep enqueued %s(%s) again as %s", kind.name, row_id, job_id)
    return True
