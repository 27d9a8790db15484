"""The one commit point, and jobs that run only after it.

Entry points (a request, a job, a CLI command) call `commit()` once at the
end; services only `flush()`. Jobs are scheduled with `enqueue_after_commit`
and handed to rq only once the transaction that scheduled them has committed,
so a worker never sees a row that was rolled back. Without `REDIS_URL` the
jobs run in-process right after the commit (the quick start).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app

from core.extensions import db

log = logging.getLogger(__name__)

_PENDING = "pending_jobs"


@dataclass(frozen=True)
class PendingJob:
    func: Callable[..., Any]
    args: tuple[Any, ...]
    queue: str = "default"
    job_id: str | None = None
    timeout: int | None = None

    @property
    def name(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


def enqueue_after_commit(func: Callable[..., Any], *args: Any, queue: str = "default", job_id: str | None = None,
                         timeout: int | None = None) -> None:
    """Schedule the job function `func` to run once the current transaction commits.

    `func` is a module-level function of `jobs/` (rq's worker imports it by its dotted path);
    a service, which may not import jobs, asks through its `core.work.WorkKind` instead.
    Arguments must be plain values (ids), never ORM objects. `timeout` (seconds) is rq's
    `job_timeout`; without it the queue's RQ_DEFAULT_TIMEOUT applies.
    """
    if not callable(func):
        raise TypeError("enqueue_after_commit takes the job function itself, not its name")
    db.session.info.setdefault(_PENDING, []).append(PendingJob(func, args, queue, job_id, timeout))


def commit() -> None:
    """Commit the session, then dispatch the jobs scheduled in it."""
    session = db.session()
    pending: list[PendingJob] = session.info.pop(_PENDING, [])
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    dispatch_all(pending)


def rollback() -> None:
    """Roll back and forget the jobs scheduled in this transaction."""
    session = db.session()
    session.info.pop(_PENDING, None)
    session.rollback()


def dispatch_all(jobs: list[PendingJob]) -> None:
    """Hand committed jobs to rq in one Redis pipeline (one round trip for a batch that wrote
    dozens of outbox rows), or run them here when there is no Redis.

    A failed hand-over is logged, not raised: the work is recorded in the database (outbox), and
    the periodic sweep enqueues it again.
    """
    from core.logs import current_request_id
    from core.redis import get_queue, get_redis

    if not jobs:
        return
    redis = get_redis()
    if redis is None:
        for job in jobs:
            run_inline(job)
        return
    try:
        pipe = redis.pipeline()
        # the worker logs the job's lines with the request id of the work that asked for it
        meta = {"request_id": current_request_id()}
        for job in jobs:
            get_queue(job.queue).enqueue(job.func, *job.args, job_id=job.job_id, job_timeout=job.timeout,
                                         meta=dict(meta), pipeline=pipe)
        pipe.execute()
    except Exception:  # Redis down: the sweep picks the work up later
        log.warning("could not enqueue %d job(s) (%s, ...); left for the sweep", len(jobs), jobs[0].name,
                    exc_info=True)


def run_inline(job: PendingJob) -> None:
    """Run a committed job here and now (no Redis: the quick start); a failure is logged and rolled back."""
    try:
        job.func(*job.args)
    except Exception:
        log.exception("in-process job %s%r failed", job.name, job.args)
        rollback()
        if current_app.config.get("JOBS_RAISE"):
            raise

