"""Safety findings: lists (scoped; filters), detail, and closing a rectified one."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.findings import FindingCloseInput, FindingPageSchema, FindingQuery, FindingSchema
from models.findings import Finding
from services import findings

blp = Blueprint("findings", __name__, url_prefix="/api/v1", description="隐患与整改")


@blp.get("/findings")
@blp.arguments(FindingQuery, location="query")
@blp.response(200, FindingPageSchema)
def list_findings(args):
    """The unit's findings, or a regulator's region's; `overdue=true`: open past the deadline."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(findings.list_findings_stmt(identity, **args), page, size)


@blp.get("/findings/<int:finding_id>")
@blp.response(200, FindingSchema)
def get_finding(finding_id):
    return get_in_scope(Finding, finding_id, require_login(), "未找到该隐患记录。")


@blp.post("/findings/<int:finding_id>/close")
@idempotent
@blp.arguments(FindingCloseInput)
@blp.response(200, FindingSchema)
def close(data, finding_id):
    """Close a rectified finding: general by the 安全员 or 安全总监; serious only by the 安全总监, with
    evidence, which restores the device when no other serious finding stays open on it."""
    identity = require_login()
    finding = get_in_scope(Finding, finding_id, identity, "未找到该隐患记录。")
    return findings.close_finding(identity, finding, data["note"], data["evidence_ids"])
