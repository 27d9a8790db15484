"""GET /api/errors: the error-code catalogue, read from the source (core.error_catalogue)."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import fields

from core.error_catalogue import catalogue
from core.schemas import OutputSchema

blp = Blueprint("errors", __name__, url_prefix="/api", description="错误码目录")


class ErrorCodeSchema(OutputSchema):
    code = fields.String(metadata={"description": "稳定的机器可读错误码"})
    status = fields.Integer(metadata={"description": "HTTP 状态码"})
    message = fields.String(metadata={"description": "中文说明（个别错误在出错处给出更具体的说明）"})


@blp.get("/errors")
@blp.response(200, ErrorCodeSchema(many=True))
def list_errors():
    """Every error code the API can answer, with its HTTP status and Chinese message."""
    return catalogue()
