"""Excel import of historical equipment: the template, uploads with a dry run, the import."""
from __future__ import annotations

from flask import request, send_file
from flask_smorest import Blueprint

from core.apidocs import binary_response
from core.auth import require_login
from core.errors import InvalidInput
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.equipment.imports import (EquipmentImportPageSchema, EquipmentImportSchema, ImportQuery,
                                                   ImportUploadForm)
from models.equipment import EquipmentImport
from services.equipment import import_template, imports

blp = Blueprint("equipment_imports", __name__, url_prefix="/api/v1/equipment", description="历史设备导入")

NOT_FOUND = "未找到该导入记录。"


@blp.get("/import-template.xlsx")
@blp.doc(responses={"200": binary_response("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})
def template():
    """The .xlsx template: marked headers, drop-downs, instructions."""
    require_login()
    return send_file(import_template.template_xlsx(), as_attachment=True, download_name="历史设备导入模板.xlsx",
                     mimetype=imports.XLSX)


@blp.post("/imports")
@idempotent
@blp.arguments(ImportUploadForm, location="form", content_type="multipart/form-data")
@blp.response(201, EquipmentImportSchema)
@blp.alt_response(202, schema=EquipmentImportSchema, description="文件较大，已排队处理；轮询查看进度")
def upload(form):
    """multipart/form-data: `file` (.xlsx from the template) and `dry_run` (default true).

    201 when processed at once; 202 when queued (poll `GET /equipment/imports/<id>`).
    """
    identity = require_login()
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput.field("file", "请选择要导入的文件（字段名 file）。", code="file_missing")
    record = imports.upload(identity, file.stream, file.filename, form["dry_run"])
    return record, 202 if record.status == "queued" else 201


@blp.get("/imports")
@blp.arguments(ImportQuery, location="query")
@blp.response(200, EquipmentImportPageSchema)
def list_imports(args):
    identity = require_login()
    return paginate(imports.list_imports_stmt(identity, args.get("status")), args["page"], args["page_size"])


@blp.get("/imports/<int:import_id>")
@blp.response(200, EquipmentImportSchema)
def get(import_id):
    """One import with its progress, errors by row and column, and per-row actions."""
    return get_in_scope(EquipmentImport, import_id, require_login(), NOT_FOUND)


@blp.post("/imports/<int:import_id>/commit")
@blp.response(200, EquipmentImportSchema)
@blp.alt_response(202, schema=EquipmentImportSchema, description="文件较大，已排队导入；轮询查看进度")
def commit(import_id):
    """Import a file whose dry run was clean (all or nothing, re-checked first)."""
    identity = require_login()
    record = get_in_scope(EquipmentImport, import_id, identity, NOT_FOUND)
    record = imports.commit_import(identity, record)
    return record, 202 if record.status == "queued" else 200
