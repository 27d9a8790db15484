"""Schemas for safety findings, and the compact device view the checks screens share."""
from __future__ import annotations

from marshmallow import fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from models.equipment import USE_STATUSES
from models.findings import FINDING_STATUSES, SEVERITIES
from services import findings



def file_ids() -> fields.List:
    """Ids of uploaded files (POST /api/v1/uploads), at most MAX_FILES."""
    return fields.List(fields.String(validate=validate.Length(min=1, max=32)),
                       validate=validate.Length(max=findings.MAX_FILES), load_default=list)


class DeviceSchema(OutputSchema):
    """A device as a phone screen shows it: what it is, where, and whether it is stopped."""

    id = fields.Integer()
    catalogue_code = fields.String()
    catalogue_name = fields.Function(lambda e: e.catalogue.name)
    kind_code = fields.Function(lambda e: e.catalogue.kind_code)
    equipment_code = fields.String(allow_none=True)
    registration_cert_no = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    use_status = fields.String()
    use_status_label = fields.Function(lambda e: USE_STATUSES.get(e.use_status))
    hazard_stopped = fields.Boolean()
    safety_officer_person_id = fields.Integer(allow_none=True)


class FindingBriefSchema(OutputSchema):
    id = fields.Integer()
    item_key = fields.String(allow_none=True)
    severity = fields.String()
    severity_label = fields.Function(lambda f: SEVERITIES.get(f.severity))
    status = fields.String()
    deadline = fields.Date(allow_none=True)
    immediate_action = fields.String(allow_none=True)


class FindingSchema(FindingBriefSchema):
    source_type = fields.String()
    source_id = fields.Integer()
    equipment_id = fields.Integer(allow_none=True)
    equipment = fields.Nested(DeviceSchema, allow_none=True)
    unit_id = fields.Integer()
    region_code = fields.String()
    description = fields.String()
    photo_ids = fields.List(fields.String())
    status_label = fields.Function(lambda f: FINDING_STATUSES.get(f.status))
    overdue = fields.Function(lambda f: findings.is_overdue(f))
    immediate_action_label = fields.Function(lambda f: findings.IMMEDIATE_ACTIONS.get(f.immediate_action))
    reported_by_person_id = fields.Integer(allow_none=True)
    closed_by_person_id = fields.Integer(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closing_note = fields.String(allow_none=True)
    closing_evidence_ids = fields.List(fields.String())
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FindingQuery(PageQuery):
    status = fields.String(validate=one_of(FINDING_STATUSES))
    severity = fields.String(validate=one_of(SEVERITIES))
    equipment_id = fields.Integer()
    unit_id = fields.Integer()
    overdue = fields.Boolean()
    source_type = fields.String(validate=validate.Length(min=1, max=24))


class FindingCloseInput(InputSchema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    evidence_ids = file_ids()


FindingPageSchema = page_schema(FindingSchema)
