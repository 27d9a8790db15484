"""The background-work registry: every kind of work a job does on a database row, declared once.

A service that records work in a row (an import, a one-code bulk job, a report's thumbnails, a
periodic report, an outbox message) declares a `WorkKind` beside it: its name, rq queue, timeout
setting, the rq job id of a row, how to find rows still waiting, how a run claims a row, how
progress is written and how failure is recorded. The jobs layer binds the job function to the kind
(`@KIND.job`), so services never import jobs and rq is handed the function itself. The service
asks for the work after its commit with `KIND.request(row_id)`; the job runs `KIND.perform(row_id,
step)`, the one wrapper that claims, commits and records failure; `jobs.maintenance.sweep_lost_jobs`
walks `registered()` and enqueues again whatever waits with no live rq job.

    # services/risk/media.py: declared beside the service, after the functions it names
    THUMBNAIL_WORK = work.WorkKind("risk_thumbnails", queue="default", timeout="THUMBNAIL_JOB_TIMEOUT",
                                   job_id=thumbnail_job_id, waiting=waiting_thumbnails)
    # services/risk/intake.py: asked for in the transaction that recorded the work
    media.THUMBNAIL_WORK.request(report.id)
    # jobs/risk.py: module level, so rq's worker finds it by its path; listed in jobs.JOB_MODULES
    @THUMBNAIL_WORK.job
    def make_thumbnails(report_id: int) -> int:
        return THUMBNAIL_WORK.perform(report_id, media.make_report_thumbnails) or 0

`step(row_id, progress)` does the work and only flushes; `progress(processed, total=None,
status=None)` reports how far it is. A new kind also needs a way to record one of its rows in
`tests/core/test_work.py` (RECORD), which checks that the sweep picks every kind up.
"""
from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, text, update
from sqlalchemy.exc import SQLAlchemyError

from core import tx
from core.errors import AppError
from core.extensions import db
from core.timeutil import utcnow

log = logging.getLogger(__name__)

GENERIC_FAILURE = "处理失败，请稍后重试；如仍失败请联系运维人员。"
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(CAST(:namespace AS integer), CAST(:id AS integer))")

_KINDS: dict[str, WorkKind] = {}


# -- claims: one run of a row at a time ----------------------------------------------------------

def advisory_claim(name: str, row_id: int) -> bool:
    """Claim one row for the current transaction: False when another transaction holds it.

    For work whose run is one transaction (all or nothing): a transaction-scoped advisory lock keyed
    by (kind, id), released by the commit or rollback at the job's edge, and by the server when a
    dead worker's connection drops, so a crashed run never keeps its row from the next one. The step
    still checks the row's state once it holds the claim (a finished run leaves nothing to do).
    Other engines (SQLite, the quick start) let one writer at a time through anyway: always True.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return True
    namespace = zlib.crc32(name.encode()) & 0x7FFFFFFF  # the (int4, int4) key space, apart from bigint keys
    return bool(db.session.scalar(_TRY_LOCK, {"namespace": namespace, "id": row_id}))


@dataclass(frozen=True)
class StatusClaim:
    """Claim by a conditional UPDATE of the row's status, for work that commits as it goes (its
    progress commits keep what is done): `queued` to `running`, or a `running` row whose run made
    no progress for JOB_SWEEP_GRACE_SECONDS (its worker died) taken over. Of two runs, the second
    waits on the first's row lock, then updates nothing and does nothing."""

    model: Any
    waiting_status: str = "queued"
    running_status: str = "running"

    def __call__(self, name: str, row_id: int) -> bool:
        model = self.model
        stale = utcnow() - timedelta(seconds=current_app.config["JOB_SWEEP_GRACE_SECONDS"])
        claimable = or_(model.status == self.waiting_status,
                        and_(model.status == self.running_status, model.updated_at < stale))
        result = db.session.execute(update(model).where(model.id == row_id, claimable)
                                    .values(status=self.running_status, updated_at=utcnow())
                                    .execution_options(synchronize_session=False))
        return bool(result.rowcount)


def no_claim(name: str, row_id: int) -> bool:
    """For a step that locks its row itself (an outbox message is read FOR UPDATE)."""
    return True


# -- progress: on the row and in the rq job's meta ----------------------------------------------

@dataclass(frozen=True)
class RowProgress:
    """Where a kind's progress is written: the row's processed (and total) columns.

    `keep_done=True`: written in the job's own transaction and committed, so what the run did so far
    stays done if a later part fails (and the claim's `updated_at` shows the run is alive).
    `keep_done=False`: the run is all or nothing, so progress goes on a separate connection in a
    short transaction of its own (PostgreSQL only; best effort, skipped on any failure) while the
    job's transaction stays open; the job's final update overwrites it.
    """

    model: Any
    processed: str
    total: str | None = None
    keep_done: bool = False


class Progress:
    """The callable a step reports progress through: `progress(processed, total=None, status=None)`.

    Each call writes the row (see RowProgress) and mirrors the numbers in the current rq job's meta
    (`job.meta["progress"]`), so both a polling client and rq's tools see how far the run is.
    """

    def __init__(self, kind: WorkKind, row_id: int) -> None:
        self.kind, self.row_id = kind, row_id

    def __call__(self, processed: int, total: int | None = None, status: str | None = None) -> None:
        spec = self.kind.progress
        if spec is not None:
            values: dict[str, Any] = {spec.processed: processed, "updated_at": utcnow()}
            if total is not None and spec.total:
                values[spec.total] = total
            if status is not None:
                values["status"] = status
            if spec.keep_done:
                db.session.execute(update(spec.model).where(spec.model.id == self.row_id).values(**values)
                                   .execution_options(synchronize_session=False))
                tx.commit()
            else:
                self._publish_apart(spec, values)
        meta = {"processed": processed}
        if total is not None:
            meta["total"] = total
        if status is not None:
            meta["status"] = status
        set_job_meta(progress=meta)

    def _publish_apart(self, spec: RowProgress, values: dict[str, Any]) -> None:
        if db.engine.dialect.name != "postgresql":
            return
        table = spec.model.__table__
        try:
            with db.engine.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '1s'"))
                connection.execute(update(table).where(table.c.id == self.row_id).values(**values))
        except SQLAlchemyError:
            log.warning("progress of %s %s not published", self.kind.name, self.row_id, exc_info=True)


def set_job_meta(**values: Any) -> None:
    """Merge `values` into the running rq job's meta (nothing outside a worker); best effort."""
    from rq import get_current_job

    job = get_current_job()
    if job is None:
        return
    job.meta.update(values)
    try:
        job.save_meta()
    except Exception:  # Redis gone mid-run: the row still has the progress
        log.warning("meta of rq job %s not saved", job.id, exc_info=True)


# -- the kind --------------------------------------------------------------------------------------

class WorkKind:
    """One kind of background work on database rows (see the module docstring).

    - name: unique; names the claim and the log lines.
    - queue: an rq queue of `core.redis.QUEUE_NAMES`.
    - timeout: the config setting (seconds) given to rq as `job_timeout`.
    - job_id(row_id): the rq job id, the same at the first enqueue and in the sweep.
    - waiting(before): ids of rows recorded before `before` whose work is still not done.
    - claim(name, row_id) -> bool: `advisory_claim` (default), a `StatusClaim`, or `no_claim`.
    - progress: a `RowProgress`, or None for work with nothing to count.
    - fail(row_id, message): record on the row that the run failed (flush only), or None.
    - failure_message: what the row says when the run failed for a reason the user cannot act on.
    """

    def __init__(self, name: str, *, queue: str, timeout: str, job_id: Callable[[int], str],
                 waiting: Callable[[datetime], Iterable[int]],
                 claim: Callable[[str, int], bool] = advisory_claim, progress: RowProgress | None = None,
                 fail: Callable[[int, str], None] | None = None, failure_message: str = GENERIC_FAILURE) -> None:
        if name in _KINDS:
            raise ValueError(f"work kind {name!r} is declared twice")
        self.name, self.queue, self.timeout_setting = name, queue, timeout
        self.job_id, self.waiting, self.claim = job_id, waiting, claim
        self.progress, self.fail, self.failure_message = progress, fail, failure_message
        self.function: Callable[..., Any] | None = None
        _KINDS[name] = self

    def __repr__(self) -> str:
        return f"<WorkKind {self.name}>"

    def job(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator in the jobs layer: `function` (module level, one row id argument) does this work."""
        if self.function is not None and self.function is not function:
            raise ValueError(f"work kind {self.name!r} already has its job {self.function.__qualname__}")
        self.function = function
        return function

    def job_function(self) -> Callable[..., Any]:
        if self.function is None:
            raise RuntimeError(f"work kind {self.name!r} has no job: are the jobs modules loaded (jobs.load)?")
        return self.function

    def timeout(self) -> int:
        return int(current_app.config[self.timeout_setting])

    def request(self, row_id: int) -> None:
        """Enqueue this row's job once the current transaction commits (queue, id and timeout of the kind)."""
        tx.enqueue_after_commit(self.job_function(), row_id, queue=self.queue, job_id=self.job_id(row_id),
                                timeout=self.timeout())

    def perform(self, row_id: int, step: Callable[[int, Progress], Any]) -> Any:
        """Run one row's work at the job's edge: claim it, run `step(row_id, progress)`, commit.

        Returns the step's result, or None when another run holds the claim. On an AppError the
        step's uncommitted writes are rolled back and the row marked failed with the error's message
        (one the user can act on); on any other exception the same with `failure_message`, and the
        exception is re-raised for rq to record. Either way the failure is committed once.
        """
        if not self.claim(self.name, row_id):
            log.info("%s %s is held by another run", self.name, row_id)
            return None
        try:
            result = step(row_id, Progress(self, row_id))
            tx.commit()
            return result
        except AppError as error:
            self._record_failure(row_id, error.message)
            return None
        except Exception:
            self._record_failure(row_id, self.failure_message)
            raise

    def _record_failure(self, row_id: int, message: str) -> None:
        tx.rollback()
        if self.fail is not None:
            self.fail(row_id, message)
            tx.commit()
        set_job_meta(error=message)


def registered() -> list[WorkKind]:
    """Every declared kind, in declaration order."""
    return list(_KINDS.values())


def get(name: str) -> WorkKind:
    return _KINDS[name]


def unbound() -> list[WorkKind]:
    """Kinds whose job function was never bound (a jobs module not loaded or missing)."""
    return [kind for kind in _KINDS.values() if kind.function is None]
