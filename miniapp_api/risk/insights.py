"""Risk statistics, periodic risk-assessment reports, typical cases, ratings and recognition."""
from __future__ import annotations

import io

from flask import send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import Page, paginate
from core.storage import get_storage
from core.timeutil import business_today
from miniapp_api.schemas.risk.insights import (CaseInput, CasePageSchema, CaseQuery, CaseSchema, CaseUpdateInput,
                                               RiskExportQuery, PeriodicInput, PeriodicQuery,
                                               PeriodicReportDetailSchema, PeriodicReportPageSchema, RiskRatingInput,
                                               RiskRatingSchema, RecognitionQuery, RecognitionSchema, RiskStatisticsQuery,
                                               RiskStatisticsSchema)
from services.risk import cases, periodic, recognition, statistics

blp = Blueprint("risk_insights", __name__, url_prefix="/api/v1/risk",
                description="风险信息统计、风险评估报告、典型案例与表彰")

MIMETYPES = {"pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


# -- statistics ----------------------------------------------------------------------------------------

@blp.get("/statistics")
@blp.arguments(RiskStatisticsQuery, location="query")
@blp.response(200, RiskStatisticsSchema)
def get_statistics(args):
    """Counts and handling times of the reports submitted in the window, in the caller's scope
    (a regulator: its subtree; the province and the risk centre: all). No reporter identity."""
    return statistics.report_statistics(require_login(), args.get("date_from"), args.get("date_to"),
                                        args["group_by"], business_today(), args.get("region_code"))


# -- periodic reports ------------------------------------------------------------------------------------

@blp.get("/periodic-reports")
@blp.arguments(PeriodicQuery, location="query")
@blp.response(200, PeriodicReportPageSchema)
def list_periodic(args):
    """Monthly and quarterly risk-assessment reports (every regulator and the risk centre)."""
    return paginate(periodic.list_stmt(require_login(), args.get("period_type")), args["page"], args["page_size"])


@blp.post("/periodic-reports")
@idempotent
@blp.arguments(PeriodicInput)
@blp.response(202, PeriodicReportDetailSchema)
def request_periodic(data):
    """(Re)generate a month's or quarter's report (the province or the centre); made by a job —
    poll the report until `status` is `done`."""
    row, _ = periodic.request_report(require_login(), data["period_type"], data["period"].strip(),
                                     business_today())
    return row


@blp.get("/periodic-reports/<int:report_id>")
@blp.response(200, PeriodicReportDetailSchema)
def get_periodic(report_id):
    return periodic.get_report(require_login(), report_id)


@blp.get("/periodic-reports/<int:report_id>/<any(pdf, xlsx):fmt>")
@blp.doc(responses={"200": binary_response(*MIMETYPES.values())})
def periodic_file(report_id, fmt):
    """The report's PDF or its statistics as .xlsx."""
    row = periodic.get_report(require_login(), report_id)
    stored = periodic.stored_file(row, fmt)
    return send_file(get_storage().open(stored.storage_key), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=stored.filename)


# -- typical cases ---------------------------------------------------------------------------------------

@blp.get("/cases")
@blp.arguments(CaseQuery, location="query")
@blp.response(200, CasePageSchema)
def list_cases(args):
    """Published typical cases (every regulator and the centre); drafts for their authors, the
    province and the centre."""
    identity = require_login()
    page = paginate(cases.list_stmt(identity, args.get("status"), args.get("q")), args["page"], args["page_size"])
    return Page(cases.describe(identity, page.items), page.page, page.page_size, page.total)


@blp.post("/cases")
@idempotent
@blp.arguments(CaseInput)
@blp.response(201, CaseSchema)
def create_case(data):
    """Write a closed report up as a draft case (the province, the centre, or a regulator that handled it)."""
    identity = require_login()
    case = cases.create_case(identity, data.pop("report_id"), data)
    return cases.describe(identity, [case])[0]


@blp.get("/cases/<int:case_id>")
@blp.response(200, CaseSchema)
def get_case(case_id):
    identity = require_login()
    return cases.describe(identity, [cases.get_case(identity, case_id)])[0]


@blp.patch("/cases/<int:case_id>")
@blp.arguments(CaseUpdateInput)
@blp.response(200, CaseSchema)
def update_case(data, case_id):
    """Edit a draft (its author, the province or the centre)."""
    identity = require_login()
    case = cases.update_case(identity, cases.get_case(identity, case_id), data)
    return cases.describe(identity, [case])[0]


@blp.post("/cases/<int:case_id>/publish")
@idempotent
@blp.response(200, CaseSchema)
def publish_case(case_id):
    """Publish a draft to every regulator (the province or the centre)."""
    identity = require_login()
    case = cases.publish_case(identity, cases.get_case(identity, case_id))
    return cases.describe(identity, [case])[0]


# -- ratings and recognition ----------------------------------------------------------------------------

@blp.post("/reports/<int:report_id>/rating")
@idempotent
@blp.arguments(RiskRatingInput)
@blp.response(201, RiskRatingSchema)
def rate_report(data, report_id):
    """An expert or the centre rates a closed report: quality 1-5 and adopted; once per rater.
    Points: quality × 2 + 5 if adopted."""
    rating = recognition.rate(require_login(), report_id, data["quality"], data["adopted"])
    return rating


@blp.get("/reports/<int:report_id>/ratings")
@blp.response(200, RiskRatingSchema(many=True))
def list_ratings(report_id):
    return recognition.ratings_of(require_login(), report_id)


@blp.get("/recognition")
@blp.arguments(RecognitionQuery, location="query")
@blp.response(200, RecognitionSchema)
def get_recognition(args):
    """The period's ranking of reporters or points (the province, the centre, a point's own manager);
    a view naming reporters of other units is audited."""
    result = recognition.ranking(require_login(), args["period"].strip(), args["by"])
    return result


@blp.get("/recognition/export.xlsx")
@blp.arguments(RiskExportQuery, location="query")
@blp.doc(responses={"200": binary_response(MIMETYPES["xlsx"])})
def export_recognition(args):
    """The period's commendation list (表彰名单) as .xlsx (the province and the centre; audited)."""
    data, filename = recognition.commendation_xlsx(require_login(), args["period"].strip())
    return send_file(io.BytesIO(data), mimetype=MIMETYPES["xlsx"], as_attachment=True, download_name=filename)
