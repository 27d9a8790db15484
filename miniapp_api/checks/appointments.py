"""Appointments of 主要负责人, 安全总监 and 安全员 (Order 74), 质量安全总监 and 质量安全员 (Order 73),
and the regulators' list of units that have not made them."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.extensions import db
from core.idempotency import idempotent
from core.pagination import PageQuery
from core.scoping import get_in_scope
from miniapp_api.schemas.checks import (AppointmentEndInput, AppointmentInput, AppointmentQuery, AppointmentSchema,
                                        MissingUnitPageSchema)
from models.orgs import Unit
from services.checks import appointments

blp = Blueprint("checks_appointments", __name__, url_prefix="/api/v1", description="两个规定：任命安全总监、安全员")


@blp.get("/units/<int:unit_id>/appointments")
@blp.arguments(AppointmentQuery, location="query")
@blp.response(200, AppointmentSchema(many=True))
def list_appointments(args, unit_id):
    """Current appointments; `include_ended=true` adds the ended ones (the record of changes)."""
    identity = require_login()
    get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return db.session.scalars(appointments.list_appointments_stmt(unit_id, **args)).all()


@blp.post("/units/<int:unit_id>/appointments")
@idempotent
@blp.arguments(AppointmentInput)
@blp.response(201, AppointmentSchema)
def appoint(data, unit_id):
    """Appoint a person of the unit; safety posts are per equipment kind (kind_code, e.g. 3000)."""
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return appointments.appoint(identity, unit, data)


@blp.post("/appointments/<int:appointment_id>/end")
@blp.arguments(AppointmentEndInput)
@blp.response(200, AppointmentSchema)
def end(data, appointment_id):
    """End an appointment (default today); it stays in the history."""
    identity = require_login()
    appointment = appointments.get_appointment(identity, appointment_id)
    return appointments.end_appointment(identity, appointment, data.get("end_date"))


@blp.get("/checks/missing-appointments")
@blp.arguments(PageQuery, location="query")
@blp.response(200, MissingUnitPageSchema)
def missing(args):
    """Regulators: units in their region with in-use equipment but no 安全总监 / 安全员 for its kind,
    or devices without a responsible 安全员."""
    return appointments.missing_page(require_login(), args["page"], args["page_size"])
