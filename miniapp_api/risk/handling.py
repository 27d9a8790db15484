"""Handling risk reports level by level, expert assessment, similar reports and overdue lists.

`POST /api/v1/risk/reports/<id>/<action>`: one route per action of the state machine
(`services.risk.handling.TRANSITIONS`), each with its own input; every one answers with the
handler's view of the report and what the caller may do next.
"""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import Identity, require_login
from core.idempotency import idempotent
from core.pagination import paginate
from miniapp_api.schemas.risk.handling import (ExpertPoolSchema, HandlingResultSchema, HandlingSummaryPageSchema,
                                               MyExpertAssignmentPageSchema, RiskAgencyOpinionInput,
                                               RiskAssessmentSchema, RiskAssignExpertsInput, RiskAssignmentQuery,
                                               RiskCloseInput, RiskConsolidateInput, RiskConsultAgencyInput,
                                               RiskExpertQuery, RiskMergeInput, RiskOpinionInput, RiskOverdueQuery,
                                               RiskReasonInput, RiskReportDoneInput, RiskSendMeasuresInput,
                                               SimilarReportSchema)
from models.risk import RiskReport
from services.risk import access, assessment, deadlines, experts, handling, similar

blp = Blueprint("risk_handling", __name__, url_prefix="/api/v1/risk", description="风险信息逐级处置与专家评估")

def _load(identity: Identity, report_id: int) -> RiskReport:
    return access.get_visible(identity, report_id)


def _result(identity: Identity, report: RiskReport) -> dict:
    return {"report": report, "allowed_actions": handling.allowed_actions(identity, report)}


@blp.get("/reports/<int:report_id>/handling")
@blp.response(200, HandlingResultSchema)
def get_handling(report_id):
    """Where the report is, its path, and the actions the caller may take now."""
    identity = require_login()
    return _result(identity, handling.load_for_agency(identity, report_id))


# -- county, city, province -----------------------------------------------------------------

@blp.post("/reports/<int:report_id>/close")
@idempotent
@blp.arguments(RiskCloseInput)
@blp.response(200, HandlingResultSchema)
def close(data, report_id):
    """办结: the holder closes the report with the measures taken."""
    identity = require_login()
    return _result(identity, handling.close(identity, _load(identity, report_id), data["measures"]))


@blp.post("/reports/<int:report_id>/escalate")
@idempotent
@blp.arguments(RiskReasonInput)
@blp.response(200, HandlingResultSchema)
def escalate(data, report_id):
    """上报: county → city → province, with the reason it could not be handled here."""
    identity = require_login()
    return _result(identity, handling.escalate(identity, _load(identity, report_id), data["reason"]))


@blp.post("/reports/<int:report_id>/send_back")
@idempotent
@blp.arguments(RiskReasonInput)
@blp.response(200, HandlingResultSchema)
def send_back(data, report_id):
    """退回: one level down, to the body that held it there, with a reason."""
    identity = require_login()
    return _result(identity, handling.send_back(identity, _load(identity, report_id), data["reason"]))


@blp.post("/reports/<int:report_id>/merge")
@idempotent
@blp.arguments(RiskMergeInput)
@blp.response(200, HandlingResultSchema)
def merge(data, report_id):
    """合并: the report is about the same hazard as `into_id`, which carries on."""
    identity = require_login()
    report = handling.merge(identity, _load(identity, report_id), data["into_id"], data["note"])
    return _result(identity, report)


@blp.post("/reports/<int:report_id>/consult_agency")
@idempotent
@blp.arguments(RiskConsultAgencyInput)
@blp.response(200, HandlingResultSchema)
def consult_agency(data, report_id):
    """商同级综合检验机构: the city asks an inspection agency of its area for an opinion."""
    identity = require_login()
    report = handling.consult_agency(identity, _load(identity, report_id), data["agency_unit_id"], data["note"])
    return _result(identity, report)


@blp.post("/reports/<int:report_id>/agency_opinion")
@idempotent
@blp.arguments(RiskAgencyOpinionInput)
@blp.response(200, HandlingResultSchema)
def agency_opinion(data, report_id):
    """The consulted agency's opinion, by its staff or recorded by the city."""
    identity = require_login()
    report = handling.load_for_agency(identity, report_id)
    return _result(identity, handling.agency_opinion(identity, report, data["opinion"], data["agency_unit_id"]))


@blp.post("/reports/<int:report_id>/report_done")
@idempotent
@blp.arguments(RiskReportDoneInput)
@blp.response(200, HandlingResultSchema)
def report_done(data, report_id):
    """The locality reports the province's measures carried out; the report closes."""
    identity = require_login()
    return _result(identity, handling.report_done(identity, _load(identity, report_id), data["note"]))


# -- the province: experts and measures ---------------------------------------------------------

@blp.post("/reports/<int:report_id>/assign_experts")
@idempotent
@blp.arguments(RiskAssignExpertsInput)
@blp.response(200, HandlingResultSchema)
def assign_experts(data, report_id):
    """指派专家 from the pool (the province or its risk centre); the report is being assessed."""
    identity = require_login()
    report = _load(identity, report_id)
    experts.assign(identity, report, data["expert_person_ids"], data["note"])
    return _result(identity, report)


@blp.post("/reports/<int:report_id>/opinion")
@idempotent
@blp.arguments(RiskOpinionInput)
@blp.response(200, HandlingResultSchema)
def opinion(data, report_id):
    """An assigned expert's classification, risk level and opinion (once)."""
    identity = require_login()
    report = _load(identity, report_id)
    experts.submit_opinion(identity, report, data["classification"], data["risk_level"], data["opinion"])
    return _result(identity, report)


@blp.post("/reports/<int:report_id>/consolidate")
@idempotent
@blp.arguments(RiskConsolidateInput)
@blp.response(200, HandlingResultSchema)
def consolidate(data, report_id):
    """汇总: the centre writes classification, risk level and mitigation measures from the opinions."""
    identity = require_login()
    report = assessment.consolidate(identity, _load(identity, report_id), data["classification"],
                                    data["risk_level"], data["measures"])
    return _result(identity, report)


@blp.post("/reports/<int:report_id>/send_measures")
@idempotent
@blp.arguments(RiskSendMeasuresInput)
@blp.response(200, HandlingResultSchema)
def send_measures(data, report_id):
    """下发措施 to the body where the report started, which carries them out."""
    identity = require_login()
    return _result(identity, assessment.send_measures(identity, _load(identity, report_id), data["note"]))


@blp.get("/reports/<int:report_id>/assessment")
@blp.response(200, RiskAssessmentSchema)
def get_assessment(report_id):
    """The experts' opinions (the province sees all; an expert their own) and the consolidation."""
    identity = require_login()
    report = _load(identity, report_id)
    return {"report_id": report.id, "status": report.status, "classification": report.classification,
            "risk_level": report.risk_level, "measures": report.measures,
            "assignments": experts.assessment_view(identity, report)}


@blp.get("/experts")
@blp.arguments(RiskExpertQuery, location="query")
@blp.response(200, ExpertPoolSchema(many=True))
def list_experts(args):
    """The expert pool, by specialty; with `report_id`, those matching the report first."""
    identity = require_login()
    experts.require_province_body(identity)
    report = _load(identity, args["report_id"]) if args.get("report_id") else None
    return experts.expert_pool(args.get("specialty"), report)


@blp.get("/expert/assignments")
@blp.arguments(RiskAssignmentQuery, location="query")
@blp.response(200, MyExpertAssignmentPageSchema)
def my_assignments(args):
    """The caller's own assessment tasks, newest first."""
    identity = require_login()
    page = paginate(experts.my_assignments_stmt(identity, args.get("pending")), args["page"], args["page_size"],
                    scalars=False)
    page.items = [{"assignment": a, "report": r} for a, r in page.items]
    return page


# -- similar and overdue ---------------------------------------------------------------------------

@blp.get("/reports/<int:report_id>/similar")
@blp.response(200, SimilarReportSchema(many=True))
def list_similar(report_id):
    """Open reports like this one (same device first, then by text), candidates for `merge`."""
    identity = require_login()
    return similar.similar_reports(identity, _load(identity, report_id))


@blp.get("/overdue")
@blp.arguments(RiskOverdueQuery, location="query")
@blp.response(200, HandlingSummaryPageSchema)
def list_overdue(args):
    """Overdue open reports for the level above: a city its counties', the province all."""
    identity = require_login()
    return paginate(deadlines.overdue_stmt(identity, holder_region_code=args.get("holder_region_code")),
                    args["page"], args["page_size"])
