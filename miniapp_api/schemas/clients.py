"""Schemas for api clients (machine callers of /open/v1), as regulators manage them."""
from __future__ import annotations

from marshmallow import fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, id_field, one_of
from models.clients import CLIENT_STATUSES, KEY_STATUSES, SCOPES


class ClientCreateInput(InputSchema):
    unit_id = id_field(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=128))
    scopes = fields.List(fields.String(validate=one_of(SCOPES)), required=True,
                         validate=validate.Length(min=1, max=len(SCOPES)))
    rate_limit_per_minute = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1_000_000))
    note = fields.String(allow_none=True, validate=validate.Length(max=500))


class ClientQuery(PageQuery):
    unit_id = id_field()
    status = fields.String(validate=one_of(CLIENT_STATUSES))


class ClientKeySchema(OutputSchema):
    key_id = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda key: KEY_STATUSES.get(key.status, key.status))
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class ClientSchema(OutputSchema):
    id = fields.Integer()
    name = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda client: client.unit.name)
    scopes = fields.List(fields.String())
    status = fields.String()
    status_label = fields.Function(lambda client: CLIENT_STATUSES.get(client.status, client.status))
    rate_limit_per_minute = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    keys = fields.List(fields.Nested(ClientKeySchema))


ClientPageSchema = page_schema(ClientSchema)


class IssuedKeySchema(OutputSchema):
    """A new key: the only answer that ever carries its secret."""

    client = fields.Nested(ClientSchema)
    key_id = fields.Function(lambda issued: issued.key.key_id)
    secret = fields.String(metadata={"description": "密钥原文，只在此时返回一次，请妥善保存"})
