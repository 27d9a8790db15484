"""Schemas for risk statistics, periodic reports, typical cases and recognition.

No output schema here has a field for a reporter's identity, except the recognition ranking, which is
the commendation itself (see `services.risk.recognition` for who may see it).
"""
from __future__ import annotations

from marshmallow import fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from services.risk import periodic, statistics
from services.risk.cases import CASE_STATUSES
from services.risk.recognition import BY

_period = validate.Regexp(r"^\s*\d{4}(-(Q[1-4]|0[1-9]|1[0-2]))?\s*$", flags=0,
                          error="期间格式应为 2026、2026-Q4 或 2026-11。")


# -- statistics ----------------------------------------------------------------------------------------

class RiskStatisticsQuery(InputSchema):
    date_from = fields.Date(metadata={"description": "报送日期起（含），默认当年 1 月 1 日"})
    date_to = fields.Date(metadata={"description": "报送日期止（含），默认今天"})
    group_by = fields.String(load_default="level", validate=one_of(statistics.GROUP_BYS),
                             metadata={"description": "level 隐患等级 / handling_level 处置层级 / region / area / "
                                                      "kind / category / status / month"})
    region_code = fields.String(validate=validate.Length(equal=6),
                                metadata={"description": "只统计本辖区内的该地区（含下级），默认本辖区"})


class RiskHandlingDaysSchema(OutputSchema):
    closed = fields.Integer()
    average = fields.Float(allow_none=True)
    median = fields.Float(allow_none=True)


class RiskTotalsSchema(OutputSchema):
    reports = fields.Integer()
    closed = fields.Integer()
    open = fields.Integer()
    merged = fields.Integer()
    closed_rate = fields.Float(allow_none=True)
    serious = fields.Integer()
    major = fields.Integer()
    handling_days = fields.Nested(RiskHandlingDaysSchema)


class RiskGroupSchema(OutputSchema):
    key = fields.String()
    label = fields.String()
    reports = fields.Integer()
    closed = fields.Integer()
    open = fields.Integer()
    merged = fields.Integer()
    average_days = fields.Float(allow_none=True)
    median_days = fields.Float(allow_none=True)


class RiskHeldSchema(OutputSchema):
    level = fields.String()
    label = fields.String()
    holdings = fields.Integer()
    average_days = fields.Float(allow_none=True)
    median_days = fields.Float(allow_none=True)
    held_now = fields.Integer()


class RiskScopeSchema(OutputSchema):
    region_code = fields.String()
    region_name = fields.String()


class RiskStatisticsSchema(OutputSchema):
    date_from = fields.Date()
    date_to = fields.Date()
    group_by = fields.String()
    scope = fields.Nested(RiskScopeSchema)
    totals = fields.Nested(RiskTotalsSchema)
    groups = fields.List(fields.Nested(RiskGroupSchema))
    held_by_level = fields.List(fields.Nested(RiskHeldSchema))


# -- periodic reports ------------------------------------------------------------------------------------

class PeriodicQuery(InputSchema, PageQuery):
    period_type = fields.String(validate=one_of(periodic.PERIOD_TYPES))


class PeriodicInput(InputSchema):
    period_type = fields.String(required=True, validate=one_of(periodic.PERIOD_TYPES))
    period = fields.String(required=True, validate=_period,
                           metadata={"description": "月度 2026-11，季度 2026-Q4"})


class PeriodicReportSchema(OutputSchema):
    id = fields.Integer()
    period_type = fields.String()
    period_type_label = fields.Function(lambda r: periodic.PERIOD_TYPES.get(r.period_type, r.period_type))
    period = fields.Function(periodic.code_of)
    period_label = fields.Function(periodic.label_of)
    period_start = fields.Date()
    period_end = fields.Date()
    status = fields.String()
    status_label = fields.Function(lambda r: periodic.STATUSES.get(r.status, r.status))
    partial = fields.Function(lambda r: bool((r.statistics or {}).get("partial")))
    as_of = fields.Function(lambda r: (r.statistics or {}).get("as_of"))
    error = fields.String(allow_none=True)
    generated_at = fields.DateTime(allow_none=True)
    has_pdf = fields.Function(lambda r: r.pdf_file_id is not None)
    has_xlsx = fields.Function(lambda r: r.xlsx_file_id is not None)


class PeriodicReportDetailSchema(PeriodicReportSchema):
    statistics = fields.Dict()


PeriodicReportPageSchema = page_schema(PeriodicReportSchema)


# -- typical cases ---------------------------------------------------------------------------------------

class CaseInput(InputSchema):
    report_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    lessons = fields.String(allow_none=True, validate=validate.Length(max=20000))


class CaseUpdateInput(InputSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=validate.Length(min=1, max=20000))
    lessons = fields.String(allow_none=True, validate=validate.Length(max=20000))


class CaseQuery(InputSchema, PageQuery):
    status = fields.String(validate=one_of(CASE_STATUSES))
    q = fields.String(validate=validate.Length(max=50), metadata={"description": "标题、内容关键词"})


class RiskCaseReportSchema(OutputSchema):
    """The report's facts in a case: never the reporter, the point or the reporting unit."""

    id = fields.Integer()
    title = fields.String()
    area = fields.String()
    area_label = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    category_code = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    region_code = fields.String()
    region_name = fields.String(allow_none=True)
    hazard_level = fields.String(allow_none=True)
    hazard_level_label = fields.String()
    classification = fields.String(allow_none=True)
    measures = fields.String(allow_none=True)
    closing_note = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class CaseSchema(OutputSchema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    lessons = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    author_unit = fields.String(allow_none=True)
    written_by_me = fields.Boolean()
    can_edit = fields.Boolean()
    can_publish = fields.Boolean()
    report = fields.Nested(RiskCaseReportSchema)


CasePageSchema = page_schema(CaseSchema)


# -- recognition ---------------------------------------------------------------------------------------

class RiskRatingInput(InputSchema):
    quality = fields.Integer(required=True, validate=validate.Range(min=1, max=5),
                             metadata={"description": "信息质量 1-5"})
    adopted = fields.Boolean(required=True, metadata={"description": "是否被采纳"})


class RiskRatingSchema(OutputSchema):
    id = fields.Integer()
    report_id = fields.Integer()
    rated_by_person_id = fields.Integer()
    quality = fields.Integer()
    adopted = fields.Boolean()
    points = fields.Integer()
    created_at = fields.DateTime()


class RecognitionQuery(InputSchema):
    period = fields.String(required=True, validate=_period, metadata={"description": "2026、2026-Q4 或 2026-11"})
    by = fields.String(load_default="reporter", validate=one_of(BY))


class RiskExportQuery(InputSchema):
    period = fields.String(required=True, validate=_period)


class RiskRankSchema(OutputSchema):
    rank = fields.Integer()
    id = fields.Integer()
    reporter_id = fields.Integer()
    name = fields.String()
    unit_name = fields.String()
    is_expert = fields.Boolean()
    point_id = fields.Integer()
    point_name = fields.String()
    point_type = fields.String()
    point_type_label = fields.String()
    region_name = fields.String()
    reporters = fields.Integer()
    reports = fields.Integer()
    rated = fields.Integer()
    adopted = fields.Integer()
    average_quality = fields.Float(allow_none=True)
    points = fields.Float()


class RecognitionSchema(OutputSchema):
    period = fields.String()
    period_label = fields.String()
    date_from = fields.Date()
    date_to = fields.Date()
    by = fields.String()
    formula = fields.String()
    items = fields.List(fields.Nested(RiskRankSchema))
