"""Inspection applications (报检) to inspection agencies, and the agencies to choose from."""
from __future__ import annotations

from flask import jsonify
from flask_smorest import Blueprint

from core.auth import Identity, require_login
from core.idempotency import idempotent
from core.pagination import paginate
from miniapp_api.schemas.inspection.applications import (AcceptInput, AgencyPageSchema, AgencyQuery,
                                            InspectionApplicationDetailSchema, InspectionApplicationFullSchema,
                                            InspectionApplicationInput, InspectionApplicationPageSchema,
                                            InspectionApplicationQuery, RefuseInput, WithdrawInput)
from models.inspection import InspectionApplication
from services.inspection import agencies, applications, kinds

blp = Blueprint("inspection", __name__, url_prefix="/api/v1/inspection", description="检验申请（报检）")


def _dump(identity: Identity, application: InspectionApplication):
    """The whole contact phone for the two parties; masked for regulators."""
    schema = (InspectionApplicationFullSchema() if applications.sees_contact(identity, application)
              else InspectionApplicationDetailSchema())
    return jsonify(schema.dump(application))


@blp.post("/applications")
@idempotent
@blp.arguments(InspectionApplicationInput)
@blp.response(201, InspectionApplicationFullSchema)
def submit(data):
    """Apply to an inspection agency for an inspection of one of the unit's devices (a 监督检验:
    the production unit doing the work on it)."""
    identity = require_login()
    equipment = kinds.equipment_for(identity, data.pop("equipment_id"), data.get("inspection_type"))
    return applications.submit(identity, equipment, data)


@blp.get("/applications")
@blp.arguments(InspectionApplicationQuery, location="query")
@blp.response(200, InspectionApplicationPageSchema)
def list_applications(args):
    """The applications the caller may see: its unit's (sent or received), or its region's."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(applications.list_applications_stmt(identity, **args), page, size)


@blp.get("/applications/<int:application_id>")
@blp.response(200, InspectionApplicationFullSchema)
def get(application_id):
    identity = require_login()
    return _dump(identity, applications.get_application(identity, application_id))


@blp.post("/applications/<int:application_id>/accept")
@idempotent
@blp.arguments(AcceptInput)
@blp.response(200, InspectionApplicationFullSchema)
def accept(data, application_id):
    """The agency accepts the application (a planned date given now is tentative; `plan` fixes it)."""
    identity = require_login()
    application = applications.get_application(identity, application_id)
    return applications.accept(identity, application, data.get("planned_date"), data.get("note"))


@blp.post("/applications/<int:application_id>/refuse")
@idempotent
@blp.arguments(RefuseInput)
@blp.response(200, InspectionApplicationFullSchema)
def refuse(data, application_id):
    """The agency refuses, giving the reason."""
    identity = require_login()
    application = applications.get_application(identity, application_id)
    return applications.refuse(identity, application, data["reason"])


@blp.post("/applications/<int:application_id>/withdraw")
@idempotent
@blp.arguments(WithdrawInput)
@blp.response(200, InspectionApplicationFullSchema)
def withdraw(data, application_id):
    """The applicant withdraws a pending application."""
    identity = require_login()
    application = applications.get_application(identity, application_id)
    return applications.withdraw(identity, application, data.get("reason"))


@blp.get("/agencies")
@blp.arguments(AgencyQuery, location="query")
@blp.response(200, AgencyPageSchema)
def list_agencies(args):
    """Inspection agencies with an in-date approved scope, for anyone logged in to choose from;
    with `equipment_id` (or `catalogue_code`) and `inspection_type`, only those that can take it."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    equipment_id = args.pop("equipment_id", None)
    if equipment_id is not None:
        args["equipment"] = kinds.equipment_for(identity, equipment_id, args.get("inspection_type"))
    return paginate(agencies.agencies_stmt(**args), page, size)
