"""Reading inspection results, and their report files (检验报告, PDF).

Who sees a result (`core.scoping`): the agency that wrote it, the device's use unit (when the
result was recorded), and regulators over the device's region. The same parties download its
report. Only the agency that wrote it attaches the report: a PDF (checked by its content and size
like every upload, `core.storage`), idempotent (the same file or the same bytes again changes
nothing).
"""
from __future__ import annotations

import hashlib
import io
from datetime import date

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound
from core.extensions import db
from core.scoping import get_in_scope, scoped
from core.storage import StoredFile, TooLarge, store_upload
from models.equipment import Equipment
from models.findings import Finding
from models.inspection import InspectionResult
from services import findings
from services.inspection import results

PDF = "application/pdf"


# -- reading -------------------------------------------------------------------------------------

def get_result(identity: Identity, result_id: int) -> InspectionResult:
    """One result the identity may see (the agency, the use unit, regulators by region); 404 otherwise."""
    return get_in_scope(InspectionResult, result_id, identity, "未找到该检验结果。")


def result_findings(result: InspectionResult) -> list[Finding]:
    """The findings opened from the result's problems, in order."""
    return findings.for_source("inspection", result.id)


def list_results_stmt(identity: Identity, *, equipment_id: int | None = None, equipment_code: str | None = None,
                      inspection_type: str | None = None, conclusion: str | None = None,
                      forbids_use: bool | None = None, agency_unit_id: int | None = None,
                      date_from: date | None = None, date_to: date | None = None) -> Select:
    """Results the identity may see, filtered; the latest inspection first."""
    stmt = scoped(select(InspectionResult), InspectionResult, identity)
    for column, value in ((InspectionResult.equipment_id, equipment_id),
                          (InspectionResult.inspection_type, inspection_type),
                          (InspectionResult.conclusion, conclusion), (InspectionResult.forbids_use, forbids_use),
                          (InspectionResult.agency_unit_id, agency_unit_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if equipment_code is not None:
        stmt = stmt.where(InspectionResult.equipment_id.in_(
            select(Equipment.id).where(Equipment.equipment_code == equipment_code)))
    if date_from is not None:
        stmt = stmt.where(InspectionResult.inspection_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(InspectionResult.inspection_date <= date_to)
    stmt = stmt.options(selectinload(InspectionResult.equipment), selectinload(InspectionResult.agency_unit))
    return stmt.order_by(InspectionResult.inspection_date.desc(), InspectionResult.id.desc())


def report_file(identity: Identity, result_id: int) -> StoredFile:
    """The report PDF of a result the identity may see; 404 when none is attached."""
    result = get_result(identity, result_id)
    row = db.session.get(StoredFile, result.report_file_id) if result.report_file_id else None
    if row is None:
        raise NotFound("该检验结果尚未上传报告。", code="report_missing")
    return row


# -- attaching the report ----------------------------------------------------------------------

def _require_own(identity: Identity, result: InspectionResult) -> None:
    results.require_recorder(identity)
    if identity.unit_id != result.agency_unit_id:
        raise Forbidden("只有出具该检验结果的检验检测机构可以上传报告。", code="not_result_agency")


def attach_report(identity: Identity, result: InspectionResult, stored: StoredFile) -> InspectionResult:
    """Attach an uploaded file (the agency's own upload, a PDF) as the result's report.

    The same file, or a file with the same bytes, again changes nothing. Raises Forbidden
    (`not_result_agency`, as `results.require_recorder`), InvalidInput (`file_invalid`,
    `report_not_pdf`).
    """
    _require_own(identity, result)
    if stored.owner_unit_id != identity.unit_id:
        raise InvalidInput.field("file_id", "文件不存在或不属于本机构，请重新上传。", code="file_invalid")
    if stored.content_type != PDF:
        raise InvalidInput.field("file_id", "检验报告只接受 PDF 文件。", code="report_not_pdf")
    current = db.session.get(StoredFile, result.report_file_id) if result.report_file_id else None
    if current is not None and (current.id == stored.id or current.sha256 == stored.sha256):
        return result
    before = {"report_file_id": result.report_file_id, "sha256": current.sha256 if current else None}
    result.report_file_id = stored.id
    db.session.flush()
    audit.record(identity.audit_context(), "inspection_result.report", "inspection_result", result.id, before,
                 {"report_file_id": stored.id, "sha256": stored.sha256, "size": stored.size})
    return result


def report_sha256(result: InspectionResult) -> str | None:
    """The SHA-256 of the result's stored report, if any."""
    row = db.session.get(StoredFile, result.report_file_id) if result.report_file_id else None
    return row.sha256 if row else None


def own_result_by_report_no(identity: Identity, report_no: str) -> InspectionResult:
    """The caller agency's result with this report number; 404 for any other (another agency's too)."""
    results.require_recorder(identity)
    result = db.session.scalar(select(InspectionResult).where(InspectionResult.agency_unit_id == identity.unit_id,
                                                              InspectionResult.report_no == report_no))
    if result is None:
        raise NotFound("未找到本机构该报告编号的检验结果。", code="inspection_result_not_found")
    return result


def put_report_bytes(identity: Identity, report_no: str, data: bytes, content_type: str | None) -> tuple[InspectionResult, bool]:
    """The agency's machine sends the report PDF itself (PUT .../<report_no>/report.pdf).

    Returns the result and whether anything changed (the same bytes again: False). Raises NotFound
    (`inspection_result_not_found`), InvalidInput (`report_not_pdf`, `file_empty`), TooLarge (413).
    """
    result = own_result_by_report_no(identity, report_no)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if len(data) > limit:
        raise TooLarge(f"报告文件不能超过 {limit // (1024 * 1024)} MB。")
    if (content_type or "").split(";")[0].strip().lower() != PDF:
        raise InvalidInput("请求头 Content-Type 应为 application/pdf。", code="report_not_pdf",
                           details={"fields": {"Content-Type": ["应为 application/pdf。"]}})
    current = db.session.get(StoredFile, result.report_file_id) if result.report_file_id else None
    if current is not None and current.sha256 == hashlib.sha256(data).hexdigest():
        return result, False
    if not data.startswith(b"%PDF-"):
        raise InvalidInput("报告文件不是 PDF。", code="report_not_pdf", details={"fields": {"body": ["不是 PDF 文件。"]}})
    stored = store_upload(io.BytesIO(data), f"{report_no[:200]}.pdf", None, identity.unit_id, max_bytes=limit)
    attach_report(identity, result, stored)
    return result, True
