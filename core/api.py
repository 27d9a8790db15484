"""The flask-smorest Api, with the platform's error envelope instead of its own."""
from __future__ import annotations

from decimal import Decimal

from flask_smorest import Api as SmorestApi
from marshmallow import Schema, fields

from core.error_catalogue import markdown_table
from core.errors import handle_http_exception


DOCS_LINKS = ("两份接口文档：[/api/docs](/api/docs)（小程序与管理端，`/api/v1`）· "
              "[/open/v1/docs](/open/v1/docs)（开放接口，签名请求）。")


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "稳定的机器可读错误码"})
    message = fields.String(metadata={"description": "给用户看的中文说明"})
    details = fields.Dict(metadata={"description": "补充信息；校验错误时 fields 按字段列出"})


def decimal_bounds_as_numbers(converter, field, ret, **kwargs) -> dict:
    """apispec writes a Range validator's bounds through the field itself, so a Decimal field
    (`as_string=True`, or Flask's JSON encoder for a Decimal) documents `"maximum": "90.000000"`:
    a string where OpenAPI requires a number. Write the bounds as JSON numbers."""
    if not isinstance(field, fields.Decimal):
        return {}
    numbers = {}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(ret.get(key), (str, Decimal)):
            value = Decimal(ret[key])
            numbers[key] = int(value) if value == value.to_integral_value() else float(value)
    return numbers


class Api(SmorestApi):
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(decimal_bounds_as_numbers)

    def _openapi_json(self):
        """The document, its description ending with the error-code catalogue (read from the source
        on first request, not at start-up)."""
        if not getattr(self.spec, "catalogue_added", False):  # per document: init_app builds a new one
            info = self.spec.options.setdefault("info", {})
            info["description"] = "\n\n".join(part for part in (
                info.get("description"), DOCS_LINKS,
                "## 错误码\n\n错误响应统一为 `{code, message, details}`；全部错误码（JSON）见 [/api/errors](/api/errors)：",
                markdown_table()) if part)
            self.spec.catalogue_added = True
        return super()._openapi_json()

    def handle_http_exception(self, error):
        return handle_http_exception(error)


api = Api()
