"""Schemas for the Excel import of historical equipment."""
from __future__ import annotations

from marshmallow import fields

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, one_of
from models.equipment import IMPORT_STATUSES
from services.equipment import import_check, imports


class ImportUploadForm(InputSchema):
    """The multipart form. `file` is listed for the API documentation (one request body
    per operation); the route takes the file part itself from `request.files`."""

    file = fields.Raw(metadata={"type": "string", "format": "binary", "description": "按导入模板填写的 .xlsx 文件"})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "true：只校验（默认）；false：校验无误即导入"})


class ImportQuery(PageQuery):
    status = fields.String(validate=one_of(IMPORT_STATUSES))


class ImportIssueSchema(OutputSchema):
    row = fields.Integer(metadata={"description": "Excel 行号"})
    column = fields.String(metadata={"description": "列名（表头）"})
    code = fields.String()
    message = fields.String()


class ImportRowSchema(OutputSchema):
    row = fields.Integer()
    action = fields.String(metadata={"description": "create / update / unchanged / error"})
    equipment_code = fields.String(allow_none=True)
    legacy_reg_code = fields.String(allow_none=True)
    equipment_id = fields.Integer(allow_none=True)


class EquipmentImportSummarySchema(OutputSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    region_code = fields.String()
    filename = fields.Function(lambda r: r.summary.get("filename"))
    file_sha256 = fields.String()
    dry_run = fields.Boolean()
    status = fields.String()
    status_label = fields.Function(imports.status_label)
    total_rows = fields.Integer()
    processed_rows = fields.Integer()
    error_count = fields.Integer()
    warning_count = fields.Function(lambda r: r.summary.get("warning_count", 0))
    counts = fields.Function(lambda r: r.summary.get("counts", {}),
                             metadata={"description": "create / update / unchanged / error 的行数"})
    failure = fields.Function(lambda r: r.summary.get("failure"))
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class EquipmentImportSchema(EquipmentImportSummarySchema):
    errors = fields.List(fields.Nested(ImportIssueSchema))
    errors_truncated = fields.Function(lambda r: r.error_count > len(r.errors),
                                       metadata={"description": f"只保存前 {import_check.ISSUE_LIMIT} 条错误"})
    warnings = fields.Function(lambda r: ImportIssueSchema(many=True).dump(r.summary.get("warnings", [])))
    rows = fields.Function(lambda r: ImportRowSchema(many=True).dump(r.summary.get("rows", [])),
                           metadata={"description": "前 1000 行的处理方式"})
    action_ranges = fields.Function(lambda r: r.summary.get("action_ranges", {}),
                                    metadata={"description": "每种处理方式的连续行号区间 [起, 止]，覆盖全部行"})


EquipmentImportPageSchema = page_schema(EquipmentImportSummarySchema)
