"""Schemas for claims of historical equipment (认领)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from models.equipment import CLAIM_STATUSES

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


class ClaimInput(InputSchema):
    equipment_code = fields.String(validate=_text(32), allow_none=True)
    legacy_reg_code = fields.String(validate=_text(32), allow_none=True)
    registration_cert_no = fields.String(required=True, validate=_text(32))

    @validates_schema
    def _one_code(self, data, **kwargs):
        if not (data.get("equipment_code") or data.get("legacy_reg_code")):
            raise ValidationError("请填写设备代码或注册代码。", field_name="equipment_code")


class ClaimDecisionInput(InputSchema):
    note = fields.String(validate=_text(500), allow_none=True)


class ClaimQuery(PageQuery):
    status = fields.String(validate=one_of(CLAIM_STATUSES))


class ClaimedEquipmentSchema(OutputSchema):
    id = fields.Integer()
    catalogue_code = fields.String()
    catalogue_name = fields.Function(lambda e: e.catalogue.name)
    equipment_code = fields.String(allow_none=True)
    legacy_reg_code = fields.String(allow_none=True)
    registration_cert_no = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    region_code = fields.String()
    legacy_use_unit_name = fields.String(allow_none=True)


class ClaimSchema(OutputSchema):
    id = fields.Integer()
    equipment_id = fields.Integer()
    equipment = fields.Nested(ClaimedEquipmentSchema)
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda c: c.unit.name)
    region_code = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda c: CLAIM_STATUSES.get(c.status))
    decision_note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)


ClaimPageSchema = page_schema(ClaimSchema)
