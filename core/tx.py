"""The one commit point, and jobs that run only after it.

Entry points (a request, a job, a CLI command) call `commit()` once at the
end; services only `flush()`. Jobs are scheduled with `enqueue_after_commit`
and handed to rq only once the transaction that scheduled them has committed,
so a worker never sees a row that was rolled back. Without `REDIS_URL` the
jobs run in-process right after the commit (the quick start).
"""
from __future__ import annotations

import importlib
import logging
import zlib
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import text

from core.extensions import db

log = logging.getLogger(__name__)

_PENDING = "pending_jobs"
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(CAST(:namespace AS integer), CAST(:id AS integer))")


@dataclass(frozen=True)
class PendingJob:
    func: str
    args: tuple[Any, ...]
    queue: str = "default"
    job_id: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


def enqueue_after_commit(func: str, *args: Any, queue: str = "default", job_id: str | None = None) -> None:
    """Schedule `func` (a dotted path under `jobs.`) to run once the current transaction commits.

    Arguments must be plain values (ids), never ORM objects.
    """
    db.session.info.setdefault(_PENDING, []).append(PendingJob(func, args, queue, job_id))


def commit() -> None:
    """Commit the session, then dispatch the jobs scheduled in it."""
    session = db.session()
    pending: list[PendingJob] = session.info.pop(_PENDING, [])
    try:
        session.commit()
    except Exception:
        session.rollback()
        raise
    for job in pending:
        dispatch(job)


def rollback() -> None:
    """Roll back and forget the jobs scheduled in this transaction."""
    session = db.session()
    session.info.pop(_PENDING, None)
    session.rollback()


def dispatch(job: PendingJob) -> None:
    """Hand a committed job to rq, or run it here when there is no Redis.

    A failed hand-over is logged, not raised: the work is recorded in the
    database (outbox), and the periodic sweep enqueues it again.
    """
    from core.redis import get_queue, get_redis

    if get_redis() is None:
        run_inline(job)
        return
    try:
        get_queue(job.queue).enqueue(job.func, *job.args, job_id=job.job_id)
    except Exception:  # Redis down: the sweep picks the work up later
        log.warning("could not enqueue %s%r; left for the sweep", job.func, job.args, exc_info=True)


def run_inline(job: PendingJob) -> None:
    module_name, _, name = job.func.rpartition(".")
    func = getattr(importlib.import_module(module_name), name)
    try:
        func(*job.args)
    except Exception:
        log.exception("in-process job %s%r failed", job.func, job.args)
        rollback()
        if current_app.config.get("JOBS_RAISE"):
            raise


def claim(kind: str, row_id: int) -> bool:
    """Claim one row's job for the current transaction: False when another transaction holds it.

    A job that may be delivered twice (a lost enqueue re-enqueued by the sweep, rq retrying the
    job of a dead worker) calls this before its work and does nothing on False. On PostgreSQL it
    is a transaction-scoped advisory lock keyed by (kind, id), released by the commit or rollback
    at the job's edge, and by the server when a dead worker's connection drops, so a crashed run
    never keeps its row from the next one. The job still checks the row's state once it holds the
    claim (a run that already finished leaves nothing to do). Other engines (SQLite, the quick
    start) let one writer at a time through anyway: always True.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    namespace = zlib.crc32(kind.encode()) & 0x7FFFFFFF  # the (int4, int4) key space, apart from bigint keys
    return bool(db.session.scalar(_TRY_LOCK, {"namespace": namespace, "id": row_id}))
