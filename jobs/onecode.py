"""One-code bulk jobs: assignment and label sheets (thin: load by id, call the one-code service, commit).

Each claims its `CodeJob` row first (`batches.claim`: `queued`, or `running` with no progress
for the sweep's grace period, to `running`): a job delivered twice (the sweep re-enqueues one
whose enqueue was lost or whose worker died) runs once, the other run does nothing.
"""
from __future__ import annotations

from core import tx
from core.errors import AppError
from qr import batches


def run_assign_job(job_id: int) -> None:
    """Assign codes to a unit's or a region's in-use devices (progress on the job row)."""
    _run(batches.run_assign, job_id)


def run_label_sheet_job(job_id: int) -> None:
    """Print a unit's or a region's labels as an A4 PDF, downloadable when done."""
    _run(batches.run_label_sheet, job_id)


def _run(step, job_id: int) -> None:
    try:
        step(job_id)
    except AppError as error:  # a reason the requester can read
        tx.rollback()
        batches.fail(job_id, error.message)
    except Exception:
        tx.rollback()
        batches.fail(job_id, "处理失败，请稍后重试或联系运维。")
        raise
