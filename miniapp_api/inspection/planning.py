"""Planning accepted applications, and the late lists for the agency and its regulators."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from miniapp_api.schemas.inspection.applications import (InspectionApplicationFullSchema,
                                                         InspectionApplicationPageSchema, LateCountsQuery,
                                                         LateCountsSchema, LateQuery, PlanInput)
from services.inspection import applications, planning

blp = Blueprint("inspection_planning", __name__, url_prefix="/api/v1/inspection", description="检验安排与期限")


@blp.post("/applications/<int:application_id>/plan")
@idempotent
@blp.arguments(PlanInput)
@blp.response(200, InspectionApplicationFullSchema)
def plan(data, application_id):
    """The agency plans (or re-plans) an accepted application: the date and the inspectors."""
    identity = require_login()
    application = applications.get_application(identity, application_id)
    return applications.plan(identity, application, data["planned_date"], data["inspector_person_ids"],
                             data.get("note"))


@blp.get("/late")
@blp.arguments(LateQuery, location="query")
@blp.response(200, InspectionApplicationPageSchema)
def late(args):
    """Applications late to plan (kind=plan) or to report (kind=report): the agency's own, a
    regulator's region; the most overdue first."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    kind = args.pop("kind")
    return paginate(planning.late_stmt(identity, kind, **args), page, size)


@blp.get("/late/counts")
@blp.arguments(LateCountsQuery, location="query")
@blp.response(200, LateCountsSchema)
def late_counts(args):
    """How many pending applications are late to plan and to report."""
    return planning.late_counts(require_login(), **args)
