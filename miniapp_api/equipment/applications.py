"""Lifecycle applications (施工告知, 使用登记, 变更登记, 停用/启用, 注销/报废, 维保合同备案)
and an elevator's maintenance contracts."""
from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.equipment.applications import (ActionInput, ApplicationDetailSchema, ApplicationInput,
                                                        ApplicationPageSchema, ApplicationQuery,
                                                        ApplicationUpdateInput, MaintenanceContractSchema,
                                                        OfflineRecordInput, load_form)
from models.equipment import Equipment
from services.equipment import applications, contracts, offline

blp = Blueprint("equipment_applications", __name__, url_prefix="/api/v1", description="设备全生命周期业务")


@blp.post("/equipment/<int:equipment_id>/applications")
@idempotent
@blp.arguments(ApplicationInput)
@blp.response(201, ApplicationDetailSchema)
def create(data, equipment_id):
    """Open an application on a device (a draft; `submit: true` submits it at once)."""
    identity = require_login()
    form = load_form(data["kind"], data.get("change_type"), data["form"])
    return applications.create_application(identity, equipment_id, data["kind"], data.get("change_type"), form,
                                           data["documents"], data.get("note"), submit=data["submit"])


@blp.post("/equipment/<int:equipment_id>/offline-records")
@idempotent
@blp.arguments(OfflineRecordInput)
@blp.response(201, ApplicationDetailSchema)
def record_offline(data, equipment_id):
    """The registration office records a step already done offline (e.g. 移装 on paper): an
    application approved at once, whose effects bring the device to the state after that step."""
    identity = require_login()
    offline.require_kind(data["kind"], data.get("change_type"))
    form = load_form(data["kind"], data.get("change_type"), data["form"])
    return offline.record_offline(identity, equipment_id, data["kind"], data.get("change_type"), form,
                                  data["done_on"], data.get("certificate_no"), data.get("note"))


@blp.get("/equipment-applications")
@blp.arguments(ApplicationQuery, location="query")
@blp.response(200, ApplicationPageSchema)
def list_applications(args):
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(applications.list_applications_stmt(identity, **args), page, size)


@blp.get("/equipment-applications/export.xlsx")
@blp.arguments(ApplicationQuery, location="query")
@blp.doc(responses={"200": binary_response("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
def export(args):
    """The same list, filtered the same way, as an .xlsx file."""
    identity = require_login()
    args.pop("page"), args.pop("page_size")
    stream = applications.applications_xlsx(applications.list_applications_stmt(identity, **args))
    return send_file(stream, as_attachment=True, download_name="设备业务申请.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@blp.get("/equipment-applications/<int:application_id>")
@blp.response(200, ApplicationDetailSchema)
def get(application_id):
    return applications.get_application(require_login(), application_id)


@blp.patch("/equipment-applications/<int:application_id>")
@blp.arguments(ApplicationUpdateInput)
@blp.response(200, ApplicationDetailSchema)
def update(changes, application_id):
    """补正: edit a draft or returned application; `form` replaces the whole form."""
    identity = require_login()
    application = applications.get_application(identity, application_id)
    if "form" in changes:
        changes["form"] = load_form(application.kind, application.change_type, changes["form"])
    return applications.update_application(identity, application, changes)


@blp.post("/equipment-applications/<int:application_id>/<string:action>")
@idempotent
@blp.arguments(ActionInput)
@blp.response(200, ApplicationDetailSchema)
def act(data, application_id, action):
    """submit / withdraw (the applicant); accept / return / approve / refuse (the registration office)."""
    identity = require_login()
    application = applications.get_application(identity, application_id)
    return applications.act(identity, application, action, data.get("note"))


@blp.get("/equipment/<int:equipment_id>/maintenance-contracts")
@blp.response(200, MaintenanceContractSchema(many=True))
def list_contracts(equipment_id):
    """An elevator's filed and ended maintenance contracts."""
    return contracts.list_contracts(get_in_scope(Equipment, equipment_id, require_login(), "未找到该设备。"))
