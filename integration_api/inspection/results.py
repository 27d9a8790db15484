"""Inspection results from the agency's own system (scope `inspection:write`): batches of results,
upserted by the agency's report number, and the report PDF of each.

The batch is applied set-based by `services.inspection.results.record_results` (not
`integration_api.batch.run_batch`'s savepoint per record, too slow for the institutes' volumes),
with the same answer: one result per record, `applied`, `unchanged` or `error`.
"""
from __future__ import annotations

from flask import request
from marshmallow import fields, validate

from core.schemas import InputSchema, OutputSchema
from integration_api import blp
from integration_api.batch import BatchAnswer, BatchAnswerSchema
from integration_api.signing import require_scope
from services.inspection import results, results_reports

SCOPE = "inspection:write"

RECORD_DESCRIPTION = """检验结果记录（每条独立校验，出错的记录单独返回错误，其余照常写入）：

- `report_no`（必填，≤64）：报告编号，本机构内唯一；同一编号再次发送：内容相同返回 unchanged，内容不同视为更正
- `equipment_code`（必填，≤32）：设备代码
- `inspection_type`（必填）：supervision 监督检验、first 首次检验、periodic 定期检验、self_test 自行检测、annual 年度检查、external 外部检验、internal 内部检验
- `work_type`：监督检验必填，installation 安装、alteration 改造、major_repair 重大修理
- `conclusion`（必填）：按设备类别和检验类型取值——电梯监检/定检、起重机械、场车、游乐设施、索道：合格、不合格、复检合格、复检不合格；电梯自行检测：符合、不符合；锅炉外部/内部检验、压力容器和压力管道的定期/首次检验与年度检查：符合要求、基本符合要求、不符合要求；锅炉、压力容器、压力管道的监督检验：合格、不合格
- `safety_grade`：安全状况等级，压力容器 1–5、压力管道 1–4 的定期/首次检验必填，其他不填；容器 5 级、管道 4 级须为「不符合要求」
- `inspection_date`（必填）、`report_date`：YYYY-MM-DD，不得晚于今天，报告日期不早于检验日期
- `inspector_names`：检验人员姓名列表
- `application_id`：所答复的检验申请编号；不填时自动匹配本机构该设备同类待办申请，匹配到即办结
- `reinspection_of`：复检时被复检结果的报告编号；复检合格后该设备恢复绿码，原结果未整改的问题自动关闭
- `note`：备注（≤2000）
- `problems`：发现的问题 [{`description`, `severity`: general 一般 / serious 严重, `deadline`, `item_key`}]，每项生成一条隐患交使用单位整改

结论为不合格、复检不合格、不符合要求、不符合或最差安全状况等级时，设备码立即变红（禁止使用），并通知使用单位和属地监管部门。"""


class ResultBatchInput(InputSchema):
    records = fields.List(fields.Raw(metadata={"type": "object"}), required=True, validate=validate.Length(min=1),
                          metadata={"description": RECORD_DESCRIPTION + "\n\n每批最多 INSPECTION_RESULTS_BATCH_MAX（默认 1000）条，"
                                                   "超过则整批拒绝（422 batch_too_large）。"})


class ReportAnswerSchema(OutputSchema):
    id = fields.Integer(metadata={"description": "平台内的检验结果编号"})
    report_no = fields.String()
    status = fields.String(metadata={"description": "applied（已保存）或 unchanged（与已保存的报告相同）"})
    report_sha256 = fields.String(metadata={"description": "平台保存的报告文件的 SHA-256"})


@blp.post("/inspection/results")
@blp.arguments(ResultBatchInput)
@blp.response(200, BatchAnswerSchema)
def upload_results(data):
    """Upload a batch of inspection results (upsert by report number), each with all its effects:
    due dates, code colour, findings, the answered application completed."""
    identity = require_scope(SCOPE)
    answer = BatchAnswer()
    for index, outcome in enumerate(results.record_results(identity, data["records"])):
        extra = {"error": outcome.error_dict()} if outcome.error is not None else {"id": outcome.id}
        answer.add(index, outcome.report_no, outcome.status, **extra)
    return answer


@blp.put("/inspection/results/<string:report_no>/report.pdf")
@blp.doc(requestBody={"required": True, "description": "报告 PDF 原始字节（Content-Type: application/pdf），大小不超过 UPLOAD_MAX_BYTES",
                      "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}})
@blp.response(200, ReportAnswerSchema)
def put_report(report_no):
    """The report PDF of one of the agency's results (by its report number; another agency's is 404).
    The same bytes again change nothing (`unchanged`)."""
    identity = require_scope(SCOPE)
    result, changed = results_reports.put_report_bytes(identity, report_no, request.get_data(cache=True),
                                                       request.content_type)
    return {"id": result.id, "report_no": result.report_no, "status": "applied" if changed else "unchanged",
            "report_sha256": results_reports.report_sha256(result)}
