"""Bulk one-code work for a unit or a region, as rq jobs with progress:
assigning codes to every in-use device, and printing label sheets (A4 PDF)."""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from core import audit, tx
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
    tx.enqueue_after_commit(job_function(kind), job.id, queue="reports", job_id=job_key(job.id))
    return job


def job_function(kind: str) -> str:
    """The rq job that carries out a bulk job of this kind."""
    return f"jobs.onecode.run_{kind}_job"


def job_key(job_id: int) -> str:
    """The rq job id of a bulk job, the same at the first enqueue and in the sweep."""
    return f"onecode-job-{job_id}"


def waiting(before: datetime) -> list[tuple[int, str]]:
    """(id, kind) of bulk jobs untouched since `before`: still `queued` (their enqueue was lost)
    or `running` with no progress since (their worker died). For `jobs.maintenance.sweep_lost_jobs`,
    which leaves alone any whose rq job is still alive."""
    return [(row.id, row.kind) for row in db.session.execute(
        select(CodeJob.id, CodeJob.kind).where(CodeJob.status.in_(("queued", "running")), CodeJob.updated_at < before)
        .order_by(CodeJob.id))]


def claim(job_id: int) -> CodeJob | None:
    """Move a bulk job to `running` (the caller's first progress commits it), or None when another
    run holds it or it is over.

    The conditional UPDATE is the claim: it takes a `queued` job, or a `running` one whose run
    made no progress for JOB_SWEEP_GRACE_SECONDS (its worker died: progress is committed every
    chunk). Of two runs of one job, the second waits on the first's row lock, then updates
    nothing and does nothing; a run after a finished (or failed) one does nothing either. Taking
    over is safe: assignment skips devices already coded and a sheet is drawn again whole.
    """
    stale = utcnow() - timedelta(seconds=current_app.config["JOB_SWEEP_GRACE_SECONDS"])
    claimable = or_(CodeJob.status == "queued", and_(CodeJob.status == "running", CodeJob.updated_at < stale))
    claimed = db.session.execute(update(CodeJob).where(CodeJob.id == job_id, claimable)
                                 .values(status="running", updated_at=utcnow())).rowcount
    if not claimed:
        return None
    return db.session.get(CodeJob, job_id, populate_existing=True)


def _reach(job: CodeJob) -> tuple[int | None, list[str] | None]:
    if job.unit_id is not None:
        return job.unit_id, None
    return None, sorted(regions.subtree_codes(job.region_code))


def _progress(job: CodeJob, processed: int) -> None:
    """Progress lives only on the job row; committing it shows a polling client how far we are."""
    job.processed = processed
    tx.commit()


def run_assign(job_id: int) -> None:
    """Issue codes to every in-use device of the job's unit or region that has none, chunk by chunk.

    Each chunk commits: codes issued stay issued. Run twice, the second run finds the job
    claimed (`claim`) and does nothing.
    """
    job = claim(job_id)
    if job is None:
        return
    unit_id, region_codes = _reach(job)
    ids = list(db.session.scalars(assign.uncoded_equipment_stmt(unit_id, region_codes)))
    job.total = len(ids)
    _progress(job, 0)
    for start in range(0, len(ids), CHUNK):
        assign.assign_many(ids[start:start + CHUNK], job.requested_by_person_id)
        _progress(job, min(start + CHUNK, len(ids)))
    job.status, job.finished_at = "done", utcnow()
    tx.commit()


def _label_rows(where) -> Iterator[LabelText]:
    return assign.label_rows(where)


def _reach_clause(unit_id: int | None, region_codes: list[str] | None):
    return Equipment.use_unit_id == unit_id if unit_id is not None else Equipment.region_code.in_(region_codes)


def label_for(code: str) -> LabelText:
    """What one active code's label says."""
    return next(_label_rows(Code.code == code))


def count_labels(unit_id: int | None, region_codes: list[str] | None) -> int:
    stmt = (select(func.count()).select_from(Code)
            .join(Equipment, (Code.target_type == assign.TARGET) & (Equipment.id == Code.target_id))
            .where(Code.status == "active", _reach_clause(unit_id, region_codes)))
    return db.session.scalar(stmt) or 0


def run_label_sheet(job_id: int) -> None:
    """Render the labels of every coded device of the job's unit or region into one A4 PDF.

    Run twice, the second run finds the job claimed (`claim`) and does nothing."""
    job = claim(job_id)
    if job is None:
        return
    unit_id, region_codes = _reach(job)
    job.total = count_labels(unit_id, region_codes)
    _progress(job, 0)
    if job.total == 0:
        raise InvalidInput("没有已赋码的设备，请先赋码。", code="nothing_to_print")
    labels = list(_label_rows(_reach_clause(unit_id, region_codes)))
    stream = io.BytesIO()
    write_sheet_pdf(labels, current_app.config["LABEL_FONT_PATH"], stream, progress=lambda done: _progress(job, done))
    stream.seek(0)
    stored = store_upload(stream, f"一码通标签-{job.id}.pdf", job.requested_by_person_id, job.requested_by_unit_id,
                          max_bytes=1024 * 1024 * 1024)
    job.file_id, job.processed = stored.id, job.total
    job.status, job.finished_at = "done", utcnow()
    tx.commit()


def fail(job_id: int, message: str) -> None:
    job = db.session.get(CodeJob, job_id)
    job.status, job.error, job.finished_at = "failed", message, utcnow()
    tx.commit()
