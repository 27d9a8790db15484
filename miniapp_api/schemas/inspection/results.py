"""Schemas of inspection results (检验结果) by hand: one result as agency staff enter it, the lists
and the detail with its findings, and attaching the report file."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, id_field, one_of
from miniapp_api.schemas.equipment.records import EquipmentSummarySchema
from miniapp_api.schemas.findings import FindingSchema
from models.inspection import INSPECTION_TYPES, SUPERVISION_WORKS
from services.inspection.results_input import MAX_INSPECTORS, PROBLEM_SEVERITIES

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


class ProblemInput(InputSchema):
    description = fields.String(required=True, validate=_text(1000), metadata={"description": "问题描述"})
    severity = fields.String(required=True, validate=one_of(PROBLEM_SEVERITIES), metadata={"description": "问题等级"})
    deadline = fields.Date(allow_none=True, metadata={"description": "整改期限；不填为报告日期后 INSPECTION_FINDING_DEADLINE_DAYS 天"})
    item_key = fields.String(allow_none=True, validate=validate.Length(max=32), metadata={"description": "检验项目编号"})


class ResultInput(InputSchema):
    """One result entered by hand (the same record the agency's machine sends in batches)."""

    report_no = fields.String(required=True, validate=_text(64), metadata={"description": "报告编号（本机构内唯一）"})
    equipment_id = id_field(metadata={"description": "设备编号（与设备代码二选一）"})
    equipment_code = fields.String(validate=_text(32), metadata={"description": "设备代码"})
    inspection_type = fields.String(required=True, validate=one_of(INSPECTION_TYPES))
    work_type = fields.String(allow_none=True, validate=one_of(SUPERVISION_WORKS),
                              metadata={"description": "监督检验的施工类别"})
    conclusion = fields.String(required=True, validate=_text(16),
                               metadata={"description": "检验结论（按设备类别和检验类型：合格、不合格、复检合格、复检不合格；"
                                                        "符合、不符合；符合要求、基本符合要求、不符合要求）"})
    safety_grade = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=5),
                                  metadata={"description": "安全状况等级（压力容器 1–5、压力管道 1–4 的定期/首次检验必填）"})
    inspection_date = fields.Date(required=True)
    report_date = fields.Date(allow_none=True)
    inspector_names = fields.List(fields.String(validate=_text(64)), validate=validate.Length(max=MAX_INSPECTORS))
    application_id = id_field(allow_none=True, metadata={"description": "所答复的检验申请；不填时自动匹配本机构该设备同类待办申请"})
    reinspection_of = fields.String(allow_none=True, validate=_text(64),
                                    metadata={"description": "复检时：被复检的检验结果的报告编号"})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    problems = fields.List(fields.Nested(ProblemInput), metadata={"description": "发现的问题，每项生成一条隐患（待使用单位整改）"})

    @validates_schema
    def _device(self, data, **kwargs) -> None:
        if not data.get("equipment_id") and not data.get("equipment_code"):
            raise ValidationError("请填写设备编号或设备代码。", "equipment_code")


class ResultQuery(PageQuery):
    equipment_id = id_field()
    equipment_code = fields.String(validate=_text(32))
    inspection_type = fields.String(validate=one_of(INSPECTION_TYPES))
    conclusion = fields.String(validate=_text(16))
    forbids_use = fields.Boolean(metadata={"description": "true：只列禁止使用的结论"})
    agency_unit_id = id_field()
    date_from = fields.Date(metadata={"description": "检验日期不早于"})
    date_to = fields.Date(metadata={"description": "检验日期不晚于"})


class ReportAttachInput(InputSchema):
    file_id = fields.String(required=True, validate=_text(32),
                            metadata={"description": "先以 POST /api/v1/uploads 上传 PDF 得到的文件编号"})


class ResultSchema(OutputSchema):
    id = fields.Integer()
    report_no = fields.String()
    agency_unit_id = fields.Integer()
    agency_unit_name = fields.Function(lambda r: r.agency_unit.name)
    equipment_id = fields.Integer()
    equipment = fields.Nested(EquipmentSummarySchema)
    use_unit_id = fields.Integer(allow_none=True)
    region_code = fields.String()
    application_id = fields.Integer(allow_none=True)
    inspection_type = fields.String()
    inspection_type_label = fields.Function(lambda r: INSPECTION_TYPES.get(r.inspection_type))
    work_type = fields.String(allow_none=True)
    work_type_label = fields.Function(lambda r: SUPERVISION_WORKS.get(r.work_type) if r.work_type else None)
    conclusion = fields.String()
    safety_grade = fields.Integer(allow_none=True)
    forbids_use = fields.Boolean(metadata={"description": "该结论禁止设备使用（不合格、不符合要求、最差安全状况等级）"})
    inspection_date = fields.Date()
    report_date = fields.Date(allow_none=True)
    reinspection_of_id = fields.Integer(allow_none=True)
    next_due = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                           metadata={"description": "该结果确定的各检验系列的下次检验日期"})
    inspector_names = fields.List(fields.String())
    problem_count = fields.Integer()
    has_report = fields.Function(lambda r: r.report_file_id is not None, metadata={"description": "已上传报告 PDF"})
    note = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ResultDetailSchema(ResultSchema):
    # The route sets `found` (the result's findings, one query) before dumping.
    findings = fields.List(fields.Nested(FindingSchema), attribute="found",
                           metadata={"description": "报告所列问题生成的隐患及其整改情况"})


ResultPageSchema = page_schema(ResultSchema)
