"""Claims of historical equipment (认领): a use unit claims, the region's regulator decides."""
from __future__ import annotations

from flask_smorest import Blueprint

from core.auth import require_login
from core.idempotency import idempotent
from core.pagination import paginate
from core.scoping import get_in_scope
from miniapp_api.schemas.equipment.claims import (ClaimDecisionInput, ClaimInput, ClaimPageSchema, ClaimQuery,
                                                  ClaimSchema)
from models.equipment import EquipmentClaim
from services.equipment import claims

blp = Blueprint("equipment_claims", __name__, url_prefix="/api/v1/equipment/claims", description="历史设备认领")

NOT_FOUND = "未找到该认领记录。"


@blp.post("")
@idempotent
@blp.arguments(ClaimInput)
@blp.response(201, ClaimSchema)
def submit(data):
    """Claim a historical record by 设备代码 or 注册代码 plus its 使用登记证编号."""
    return claims.submit_claim(require_login(), data.get("equipment_code"), data.get("legacy_reg_code"),
                               data["registration_cert_no"])


@blp.get("")
@blp.arguments(ClaimQuery, location="query")
@blp.response(200, ClaimPageSchema)
def list_claims(args):
    identity = require_login()
    return paginate(claims.list_claims_stmt(identity, args.get("status")), args["page"], args["page_size"])


@blp.get("/<int:claim_id>")
@blp.response(200, ClaimSchema)
def get(claim_id):
    return get_in_scope(EquipmentClaim, claim_id, require_login(), NOT_FOUND)


@blp.post("/<int:claim_id>/confirm")
@blp.arguments(ClaimDecisionInput)
@blp.response(200, ClaimSchema)
def confirm(data, claim_id):
    """The regulator of the equipment's region confirms: the claimant becomes the use unit."""
    identity = require_login()
    claim = get_in_scope(EquipmentClaim, claim_id, identity, NOT_FOUND)
    return claims.decide_claim(identity, claim, "confirm", data.get("note"))


@blp.post("/<int:claim_id>/refuse")
@blp.arguments(ClaimDecisionInput)
@blp.response(200, ClaimSchema)
def refuse(data, claim_id):
    """The regulator refuses, with a reason the claimant can act on."""
    identity = require_login()
    claim = get_in_scope(EquipmentClaim, claim_id, identity, NOT_FOUND)
    return claims.decide_claim(identity, claim, "refuse", data.get("note"))
