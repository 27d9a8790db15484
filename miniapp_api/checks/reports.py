"""Weekly reports (周排查), monthly minutes (月调度) and the records for an inspection visit."""
from __future__ import annotations

import io

from flask import current_app, send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import Identity, require_active_unit, require_login
from core.extensions import db
from core.idempotency import idempotent
from core.scoping import get_in_scope
from core.timeutil import business_today
from miniapp_api.schemas.check_reports import (DeviceMonthQuery, MonthlyInput, MonthlyMinutesSchema, MonthQuery,
                                               MonthViewQuery, WeeklyInput, WeeklyReportSchema, WeekQuery,
                                               WeekViewQuery)
from models.equipment import Equipment
from models.orgs import Unit
from services.checks import monthly, records, weekly

blp = Blueprint("check_reports", __name__, url_prefix="/api/v1/checks", description="周排查、月调度与检查记录")

MIMETYPES = {"pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _unit(identity: Identity, unit_id: int | None) -> Unit:
    """The unit asked about: the caller's own by default; another only within a regulator's scope."""
    return get_in_scope(Unit, unit_id or identity.unit_id, identity, "未找到该单位。")


def _own_unit() -> tuple[Identity, Unit]:
    identity = require_active_unit()
    return identity, db.session.get(Unit, identity.unit_id)


# -- 周排查 ------------------------------------------------------------------------------------------

@blp.get("/weekly")
@blp.arguments(WeekViewQuery, location="query")
@blp.response(200, WeeklyReportSchema)
def get_weekly(args):
    """《每周XX安全排查治理报告》 of a week, pre-filled with the week's figures."""
    identity = require_login()
    return weekly.view(identity, _unit(identity, args.get("unit_id")), args["kind_code"], args.get("week"),
                       business_today())


@blp.put("/weekly")
@blp.arguments(WeekQuery, location="query")
@blp.arguments(WeeklyInput)
@blp.response(200, WeeklyReportSchema)
def save_weekly(args, data):
    """Save the 安全总监's draft."""
    identity, unit = _own_unit()
    today = business_today()
    weekly.save_draft(identity, unit, args["kind_code"], args.get("week"), data.get("analysis"), today)
    return weekly.view(identity, unit, args["kind_code"], args.get("week"), today)


@blp.post("/weekly/submit")
@idempotent
@blp.arguments(WeekQuery, location="query")
@blp.arguments(WeeklyInput)
@blp.response(200, WeeklyReportSchema)
def submit_weekly(args, data):
    """Submit the week's report (the 安全总监 only; once per unit, kind and week)."""
    identity, unit = _own_unit()
    today = business_today()
    weekly.submit(identity, unit, args["kind_code"], args.get("week"), data.get("analysis"), today)
    return weekly.view(identity, unit, args["kind_code"], args.get("week"), today)


# -- 月调度 ------------------------------------------------------------------------------------------

@blp.get("/monthly")
@blp.arguments(MonthViewQuery, location="query")
@blp.response(200, MonthlyMinutesSchema)
def get_monthly(args):
    """《每月XX安全调度会议纪要》 of a month, the director's report pre-filled."""
    identity = require_login()
    return monthly.view(identity, _unit(identity, args.get("unit_id")), args["kind_code"], args.get("month"),
                        business_today())


@blp.put("/monthly")
@blp.arguments(MonthQuery, location="query")
@blp.arguments(MonthlyInput)
@blp.response(200, MonthlyMinutesSchema)
def save_monthly(args, data):
    """Save a draft (the principal, the 安全总监 or a unit manager)."""
    identity, unit = _own_unit()
    today = business_today()
    monthly.save_draft(identity, unit, args["kind_code"], args.get("month"), data, today)
    return monthly.view(identity, unit, args["kind_code"], args.get("month"), today)


@blp.post("/monthly/submit")
@idempotent
@blp.arguments(MonthQuery, location="query")
@blp.arguments(MonthlyInput)
@blp.response(200, MonthlyMinutesSchema)
def submit_monthly(args, data):
    """Submit the minutes (the 主要负责人 only; once per unit, kind and month)."""
    identity, unit = _own_unit()
    today = business_today()
    monthly.submit(identity, unit, args["kind_code"], args.get("month"), data, today)
    return monthly.view(identity, unit, args["kind_code"], args.get("month"), today)


# -- records ---------------------------------------------------------------------------------------------

def _send(record: records.Record, fmt: str):
    data = records.to_pdf(record, current_app.config["LABEL_FONT_PATH"]) if fmt == "pdf" else records.to_xlsx(record)
    return send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"{record.filename}.{fmt}")


@blp.get("/records/device/<int:equipment_id>.<any(pdf, xlsx):fmt>")
@blp.doc(responses={"200": binary_response(*MIMETYPES.values())})
@blp.arguments(DeviceMonthQuery, location="query")
def device_record(args, equipment_id, fmt):
    """One device's month of daily checks (《每日XX安全检查记录》), missed days marked, and its findings."""
    identity = require_login()
    equipment = get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    return _send(records.device_month(equipment, args.get("month"), business_today()), fmt)


@blp.get("/records/unit/<int:unit_id>/week.<any(pdf, xlsx):fmt>")
@blp.doc(responses={"200": binary_response(*MIMETYPES.values())})
@blp.arguments(WeekQuery, location="query")
def unit_week_record(args, unit_id, fmt):
    """A unit's weekly report with its figures."""
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return _send(records.unit_week(identity, unit, args["kind_code"], args.get("week"), business_today()), fmt)


@blp.get("/records/unit/<int:unit_id>/month.<any(pdf, xlsx):fmt>")
@blp.doc(responses={"200": binary_response(*MIMETYPES.values())})
@blp.arguments(MonthQuery, location="query")
def unit_month_record(args, unit_id, fmt):
    """A unit's monthly minutes with the month's figures."""
    identity = require_login()
    unit = get_in_scope(Unit, unit_id, identity, "未找到该单位。")
    return _send(records.unit_month(identity, unit, args["kind_code"], args.get("month"), business_today()), fmt)
