"""The one error envelope: `{"code", "message", "details"}`.

Domain code raises `AppError` (or a subclass); HTTP, validation and
unexpected errors are mapped here, so every error the API returns has the
same shape, a stable machine code and a Chinese message.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the client can understand and act on."""

    status = 400
    code = "bad_request"
    message = "请求无效。"

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "请先登录。"


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "没有权限执行此操作。"


class NotFound(AppError):
    status, code, message = 404, "not_found", "未找到请求的资源。"


class Conflict(AppError):
    status, code, message = 409, "conflict", "与现有数据冲突。"


class InvalidInput(AppError):
    status, code, message = 422, "validation_error", "提交的数据有误。"

    @classmethod
    def field(cls, field: str, message: str, *, code: str = "validation_error") -> "InvalidInput":
        """An error about one field, shaped like a schema validation error."""
        return cls(message, code=code, details={"fields": {field: [message]}})


class RuleViolation(AppError):
    """A request that is well formed but breaks a business rule."""

    status, code, message = 409, "rule_violation", "不符合业务规则。"


class ServiceUnavailable(AppError):
    status, code, message = 503, "service_unavailable", "服务暂不可用，请稍后重试。"


HTTP_CODES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求无效。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "没有权限执行此操作。"),
    404: ("not_found", "未找到请求的地址。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    406: ("not_acceptable", "无法提供所请求的格式。"),
    409: ("conflict", "与现有数据冲突。"),
    413: ("payload_too_large", "提交的内容过大。"),
    415: ("unsupported_media_type", "不支持的内容类型。"),
    422: ("validation_error", "提交的数据有误。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "服务器内部错误，请稍后重试。"),
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def error_response(code: str, message: str, status: int, details: dict[str, Any] | None = None):
    response = jsonify(error_body(code, message, details))
    response.status_code = status
    return response


def _from_webargs(error: HTTPException) -> tuple[str, str, dict[str, Any]] | None:
    """Validation and JSON-parse failures that webargs/flask-smorest raise."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if not messages:
        return None
    fields: dict[str, Any] = {}
    for location, problems in messages.items():
        if location == "json" and isinstance(problems, list):
            # webargs reports an unparseable body as {"json": ["Invalid JSON body."]}
            return "malformed_json", "请求体不是有效的 JSON。", {}
        if isinstance(problems, dict):
            fields.update(problems)
        else:
            fields[location] = problems
    return "validation_error", "提交的数据有误，请检查标出的字段。", {"fields": fields}


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    mapped = _from_webargs(error)
    if mapped:
        code, message, details = mapped
        if code == "malformed_json":
            status = 400
        return error_response(code, message, status, details)
    code, message = HTTP_CODES.get(status, ("http_error", error.description or "请求失败。"))
    response = error_response(code, message, status)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_app_error(error: AppError):
    response = error_response(error.code, error.message, error.status, error.details)
    response.headers.update(getattr(error, "headers", None) or {})
    return response


def handle_data_error(error: DataError):
    """A value the database cannot store that no schema caught (e.g. a NUL character in a path):
    the client's input, so a 400, never a 500."""
    log.warning("value refused by the database: %s", error.orig)
    return error_response("invalid_value", "提交的数据包含无法处理的值（如超出范围的数字或不可见字符）。", 400)


def _raised_while_decoding_json(error: BaseException) -> bool:
    """Whether the error came out of the standard library's JSON decoder (webargs and Flask both use it)."""
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename.replace("\\", "/")
        if filename.endswith("/json/decoder.py") or filename.endswith("/json/__init__.py"):
            return True
        tb = tb.tb_next
    return False


def handle_recursion_error(error: RecursionError):
    """A JSON body nested deeper than the decoder can follow (thousands of brackets) is the
    client's malformed input: a 400 like any unparseable body. Any other RecursionError is a bug."""
    if _raised_while_decoding_json(error):
        return error_response("malformed_json", "请求体不是有效的 JSON（嵌套层数过多）。", 400)
    return handle_unexpected(error)


def handle_unexpected(error: Exception):
    log.exception("unhandled error")
    code, message = HTTP_CODES[500]
    return error_response(code, message, 500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(RecursionError, handle_recursion_error)
    app.register_error_handler(Exception, handle_unexpected)
