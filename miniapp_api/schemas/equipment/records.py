"""Schemas for equipment records and the catalogue."""
from __future__ import annotations

from marshmallow import fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from models.equipment import DUE_TYPES, REGISTRATION_STATUSES, USE_STATUSES
from services.equipment import records

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731
_code4 = validate.Regexp(r"^[0-9A-Za-z]{4}$", error="设备类别代码为 4 位。")


class CatalogueEntrySchema(OutputSchema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_code = fields.String(allow_none=True)
    kind_code = fields.String()
    registrable = fields.Boolean()
    retired = fields.Boolean()
    registration_basis = fields.String(allow_none=True)


class CatalogueQuery(InputSchema):
    include_retired = fields.Boolean(load_default=False)


class EquipmentInput(InputSchema):
    catalogue_code = fields.String(required=True, validate=_code4)
    equipment_code = fields.String(validate=_text(32), allow_none=True)
    legacy_reg_code = fields.String(validate=_text(32), allow_none=True)
    product_serial_no = fields.String(validate=_text(64), allow_none=True)
    product_name = fields.String(validate=_text(128), allow_none=True)
    model_spec = fields.String(validate=_text(128), allow_none=True)
    manufacturer_name = fields.String(validate=_text(128), allow_none=True)
    address = fields.String(required=True, validate=_text(256))
    region_code = fields.String(required=True, validate=validate.Length(equal=6))
    public_place = fields.Boolean(load_default=False)
    latitude = fields.Decimal(places=6, validate=validate.Range(min=-90, max=90), allow_none=True, as_string=True)
    longitude = fields.Decimal(places=6, validate=validate.Range(min=-180, max=180), allow_none=True,
                               as_string=True)
    jurisdiction = fields.String(validate=one_of(["market", "housing"]), load_default="market")
    safety_officer_person_id = fields.Integer(allow_none=True)
    property_unit_id = fields.Integer(allow_none=True)
    installer_unit_id = fields.Integer(allow_none=True)
    manufacture_date = fields.Date(allow_none=True)
    design_life_years = fields.Integer(validate=validate.Range(min=1, max=100), allow_none=True)
    last_inspection_date = fields.Date(allow_none=True)
    last_inspection_conclusion = fields.String(validate=_text(32), allow_none=True)
    next_due_date = fields.Date(allow_none=True)
    next_due_type = fields.String(validate=one_of(DUE_TYPES), allow_none=True)


class EquipmentUpdateInput(EquipmentInput):
    catalogue_code = fields.String(validate=_code4)
    address = fields.String(validate=_text(256))
    region_code = fields.String(validate=validate.Length(equal=6))
    public_place = fields.Boolean()
    jurisdiction = fields.String(validate=one_of(["market", "housing"]))


class EquipmentSummarySchema(OutputSchema):
    id = fields.Integer()
    catalogue_code = fields.String()
    catalogue_name = fields.Function(lambda e: e.catalogue.name)
    equipment_code = fields.String(allow_none=True)
    legacy_reg_code = fields.String(allow_none=True)
    registration_cert_no = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    use_unit_id = fields.Integer(allow_none=True)
    use_unit_name = fields.Function(lambda e: e.use_unit.name if e.use_unit else e.legacy_use_unit_name)
    address = fields.String(allow_none=True)
    region_code = fields.String()
    use_status = fields.String()
    use_status_label = fields.Function(lambda e: USE_STATUSES.get(e.use_status))
    registration_status = fields.String()
    registration_status_label = fields.Function(lambda e: REGISTRATION_STATUSES.get(e.registration_status))
    next_due_date = fields.Date(allow_none=True)
    next_due_type = fields.String(allow_none=True)
    inspection_state = fields.Function(lambda e: records.inspection_state(e))


class EquipmentSchema(EquipmentSummarySchema):
    product_serial_no = fields.String(allow_none=True)
    model_spec = fields.String(allow_none=True)
    manufacturer_name = fields.String(allow_none=True)
    property_unit_id = fields.Integer(allow_none=True)
    maintenance_unit_id = fields.Integer(allow_none=True)
    maintenance_unit_name = fields.Function(lambda e: e.maintenance_unit.name if e.maintenance_unit else None)
    installer_unit_id = fields.Integer(allow_none=True)
    public_place = fields.Boolean()
    # Sent as exact decimal text ("34.212345"), and documented so.
    latitude = fields.Decimal(as_string=True, allow_none=True, metadata={"type": "string", "format": "decimal"})
    longitude = fields.Decimal(as_string=True, allow_none=True, metadata={"type": "string", "format": "decimal"})
    jurisdiction = fields.String()
    safety_officer_person_id = fields.Integer(allow_none=True)
    manufacture_date = fields.Date(allow_none=True)
    design_life_years = fields.Integer(allow_none=True)
    put_into_use_date = fields.Date(allow_none=True)
    suspended_on = fields.Date(allow_none=True)
    last_inspection_date = fields.Date(allow_none=True)
    last_inspection_conclusion = fields.String(allow_none=True)
    source = fields.String()
    warnings = fields.Function(lambda e: records.warnings(e))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class EquipmentQuery(PageQuery):
    category = fields.String(validate=_code4)
    use_status = fields.String(validate=one_of(USE_STATUSES))
    registration_status = fields.String(validate=one_of(REGISTRATION_STATUSES))
    region_code = fields.String(validate=validate.Length(equal=6))
    use_unit_id = fields.Integer()
    maintenance_unit_id = fields.Integer()
    due_from = fields.Date()
    due_to = fields.Date()
    overdue = fields.Boolean()
    public_place = fields.Boolean()
    q = fields.String(validate=_text(64))


EquipmentPageSchema = page_schema(EquipmentSummarySchema)
