"""Schemas for regions, units and people."""
from __future__ import annotations

from marshmallow import fields, validate

from core.idcodes import mask_id_number, mask_phone
from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from services.orgs import certificates, units
from models.orgs import PRODUCTION_SCOPES, ROLES, UNIT_KINDS, UNIT_STATUSES

_kind = one_of(UNIT_KINDS)
_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


# -- regions --------------------------------------------------------------------

class RegionSchema(OutputSchema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    supervision_level = fields.String()
    supervision_parent_code = fields.String(allow_none=True)
    admin_parent_code = fields.String(allow_none=True)
    treat_as_city = fields.Boolean()


class RegionQuery(InputSchema):
    parent = fields.String(validate=validate.Length(equal=6))


class OfficeSchema(OutputSchema):
    region_code = fields.String(attribute="code")
    region_name = fields.String(attribute="name")
    office_name = fields.String(allow_none=True)
    office_address = fields.String(allow_none=True)
    office_phone = fields.String(allow_none=True)
    office_hours = fields.String(allow_none=True)
    office_updated_at = fields.DateTime(allow_none=True)


class OfficeInput(InputSchema):
    office_name = fields.String(validate=_text(128))
    office_address = fields.String(validate=_text(256), allow_none=True)
    office_phone = fields.String(validate=_text(64), allow_none=True)
    office_hours = fields.String(validate=_text(128), allow_none=True)


# -- units ----------------------------------------------------------------------

class UnitFieldsInput(InputSchema):
    name = fields.String(validate=_text(128))
    address = fields.String(validate=_text(256), allow_none=True)
    legal_representative = fields.String(validate=_text(64), allow_none=True)
    contact_name = fields.String(validate=_text(64), allow_none=True)
    contact_phone = fields.String(validate=_text(32), allow_none=True)
    email = fields.Email(validate=validate.Length(max=128), allow_none=True)
    postal_code = fields.String(validate=validate.Regexp(r"^\d{6}$", error="邮政编码应为 6 位数字。"),
                                allow_none=True)
    licence_no = fields.String(validate=_text(64), allow_none=True)
    licence_expiry = fields.Date(allow_none=True)
    production_scopes = fields.List(fields.String(validate=one_of(PRODUCTION_SCOPES)))


class UnitUpdateInput(UnitFieldsInput):
    region_code = fields.String(validate=validate.Length(equal=6))
    uscc = fields.String(validate=validate.Length(min=1, max=18))
    owner_id_number = fields.String(validate=validate.Length(min=1, max=18))


class AdminInput(InputSchema):
    name = fields.String(required=True, validate=_text(64))
    phone = fields.String(required=True, validate=_text(20))
    id_number = fields.String(validate=validate.Length(min=1, max=18))
    username = fields.String(required=True, validate=_text(64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128), load_only=True)


class RegistrationInput(UnitFieldsInput):
    kind = fields.String(required=True, validate=_kind)
    name = fields.String(required=True, validate=_text(128))
    uscc = fields.String(validate=validate.Length(min=1, max=18))
    person_owned = fields.Boolean(load_default=False)
    owner_id_number = fields.String(validate=validate.Length(min=1, max=18))
    region_code = fields.String(required=True, validate=validate.Length(equal=6))
    admin = fields.Nested(AdminInput, required=True)
    bind_ticket = fields.String(validate=validate.Length(min=1, max=512))


class ReviewInput(InputSchema):
    action = fields.String(required=True, validate=one_of(["approve", "return", "disable", "enable"]))
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class CompletenessSchema(OutputSchema):
    required = fields.Integer()
    filled = fields.Integer()
    percent = fields.Integer()
    missing = fields.List(fields.Dict())


class UnitSummarySchema(OutputSchema):
    id = fields.Integer()
    kind = fields.String()
    kind_label = fields.Function(lambda u: UNIT_KINDS.get(u.kind))
    name = fields.String()
    uscc = fields.String(allow_none=True)
    region_code = fields.String()
    region_name = fields.Function(lambda u: u.region.name)
    status = fields.String()
    status_label = fields.Function(lambda u: UNIT_STATUSES.get(u.status))
    control_level = fields.String(allow_none=True)
    created_at = fields.DateTime()


class UnitSchema(UnitSummarySchema):
    production_scopes = fields.List(fields.String())
    owner_id_number = fields.Function(lambda u: mask_id_number(u.owner_id_number))
    address = fields.String(allow_none=True)
    legal_representative = fields.String(allow_none=True)
    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    licence_no = fields.String(allow_none=True)
    licence_expiry = fields.Date(allow_none=True)
    licence_expired = fields.Function(lambda u: certificates.is_expired(u.licence_expiry),
                                      metadata={"type": "boolean", "description": "许可证（核准证）已过有效期"})
    submitted_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()


class IdentityWarningSchema(OutputSchema):
    code = fields.String()
    message = fields.String()


class UnitDetailSchema(UnitSchema):
    completeness = fields.Method("get_completeness")
    warnings = fields.Function(lambda unit: IdentityWarningSchema(many=True).dump(units.identity_warnings(unit)),
                               metadata={"description": "不影响提交的提示，如统一社会信用代码内的组织机构代码未通过 GB 11714 校验"})

    def get_completeness(self, unit):
        return CompletenessSchema().dump(units.completeness(unit))


class UnitQuery(PageQuery):
    kind = fields.String(validate=_kind)
    status = fields.String(validate=one_of(UNIT_STATUSES))
    region_code = fields.String(validate=validate.Length(equal=6))
    control_level = fields.String(validate=one_of(["一级", "二级"]))
    q = fields.String(validate=validate.Length(min=1, max=64))


UnitPageSchema = page_schema(UnitSummarySchema)


# -- people ---------------------------------------------------------------------

class RoleInput(InputSchema):
    role = fields.String(required=True, validate=one_of(ROLES))
    certificate_type = fields.String(validate=_text(64), allow_none=True)
    certificate_no = fields.String(validate=_text(64), allow_none=True)
    certificate_expiry = fields.Date(allow_none=True)
    specialties = fields.List(fields.String(validate=_text(32)))


class PersonInput(InputSchema):
    name = fields.String(required=True, validate=_text(64))
    id_number = fields.String(validate=validate.Length(min=1, max=18), allow_none=True)
    phone = fields.String(validate=_text(20), allow_none=True)
    title = fields.String(validate=_text(64), allow_none=True)
    roles = fields.List(fields.Nested(RoleInput), load_default=list)


class PersonUpdateInput(PersonInput):
    name = fields.String(validate=_text(64))
    roles = fields.List(fields.Nested(RoleInput))


class RoleSchema(OutputSchema):
    role = fields.String()
    role_label = fields.Function(lambda r: ROLES.get(r.role))
    certificate_type = fields.String(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    certificate_expiry = fields.Date(allow_none=True)
    certificate_expired = fields.Function(lambda r: certificates.is_expired(r.certificate_expiry),
                                          metadata={"type": "boolean", "description": "证书已过有效期"})
    specialties = fields.List(fields.String())


class PersonSchema(OutputSchema):
    """A person as colleagues and regulators see them: ID and phone masked."""

    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda p: p.unit.name)
    name = fields.String()
    id_number = fields.Function(lambda p: mask_id_number(p.id_number))
    phone = fields.Function(lambda p: mask_phone(p.phone))
    title = fields.String(allow_none=True)
    status = fields.String()
    roles = fields.List(fields.Nested(RoleSchema))


class PersonFullSchema(PersonSchema):
    """A person as they themself and their unit's admins see them."""

    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class PersonQuery(PageQuery):
    role = fields.String(validate=one_of(ROLES))
    q = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=one_of(["active", "left"]), load_default="active")


PersonPageSchema = page_schema(PersonSchema)


class InvitationSchema(OutputSchema):
    code = fields.String()
    person_id = fields.Integer()
    expires_at = fields.DateTime()

