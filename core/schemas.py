"""Schema conventions at the boundary: Chinese validation messages, unknown fields refused."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

# marshmallow's built-in messages are English; the users read Chinese.
_FIELD_MESSAGES = {
    fields.Field: {"required": "缺少必填字段。", "null": "该字段不能为空。", "validator_failed": "取值无效。"},
    fields.String: {"invalid": "应为文本。", "invalid_utf8": "不是有效的 UTF-8 文本。"},
    fields.Integer: {"invalid": "应为整数。", "too_large": "数值过大。"},
    fields.Float: {"invalid": "应为数字。", "special": "不是有效的数字。"},
    fields.Decimal: {"invalid": "应为数字。", "special": "不是有效的数字。"},
    fields.Boolean: {"invalid": "应为 true 或 false。"},
    fields.Date: {"invalid": "应为日期，格式 YYYY-MM-DD。", "format": "日期格式无效。"},
    fields.DateTime: {"invalid": "应为时间，格式 ISO 8601。", "format": "时间格式无效。"},
    fields.List: {"invalid": "应为列表。"},
    fields.Dict: {"invalid": "应为对象。"},
    fields.Nested: {"type": "应为对象。"},
    fields.Email: {"invalid": "不是有效的电子邮箱地址。"},
    fields.URL: {"invalid": "不是有效的网址。"},
}
for _cls, _messages in _FIELD_MESSAGES.items():
    _cls.default_error_messages = {**_cls.default_error_messages, **_messages}

validate.Length.message_min = "长度不能少于 {min}。"
validate.Length.message_max = "长度不能超过 {max}。"
validate.Length.message_all = "长度应在 {min} 到 {max} 之间。"
validate.Length.message_equal = "长度应为 {equal}。"
validate.Range.message_min = "应{min_op} {{min}}。"
validate.Range.message_max = "应{max_op} {{max}}。"
validate.Range.message_all = "应{min_op} {{min}} 且{max_op} {{max}}。"
validate.Range.message_gte = "大于或等于"
validate.Range.message_gt = "大于"
validate.Range.message_lte = "小于或等于"
validate.Range.message_lt = "小于"
validate.URL.default_message = "不是有效的网址。"
validate.Email.default_message = "不是有效的电子邮箱地址。"
validate.OneOf.default_message = "取值应为以下之一：{choices}。"


def _label(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], str):
        return value[0]
    if isinstance(value, Mapping):
        return next((value[key] for key in ("label", "name") if isinstance(value.get(key), str)), None)
    return None


def one_of(choices: Iterable[str] | Mapping[str, object]) -> validate.OneOf:
    """An enum validator whose error lists each key with its Chinese label, from the same
    {key: label} dict the models declare (CODE_STATUSES = {"active": "有效", ...}):
    「取值应为以下之一：active（有效）、voided（已作废）。」. A plain list of keys is listed as is."""
    keys = list(choices)
    labels = [f"{key}（{label}）" if (label := _label(choices[key])) and label != key else key
              for key in keys] if isinstance(choices, Mapping) else [str(key) for key in keys]
    validator = validate.OneOf(keys, labels=labels, error="取值应为以下之一：{labels}。")
    validator.labels_text = "、".join(labels)
    return validator
validate.Regexp.default_message = "格式不正确。"


DATABASE_INTEGER = (-2**31, 2**31 - 1)  # what a PostgreSQL INTEGER column holds
YEARS = (1900, 2100)  # dates the business can mean; beyond them date arithmetic overflows


# Control characters other than tab and line breaks: PostgreSQL refuses NUL, spreadsheets the rest.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def id_field(**kwargs) -> fields.Integer:
    """A record id given by the client: a positive number a database INTEGER can hold."""
    return fields.Integer(validate=validate.Range(min=1, max=DATABASE_INTEGER[1]), **kwargs)


def _unstorable(field: fields.Field, value) -> str | None:
    if isinstance(field, fields.List) and isinstance(value, list):
        return next((problem for item in value if (problem := _unstorable(field.inner, item))), None)
    if isinstance(field, fields.Integer) and isinstance(value, int) and not (
            DATABASE_INTEGER[0] <= value <= DATABASE_INTEGER[1]):
        return "数值超出范围。"
    if isinstance(value, (date, datetime)) and not YEARS[0] <= value.year <= YEARS[1]:
        return f"日期应在 {YEARS[0]} 年到 {YEARS[1]} 年之间。"
    if isinstance(field, fields.String) and isinstance(value, str) and _CONTROL.search(value):
        return "不能包含控制字符。"
    return None


class StorableValues:
    """Loaded values the database can hold: integers within INTEGER's range, dates within YEARS,
    text without control characters (tab and line breaks allowed). Anything else is a validation error naming the field, never a database error."""

    @validates_schema
    def _storable(self, data, **kwargs) -> None:
        errors = {}
        for name, field in self.load_fields.items():
            key = field.attribute or name
            if key in data and (problem := _unstorable(field, data[key])):
                errors[field.data_key or name] = [problem]
        if errors:
            raise ValidationError(errors)


class InputSchema(StorableValues, Schema):
    """Base of every input schema: unknown fields are an error, with a Chinese message; values
    must be storable (`StorableValues`)."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不允许的字段。", "type": "请求体应为 JSON 对象。"}


class OutputSchema(Schema):
    """Base of every output schema."""

    class Meta:
        ordered = True


class StepSchema(OutputSchema):
    """A step on an application's path (models with core.columns.StepColumns); a subclass adds
    `action_label` from its domain's labels."""

    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_person_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
