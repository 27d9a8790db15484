"""Schemas of inspection due dates: a device's series and the overdue views (lists and summaries)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import OutputSchema, StorableValues, one_of
from miniapp_api.schemas.equipment.records import EquipmentSummarySchema
from models.inspection import DUE_SERIES

_code4 = validate.Regexp(r"^[0-9A-Za-z]{4}$", error="设备类别代码为 4 位。")
_days = validate.Range(min=0, max=36500)


class OverdueFilterFields(StorableValues, Schema):
    region_code = fields.String(validate=validate.Length(equal=6))
    category = fields.String(validate=_code4)
    series = fields.String(validate=one_of(DUE_SERIES))
    days_min = fields.Integer(validate=_days)
    days_max = fields.Integer(validate=_days)


class OverdueQuery(PageQuery, OverdueFilterFields):
    """Filters of the overdue list; `days_min` / `days_max`: days past the due date."""


class OverdueSummaryQuery(OverdueFilterFields):
    """Filters of the summary (its rows are the children of `region_code`, default the viewer's region)."""


class DueSeriesSchema(OutputSchema):
    """One inspection series of a device (定期检验, 自行检测, 年度检查, 外部检验, 内部检验)."""

    series = fields.String()
    label = fields.Function(lambda row: DUE_SERIES.get(row.series, row.series))
    due_date = fields.Date(allow_none=True)
    last_date = fields.Date(allow_none=True)
    last_conclusion = fields.String(allow_none=True)
    last_result_id = fields.Integer(allow_none=True)


class DeviceDueDatesSchema(OutputSchema):
    equipment_id = fields.Integer()
    next_due_date = fields.Date(allow_none=True)
    next_due_type = fields.String(allow_none=True)
    series = fields.List(fields.Nested(DueSeriesSchema))


class OverdueSeriesSchema(OutputSchema):
    series = fields.String()
    label = fields.String()
    due_date = fields.Date()
    days_overdue = fields.Integer()
    last_date = fields.Date(allow_none=True)
    last_conclusion = fields.String(allow_none=True)


class OverdueDeviceSchema(OutputSchema):
    equipment = fields.Nested(EquipmentSummarySchema)
    first_due_date = fields.Date()
    days_overdue = fields.Integer()
    overdue_series = fields.List(fields.Nested(OverdueSeriesSchema))


OverduePageSchema = page_schema(OverdueDeviceSchema)


class SeriesCountsSchema(OutputSchema):
    periodic = fields.Integer()
    self_test = fields.Integer()
    annual = fields.Integer()
    external = fields.Integer()
    internal = fields.Integer()


class OverdueRegionSchema(OutputSchema):
    region_code = fields.String()
    region_name = fields.String()
    devices = fields.Integer()
    by_series = fields.Nested(SeriesCountsSchema)


class OverdueSummarySchema(OutputSchema):
    region_code = fields.String()
    region_name = fields.String()
    today = fields.Date()
    series_labels = fields.Dict(keys=fields.String(), values=fields.String())
    devices = fields.Integer()
    by_series = fields.Nested(SeriesCountsSchema)
    rows = fields.List(fields.Nested(OverdueRegionSchema))
