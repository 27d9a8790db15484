"""Risk reports: intake from the mini program or the PC, lists, the visible path, files, and
what the reporter's unit did about it."""
from __future__ import annotations

from flask import jsonify, send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.storage import get_storage
from miniapp_api.schemas.risk.reports import (FileQuery, ReportDetailQuery, ReportDetailSchema,
                                              ReportDetailWithReporterSchema, ReportInput, ReportPageSchema,
                                              ReportQuery, UnitActionInput)
from services.risk import access, intake, media

blp = Blueprint("risk_reports", __name__, url_prefix="/api/v1/risk", description="风险信息报送")


def _detail(identity, report, include_reporter: bool = True):
    """One schema per audience: the reporter's own unit sees who reported; others too, audited."""
    if access.in_reporter_unit(identity, report) or include_reporter:
        intake.record_reporter_view(identity, report)
        return ReportDetailWithReporterSchema().dump(report)
    return ReportDetailSchema().dump(report)


@blp.post("/reports")
@idempotent
@blp.arguments(ReportInput)
@blp.response(201, ReportDetailWithReporterSchema)
def submit(data):
    """报送风险信息. Send an `Idempotency-Key`: a retry on a weak network makes one report.

    An emergency (flagged, or a text that reads like one) is answered 409 `emergency_not_accepted`
    with the 96333 / 119 / 120 guidance; send `not_emergency_confirmed: true` when it is not one.
    """
    identity = require_login()
    return intake.submit_report(identity, data)


@blp.get("/reports")
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportPageSchema)
def list_reports(args):
    """Reports the caller may see, newest first (no reporter identity in lists)."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(intake.list_reports_stmt(identity, **args), page, size)


@blp.get("/reports/<int:report_id>")
@blp.arguments(ReportDetailQuery, location="query")
@blp.response(200, ReportDetailWithReporterSchema)
def get_report(args, report_id):
    """The report and its whole visible path: each step, the holding office and its deadline.

    Outside the reporter's unit, showing the reporter writes an audit entry; pass
    `include_reporter=false` to see the report without them.
    """
    identity = require_login()
    report = access.get_visible(identity, report_id)
    return jsonify(_detail(identity, report, args["include_reporter"]))


@blp.get("/reports/<int:report_id>/files/<string:file_id>")
@blp.arguments(FileQuery, location="query")
@blp.doc(responses={"200": binary_response("*/*", description="报送时上传的文件（原样返回）")})
def download_file(args, report_id, file_id):
    """A photo (or its thumbnail, `?thumbnail=true`) or a document of a report the caller may see."""
    identity = require_login()
    report = access.get_visible(identity, report_id)
    row = media.report_file(report.photo_ids, report.document_ids, file_id, args["thumbnail"])
    return send_file(get_storage().open(row.storage_key), mimetype=row.content_type, download_name=row.filename,
                     as_attachment=not row.content_type.startswith("image/"))


@blp.post("/reports/<int:report_id>/unit-action")
@blp.arguments(UnitActionInput)
@blp.response(200, ReportDetailWithReporterSchema)
def unit_action(data, report_id):
    """The reporter's unit's (quality) safety director records what the unit did about it."""
    identity = require_login()
    report = access.get_visible(identity, report_id)
    return intake.record_unit_action(identity, report, data["action"])
