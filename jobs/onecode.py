"""One-code bulk jobs: assignment and label sheets (thin: the work registry claims, commits, fails).

Each run claims its `CodeJob` row first (`core.work.StatusClaim`: `queued`, or `running` with no
progress for the sweep's grace period, to `running`): a job delivered twice (the sweep re-enqueues
one whose enqueue was lost or whose worker died) runs once, the other run does nothing.
"""
from __future__ import annotations

from services.equipment import code_jobs
from services.equipment.code_jobs import ASSIGN_WORK, LABEL_SHEET_WORK


@ASSIGN_WORK.job
def run_assign_job(job_id: int) -> None:
    """Assign codes to a unit's or a region's in-use devices (queue `reports`, CODE_ASSIGN_JOB_TIMEOUT);
    progress on the job row and in the rq job's meta, committed chunk by chunk."""
    ASSIGN_WORK.perform(job_id, code_jobs.run_assign)


@LABEL_SHEET_WORK.job
def run_label_sheet_job(job_id: int) -> None:
    """Print a unit's or a region's labels as an A4 PDF, downloadable when done (queue `reports`,
    LABEL_SHEET_JOB_TIMEOUT); progress per page on the job row and in the rq job's meta."""
    LABEL_SHEET_WORK.perform(job_id, code_jobs.run_label_sheet)
