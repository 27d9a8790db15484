"""Schemas for monitoring points, reporters and units' control levels."""
from __future__ import annotations

from marshmallow import fields, validate

from core.idcodes import mask_phone
from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from models.orgs import UNIT_KINDS
from models.risk import POINT_TYPES
from services.risk import points

_point_type = one_of(POINT_TYPES)


class ControlLevelInput(InputSchema):
    """`null` clears the level."""

    control_level = fields.String(required=True, allow_none=True, validate=one_of(points.CONTROL_LEVELS))


class ControlLevelSchema(OutputSchema):
    unit_id = fields.Integer(attribute="id")
    unit_name = fields.String(attribute="name")
    control_level = fields.String(allow_none=True)


class PointInput(InputSchema):
    unit_id = fields.Integer(required=True)
    point_type = fields.String(required=True, validate=_point_type)
    manager_person_id = fields.Integer(required=True)


class PointUpdateInput(InputSchema):
    manager_person_id = fields.Integer(required=True)


class RevokeInput(InputSchema):
    reason = fields.String(validate=validate.Length(max=500), allow_none=True)


class PersonBriefSchema(OutputSchema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.Function(lambda p: mask_phone(p.phone))


class PointSchema(OutputSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda p: p.unit.name)
    unit_kind = fields.Function(lambda p: p.unit.kind)
    unit_kind_label = fields.Function(lambda p: UNIT_KINDS.get(p.unit.kind))
    control_level = fields.Function(lambda p: p.unit.control_level)
    point_type = fields.String()
    point_type_label = fields.Function(lambda p: POINT_TYPES.get(p.point_type))
    region_code = fields.String()
    region_name = fields.Function(lambda p: points.region_of(p).name)
    region_level = fields.Function(lambda p: points.region_of(p).supervision_level)
    manager = fields.Nested(PersonBriefSchema)
    status = fields.String()
    reporter_count = fields.Function(lambda p: points.point_counts([p.id]).get(p.id, 0))
    created_at = fields.DateTime()


class PointQuery(PageQuery):
    point_type = fields.String(validate=_point_type)
    status = fields.String(validate=one_of(["active", "revoked"]))
    region_code = fields.String(validate=validate.Length(equal=6))
    unit_id = fields.Integer()


PointPageSchema = page_schema(PointSchema)


class ReporterInput(InputSchema):
    person_id = fields.Integer(required=True)
    is_expert = fields.Boolean(load_default=False)


class ReporterQuery(InputSchema):
    status = fields.String(validate=one_of(["active", "revoked"]), load_default="active")


class MissingSchema(OutputSchema):
    field = fields.String()
    label = fields.String()


class ReporterSchema(OutputSchema):
    """A reporter as the point's manager and the regulators see them: phone masked."""

    id = fields.Integer()
    point_id = fields.Integer()
    person_id = fields.Integer()
    name = fields.Function(lambda r: r.person.name)
    phone = fields.Function(lambda r: mask_phone(r.person.phone))
    unit_name = fields.Function(lambda r: r.person.unit.name)
    is_expert = fields.Boolean()
    status = fields.String()
    info_complete = fields.Function(lambda r: points.reporter_completeness(r.person).complete)
    info_missing = fields.Function(
        lambda r: MissingSchema(many=True).dump(points.reporter_completeness(r.person).missing))
    created_at = fields.DateTime()


class MyDesignationSchema(OutputSchema):
    """The caller's own designations: where they report for, and whether they may report yet."""

    reporter_id = fields.Integer(attribute="id")
    point_id = fields.Integer()
    point_type = fields.Function(lambda r: r.point.point_type)
    point_type_label = fields.Function(lambda r: POINT_TYPES.get(r.point.point_type))
    point_unit_name = fields.Function(lambda r: r.point.unit.name)
    region_code = fields.Function(lambda r: r.point.region_code)
    is_expert = fields.Boolean()
    info_complete = fields.Function(lambda r: points.reporter_completeness(r.person).complete)
    info_missing = fields.Function(
        lambda r: MissingSchema(many=True).dump(points.reporter_completeness(r.person).missing))
