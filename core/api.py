"""The flask-smorest Api, with the platform's error envelope instead of its own."""
from __future__ import annotations

from flask_smorest import Api as SmorestApi
from marshmallow import Schema, fields

from core.errors import handle_http_exception


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "稳定的机器可读错误码"})
    message = fields.String(metadata={"description": "给用户看的中文说明"})
    details = fields.Dict(metadata={"description": "补充信息；校验错误时 fields 按字段列出"})


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)


api = Api()
