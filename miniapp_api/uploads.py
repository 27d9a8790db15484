"""Uploads: photos and documents, checked by content and size, stored behind the storage interface."""
from __future__ import annotations

from flask import request, send_file
from flask_smorest import Blueprint
from marshmallow import fields

from core.apidocs import binary_response
from core.auth import require_login
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core.idempotency import idempotent
from core.schemas import OutputSchema
from core.storage import StoredFile, get_storage, store_upload

blp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads", description="文件上传")


class StoredFileSchema(OutputSchema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


@blp.post("")
@idempotent
@blp.response(201, StoredFileSchema)
def upload():
    """multipart/form-data with one `file` part (JPEG, PNG, PDF, XLSX, DOCX)."""
    identity = require_login()
    file = request.files.get("file")
    if file is None or not file.filename:
        raise InvalidInput.field("file", "请选择要上传的文件（字段名 file）。", code="file_missing")
    return store_upload(file.stream, file.filename, identity.person_id, identity.unit_id)


@blp.get("/<string:file_id>")
@blp.doc(responses={"200": binary_response("*/*", description="上传的文件（原样返回）")})
def download(file_id):
    """The uploader's unit may download its files."""
    identity = require_login()
    row = db.session.get(StoredFile, file_id)
    if row is None or row.owner_unit_id != identity.unit_id:
        raise NotFound("未找到该文件。")
    return send_file(get_storage().open(row.storage_key), mimetype=row.content_type,
                     download_name=row.filename, as_attachment=True)
