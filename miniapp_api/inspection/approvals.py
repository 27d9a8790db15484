"""Agencies' business opening (业务开通): the agency's admin declares its approved scope, the
province (or city, INSPECTION_APPROVAL_LEVEL) approves, refuses or revokes it."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from miniapp_api.schemas.inspection.approvals import (ApprovalInput, ApprovalPageSchema, ApprovalQuery,
                                                      ApprovalSchema, ApproveInput, ReasonInput)
from services.inspection import approvals

blp = Blueprint("inspection_approvals", __name__, url_prefix="/api/v1/inspection/approvals",
                description="检验检测机构业务开通")


@blp.post("")
@idempotent
@blp.arguments(ApprovalInput)
@blp.response(201, ApprovalSchema)
def declare(data):
    """The agency's admin declares its 核准证 and the scope it covers, for a regulator to decide."""
    return approvals.declare(require_login(), data)


@blp.get("")
@blp.arguments(ApprovalQuery, location="query")
@blp.response(200, ApprovalPageSchema)
def list_approvals(args):
    """Declarations the caller sees: the agency its own, regulators those of their region."""
    identity = require_login()
    page, size = args.pop("page"), args.pop("page_size")
    return paginate(approvals.list_approvals_stmt(identity, **args), page, size)


@blp.get("/<int:approval_id>")
@blp.response(200, ApprovalSchema)
def get(approval_id):
    identity = require_login()
    return approvals.get_approval(identity, approval_id)


@blp.post("/<int:approval_id>/approve")
@idempotent
@blp.arguments(ApproveInput)
@blp.response(200, ApprovalSchema)
def approve(data, approval_id):
    """Approve: the declaration becomes the agency's scope (superseding the previous one)."""
    identity = require_login()
    return approvals.approve(identity, approvals.get_approval(identity, approval_id), data.get("note"))


@blp.post("/<int:approval_id>/refuse")
@idempotent
@blp.arguments(ReasonInput)
@blp.response(200, ApprovalSchema)
def refuse(data, approval_id):
    identity = require_login()
    return approvals.refuse(identity, approvals.get_approval(identity, approval_id), data["reason"])


@blp.post("/<int:approval_id>/revoke")
@idempotent
@blp.arguments(ReasonInput)
@blp.response(200, ApprovalSchema)
def revoke(data, approval_id):
    """Revoke an approved scope: the agency takes no new work."""
    identity = require_login()
    return approvals.revoke(identity, approvals.get_approval(identity, approval_id), data["reason"])
