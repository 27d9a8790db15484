"""Inspection due dates: a device's series, and the overdue devices regulators see per region."""
from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.scoping import get_in_scope
from core.timeutil import business_today
from miniapp_api.schemas.inspection.due import (DeviceDueDatesSchema, OverduePageSchema, OverdueQuery,
                                                OverdueSummaryQuery, OverdueSummarySchema)
from models.equipment import Equipment
from services.inspection import due_dates, overdue

blp = Blueprint("inspection_due", __name__, url_prefix="/api/v1/inspection", description="检验到期与超期未检")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.get("/due-dates/<int:equipment_id>")
@blp.response(200, DeviceDueDatesSchema)
def device_due_dates(equipment_id):
    """A device's inspection series and their due dates (elevators and boilers have two)."""
    equipment = get_in_scope(Equipment, equipment_id, require_login(), "未找到该设备。")
    return {"equipment_id": equipment.id, "next_due_date": equipment.next_due_date,
            "next_due_type": equipment.next_due_type, "series": due_dates.device_series(equipment.id)}


@blp.get("/overdue")
@blp.arguments(OverdueQuery, location="query")
@blp.response(200, OverduePageSchema)
def list_overdue(args):
    """In-use devices with an inspection series past its due date: a regulator's region (or a
    region within it), a unit's own; the longest overdue first."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return overdue.overdue_devices(identity, business_today(), overdue.OverdueFilter(**args), page, size)


@blp.get("/overdue/summary")
@blp.arguments(OverdueSummaryQuery, location="query")
@blp.response(200, OverdueSummarySchema)
def overdue_summary(args):
    """Overdue devices per child region of the region asked for and per series (regulators)."""
    return overdue.summary(require_login(), business_today(), overdue.OverdueFilter(**args))


@blp.get("/overdue/export.xlsx")
@blp.arguments(OverdueSummaryQuery, location="query")
@blp.doc(responses={"200": binary_response(XLSX)})
def export_overdue(args):
    """The overdue list, filtered the same way, as .xlsx (one row per overdue series)."""
    stream = overdue.export_xlsx(require_login(), business_today(), overdue.OverdueFilter(**args))
    return send_file(stream, as_attachment=True, download_name="超期未检设备.xlsx", mimetype=XLSX)
