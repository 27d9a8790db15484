"""Schemas of agencies' business opening (业务开通): the declaration, decisions, lists."""
from __future__ import annotations

from marshmallow import fields, validate

from core.pagination import PageQuery, page_schema
from core.schemas import InputSchema, OutputSchema, id_field, one_of
from core.extensions import db
from models.equipment import CatalogueEntry
from models.inspection import AGENCY_APPROVAL_STATUSES, INSPECTION_TYPES
from models.orgs import Region
from services.inspection import approvals

_text = lambda n: validate.Length(min=1, max=n)  # noqa: E731


class ApprovalInput(InputSchema):
    licence_no = fields.String(required=True, validate=_text(64), metadata={"description": "核准证编号"})
    valid_from = fields.Date(allow_none=True, metadata={"description": "核准证有效期起"})
    valid_until = fields.Date(required=True, metadata={"description": "核准证有效期至"})
    categories = fields.List(fields.String(validate=validate.Regexp(r"^[0-9A-Za-z]{4}$")), required=True,
                             validate=validate.Length(min=1, max=100),
                             metadata={"description": "核准的设备种类、类别或品种代码（如 3000 含全部电梯）；公用管道、长输管道除外"})
    inspection_types = fields.List(fields.String(validate=one_of(INSPECTION_TYPES)), required=True,
                                   validate=validate.Length(min=1, max=len(INSPECTION_TYPES)))
    region_codes = fields.List(fields.String(validate=validate.Regexp(r"^[0-9]{6}$")), load_default=list,
                               validate=validate.Length(max=200),
                               metadata={"description": "服务地区（含下级）；不填为全省"})
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class ApproveInput(InputSchema):
    note = fields.String(validate=validate.Length(max=1000), allow_none=True)


class ReasonInput(InputSchema):
    reason = fields.String(required=True, validate=_text(1000))


class ApprovalQuery(PageQuery):
    status = fields.String(validate=one_of(AGENCY_APPROVAL_STATUSES))
    unit_id = id_field(metadata={"description": "检验检测机构"})
    q = fields.String(validate=_text(64), metadata={"description": "机构名称"})


def _category(code: str) -> dict:
    entry = db.session.get(CatalogueEntry, code)
    return {"code": code, "name": entry.name if entry else code}


def _region(code: str) -> dict:
    region = db.session.get(Region, code)
    return {"code": code, "name": region.name if region else code}


class ApprovalSchema(OutputSchema):
    id = fields.Integer()
    unit_id = fields.Integer()
    unit_name = fields.Function(lambda a: a.unit.name)
    region_code = fields.String(metadata={"description": "机构所在地区"})
    licence_no = fields.String()
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date()
    in_date = fields.Function(lambda a: approvals.in_date(a), metadata={"description": "在有效期内"})
    categories = fields.Function(lambda a: [_category(c) for c in a.categories],
                                 metadata={"description": "[{code, name}]"})
    inspection_types = fields.Function(lambda a: [{"key": t, "name": INSPECTION_TYPES.get(t, t)}
                                                  for t in a.inspection_types],
                                       metadata={"description": "[{key, name}]"})
    region_codes = fields.Function(lambda a: [_region(c) for c in a.region_codes],
                                   metadata={"description": "[{code, name}]；空为全省"})
    status = fields.String()
    status_label = fields.Function(lambda a: AGENCY_APPROVAL_STATUSES[a.status])
    note = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    submitted_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


ApprovalPageSchema = page_schema(ApprovalSchema)
