"""Housekeeping jobs: forgetting old idempotency keys, and enqueueing again work whose job was lost."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from core import tx
from core.idempotency import purge_expired
from core.redis import get_queue, get_redis
from core.timeutil import utcnow
from qr import batches
from services.equipment import imports
from services.risk import intake, media, periodic

log = logging.getLogger(__name__)

# rq still holds these: the job will run (or is running), so the sweep leaves it alone.
LIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED})
# Thumbnails have no status column: only reports this recent are looked at, so a photo that never
# decodes is not retried for ever (its report shows the photo itself instead).
THUMBNAIL_LOOKBACK = timedelta(days=2)


def purge_idempotency_keys() -> int:
    """Forget idempotency keys past their retention."""
    count = purge_expired()
    tx.commit()
    return count


@dataclass(frozen=True)
class WaitingWork:
    """One row's work that is recorded in the database and not done: the job that does it."""

    func: str
    row_id: int
    queue: str
    job_id: str


def waiting_work(now: datetime) -> list[WaitingWork]:
    """Work recorded at least JOB_SWEEP_GRACE_SECONDS before `now` and still not done: equipment
    imports (dry run or import), one-code bulk jobs, risk-report thumbnails and periodic
    risk-assessment reports. Each with the rq job id its first enqueue used."""
    before = now - timedelta(seconds=current_app.config["JOB_SWEEP_GRACE_SECONDS"])
    work = [WaitingWork(imports.JOB, import_id, "default", imports.job_id(import_id, dry_run))
            for import_id, dry_run in imports.waiting(before)]
    work += [WaitingWork(batches.job_function(kind), job_id, "reports", batches.job_key(job_id))
             for job_id, kind in batches.waiting(before)]
    work += [WaitingWork(intake.THUMBNAIL_JOB, report_id, "default", media.thumbnail_job_id(report_id))
             for report_id in media.reports_lacking_thumbnails(now - THUMBNAIL_LOOKBACK, before)]
    work += [WaitingWork(periodic.GENERATE_JOB, report_id, "reports", periodic.job_id(report_id))
             for report_id in periodic.waiting(before)]
    return work


def sweep_lost_jobs() -> int:
    """Enqueue again the work whose job was lost (every 5 minutes, `jobs/schedule.py`).

    "Nothing accepted is lost": the rows are committed with their work, and the job is enqueued
    after the commit; when Redis was down then, or a worker died before the job's commit, the row
    is still waiting. Rows waiting longer than JOB_SWEEP_GRACE_SECONDS (`waiting_work`) whose rq
    job is missing or over (finished, failed, stopped) get their job again, under the same id
    and only if no other sweep enqueued it meanwhile; a job rq still holds (queued, started,
    deferred, scheduled) is left alone. Each job claims its row and does nothing when the row is
    no longer waiting, so work enqueued twice is still done once. Without Redis (jobs run
    in-process at commit) there is nothing to sweep. Returns how many jobs were enqueued.
    """
    connection = get_redis()
    if connection is None:
        return 0
    work = waiting_work(utcnow())
    tx.commit()  # only read; end the transaction before talking to Redis
    enqueued = 0
    for item in work:
        try:
            enqueued += _enqueue_unless_live(connection, item)
        except RedisError:
            log.warning("sweep could not reach Redis at %s; the next sweep will", item.job_id, exc_info=True)
            break
    return enqueued


def _enqueue_unless_live(connection: Redis, item: WaitingWork) -> bool:
    try:
        job = Job.fetch(item.job_id, connection=connection)
    except NoSuchJobError:
        job = None
    if job is not None:
        if job.get_status(refresh=False) in LIVE_STATUSES:
            return False
        job.delete()  # over while its row still waits (a dead worker, a run that lost its claim)
    try:
        get_queue(item.queue).enqueue(item.func, item.row_id, job_id=item.job_id, unique=True)
    except DuplicateJobError:  # another sweep was first
        return False
    log.info("sweep enqueued %s(%s) again as %s", item.func, item.row_id, item.job_id)
    return True
