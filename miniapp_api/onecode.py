"""One-code: scan resolution, codes per device, labels, bulk jobs."""
from __future__ import annotations

import io

import requests
from flask import Response, current_app, jsonify, send_file
from flask_smorest import Blueprint
from wechatpy.exceptions import WeChatClientException

from core.apidocs import binary_response
from core.auth import current_identity, require_login, sends_credentials
from core.errors import NotFound, ServiceUnavailable
from core.extensions import db
from core.idempotency import idempotent
from core.scoping import get_in_scope
from core.storage import StoredFile, get_storage
from core.wechat_clients import miniapp_client
from miniapp_api.schemas.onecode import (SCAN_SCHEMAS, CodeSchema, JobInput, JobSchema, PublicScanSchema,
                                         VoidInput)
from models.equipment import Equipment
from models.onecode import Code, CodeJob
from qr.codes import code_url
from qr.render import label_png
from services.equipment import onecode as equipment_onecode
from services.checks import onecode as _checks_onecode  # noqa: F401  (adds the daily check to the unit view)
from services.inspection import onecode as _inspection_onecode  # noqa: F401  (registers the agency view)
from services.equipment import code_jobs
from services.onecode import assign, resolve, targets

blp = Blueprint("onecode", __name__, url_prefix="/api/v1", description="一码通")


def _code_dict(row: Code) -> dict:
    equipment_id = row.target_id if row.target_type == equipment_onecode.TARGET else None
    return {"code": row.code, "target_type": row.target_type, "target_id": row.target_id,
            "equipment_id": equipment_id, "status": row.status,
            "url": code_url(current_app.config["PUBLIC_BASE_URL"], row.code), "created_at": row.created_at,
            "voided_at": row.voided_at, "void_reason": row.void_reason}


@blp.get("/scan/<string:code>")
@blp.response(200, PublicScanSchema)
def scan(code):
    """One answer per code, shaped by who scans (no token: the public card). Rate limited per client."""
    if not sends_credentials():
        # The hot path: the card was built from a fixed whitelist of fields and serialised when cached.
        return Response(resolve.public_json(code, rate_bucket="scan"), mimetype="application/json")
    result = resolve.scan(current_identity(), code, rate_bucket="scan")
    return jsonify(SCAN_SCHEMAS[result.target_type, result.audience].dump(result))


@blp.post("/equipment/<int:equipment_id>/code")
@idempotent
@blp.response(200, CodeSchema)
def assign_code(equipment_id):
    """The device's active code, issued now if it has none."""
    identity = require_login()
    equipment = get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    return _code_dict(assign.assign(identity, equipment_onecode.TARGET, equipment))


@blp.get("/equipment/<int:equipment_id>/codes")
@blp.response(200, CodeSchema(many=True))
def list_codes(equipment_id):
    """Every code the device has had, voided ones included."""
    identity = require_login()
    get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    return [_code_dict(r) for r in assign.codes_of(equipment_onecode.TARGET, equipment_id)]


@blp.post("/onecode/codes/<string:code>/void")
@blp.arguments(VoidInput)
@blp.response(200, CodeSchema)
def void(data, code):
    """Void a lost or damaged label's code; a new code is issued for the same target."""
    identity = require_login()
    row = _code_in_scope(code, identity)
    return _code_dict(assign.void_and_reissue(identity, row, data["reason"]))


def _code_in_scope(code: str, identity) -> Code:
    row = db.session.get(Code, resolve.checked_code(code))
    if row is None or row.target_type not in targets.types():
        raise NotFound("未找到该设备码。", code="code_not_found")
    get_in_scope(targets.get(row.target_type).model, row.target_id, identity, "未找到该设备码。")
    return row


@blp.get("/equipment/<int:equipment_id>/label.png")
@blp.doc(responses={"200": binary_response("image/png")})
def label(equipment_id):
    """The device's label as PNG (its active code must exist)."""
    identity = require_login()
    equipment = get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    row = equipment_onecode.active_code(equipment.id)
    if row is None:
        raise NotFound("该设备尚未赋码。", code="code_not_assigned")
    text = next(equipment_onecode.label_rows(Code.code == row.code))
    png = label_png(text, current_app.config["LABEL_FONT_PATH"])
    return send_file(io.BytesIO(png), mimetype="image/png", download_name=f"{row.code}.png")


@blp.get("/equipment/<int:equipment_id>/wxacode.png")
@blp.doc(responses={"200": binary_response("image/png")})
def wxacode(equipment_id):
    """The mini-program code (wechatpy's unlimited wxacode, the code as scene) as an alternative label."""
    identity = require_login()
    equipment = get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    row = equipment_onecode.active_code(equipment.id)
    if row is None:
        raise NotFound("该设备尚未赋码。", code="code_not_assigned")
    try:
        response = miniapp_client().wxa.get_wxa_code_unlimited(row.code, page=current_app.config["MINIAPP_SCAN_PAGE"])
    except (WeChatClientException, requests.RequestException):
        raise ServiceUnavailable("微信小程序码暂时无法生成，请稍后重试。", code="wechat_unavailable")
    return send_file(io.BytesIO(response.content), mimetype="image/png", download_name=f"{row.code}-wxa.png")


@blp.post("/onecode/jobs")
@idempotent
@blp.arguments(JobInput)
@blp.response(202, JobSchema)
def start_job(data):
    """Bulk assignment or a label-sheet PDF for a unit or a region; poll the job for progress."""
    return code_jobs.start_job(require_login(), data["kind"], data.get("unit_id"), data.get("region_code"))


@blp.get("/onecode/jobs/<int:job_id>")
@blp.response(200, JobSchema)
def get_job(job_id):
    return get_in_scope(CodeJob, job_id, require_login(), "未找到该任务。")


@blp.get("/onecode/jobs/<int:job_id>/file")
@blp.doc(responses={"200": binary_response("application/pdf")})
def job_file(job_id):
    """The label sheet PDF, once the job is done."""
    job = get_in_scope(CodeJob, job_id, require_login(), "未找到该任务。")
    if job.file_id is None:
        raise NotFound("文件尚未生成。", code="file_not_ready")
    stored = db.session.get(StoredFile, job.file_id)
    return send_file(get_storage().open(stored.storage_key), mimetype="application/pdf",
                     download_name=stored.filename, as_attachment=True)
