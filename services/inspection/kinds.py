"""Which application fits which device, and who applies (the notice: 监督检验、定期（首）检验及电梯检测).

- The inspection type must fit the device's category (`TYPE_CATEGORIES`, catalogue codes; a
  种类 covers its 类别 and 品种): 自行检测 is the elevators' (TSG T7008-2023), 年度检查 the
  fixed and mobile pressure vessels', oxygen chambers' and industrial pipes', 外部 / 内部检验 the boilers' (whose
  定期检验 is those two), 监督检验 follows installation, alteration or major repair (not of
  场（厂）内专用机动车辆, which have a 首次检验 instead), 首次检验 starts the periodic series of
  vessels, cranes, vehicles and pipes. 422 `inspection_type_not_for_category`.
- 监督检验 (TSG 08 §2; TSG T7001) is applied for by the PRODUCTION unit doing the work, before
  the device can be registered for use: an approved production unit whose licence
  (`Unit.production_scopes`) covers the work (installation -> installation, alteration ->
  alteration, major_repair -> repair), in date, and linked to the device: named as its
  installer (`Equipment.installer_unit_id`), or having filed a 施工告知 for this device and this
  work (submitted, accepted or approved). The device need not be registered, only not gone.
- Every other type is applied for by the device's use unit, for a registered device not gone.
- A 复检 names the failed result it re-inspects (`reinspection_of_result_id`): a result of this
  device, of this inspection type, that forbade use.
- 条例 §28 (`is_late`): applied less than a month before the series' due date is flagged late.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.scoping import get_in_scope
from models.equipment import GONE_STATUSES, REGISTRATION_STATUSES, USE_STATUSES, Application, Equipment
from models.inspection import DUE_SERIES, INSPECTION_TYPES, SUPERVISION_WORKS, EquipmentDueDate, InspectionResult
from models.orgs import PRODUCTION_SCOPES, Unit
from services.equipment import catalogue, scope
from services.inspection.due_rules import add_months
from services.orgs import certificates

# 气瓶 (2300) are inspected cylinder by cylinder in their own domain, not through these applications.
_VESSELS = ("2100", "2200", "2400")
TYPE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "supervision": ("1000", *_VESSELS, "3000", "4000", "6000", "8000", "9000"),
    "first": (*_VESSELS, "4000", "5000", "8000"),
    "periodic": (*_VESSELS, "3000", "4000", "5000", "6000", "8000", "9000"),
    "self_test": ("3000",),
    "annual": ("2100", "2200", "2400", "8300"),
    "external": ("1000",),
    "internal": ("1000",),
}
# The licence item (PRODUCTION_SCOPES) each supervised work needs.
WORK_SCOPES = {"installation": "installation", "alteration": "alteration", "major_repair": "repair"}
# 施工告知 work types (services.equipment.application_rules) standing for each supervised work.
NOTICE_WORKS = {"installation": "installation", "alteration": "alteration", "major_repair": "repair"}
NOTICE_STATUSES = ("submitted", "accepted", "approved")
SUPERVISION_APPLICANT_ROLES = ("unit_admin", "principal", "quality_safety_director")
NOTICE_MONTHS = 1  # 条例 §28


def fits(catalogue_code: str, inspection_type: str) -> bool:
    """Whether a device of `catalogue_code` takes an inspection of `inspection_type`."""
    return any(scope.covers(code, catalogue_code) for code in TYPE_CATEGORIES.get(inspection_type, ()))


def require_fit(equipment: Equipment, inspection_type: str) -> None:
    """422 `inspection_type_not_for_category` naming the type and the categories that take it."""
    if fits(equipment.catalogue_code, inspection_type):
        return
    label = INSPECTION_TYPES[inspection_type]
    takers = "、".join(entry.name for code in TYPE_CATEGORIES[inspection_type]
                      if (entry := catalogue.get_entry(code)) is not None)
    raise InvalidInput(f"「{equipment.catalogue.name}」不做{label}（{label}适用于：{takers}）。",
                       code="inspection_type_not_for_category",
                       details={"fields": {"inspection_type": [f"该设备类别不做{label}。"]},
                                "catalogue_code": equipment.catalogue_code})


def require_work_type(inspection_type: str, work_type: str | None) -> str | None:
    """监督检验 names the work (installation, alteration, major_repair); other types name none."""
    if inspection_type == "supervision":
        if work_type not in SUPERVISION_WORKS:
            raise InvalidInput.field("work_type", "监督检验须选择施工类别：" + "、".join(SUPERVISION_WORKS.values()) + "。",
                                     code="work_type_required")
        return work_type
    if work_type is not None:
        raise InvalidInput.field("work_type", "只有监督检验填写施工类别。", code="work_type_not_applicable")
    return None


def equipment_for(identity: Identity, equipment_id: int, inspection_type: str | None) -> Equipment:
    """The device an application (or the agencies picker) names. A production unit asking for a
    监督检验 names a device of another unit's (whose installation it does): it reaches only a device
    it is linked to (named as its installer, or having filed a 施工告知 for it), so neither an
    application nor the picker tells it of any other device; `require_supervision_applicant` then
    checks the link for the work. Everyone else only sees devices in scope. 404 otherwise."""
    if inspection_type == "supervision" and identity.unit_kind == "production":
        equipment = db.session.get(Equipment, equipment_id)
        if equipment is None or not _linked(identity.unit_id, equipment):
            raise NotFound("未找到该设备：请由使用单位在平台新增设备，并由本单位办理施工告知（或登记为安装单位）。",
                           code="equipment_not_found")
        return equipment
    return get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")


def _notice_works(unit_id: int, equipment_id: int) -> set[str]:
    """The works of the unit's 施工告知 for the device that stand (submitted, accepted or approved)."""
    forms = db.session.scalars(select(Application.form).where(
        Application.kind == "construction_notice", Application.applicant_unit_id == unit_id,
        Application.equipment_id == equipment_id, Application.status.in_(NOTICE_STATUSES)))
    return {(form or {}).get("work_type") for form in forms}


def _linked(unit_id: int | None, equipment: Equipment) -> bool:
    return unit_id is not None and (equipment.installer_unit_id == unit_id
                                    or bool(_notice_works(unit_id, equipment.id)))


def require_supervision_applicant(identity: Identity, equipment: Equipment, work_type: str) -> None:
    """The production unit doing the work applies (see the module's docstring).

    Raises Forbidden (403 `not_supervision_applicant`, `production_scope_missing`), InvalidInput
    (422 `licence_expired`, `supervision_work_not_notified` naming equipment_id).
    """
    if not (identity.is_authenticated and identity.unit_kind == "production" and identity.unit_status == "approved"
            and identity.has_role(*SUPERVISION_APPLICANT_ROLES)):
        raise Forbidden("监督检验由从事安装、改造、重大修理的生产单位的管理员、主要负责人或质量安全总监申请。",
                        code="not_supervision_applicant")
    unit = db.session.get(Unit, identity.unit_id)
    needed = WORK_SCOPES[work_type]
    if needed not in (unit.production_scopes or []):
        raise Forbidden(f"本单位没有「{PRODUCTION_SCOPES[needed]}」许可项目，不能申请{SUPERVISION_WORKS[work_type]}"
                        "监督检验。", code="production_scope_missing")
    certificates.require_licence_in_date(unit, "申请监督检验")
    if work_type == "installation" and equipment.installer_unit_id == unit.id:
        return
    if NOTICE_WORKS[work_type] in _notice_works(unit.id, equipment.id):
        return
    work = SUPERVISION_WORKS[work_type]
    installer = "未登记由本单位安装，" if work_type == "installation" else ""
    raise InvalidInput.field("equipment_id", f"该设备{installer}没有本单位就该设备办理的「{work}」施工告知，"
                             f"不能申请{work}监督检验。请先办理施工告知。", code="supervision_work_not_notified")


def require_supervisable(equipment: Equipment) -> None:
    """监督检验 may come before registration (that is its point); a device gone for good takes none."""
    if equipment.use_status in GONE_STATUSES:
        raise RuleViolation(f"设备当前为「{USE_STATUSES[equipment.use_status]}」，不能申请监督检验。",
                            code="equipment_not_inspectable", details={"use_status": equipment.use_status})


def require_reinspection_of(equipment: Equipment, inspection_type: str, result_id: int | None) -> int | None:
    """A 复检 names a result of this device and type that forbade use (422 `reinspection_result_invalid`)."""
    if result_id is None:
        return None
    result = db.session.get(InspectionResult, result_id) if 0 < result_id < 2**31 else None
    if result is None or result.equipment_id != equipment.id:
        raise InvalidInput.field("reinspection_of_result_id", "复检须选择该设备的一份检验结果。",
                                 code="reinspection_result_invalid")
    if not result.forbids_use:
        raise InvalidInput.field("reinspection_of_result_id", f"检验报告 {result.report_no} 的结论为「{result.conclusion}」，"
                                 "不需要复检。", code="reinspection_result_invalid")
    if result.inspection_type != inspection_type:
        label = INSPECTION_TYPES.get(result.inspection_type, result.inspection_type)
        raise InvalidInput.field("reinspection_of_result_id", f"检验报告 {result.report_no} 是{label}的结果，"
                                 "复检应申请同一检验类型。", code="reinspection_result_invalid")
    return result.id


def is_late(equipment: Equipment, inspection_type: str, today: date) -> bool:
    """条例 §28: applied less than a month before the validity expires, or after it expired.

    The due date that counts is that of the series applied for (`equipment_due_dates`: an
    elevator's self-test due next month says nothing of its periodic inspection); a device
    without series rows yet falls back to its recorded due date when that is for this type (or
    of no stated type). A device without a due date cannot be late, nor a 监督检验 or 首次检验.
    """
    if inspection_type not in DUE_SERIES:
        return False
    due = db.session.scalar(select(EquipmentDueDate.due_date).where(
        EquipmentDueDate.equipment_id == equipment.id, EquipmentDueDate.series == inspection_type))
    if due is None and equipment.next_due_type in (None, DUE_SERIES[inspection_type]):
        due = equipment.next_due_date
    return due is not None and today > add_months(due, -NOTICE_MONTHS)


def require_inspectable(equipment: Equipment) -> None:
    """Any type but 监督检验: a registered device not gone for good (409 `equipment_not_inspectable`)."""
    if equipment.registration_status != "registered" or equipment.use_status in GONE_STATUSES:
        status = (USE_STATUSES.get(equipment.use_status) if equipment.use_status in GONE_STATUSES
                  else REGISTRATION_STATUSES.get(equipment.registration_status))
        raise RuleViolation(f"设备当前为「{status}」，只有已办理使用登记且未报废、注销的设备可以申请检验。",
                            code="equipment_not_inspectable",
                            details={"use_status": equipment.use_status,
                                     "registration_status": equipment.registration_status})
