"""Schemas of risk-report handling: the input of each action, the handler's view of a report,
expert assignments and the pool, similar reports, the overdue list."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, StorableValues, id_field, one_of
from core.extensions import db
from models.orgs import Person
from models.risk import AREAS, HAZARD_LEVELS, LEVELS, REPORT_KINDS, REPORT_STATUSES
from services.risk import deadlines, path

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731
_risk_level = lambda: fields.String(required=True, validate=one_of(HAZARD_LEVELS))  # noqa: E731


# -- the input of each action --------------------------------------------------------------

class RiskCloseInput(InputSchema):
    measures = fields.String(required=True, validate=_text(4000),
                             metadata={"description": "采取的措施（协助企业消除隐患的情况）"})


class RiskReasonInput(InputSchema):
    """escalate (上报) and send_back (退回): the reason is required."""
    reason = fields.String(required=True, validate=_text(2000))


class RiskConsultAgencyInput(InputSchema):
    agency_unit_id = id_field(required=True, metadata={"description": "本辖区的检验检测机构"})
    note = fields.String(required=True, validate=_text(2000), metadata={"description": "商请研判的事项"})


class RiskAgencyOpinionInput(InputSchema):
    opinion = fields.String(required=True, validate=_text(4000))
    agency_unit_id = id_field(load_default=None, allow_none=True,
                         metadata={"description": "市局代录时指明机构；默认最近商请的机构"})


class RiskAssignExpertsInput(InputSchema):
    expert_person_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=20))
    note = fields.String(validate=validate.Length(max=2000), load_default=None, allow_none=True)


class RiskOpinionInput(InputSchema):
    classification = fields.String(required=True, validate=_text(64), metadata={"description": "风险分类"})
    risk_level = _risk_level()
    opinion = fields.String(required=True, validate=_text(4000))


class RiskConsolidateInput(InputSchema):
    classification = fields.String(required=True, validate=_text(64))
    risk_level = _risk_level()
    measures = fields.String(required=True, validate=_text(4000), metadata={"description": "风险减缓措施或建议"})


class RiskSendMeasuresInput(InputSchema):
    """send_measures: an optional note to the locality."""
    note = fields.String(validate=validate.Length(max=2000), load_default=None, allow_none=True)


class RiskReportDoneInput(InputSchema):
    note = fields.String(required=True, validate=_text(4000), metadata={"description": "措施落实情况"})


class RiskMergeInput(InputSchema):
    into_id = id_field(required=True, metadata={"description": "合并到的（同一隐患的）风险信息"})
    note = fields.String(validate=validate.Length(max=2000), load_default=None, allow_none=True)


class RiskExpertQuery(StorableValues, Schema):
    specialty = fields.String(validate=_text(32), load_default=None)
    report_id = id_field(load_default=None, metadata={"description": "与该风险信息匹配的专家排在前面"})


class RiskAssignmentQuery(PageQuery):
    pending = fields.Boolean(load_default=None, metadata={"description": "true 待提交，false 已提交"})


class RiskOverdueQuery(PageQuery):
    holder_region_code = fields.String(validate=validate.Length(equal=6), load_default=None)


# -- output ----------------------------------------------------------------------------------

class HandlingEventSchema(OutputSchema):
    id = fields.Integer()
    action = fields.String()
    action_label = fields.Function(lambda e: path.action_label(e.action))
    from_status = fields.String()
    to_status = fields.String()
    from_level = fields.String()
    to_level = fields.String()
    holder_region_code = fields.String()
    holder_office = fields.Function(lambda e: path.holder_office_name(e.holder_region_code))
    deadline = fields.Date()
    note = fields.String()
    created_at = fields.DateTime()


class HandlingSummarySchema(OutputSchema):
    id = fields.Integer()
    title = fields.String()
    area = fields.String()
    area_label = fields.Function(lambda r: AREAS.get(r.area, r.area))
    kind = fields.String()
    kind_label = fields.Function(lambda r: REPORT_KINDS.get(r.kind, r.kind))
    region_code = fields.String()
    equipment_id = fields.Integer()
    status = fields.String()
    status_label = fields.Function(lambda r: REPORT_STATUSES.get(r.status, r.status))
    level = fields.String()
    level_label = fields.Function(lambda r: LEVELS.get(r.level, r.level))
    holder_region_code = fields.String()
    holder_office = fields.Function(lambda r: path.holder_office_name(r.holder_region_code))
    deadline = fields.Date()
    overdue = fields.Function(lambda r: deadlines.is_overdue(r))
    submitted_at = fields.DateTime()


class HandlingReportSchema(HandlingSummarySchema):
    """The handler's view: where the report is, what was decided, and its whole path."""
    body = fields.String()
    catalogue_code = fields.String()
    suggested_level = fields.String()
    closed_at = fields.DateTime()
    closing_note = fields.String()
    merged_into_id = fields.Integer()
    classification = fields.String()
    risk_level = fields.String()
    risk_level_label = fields.Function(lambda r: HAZARD_LEVELS.get(r.risk_level) if r.risk_level else None)
    measures = fields.String()
    events = fields.List(fields.Nested(HandlingEventSchema), data_key="path")


class HandlingResultSchema(OutputSchema):
    report = fields.Nested(HandlingReportSchema)
    allowed_actions = fields.List(fields.String(), metadata={"description": "当前用户现在可以执行的操作"})


def _person_name(person_id: int) -> str | None:
    person = db.session.get(Person, person_id)
    return person.name if person else None


class ExpertAssignmentSchema(OutputSchema):
    id = fields.Integer()
    report_id = fields.Integer()
    expert_person_id = fields.Integer()
    expert_name = fields.Function(lambda a: _person_name(a.expert_person_id))
    classification = fields.String()
    risk_level = fields.String()
    risk_level_label = fields.Function(lambda a: HAZARD_LEVELS.get(a.risk_level) if a.risk_level else None)
    opinion = fields.String()
    submitted = fields.Function(lambda a: a.submitted_at is not None)
    submitted_at = fields.DateTime()
    created_at = fields.DateTime()


class RiskAssessmentSchema(OutputSchema):
    report_id = fields.Integer()
    status = fields.String()
    classification = fields.String()
    risk_level = fields.String()
    measures = fields.String()
    assignments = fields.List(fields.Nested(ExpertAssignmentSchema))


class MyExpertAssignmentSchema(OutputSchema):
    assignment = fields.Nested(ExpertAssignmentSchema)
    report = fields.Nested(HandlingSummarySchema)


MyExpertAssignmentPageSchema = page_schema(MyExpertAssignmentSchema)


class ExpertPoolSchema(OutputSchema):
    person_id = fields.Integer()
    name = fields.String()
    unit_id = fields.Integer()
    unit_name = fields.String()
    specialties = fields.List(fields.String())
    matches_report = fields.Boolean()


class SimilarReportSchema(OutputSchema):
    report = fields.Nested(HandlingSummarySchema)
    score = fields.Float(metadata={"description": "标题和正文的字符二元组 Jaccard 相似度，0 到 1"})
    same_equipment = fields.Boolean()


HandlingSummaryPageSchema = page_schema(HandlingSummarySchema)
