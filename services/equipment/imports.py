"""Excel import of historical equipment (「历史设备」导入): upload, dry run, import.

An upload is checked and stored, and an `EquipmentImport` row records it. Small
files (≤ IMPORT_INLINE_MAX_ROWS rows) are processed in the request; larger ones are
background work (`IMPORT_WORK`, job `jobs.equipment.process_import`), requested after
commit, which publishes its progress as it goes (on the row and in the rq job's meta).

- The dry run lists every row's errors (Excel row, column header, reason in Chinese)
  and what each row would do (create / update / unchanged); it writes nothing else.
- The import re-checks the file against the platform as it is now (another import
  may have run since the dry run) and writes all rows or none: any error and the
  file is `rejected`. Imports are serialised by an advisory lock, so two files
  naming the same 设备代码 cannot both create it.
- Idempotent: a row whose values are already on its record is `unchanged` and not
  rewritten. One audit entry per import, with the counts, not one per row.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from typing import BinaryIO

import psycopg
from flask import current_app
from sqlalchemy import Select, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from core import audit, work
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import scoped
from core.storage import StoredFile, TooLarge, detect_kind, get_storage, store_upload
from core.timeutil import utcnow
from models.equipment import IMPORT_STATUSES, Equipment, EquipmentImport
from models.orgs import Unit
from services.equipment.import_cells import count_data_rows, header_values, iter_rows, open_sheet
from services.equipment.import_check import Importer, Report, RowChecker
from services.equipment.import_plan import Plan, Planner
from services.equipment.import_template import map_headers
from services.equipment.records import require_manager

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WRITE_CHUNK = 2000
# New records by COPY on PostgreSQL (measured: bench/bench_equipment_import.py); False: the portable path.
POSTGRES_COPY = True
PROGRESS_EVERY = 1000
FINAL_STATUSES = frozenset({"checked", "imported", "rejected", "failed"})
WAITING_STATUSES = ("queued", "checking", "importing")
# Any 64-bit number would do; it serialises the writing phase of imports.
_IMPORT_LOCK = 7_340_021_003

Progress = Callable[[int], None]


def importer_for(identity: Identity) -> Importer:
    """Who may import: a regulator (records in its supervision subtree) or a use unit's
    manager (its own equipment). Raises Forbidden (not_equipment_manager) otherwise."""
    if identity.is_regulator:
        return Importer(identity.unit_id, identity.person_id, True, identity.region_codes, None, identity.client)
    require_manager(identity, identity.unit_id)
    uscc = db.session.scalar(select(Unit.uscc).where(Unit.id == identity.unit_id))
    return Importer(identity.unit_id, identity.person_id, False, None, uscc, identity.client)


def _read_upload(stream: BinaryIO, filename: str) -> bytes:
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件不能超过 {limit // (1024 * 1024)} MB。")
    if not data:
        raise InvalidInput.field("file", "文件为空。", code="file_empty")
    if not filename.lower().endswith(".xlsx") or detect_kind(filename, data[:16]).content_type != XLSX:
        raise InvalidInput("请上传按导入模板填写的 .xlsx 文件。", code="file_type_not_allowed",
                           details={"fields": {"file": ["只接受 .xlsx 文件。"]}})
    return data


def _count_rows(data: bytes) -> int:
    """The file's data rows; refuses a file that is not the template, empty or too long."""
    with open_sheet(data) as sheet:
        total = count_data_rows(sheet, map_headers(header_values(sheet)))
    limit = current_app.config["IMPORT_MAX_ROWS"]
    if total == 0:
        raise InvalidInput.field("file", "文件中没有设备数据（从第 2 行开始填写）。", code="import_file_empty")
    if total > limit:
        raise InvalidInput.field("file", f"一个文件最多 {limit} 行，本文件有 {total} 行，请拆分后分别导入。",
                                 code="import_too_many_rows")
    return total


def upload(identity: Identity, stream: BinaryIO, filename: str, dry_run: bool = True) -> EquipmentImport:
    """Check and store an uploaded .xlsx and start its dry run (or, with `dry_run=False`,
    its import). Processed at once up to IMPORT_INLINE_MAX_ROWS rows, otherwise requested as
    `IMPORT_WORK` (its job enqueued after commit, queue `default`).

    Raises Forbidden for who may not import, InvalidInput for a file that is not an
    .xlsx of the template, is empty or has more than IMPORT_MAX_ROWS rows.
    """
    importer = importer_for(identity)
    data = _read_upload(stream, filename)
    total = _count_rows(data)
    stored = store_upload(io.BytesIO(data), filename, identity.person_id, identity.unit_id)
    record = EquipmentImport(unit_id=identity.unit_id, region_code=identity.region_code, file_id=stored.id,
                             file_sha256=stored.sha256, dry_run=dry_run, status="queued", total_rows=total,
                             processed_rows=0, error_count=0, errors=[], created_by_person_id=identity.person_id,
                             summary={"filename": stored.filename, "importer": importer.as_dict()})
    db.session.add(record)
    db.session.flush()
    _start(record, importer, identity.audit_context(), data)
    return record


def commit_import(identity: Identity, record: EquipmentImport) -> EquipmentImport:
    """Import a file whose dry run was clean, all or nothing (re-checked first).

    Only the importing unit commits its file. Raises Forbidden (import_not_yours) and
    RuleViolation (import_not_committable) for a file not checked clean or already done.
    """
    importer = importer_for(identity)
    if record.unit_id != identity.unit_id:
        raise Forbidden("只有上传该文件的单位可以确认导入。", code="import_not_yours")
    db.session.refresh(record, with_for_update=True)
    if record.status != "checked" or record.error_count:
        reason = {"imported": "该文件已经导入。", "rejected": "该文件校验有错误，请修改后重新上传。",
                  "failed": "该文件处理失败，请重新上传。"}.get(record.status, "该文件尚未校验完成，请稍后再试。")
        raise RuleViolation(reason, code="import_not_committable", details={"status": record.status})
    record.dry_run = False
    record.status = "queued"
    record.summary = {**record.summary, "importer": importer.as_dict()}
    db.session.flush()
    _start(record, importer, identity.audit_context(), None)
    return record


def _start(record: EquipmentImport, importer: Importer, ctx: audit.AuditContext, data: bytes | None) -> None:
    if record.total_rows > current_app.config["IMPORT_INLINE_MAX_ROWS"]:
        IMPORT_WORK.request(record.id)
        return
    if not record.dry_run:
        _lock_writers()
    run(record, importer, ctx, data if data is not None else read_file(record))


def job_id(import_id: int) -> str:
    """The rq job id of an import's dry run or import: one job per phase, the same in the sweep."""
    dry_run = db.session.scalar(select(EquipmentImport.dry_run).where(EquipmentImport.id == import_id))
    return f"equipment-import-{import_id}-{'check' if dry_run else 'import'}"


def waiting(before: datetime) -> list[int]:
    """Imports not finished and untouched since `before`: a job whose enqueue was lost (still
    `queued`), or whose run died after publishing `checking` / `importing` (what it wrote was
    rolled back with it). For the sweep of lost work (`IMPORT_WORK`)."""
    return list(db.session.scalars(
        select(EquipmentImport.id)
        .where(EquipmentImport.status.in_(WAITING_STATUSES), EquipmentImport.updated_at < before)
        .order_by(EquipmentImport.id)))


def process(import_id: int, progress: work.Progress | None = None) -> EquipmentImport | None:
    """The job's work (run by `IMPORT_WORK.perform`, which claimed the import for this
    transaction): a queued dry run or import. A run after a finished one finds it final and does
    nothing. The importer is the one recorded when the file was uploaded or committed. Progress
    (status, then rows checked) goes through `progress`, on a connection of its own."""
    record = db.session.get(EquipmentImport, import_id, populate_existing=True)
    if record is None or record.status in FINAL_STATUSES:
        return record
    importer = Importer.from_dict(record.summary["importer"])
    if progress is not None:
        progress(0, status="checking" if record.dry_run else "importing")
    if not record.dry_run:
        _lock_writers()
    ctx = audit.AuditContext(importer.person_id, importer.unit_id, "job")
    return run(record, importer, ctx, read_file(record), progress)


def read_file(record: EquipmentImport) -> bytes:
    stored = db.session.get(StoredFile, record.file_id)
    with get_storage().open(stored.storage_key) as handle:
        return handle.read()


def _lock_writers() -> None:
    """Serialise imports that write, so each checks against what the one before wrote."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _IMPORT_LOCK})


def run(record: EquipmentImport, importer: Importer, ctx: audit.AuditContext, data: bytes,
        progress: Progress | None = None) -> EquipmentImport:
    """Check every row, plan the changes and, for an import with no error, write them.

    `progress(rows)` is called every PROGRESS_EVERY rows. All writes happen in the
    caller's transaction (committed once at the edge): nothing is written when any
    row has an error.
    """
    report = Report()
    checker = RowChecker(importer, report)
    rows = []
    limit = current_app.config["IMPORT_MAX_ROWS"]
    with open_sheet(data) as sheet:
        for number, raw in iter_rows(sheet, map_headers(header_values(sheet))):
            if len(rows) == limit:
                raise InvalidInput.field("file", f"一个文件最多 {limit} 行，请拆分后分别导入。",
                                         code="import_too_many_rows")
            rows.append(checker.check(number, raw))
            if progress is not None and len(rows) % PROGRESS_EVERY == 0:
                progress(len(rows))
    plan = Planner(rows, importer, report).plan()
    write = not record.dry_run and report.error_count == 0
    if write:
        try:
            _write(plan)
        except IntegrityError as exc:  # a device added elsewhere meanwhile, outside the import lock
            raise Conflict("导入时与平台上同时新增的设备冲突，请重新上传校验。", code="import_conflict") from exc
    db.session.expire(record, ["status", "processed_rows"])  # a job's progress wrote them meanwhile
    counts = plan.counts()
    record.total_rows = record.processed_rows = len(rows)
    record.error_count = report.error_count
    record.errors = report.errors
    record.summary = {**record.summary, "counts": counts, "warning_count": report.warning_count,
                      "warnings": report.warnings, "rows": plan.row_details(), "action_ranges": plan.action_ranges()}
    record.status = "imported" if write else "rejected" if report.error_count else "checked"
    record.finished_at = utcnow()
    db.session.flush()
    if write:
        audit.record(ctx, "equipment.import", "equipment_import", record.id, None,
                     {"file_sha256": record.file_sha256, "filename": record.summary.get("filename"),
                      "rows": len(rows), **{k: counts[k] for k in ("create", "update", "unchanged")}})
    return record


def _write(plan: Plan) -> None:
    """Write the plan in the current transaction: new records by COPY on PostgreSQL (the
    portable ORM bulk INSERT elsewhere), changed ones by bulk UPDATE by primary key."""
    if POSTGRES_COPY and db.session.get_bind().dialect.name == "postgresql":
        insert_by_copy(plan.creates)
    else:
        insert_portable(plan.creates)
    for start in range(0, len(plan.updates), WRITE_CHUNK):
        db.session.execute(update(Equipment), plan.updates[start:start + WRITE_CHUNK])


def insert_portable(rows: list[dict]) -> None:
    """ORM bulk INSERT (executemany) in chunks; any engine."""
    for start in range(0, len(rows), WRITE_CHUNK):
        db.session.execute(insert(Equipment), rows[start:start + WRITE_CHUNK])


def insert_by_copy(rows: list[dict]) -> None:
    """COPY ... FROM STDIN on the session's own connection, so inside its transaction
    (rolled back with it). PostgreSQL only; several times faster than executemany."""
    if not rows:
        return
    columns = list(rows[0])
    cursor = db.session.connection().connection.driver_connection.cursor()
    statement = f"COPY {Equipment.__tablename__} ({', '.join(columns)}) FROM STDIN"
    try:
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])
    except psycopg.IntegrityError as exc:
        raise IntegrityError(statement, None, exc) from exc


def mark_failed(import_id: int, message: str) -> None:
    """Record that a job could not finish (its writes were rolled back)."""
    record = db.session.get(EquipmentImport, import_id)
    if record is None or record.status in FINAL_STATUSES:
        return
    record.status = "failed"
    record.finished_at = utcnow()
    record.summary = {**record.summary, "failure": message}
    db.session.flush()


def list_imports_stmt(identity: Identity, status: str | None = None) -> Select:
    """Imports the identity may see (its unit's, or its regions' for a regulator), newest first."""
    stmt = scoped(select(EquipmentImport), EquipmentImport, identity)
    if status:
        stmt = stmt.where(EquipmentImport.status == status)
    return stmt.order_by(EquipmentImport.id.desc())


def status_label(record: EquipmentImport) -> str:
    return IMPORT_STATUSES.get(record.status, record.status)


# Progress goes on a connection of its own: the import is all or nothing, so its transaction stays
# open to the end and its final update overwrites what progress said.
IMPORT_WORK = work.WorkKind(
    "equipment_import", queue="default", timeout="IMPORT_JOB_TIMEOUT", job_id=job_id, waiting=waiting,
    claim=work.advisory_claim, fail=mark_failed,
    progress=work.RowProgress(EquipmentImport, "processed_rows", "total_rows", keep_done=False),
    failure_message="处理失败，请稍后重新上传；如仍失败请联系运维人员。")
