"""The agency's change feed of applications addressed to it, and its decisions on them
(/open/v1/inspection/applications). Scopes: `inspection:read` for the feed, `inspection:write`
to accept, refuse and plan (the same service functions as the agency's staff use; each write is
audited naming the client). An application addressed to another agency answers 404."""
from __future__ import annotations

from flask import jsonify
from marshmallow import fields, validate

from core import cursor
from core.idempotency import idempotent
from core.schemas import InputSchema, OutputSchema, id_field
from integration_api import blp
from integration_api.signing import require_scope
from models.equipment import USE_STATUSES
from models.inspection import INSPECTION_APPLICATION_STATUSES, INSPECTION_TYPES, SUPERVISION_WORKS
from services.inspection import applications, feed

READ, WRITE = "inspection:read", "inspection:write"


class FeedQuery(InputSchema):
    since = fields.String(validate=validate.Length(max=512),
                          metadata={"description": "上次返回的 next_cursor；不带时从头开始"})
    limit = fields.Integer(validate=validate.Range(min=1, max=100000),
                           metadata={"description": "每页条数，默认 100，最多 500（OPEN_PAGE_SIZE_MAX）"})


class FeedEquipmentSchema(OutputSchema):
    id = fields.Integer()
    equipment_code = fields.String(allow_none=True, metadata={"description": "设备代码"})
    catalogue_code = fields.String()
    category = fields.Function(lambda e: e.catalogue.name)
    registration_cert_no = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    model_spec = fields.String(allow_none=True)
    product_serial_no = fields.String(allow_none=True)
    manufacturer_name = fields.String(allow_none=True)
    region_code = fields.String()
    address = fields.String(allow_none=True)
    use_unit_name = fields.Function(lambda e: e.use_unit.name if e.use_unit else e.legacy_use_unit_name)
    use_status = fields.String()
    use_status_name = fields.Function(lambda e: USE_STATUSES.get(e.use_status, e.use_status))
    last_inspection_date = fields.Date(allow_none=True)
    next_due_date = fields.Date(allow_none=True)
    next_due_type = fields.String(allow_none=True)


class FeedApplicationSchema(OutputSchema):
    """An application as the agency's system reads it (the contact phone whole: the agency calls)."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "submitted / accepted / planned / completed / refused / withdrawn"})
    status_name = fields.Function(lambda a: INSPECTION_APPLICATION_STATUSES[a.status])
    inspection_type = fields.String()
    inspection_type_name = fields.Function(lambda a: INSPECTION_TYPES.get(a.inspection_type))
    work_type = fields.String(allow_none=True,
                              metadata={"description": "监督检验：installation / alteration / major_repair"})
    work_type_name = fields.Function(lambda a: SUPERVISION_WORKS.get(a.work_type) if a.work_type else None)
    equipment = fields.Nested(FeedEquipmentSchema)
    applicant_unit_id = fields.Integer()
    applicant_unit_name = fields.Function(lambda a: a.applicant_unit.name)
    requested_date = fields.Date()
    planned_date = fields.Date(allow_none=True)
    inspector_person_ids = fields.List(fields.Integer())
    plan_due_on = fields.Date(allow_none=True, metadata={"description": "安排检验的期限"})
    report_due_on = fields.Date(allow_none=True, metadata={"description": "出具结果的期限"})
    late = fields.Boolean(metadata={"description": "距检验有效期届满不足一个月才申请（条例 §28）"})
    contact_name = fields.String()
    contact_phone = fields.String()
    note = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    reinspection_of = fields.Dict(allow_none=True, metadata={
        "description": "复检：{result_id, report_no}（被复检的不合格结果）；否则为 null"})
    result_id = fields.Integer(allow_none=True)
    feed_seq = fields.Integer(metadata={"description": "变更序号（本机构内递增）"})
    changed_at = fields.DateTime(attribute="updated_at")


class FeedPageSchema(OutputSchema):
    items = fields.List(fields.Nested(FeedApplicationSchema))
    next_cursor = fields.String(metadata={"description": "下次请求带上的 since（始终返回；没有新变更时与请求的相同）"})
    has_more = fields.Boolean(metadata={"description": "true：还有更多变更，请立即用 next_cursor 继续取"})


class AcceptBody(InputSchema):
    planned_date = fields.Date(allow_none=True, metadata={"description": "暂定检验日期（可不填）"})
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class RefuseBody(InputSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PlanBody(InputSchema):
    planned_date = fields.Date(required=True)
    inspector_person_ids = fields.List(id_field(), required=True, validate=validate.Length(min=1, max=20),
                                       metadata={"description": "检验人员在平台上的人员编号"})
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


def _item(application, report_nos: dict[int, str]) -> dict:
    item = FeedApplicationSchema().dump(application)
    result_id = application.reinspection_of_result_id
    item["reinspection_of"] = {"result_id": result_id, "report_no": report_nos.get(result_id)} if result_id else None
    return item


def _answer(application):
    """One application after a write, as the feed shows it."""
    page_nos = feed.report_nos([application.reinspection_of_result_id])
    return jsonify(_item(application, page_nos))


@blp.get("/inspection/applications")
@blp.arguments(FeedQuery, location="query")
@blp.response(200, FeedPageSchema)
def application_feed(args):
    """报检申请变更流（本机构收到的申请）

    按变更序号返回本机构收到的报检申请：新提交、受理、安排、拒绝、撤回、出具结果或其他变化的申请各一条（最新状态）。
    每次带上次返回的 next_cursor 作为 since 轮询，不会漏掉也不会重复；has_more 为 true 时立即继续取。
    需要 inspection:read 权限。错误：400 cursor_invalid、403 scope_missing、422 参数校验失败。
    """
    identity = require_scope(READ)
    page = feed.read(identity.unit_id, args.get("since"), cursor.page_limit(args.get("limit")))
    return jsonify({"items": [_item(a, page.report_nos) for a in page.items], "next_cursor": page.next_cursor,
                    "has_more": page.has_more})


@blp.post("/inspection/applications/<int:application_id>/accept")
@idempotent
@blp.arguments(AcceptBody)
@blp.response(200, FeedApplicationSchema)
def accept_application(data, application_id):
    """受理报检申请

    需要 inspection:write 权限。其他机构的申请返回 404。错误：409 inspection_transition_not_allowed、
    422 agency_approval_lapsed / agency_not_approved_for / planned_date_in_past。
    """
    identity = require_scope(WRITE)
    application = applications.get_for_agency(identity, application_id)
    return _answer(applications.accept(identity, application, data.get("planned_date"), data.get("note")))


@blp.post("/inspection/applications/<int:application_id>/refuse")
@idempotent
@blp.arguments(RefuseBody)
@blp.response(200, FeedApplicationSchema)
def refuse_application(data, application_id):
    """拒绝报检申请（须填写原因）

    需要 inspection:write 权限。其他机构的申请返回 404。
    """
    identity = require_scope(WRITE)
    application = applications.get_for_agency(identity, application_id)
    return _answer(applications.refuse(identity, application, data["reason"]))


@blp.post("/inspection/applications/<int:application_id>/plan")
@idempotent
@blp.arguments(PlanBody)
@blp.response(200, FeedApplicationSchema)
def plan_application(data, application_id):
    """安排检验（检验日期与检验人员；已安排的可重新安排）

    检验人员须为本机构持检验人员证（自行检测可为检测人员）的人员，证书在检验日期有效。需要 inspection:write 权限。
    错误：422 inspector_invalid / inspector_certificate_expired / planned_date_in_past / agency_approval_lapsed、
    409 inspection_transition_not_allowed。
    """
    identity = require_scope(WRITE)
    application = applications.get_for_agency(identity, application_id)
    return _answer(applications.plan(identity, application, data["planned_date"], data["inspector_person_ids"],
                                   data.get("note")))

