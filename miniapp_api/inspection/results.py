"""Inspection results (检验结果) by hand: the agency's staff record one result and attach its
report; the parties and regulators read them (the agency's machine sends the same records in
batches through /open/v1/inspection/results)."""
from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.errors import InvalidInput
from core.extensions import db
from core.idempotency import idempotent
from core.pagination import paginate
from core.storage import StoredFile, get_storage
from miniapp_api.schemas.inspection.results import (ReportAttachInput, ResultDetailSchema, ResultInput,
                                                    ResultPageSchema, ResultQuery)
from models.inspection import InspectionResult
from services.inspection import results, results_reports

blp = Blueprint("inspection_results", __name__, url_prefix="/api/v1/inspection", description="检验结果与报告")


def _detail(result: InspectionResult) -> InspectionResult:
    result.found = results_reports.result_findings(result)
    return result


@blp.post("/results")
@idempotent
@blp.arguments(ResultInput)
@blp.response(201, ResultDetailSchema)
def record(data):
    """The agency records one result (by its report number: the same again changes nothing, new
    content corrects it); the device follows (due dates, code colour, findings)."""
    identity = require_login()
    outcome = results.record_results(identity, [data])[0]
    if outcome.error is not None:
        raise outcome.error
    return _detail(results_reports.get_result(identity, outcome.id))


@blp.get("/results")
@blp.arguments(ResultQuery, location="query")
@blp.response(200, ResultPageSchema)
def list_results(args):
    """Results the caller may see: the agency its own, the use unit its devices', regulators their region's."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(results_reports.list_results_stmt(identity, **args), page, size)


@blp.get("/results/<int:result_id>")
@blp.response(200, ResultDetailSchema)
def get(result_id):
    """One result with the findings its problems opened."""
    return _detail(results_reports.get_result(require_login(), result_id))


@blp.put("/results/<int:result_id>/report")
@idempotent
@blp.arguments(ReportAttachInput)
@blp.response(200, ResultDetailSchema)
def attach_report(data, result_id):
    """The agency attaches the report PDF it uploaded (POST /api/v1/uploads); the same file again changes nothing."""
    identity = require_login()
    result = results_reports.get_result(identity, result_id)
    stored = db.session.get(StoredFile, data["file_id"])
    if stored is None:
        raise InvalidInput.field("file_id", "文件不存在或不属于本机构，请重新上传。", code="file_invalid")
    return _detail(results_reports.attach_report(identity, result, stored))


@blp.get("/results/<int:result_id>/report.pdf")
@blp.doc(responses={"200": binary_response("application/pdf", description="检验报告 PDF")})
def download_report(result_id):
    """The report PDF: the agency, the use unit and regulators over the device's region."""
    row = results_reports.report_file(require_login(), result_id)
    return send_file(get_storage().open(row.storage_key), mimetype=row.content_type,
                     download_name=row.filename, as_attachment=True)
