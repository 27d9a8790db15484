"""Equipment records (新增设备, maintenance of the record), the catalogue, lists and exports."""
from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.equipment.records import (CatalogueEntrySchema, CatalogueQuery, EquipmentInput,
                                                   EquipmentPageSchema, EquipmentQuery, EquipmentSchema,
                                                   EquipmentUpdateInput)
from models.equipment import Equipment
from services.equipment import catalogue, exports, records

blp = Blueprint("equipment", __name__, url_prefix="/api/v1", description="设备台账")


@blp.get("/catalogue")
@blp.arguments(CatalogueQuery, location="query")
@blp.response(200, CatalogueEntrySchema(many=True))
def list_catalogue(args):
    """The 2014 special-equipment catalogue (public)."""
    return catalogue.list_entries(args["include_retired"])


@blp.post("/equipment")
@idempotent
@blp.arguments(EquipmentInput)
@blp.response(201, EquipmentSchema)
def create(data):
    """新增设备: added by the use unit, 未投入使用 until its use registration is approved."""
    return records.create_equipment(require_login(), data)


@blp.get("/equipment")
@blp.arguments(EquipmentQuery, location="query")
@blp.response(200, EquipmentPageSchema)
def list_equipment(args):
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(records.list_equipment_stmt(identity, **args), page, size)


@blp.get("/equipment/export.xlsx")
@blp.arguments(EquipmentQuery, location="query")
@blp.doc(responses={"200": binary_response("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
def export(args):
    """The same list, filtered the same way, as an .xlsx file."""
    identity = require_login()
    args.pop("page"), args.pop("page_size")
    stream = exports.equipment_xlsx(records.list_equipment_stmt(identity, **args))
    return send_file(stream, as_attachment=True, download_name="设备台账.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@blp.get("/equipment/<int:equipment_id>")
@blp.response(200, EquipmentSchema)
def get(equipment_id):
    return get_in_scope(Equipment, equipment_id, require_login(), "未找到该设备。")


@blp.patch("/equipment/<int:equipment_id>")
@blp.arguments(EquipmentUpdateInput)
@blp.response(200, EquipmentSchema)
def update(changes, equipment_id):
    identity = require_login()
    equipment = get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    return records.update_equipment(identity, equipment, changes)
