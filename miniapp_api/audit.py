"""Reading the audit record: province regulators and ops staff."""
from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import fields, validate
from sqlalchemy import select

from core.audit import AuditEntry
from core.auth import require_login
from core.errors import Forbidden
from core.pagination import PageQuery, page_schema, paginate
from core.schemas import OutputSchema

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="审计记录")


class AuditQuery(PageQuery):
    entity_type = fields.String(validate=validate.Length(min=1, max=32))
    entity_id = fields.String(validate=validate.Length(min=1, max=64))
    action = fields.String(validate=validate.Length(min=1, max=64))
    actor_person_id = fields.Integer()


class AuditEntrySchema(OutputSchema):
    id = fields.Integer()
    created_at = fields.DateTime()
    actor_person_id = fields.Integer(allow_none=True)
    actor_unit_id = fields.Integer(allow_none=True)
    client = fields.String()
    ip = fields.String(allow_none=True)
    action = fields.String()
    entity_type = fields.String()
    entity_id = fields.String()
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    hash = fields.String()


@blp.get("")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, page_schema(AuditEntrySchema))
def list_entries(args):
    """Newest first, filtered by entity, action or actor."""
    identity = require_login()
    if not ((identity.is_regulator or identity.is_ops) and identity.region_codes is None):
        raise Forbidden("只有省级监管部门和运维人员可以查看审计记录。")
    page, size = args.pop("page"), args.pop("page_size")
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    for name, value in args.items():
        stmt = stmt.where(getattr(AuditEntry, name) == value)
    return paginate(stmt, page, size)
