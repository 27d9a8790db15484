"""`GET /open/v1/equipment/<设备代码>`: the master data an inspection agency needs for a device it
is to inspect (scope `inspection:read`). Which devices an agency reaches is the service's rule
(services.inspection.open_equipment, setting INSPECTION_OPEN_EQUIPMENT_REACH)."""
from __future__ import annotations

from marshmallow import fields

from core.schemas import OutputSchema
from integration_api import blp
from integration_api.signing import require_scope
from services.inspection.open_equipment import agency_device

SCOPE = "inspection:read"


class DueSeriesSchema(OutputSchema):
    series = fields.String(metadata={"description": "检验系列：periodic 定期检验 / self_test 自行检测 / annual 年度检查 / "
                                                    "external 外部检验 / internal 内部检验"})
    series_name = fields.String()
    due_date = fields.Date(allow_none=True, metadata={"description": "该系列的下次检验日期"})
    last_date = fields.Date(allow_none=True, metadata={"description": "该系列上次检验日期"})
    last_conclusion = fields.String(allow_none=True)


class OfficerSchema(OutputSchema):
    name = fields.String()
    phone = fields.String(allow_none=True, metadata={"description": "手机号已脱敏"})


class AgencyEquipmentSchema(OutputSchema):
    """A device as the agency that inspects it reads it."""

    equipment_code = fields.String(metadata={"description": "设备代码"})
    code = fields.String(allow_none=True, metadata={"description": "一码通编码（未赋码为 null）"})
    registration_cert_no = fields.String(allow_none=True, metadata={"description": "使用登记证编号"})
    legacy_reg_code = fields.String(allow_none=True, metadata={"description": "注册代码（旧）"})
    catalogue_code = fields.String(metadata={"description": "设备类别/品种代码（特种设备目录）"})
    category_name = fields.String()
    kind_code = fields.String(metadata={"description": "设备种类代码，如 3000"})
    kind_name = fields.String(allow_none=True)
    product_name = fields.String(allow_none=True)
    model_spec = fields.String(allow_none=True, metadata={"description": "型号规格"})
    product_serial_no = fields.String(allow_none=True, metadata={"description": "产品编号（出厂编号）"})
    manufacturer_name = fields.String(allow_none=True)
    manufacture_date = fields.Date(allow_none=True)
    design_life_years = fields.Integer(allow_none=True)
    put_into_use_date = fields.Date(allow_none=True)
    use_unit_name = fields.String(allow_none=True)
    use_unit_uscc = fields.String(allow_none=True, metadata={"description": "使用单位统一社会信用代码"})
    maintenance_unit_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True, metadata={"description": "设备使用地点"})
    region_code = fields.String()
    region_name = fields.String()
    use_status = fields.String()
    use_status_name = fields.String()
    registration_status = fields.String()
    registration_status_name = fields.String()
    hazard_stopped = fields.Boolean(metadata={"description": "因严重事故隐患停止使用"})
    use_forbidden_by_inspection = fields.Boolean(
        metadata={"description": "最近一次检验结论不允许使用（不合格、不符合要求、5 级），复检合格前不得使用"})
    safety_officer = fields.Nested(OfficerSchema, allow_none=True, metadata={"description": "安全员（手机号脱敏）"})
    supervision_passed_on = fields.Date(allow_none=True, metadata={"description": "安装（改造）监督检验合格日期"})
    last_inspection_date = fields.Date(allow_none=True)
    last_inspection_conclusion = fields.String(allow_none=True)
    last_inspection_grade = fields.Integer(allow_none=True, metadata={"description": "安全状况等级"})
    next_due_date = fields.Date(allow_none=True, metadata={"description": "各系列中最早的下次检验日期"})
    next_due_type = fields.String(allow_none=True)
    due_dates = fields.List(fields.Nested(DueSeriesSchema), metadata={"description": "每个检验系列的日期"})


EXAMPLE = {
    "equipment_code": "311061001201900002", "code": "SX0A1B2C3D4E", "registration_cert_no": "梯11陕A00123(24)",
    "legacy_reg_code": None, "catalogue_code": "3110", "category_name": "曳引驱动乘客电梯", "kind_code": "3000",
    "kind_name": "电梯", "product_name": "曳引驱动乘客电梯", "model_spec": "GeN2-MR", "product_serial_no": "2019-00123",
    "manufacturer_name": "西子奥的斯电梯有限公司", "manufacture_date": "2019-03-01", "design_life_years": None,
    "put_into_use_date": "2019-06-03", "use_unit_name": "西安某某广场有限公司", "use_unit_uscc": "91610113MA6U20020X",
    "maintenance_unit_name": "西安某某电梯工程有限公司", "address": "西安市雁塔区某某路 1 号 2 号客梯",
    "region_code": "610113", "region_name": "雁塔区", "use_status": "in_use", "use_status_name": "在用",
    "registration_status": "registered", "registration_status_name": "在册", "hazard_stopped": False,
    "use_forbidden_by_inspection": False, "safety_officer": {"name": "张三", "phone": "139****0010"},
    "supervision_passed_on": "2019-05-20", "last_inspection_date": "2025-05-18", "last_inspection_conclusion": "合格",
    "last_inspection_grade": None, "next_due_date": "2026-05-31", "next_due_type": "自行检测",
    "due_dates": [{"series": "periodic", "series_name": "定期检验", "due_date": "2027-05-31",
                   "last_date": "2025-05-18", "last_conclusion": "合格"},
                  {"series": "self_test", "series_name": "自行检测", "due_date": "2026-05-31",
                   "last_date": None, "last_conclusion": None}],
}


@blp.get("/equipment/<string:equipment_code>")
@blp.response(200, AgencyEquipmentSchema, example=EXAMPLE)
def agency_equipment(equipment_code: str):
    """受检设备信息（按设备代码）

    检验检测机构检验一台设备所需的基本信息：设备代码、使用登记证编号、类别与品种、产品名称、型号、产品编号、
    制造单位与日期、投用日期、使用单位及其统一社会信用代码、使用地点与区划、使用和登记状态、安全员（手机号脱敏）、
    各检验系列的下次检验日期，以及最近一次检验的日期、结论和安全状况等级。需要 inspection:read 权限。

    可查的设备：向本机构提出过检验申请（任何状态）的设备；平台设置为按区划时，另含本机构业务开通范围（在有效期内）
    所覆盖区划和设备类别内的设备。设备不存在与不在可查范围内一律返回 404 equipment_not_found。

    错误：403 scope_missing（缺少 inspection:read 权限）、404 equipment_not_found。
    """
    identity = require_scope(SCOPE)
    return agency_device(identity, equipment_code)
