"""Bulk one-code work over a unit's or a region's devices (the equipment domain's use of one-code), as background work with progress (`core.work`):
assigning codes to every in-use device (`ASSIGN_WORK`), and printing label sheets (A4 PDF,
`LABEL_SHEET_WORK`).

Nothing here commits. A run claims its `CodeJob` row by a conditional UPDATE (`queued`, or
`running` with no progress for JOB_SWEEP_GRACE_SECONDS: its worker died, to `running`); its
progress goes through the `progress` callback of the job's edge, which writes the row, commits
(so codes issued chunk by chunk stay issued if a later chunk fails) and mirrors it in the rq job.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from core import audit, work
from core.auth import Identity
from core.errors import Forbidden, InvalidInput
from core.extensions import db
from core.scoping import region_in_scope
from core.storage import store_upload
from core.timeutil import utcnow
from models.equipment import Equipment
from models.onecode import Code, CodeJob
from models.orgs import Unit
from qr.render import LabelText
from qr.sheets import write_sheet_pdf
from services.equipment import onecode as assign
from services.equipment.records import MANAGER_ROLES
from services.orgs import regions

CHUNK = 500


def start_job(identity: Identity, kind: str, unit_id: int | None, region_code: str | None) -> CodeJob:
    """Queue a bulk job: a use unit's manager for its own unit, a regulator for a region or unit in scope."""
    if unit_id is None and region_code is None:
        unit_id = identity.unit_id
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        own = identity.unit_id == unit_id and identity.has_role(*MANAGER_ROLES)
        if unit is None or not (own or (identity.is_regulator and region_in_scope(unit.region_code, identity))):
            raise Forbidden("只能为本单位或辖区内的单位批量办理。", code="not_code_manager")
        region_code = unit.region_code
    elif not (identity.is_regulator and region_in_scope(region_code, identity)):
        raise Forbidden("只能为辖区批量办理。", code="not_code_manager")
    regions.require_region(region_code)
    job = CodeJob(kind=kind, unit_id=unit_id, region_code=region_code, status="queued",
                  requested_by_person_id=identity.person_id, requested_by_unit_id=identity.unit_id)
    db.session.add(job)
    db.session.flush()
    audit.record(identity.audit_context(), f"onecode.{kind}_job", "onecode_job", job.id, None,
                 {"unit_id": unit_id, "region_code": region_code})
    WORK[kind].request(job.id)
    return job


def job_key(job_id: int) -> str:
    """The rq job id of a bulk job, the same at the first enqueue and in the sweep."""
    return f"onecode-job-{job_id}"


def _waiting(kind: str):
    def waiting(before: datetime) -> list[int]:
        """Bulk jobs of this kind untouched since `before`: still `queued` (their enqueue was lost)
        or `running` with no progress since (their worker died). For the sweep of lost work, which
        leaves alone any whose rq job is still alive."""
        return list(db.session.scalars(
            select(CodeJob.id).where(CodeJob.kind == kind, CodeJob.status.in_(("queued", "running")),
                                     CodeJob.updated_at < before).order_by(CodeJob.id)))
    return waiting


def _claimed(job_id: int) -> CodeJob:
    """The job row as the claim (`work.StatusClaim`) left it: `running`, for this run."""
    return db.session.get(CodeJob, job_id, populate_existing=True)


def _reach(job: CodeJob) -> tuple[int | None, list[str] | None]:
    if job.unit_id is not None:
        return job.unit_id, None
    return None, sorted(regions.subtree_codes(job.region_code))


def run_assign(job_id: int, progress: work.Progress) -> None:
    """Issue codes to every in-use device of the job's unit or region that has none, chunk by chunk.

    Run by `ASSIGN_WORK.perform` once it claimed the job. `progress` after each chunk keeps the
    codes issued so far (the job's edge commits them). Taking over a dead run's job is safe:
    devices already coded are skipped.
    """
    job = _claimed(job_id)
    unit_id, region_codes = _reach(job)
    ids = list(db.session.scalars(assign.uncoded_equipment_stmt(unit_id, region_codes)))
    progress(0, total=len(ids))
    for start in range(0, len(ids), CHUNK):
        assign.assign_many(ids[start:start + CHUNK], job.requested_by_person_id)
        progress(min(start + CHUNK, len(ids)))
    db.session.refresh(job)
    job.status, job.finished_at = "done", utcnow()
    db.session.flush()


def _label_rows(where) -> Iterator[LabelText]:
    return assign.label_rows(where)


def _reach_clause(unit_id: int | None, region_codes: list[str] | None):
    return Equipment.use_unit_id == unit_id if unit_id is not None else Equipment.region_code.in_(region_codes)


def count_labels(unit_id: int | None, region_codes: list[str] | None) -> int:
    stmt = (select(func.count()).select_from(Code)
            .join(Equipment, (Code.target_type == assign.TARGET) & (Equipment.id == Code.target_id))
            .where(Code.status == "active", _reach_clause(unit_id, region_codes)))
    return db.session.scalar(stmt) or 0


def run_label_sheet(job_id: int, progress: work.Progress) -> None:
    """Render the labels of every coded device of the job's unit or region into one A4 PDF.

    Run by `LABEL_SHEET_WORK.perform` once it claimed the job; a dead run's job is drawn again
    whole. Raises InvalidInput (nothing_to_print) when no device of the reach has a code."""
    job = _claimed(job_id)
    unit_id, region_codes = _reach(job)
    total = count_labels(unit_id, region_codes)
    progress(0, total=total)
    if total == 0:
        raise InvalidInput("没有已赋码的设备，请先赋码。", code="nothing_to_print")
    labels = list(_label_rows(_reach_clause(unit_id, region_codes)))
    stream = io.BytesIO()
    write_sheet_pdf(labels, current_app.config["LABEL_FONT_PATH"], stream, progress=progress)
    stream.seek(0)
    stored = store_upload(stream, f"一码通标签-{job.id}.pdf", job.requested_by_person_id, job.requested_by_unit_id,
                          max_bytes=1024 * 1024 * 1024)
    db.session.refresh(job)
    job.file_id, job.processed = stored.id, total
    job.status, job.finished_at = "done", utcnow()
    db.session.flush()


def fail(job_id: int, message: str) -> None:
    """Record on the job that its run failed (flush; the job's edge commits)."""
    job = db.session.get(CodeJob, job_id)
    if job is not None:
        job.status, job.error, job.finished_at = "failed", message, utcnow()
        db.session.flush()


def _kind(kind: str, timeout: str) -> work.WorkKind:
    return work.WorkKind(f"onecode_{kind}", queue="reports", timeout=timeout, job_id=job_key,
                         waiting=_waiting(kind), claim=work.StatusClaim(CodeJob), fail=fail,
                         progress=work.RowProgress(CodeJob, "processed", "total", keep_done=True),
                         failure_message="处理失败，请稍后重试或联系运维。")


ASSIGN_WORK = _kind("assign", "CODE_ASSIGN_JOB_TIMEOUT")
LABEL_SHEET_WORK = _kind("label_sheet", "LABEL_SHEET_JOB_TIMEOUT")
WORK = {"assign": ASSIGN_WORK, "label_sheet": LABEL_SHEET_WORK}
