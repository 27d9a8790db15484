"""Schemas for login, binding and the caller's own profile."""
from __future__ import annotations

from marshmallow import fields, validate

from core.schemas import InputSchema, OutputSchema
from miniapp_api.schemas.orgs import PersonFullSchema, UnitSummarySchema
from models.orgs import ROLES

_ticket = validate.Length(min=1, max=512)


class WxLoginInput(InputSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class PasswordLoginInput(InputSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128), load_only=True)


class InvitationBindInput(InputSchema):
    bind_ticket = fields.String(required=True, validate=_ticket)
    invitation_code = fields.String(required=True, validate=validate.Length(min=4, max=16))


class PhoneBindInput(InputSchema):
    bind_ticket = fields.String(required=True, validate=_ticket)
    encrypted_data = fields.String(required=True, validate=validate.Length(min=1, max=4096))
    iv = fields.String(required=True, validate=validate.Length(min=1, max=64))


class SessionSchema(OutputSchema):
    bound = fields.Boolean()
    token = fields.String(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    bind_ticket = fields.String(allow_none=True)
    person = fields.Nested(PersonFullSchema, allow_none=True)
    unit = fields.Nested(UnitSummarySchema, allow_none=True)
    roles = fields.List(fields.String())
    role_labels = fields.Function(lambda s: [ROLES[r] for r in s["roles"]])


class ScopeSchema(OutputSchema):
    kind = fields.String()
    region_code = fields.String(allow_none=True)
    region_level = fields.String(allow_none=True)
    region_codes = fields.List(fields.String(), allow_none=True)


class MeSchema(OutputSchema):
    person = fields.Nested(PersonFullSchema)
    unit = fields.Nested(UnitSummarySchema)
    roles = fields.List(fields.String())
    client = fields.String()
    scope = fields.Nested(ScopeSchema)


class MessageSchema(OutputSchema):
    id = fields.Integer()
    template = fields.String()
    title = fields.String()
    body = fields.String()
    data = fields.Dict()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
