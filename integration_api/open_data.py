"""The open read API for other government systems (12345 hotline, city platforms, statistics):
Open311 GeoReport v2 in spirit. Scope `open:read`; public fields only (the output schemas below
list every field an answer can carry); cursor paging. The rules (which fields are public, which
regions a caller reads) are the services': services.risk.open_data, services.equipment.open_data.
"""
from __future__ import annotations

from marshmallow import fields, validate

from core import cursor
from core.schemas import InputSchema, OutputSchema
from integration_api import blp
from integration_api.signing import require_scope
from models.equipment import USE_STATUSES
from models.risk import AREAS, REPORT_KINDS, REPORT_STATUSES
from services.equipment.open_data import EquipmentFilters, list_public_equipment
from services.risk.open_data import ReportFilters, list_public_reports, public_services

SCOPE = "open:read"


def _choices(labels: dict[str, str]) -> str:
    return "；".join(f"{key}={name}" for key, name in labels.items())


class CursorQuery(InputSchema):
    cursor = fields.String(validate=validate.Length(max=512),
                           metadata={"description": "上一页返回的 next_cursor；不带时从第一页开始"})
    limit = fields.Integer(validate=validate.Range(min=1, max=100000),
                           metadata={"description": "每页条数，默认 100，最多 500（OPEN_PAGE_SIZE_MAX）"})
    region = fields.String(validate=validate.Regexp(r"^[0-9]{6}$"),
                           metadata={"description": "行政区划代码（6 位），含其监管下级；监管机构的系统只能查本辖区",
                                     "example": "610113"})
    updated_since = fields.AwareDateTime(default_timezone=None, metadata={
        "description": "只返回此时间（含）之后有变化的记录，ISO 8601 带时区", "example": "2026-01-01T00:00:00+08:00"})


class RequestQuery(CursorQuery):
    status = fields.String(validate=validate.OneOf(sorted(REPORT_STATUSES)),
                           metadata={"description": f"状态：{_choices(REPORT_STATUSES)}"})
    service_code = fields.String(validate=validate.OneOf(sorted(REPORT_KINDS)),
                                 metadata={"description": f"信息类别：{_choices(REPORT_KINDS)}"})
    area = fields.String(validate=validate.OneOf(sorted(AREAS)), metadata={"description": f"所涉环节：{_choices(AREAS)}"})
    start_date = fields.AwareDateTime(default_timezone=None,
                                      metadata={"description": "报送时间不早于（含），ISO 8601 带时区"})
    end_date = fields.AwareDateTime(default_timezone=None, metadata={"description": "报送时间早于（不含），ISO 8601 带时区"})


class EquipmentQuery(CursorQuery):
    kind_code = fields.String(validate=validate.Regexp(r"^[0-9A-Z]000$"),
                              metadata={"description": "设备种类代码，如 3000 电梯、2000 压力容器", "example": "3000"})
    use_status = fields.String(validate=validate.OneOf(sorted(USE_STATUSES)),
                               metadata={"description": f"使用状态：{_choices(USE_STATUSES)}"})
    overdue = fields.Boolean(metadata={"description": "true：只列在用且已超过下次检验日期的设备；false：排除它们"})


class AreaSchema(OutputSchema):
    key = fields.String()
    name = fields.String()


class ServiceSchema(OutputSchema):
    service_code = fields.String(metadata={"description": "信息类别代码"})
    service_name = fields.String()
    description = fields.String()
    group = fields.String()
    areas = fields.List(fields.Nested(AreaSchema), metadata={"description": "可选的所涉环节"})


class ServiceListSchema(OutputSchema):
    items = fields.List(fields.Nested(ServiceSchema))


class PublicRequestSchema(OutputSchema):
    """A risk report's public fields: never the reporter, a person, or free text."""

    service_request_id = fields.Integer(metadata={"description": "报告编号"})
    service_code = fields.String()
    service_name = fields.String()
    area = fields.String()
    area_name = fields.String()
    status = fields.String()
    status_name = fields.String()
    level = fields.String(metadata={"description": "当前处置层级：county / city / province"})
    level_name = fields.String()
    region_code = fields.String(metadata={"description": "发生地行政区划"})
    region_name = fields.String()
    holder_region_code = fields.String(metadata={"description": "当前处置机构所在区划"})
    holder_region_name = fields.String()
    category_code = fields.String(allow_none=True, metadata={"description": "所涉设备类别代码"})
    category_name = fields.String(allow_none=True)
    merged_into_id = fields.Integer(allow_none=True, metadata={"description": "已合并到的报告编号"})
    requested_datetime = fields.DateTime(metadata={"description": "报送时间"})
    updated_datetime = fields.DateTime()
    closed_datetime = fields.DateTime(allow_none=True)


class RequestPageSchema(OutputSchema):
    items = fields.List(fields.Nested(PublicRequestSchema))
    next_cursor = fields.String(allow_none=True, metadata={"description": "下一页的游标；最后一页为 null"})


class PublicEquipmentSchema(OutputSchema):
    """A device's public card (as on the public scan page) and its inspection status."""

    id = fields.Integer(metadata={"description": "设备编号（平台内部）"})
    code = fields.String(allow_none=True, metadata={"description": "一码通编码（未赋码为 null）"})
    region_code = fields.String()
    region_name = fields.String()
    category_code = fields.String()
    category = fields.String()
    registration_cert_no = fields.String(allow_none=True, metadata={"description": "使用登记证编号"})
    use_unit_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    maintenance_unit_name = fields.String(allow_none=True)
    maintenance_unit_phone = fields.String(allow_none=True, metadata={"description": "维保单位的公开联系电话"})
    use_status = fields.String()
    use_status_name = fields.String()
    last_inspection_date = fields.String(allow_none=True, metadata={"format": "date"})
    last_inspection_conclusion = fields.String(allow_none=True)
    next_due_date = fields.String(allow_none=True, metadata={"format": "date", "description": "下次检验日期"})
    next_due_type = fields.String(allow_none=True)
    overdue = fields.Boolean(metadata={"description": "在用且已超过下次检验日期"})
    status_colour = fields.String(metadata={"description": "green 在有效期内 / yellow 即将到期或待补充 / red 超期或停用"})
    status_text = fields.String()
    rescue_phone = fields.String(allow_none=True, metadata={"description": "电梯应急救援电话"})
    updated_at = fields.DateTime()


class EquipmentPageSchema(OutputSchema):
    items = fields.List(fields.Nested(PublicEquipmentSchema))
    next_cursor = fields.String(allow_none=True)


SERVICES_EXAMPLE = {"items": [{"service_code": "hazard", "service_name": "风险隐患",
                               "description": "特种设备事故隐患或风险", "group": "特种设备风险信息报送",
                               "areas": [{"key": "use", "name": "使用"}]}]}
REQUESTS_EXAMPLE = {"items": [{
    "service_request_id": 1024, "service_code": "hazard", "service_name": "风险隐患", "area": "use", "area_name": "使用",
    "status": "handling", "status_name": "处置中", "level": "city", "level_name": "市级",
    "region_code": "610113", "region_name": "雁塔区", "holder_region_code": "610100", "holder_region_name": "西安市",
    "category_code": "3110", "category_name": "曳引驱动乘客电梯", "merged_into_id": None,
    "requested_datetime": "2026-03-02T01:15:00+00:00", "updated_datetime": "2026-03-04T08:00:00+00:00",
    "closed_datetime": None}], "next_cursor": "WzIwMjYtMDMtMDRUMDg6MDA6MDArMDA6MDAiLDEwMjRd.Zm9vYmFy"}
EQUIPMENT_EXAMPLE = {"items": [{
    "id": 5012, "code": "SX0A1B2C3D4E", "region_code": "610113", "region_name": "雁塔区", "category_code": "3110",
    "category": "曳引驱动乘客电梯", "registration_cert_no": "梯11陕A00123(24)", "use_unit_name": "西安某某广场有限公司",
    "address": "西安市雁塔区某某路 1 号", "maintenance_unit_name": "西安某某电梯工程有限公司",
    "maintenance_unit_phone": "029-80000003", "use_status": "in_use", "use_status_name": "在用",
    "last_inspection_date": "2025-06-10", "last_inspection_conclusion": "合格", "next_due_date": "2026-06-10",
    "next_due_type": "定期检验", "overdue": False, "status_colour": "green", "status_text": "在检验有效期内",
    "rescue_phone": "96333", "updated_at": "2026-01-05T02:00:00+00:00"}], "next_cursor": None}


@blp.get("/services")
@blp.response(200, ServiceListSchema, example=SERVICES_EXAMPLE)
def services():
    """可报送的信息类别（Open311 services）

    风险信息报送的类别及其可选的所涉环节，供 12345 热线等系统对照使用。需要 open:read 权限。
    """
    require_scope(SCOPE)
    return {"items": public_services()}


@blp.get("/requests")
@blp.arguments(RequestQuery, location="query")
@blp.response(200, RequestPageSchema, example=REQUESTS_EXAMPLE)
def requests(args):
    """风险信息报告列表（Open311 requests，仅公开字段）

    按最后变化时间、编号排序，游标分页（带上一页的 next_cursor 取下一页，直到 next_cursor 为 null）。
    只含类别、环节、状态、处置层级、区划、设备类别和时间；不含报送人、报送单位、监测点、专家等任何人员信息，
    也不含标题、描述、地点等自由文本。监管机构的系统只能读本辖区，其他政府系统读全省公开数据。

    错误：400 cursor_invalid（游标无效）、403 scope_missing（缺少 open:read 权限）、
    403 region_out_of_scope（监管机构的系统只能读本辖区）、404 region_not_found、422 参数校验失败。
    """
    identity = require_scope(SCOPE)
    filters = ReportFilters(region_code=args.get("region"), status=args.get("status"),
                            service_code=args.get("service_code"), area=args.get("area"),
                            submitted_from=args.get("start_date"), submitted_to=args.get("end_date"),
                            updated_since=args.get("updated_since"))
    items, following = list_public_reports(identity, filters, args.get("cursor"), cursor.page_limit(args.get("limit")))
    return {"items": items, "next_cursor": following}


@blp.get("/equipment")
@blp.arguments(EquipmentQuery, location="query")
@blp.response(200, EquipmentPageSchema, example=EQUIPMENT_EXAMPLE)
def equipment(args):
    """设备公开信息与检验状态（按区划）

    每台设备的公开信息与扫码公开页一致（类别、登记证号、使用单位、地址、维保单位及其公开电话、检验日期与状态颜色），
    另含是否超期未检。按设备编号游标分页。不含安全员等任何人员信息。

    错误：400 cursor_invalid（游标无效）、403 scope_missing（缺少 open:read 权限）、
    403 region_out_of_scope（监管机构的系统只能读本辖区）、404 region_not_found、422 参数校验失败。
    """
    identity = require_scope(SCOPE)
    filters = EquipmentFilters(region_code=args.get("region"), kind_code=args.get("kind_code"),
                               use_status=args.get("use_status"), overdue=args.get("overdue"),
                               updated_since=args.get("updated_since"))
    items, following = list_public_equipment(identity, filters, args.get("cursor"),
                                             cursor.page_limit(args.get("limit")))
    return {"items": items, "next_cursor": following}
