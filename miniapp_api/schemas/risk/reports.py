"""Schemas for risk reports: intake, lists, the path, and one detail schema per audience.

- `ReportDetailSchema`: the report and its visible path, without who reported it;
- `ReportDetailWithReporterSchema`: the same with the reporter — for the reporter's own unit, and for
  others (regulators, the centre, experts) only with an audit entry per view
  (`risk.reporter_identity_view`).
Lists carry no reporter identity for anyone.
"""
from __future__ import annotations

from marshmallow import fields, validate

from core.extensions import db
from core.idcodes import mask_phone
from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from core.storage import StoredFile
from core.timeutil import business_today
from models.equipment import CatalogueEntry, Equipment
from models.orgs import Region
from models.risk import AREAS, HAZARD_LEVELS, LEVELS, POINT_TYPES, REPORT_KINDS, REPORT_STATUSES
from services.risk import intake, media, path

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731
_file_ids = lambda: fields.List(fields.String(validate=_text(32)), load_default=list)  # noqa: E731


class ReportInput(InputSchema):
    point_id = fields.Integer(allow_none=True, metadata={"description": "报送员属多个监测点时必填"})
    area = fields.String(required=True, validate=one_of(AREAS))
    kind = fields.String(required=True, validate=one_of(REPORT_KINDS))
    title = fields.String(required=True, validate=_text(intake.TITLE_MAX))
    body = fields.String(required=True, validate=_text(intake.BODY_MAX))
    equipment_id = fields.Integer(allow_none=True)
    equipment_code_scan = fields.String(allow_none=True, validate=_text(64),
                                        metadata={"description": "扫描设备二维码得到的一码通编号"})
    catalogue_code = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9A-Za-z]{4}$", error="设备类别代码为 4 位。"))
    place = fields.String(allow_none=True, validate=_text(intake.PLACE_MAX))
    region_code = fields.String(allow_none=True, validate=validate.Length(equal=6))
    photo_ids = _file_ids()
    document_ids = _file_ids()
    suggested_level = fields.String(allow_none=True, validate=one_of(
        list(HAZARD_LEVELS) + list(HAZARD_LEVELS.values())))
    emergency = fields.Boolean(load_default=False, metadata={"description": "报送员认为是应急情况"})
    not_emergency_confirmed = fields.Boolean(load_default=False,
                                             metadata={"description": "确认不属于应急情况"})


class ReportQuery(PageQuery):
    status = fields.String(validate=one_of(REPORT_STATUSES))
    level = fields.String(validate=one_of(LEVELS))
    area = fields.String(validate=one_of(AREAS))
    kind = fields.String(validate=one_of(REPORT_KINDS))
    mine = fields.Boolean(metadata={"description": "只看我报送的"})
    point_id = fields.Integer()


class ReportDetailQuery(InputSchema):
    include_reporter = fields.Boolean(load_default=True, metadata={
        "description": "本单位以外的查看者：是否显示报送人（每次显示都记入审计）"})


class FileQuery(InputSchema):
    thumbnail = fields.Boolean(load_default=False)


class UnitActionInput(InputSchema):
    action = fields.String(required=True, validate=_text(intake.UNIT_ACTION_MAX))


def _overdue(report) -> bool:
    return bool(report.deadline and report.status not in ("closed", "merged") and report.deadline < business_today())


def _region_name(code):
    region = db.session.get(Region, code) if code else None
    return region.name if region else None


class ReportSummarySchema(OutputSchema):
    id = fields.Integer()
    title = fields.String()
    area = fields.String()
    area_label = fields.Function(lambda r: AREAS.get(r.area))
    kind = fields.String()
    kind_label = fields.Function(lambda r: REPORT_KINDS.get(r.kind))
    status = fields.String()
    status_label = fields.Function(lambda r: REPORT_STATUSES.get(r.status))
    level = fields.String()
    level_label = fields.Function(lambda r: LEVELS.get(r.level))
    holder_region_code = fields.String()
    holder_office_name = fields.Function(lambda r: path.holder_office_name(r.holder_region_code))
    deadline = fields.Date(allow_none=True)
    overdue = fields.Function(_overdue)
    region_code = fields.String()
    region_name = fields.Function(lambda r: _region_name(r.region_code))
    suggested_level = fields.String(allow_none=True)
    suggested_level_label = fields.Function(lambda r: HAZARD_LEVELS.get(r.suggested_level))
    equipment_id = fields.Integer(allow_none=True)
    photo_count = fields.Function(lambda r: len(r.photo_ids or []))
    submitted_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


ReportPageSchema = page_schema(ReportSummarySchema)


class EventSchema(OutputSchema):
    """One step of the path: no names of regulator staff, only the holding office."""

    action = fields.String()
    action_label = fields.Function(lambda e: path.action_label(e.action))
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    to_status_label = fields.Function(lambda e: REPORT_STATUSES.get(e.to_status))
    from_level = fields.String(allow_none=True)
    from_level_label = fields.Function(lambda e: LEVELS.get(e.from_level) if e.from_level else None)
    to_level = fields.String()
    to_level_label = fields.Function(lambda e: LEVELS.get(e.to_level))
    holder_region_code = fields.String()
    holder_office_name = fields.Function(lambda e: path.holder_office_name(e.holder_region_code))
    deadline = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()


class EquipmentBriefSchema(OutputSchema):
    id = fields.Integer()
    equipment_code = fields.String(allow_none=True)
    catalogue_code = fields.String()
    catalogue_name = fields.Function(lambda e: e.catalogue.name)
    address = fields.String(allow_none=True)


def _photos(report) -> list[dict]:
    items = []
    for photo_id in report.photo_ids or []:
        thumb = media.find_thumbnail(photo_id)
        items.append({"id": photo_id, "thumbnail_id": thumb.id if thumb else None})
    return items


def _documents(report) -> list[dict]:
    rows = {r.id: r for r in db.session.scalars(db.select(StoredFile).where(
        StoredFile.id.in_(report.document_ids or ["-"])))}
    return [{"id": i, "filename": rows[i].filename, "content_type": rows[i].content_type, "size": rows[i].size}
            for i in report.document_ids or [] if i in rows]


def _equipment(report):
    if report.equipment_id is None:
        return None
    return EquipmentBriefSchema().dump(db.session.get(Equipment, report.equipment_id))


def _catalogue_name(report):
    entry = db.session.get(CatalogueEntry, report.catalogue_code) if report.catalogue_code else None
    return entry.name if entry else None


class ReportDetailSchema(ReportSummarySchema):
    body = fields.String()
    place = fields.String(allow_none=True)
    catalogue_code = fields.String(allow_none=True)
    catalogue_name = fields.Function(_catalogue_name)
    equipment = fields.Function(_equipment)
    photos = fields.Function(_photos)
    documents = fields.Function(_documents)
    not_emergency_confirmed = fields.Boolean()
    point_type = fields.Function(lambda r: r.reporter.point.point_type)
    point_type_label = fields.Function(lambda r: POINT_TYPES.get(r.reporter.point.point_type))
    unit_action = fields.String(allow_none=True)
    unit_action_at = fields.DateTime(allow_none=True)
    closing_note = fields.String(allow_none=True)
    classification = fields.String(allow_none=True)
    risk_level = fields.String(allow_none=True)
    measures = fields.String(allow_none=True)
    merged_into_id = fields.Integer(allow_none=True)
    events = fields.List(fields.Nested(EventSchema))


class ReporterIdentitySchema(OutputSchema):
    reporter_id = fields.Integer(attribute="id")
    name = fields.Function(lambda r: r.person.name)
    phone = fields.Function(lambda r: mask_phone(r.person.phone))
    unit_name = fields.Function(lambda r: r.person.unit.name)
    is_expert = fields.Boolean()


class ReportDetailWithReporterSchema(ReportDetailSchema):
    reporter = fields.Nested(ReporterIdentitySchema)
