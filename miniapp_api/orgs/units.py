"""Units: self-registration, review, information maintenance, lists."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from core.auth import current_identity, require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.orgs import (RegistrationInput, ReviewInput, UnitDetailSchema, UnitPageSchema,
                                      UnitQuery, UnitUpdateInput)
from models.orgs import Unit
from services.orgs import accounts, units

blp = Blueprint("units", __name__, url_prefix="/api/v1", description="单位注册与信息维护")


@blp.post("/units/registrations")
@idempotent
@blp.arguments(RegistrationInput)
@blp.response(201, UnitDetailSchema)
def register(data):
    """「立即注册」: no login needed; the unit waits for its regulator's review."""
    admin = data.pop("admin")
    ticket = data.pop("bind_ticket", None)
    unit, person = units.register_unit(current_identity().audit_context(), data, admin)
    if ticket:
        accounts.bind_registrant(ticket, person, request.remote_addr)
    return unit


@blp.get("/units")
@blp.arguments(UnitQuery, location="query")
@blp.response(200, UnitPageSchema)
def list_units(args):
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(units.list_units_stmt(identity, **args), page, size)


@blp.get("/units/<int:unit_id>")
@blp.response(200, UnitDetailSchema)
def get_unit(unit_id):
    return get_in_scope(Unit, unit_id, require_login(), "未找到该单位。")


@blp.patch("/units/<int:unit_id>")
@blp.arguments(UnitUpdateInput)
@blp.response(200, UnitDetailSchema)
def update_unit(changes, unit_id):
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return units.update_unit(identity, unit, changes)


@blp.post("/units/<int:unit_id>/review")
@blp.arguments(ReviewInput)
@blp.response(200, UnitDetailSchema)
def review(data, unit_id):
    """Approve or return a registration (return needs a reason); disable or enable a unit."""
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return units.review_unit(identity, unit, data["action"], data.get("note"))


@blp.post("/units/<int:unit_id>/resubmit")
@blp.response(200, UnitDetailSchema)
def resubmit(unit_id):
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return units.resubmit(identity, unit)
