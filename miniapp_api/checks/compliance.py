"""Compliance figures of the two regulations for regulators (and a unit's own)."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_smorest import Blueprint

from core.auth import require_login
from core.timeutil import business_today
from miniapp_api.schemas.check_reports import COMPLIANCE_SCHEMAS, ComplianceQuery, UnitCompliancePageSchema
from services.checks import compliance

blp = Blueprint("check_compliance", __name__, url_prefix="/api/v1/checks", description="两个规定落实情况")


@blp.get("/compliance")
@blp.arguments(ComplianceQuery, location="query")
@blp.alt_response(200, schema=UnitCompliancePageSchema, description="group_by=unit；group_by=region 时为各地区汇总")
def get_compliance(args):
    """Appointment rate, daily-check completion, weekly and monthly completion, open and overdue
    findings, by unit or by region, and the units that fell behind (regulators: their subtree)."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    result = compliance.figures(identity, today=business_today(), **args)
    if result["group_by"] == "unit":
        limit = min(size or current_app.config["PAGE_SIZE_DEFAULT"], current_app.config["PAGE_SIZE_MAX"])
        items = result["items"]
        result.update(items=items[(page - 1) * limit: page * limit], page=page, page_size=limit, total=len(items))
    return jsonify(COMPLIANCE_SCHEMAS[result["group_by"]].dump(result))
