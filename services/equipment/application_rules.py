"""The rules of each lifecycle application and what its approval does to the equipment
(TSG 08-2017 ch.3; domain.md §2, §5.3).

`RULES` are checked on create, edit, submit and approve; `EFFECTS` change the equipment
in the approval's transaction. Keyed by change type for 变更登记, else by kind.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable

from flask import current_app

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from models.equipment import (APPLICATION_KINDS, GONE_STATUSES, REGISTRATION_STATUSES, USE_STATUSES, Application,
                              Equipment)
from models.orgs import Region, Unit
from services.equipment import catalogue, contracts, offices, records
from services.orgs import certificates, regions, units

EDITABLE_STATUSES = ("draft", "returned")
# 施工告知: the licence scope a production unit needs for each kind of work.
WORK_SCOPES = {"installation": {"installation"}, "alteration": {"alteration"}, "repair": {"repair", "maintenance"}}
# Late past a time limit: (form date, config key of the limit in days), by kind or change type.
TIME_LIMITS = {
    "use_registration": ("put_into_use_date", "REGISTRATION_TIME_LIMIT_DAYS"),
    "alteration": ("resumed_use_on", "REGISTRATION_TIME_LIMIT_DAYS"),
    "unit_change": ("transferred_on", "REGISTRATION_TIME_LIMIT_DAYS"),
    "suspension": ("stopped_on", "SUSPENSION_REPORT_DAYS"),
    "maintenance_filing": ("signed_on", "MAINTENANCE_FILING_DEADLINE_DAYS"),
}


def _form_error(name: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, details={"fields": {"form": {name: [message]}}})


def _day(form: dict, name: str) -> date | None:
    value = form.get(name)
    return date.fromisoformat(value) if value else None


def _past(form: dict, name: str, today: date) -> date | None:
    """A date of something that has happened: not after today."""
    day = _day(form, name)
    if day and day > today:
        raise _form_error(name, "该日期不能晚于今天。", "date_in_future")
    return day


# -- the rules of each kind (TSG 08-2017, domain.md §2) ---------------------------------

def _registered(equipment: Equipment, business: str) -> None:
    if equipment.registration_status != "registered":
        raise RuleViolation(f"设备注册状态为「{REGISTRATION_STATUSES[equipment.registration_status]}」，"
                            f"只有在册设备可以办理{business}（TSG 08-2017）。", code="equipment_not_registered")


def _inspection_in_date(equipment: Equipment, today: date, business: str) -> None:
    if equipment.next_due_date is None or equipment.next_due_date < today:
        due = equipment.next_due_date.isoformat() if equipment.next_due_date else "无记录"
        raise RuleViolation(f"设备定期检验已超过有效期（下次检验日期：{due}），须检验合格后才能办理{business}"
                            "（TSG 08-2017）。", code="inspection_lapsed")


def _construction_notice(app: Application, eq: Equipment, today: date) -> None:
    """施工告知 before work starts, by a unit licensed for that work (安装 / 改造 / 修理)."""
    if eq.use_status in GONE_STATUSES:
        raise RuleViolation("设备已报废、拆除或迁出，不能办理施工告知。", code="equipment_not_in_service")
    unit = db.session.get(Unit, app.applicant_unit_id)
    if not set(unit.production_scopes or []) & WORK_SCOPES[app.form["work_type"]]:
        raise Forbidden("本单位没有与该施工类别相应的许可项目，不能办理施工告知。", code="production_scope_missing")
    if app.status in EDITABLE_STATUSES:
        certificates.require_licence_in_date(unit, "办理施工告知", today=today)
    start = _day(app.form, "planned_start_date")
    if app.status in EDITABLE_STATUSES and start < today:
        raise _form_error("planned_start_date", "施工告知须在施工开始前办理，计划开工日期不能早于今天。",
                          "construction_already_started")


def _use_registration(app: Application, eq: Equipment, today: date) -> None:
    """使用登记 before, or within 30 days after, putting into use; not for scrapped equipment.
    Equipment moved out of another office (移装迁出) registers anew at its new place."""
    if eq.registration_status == "registered":
        raise RuleViolation(f"设备已在册（使用登记证编号 {eq.registration_cert_no}），不能重复办理使用登记。",
                            code="equipment_already_registered")
    moved_in = eq.registration_status == "cancelled" and eq.use_status == "moved_out"
    if not moved_in and (eq.registration_status != "unregistered" or eq.use_status in GONE_STATUSES):
        raise RuleViolation("设备已注销登记或报废，不能办理使用登记（TSG 08-2017）。", code="equipment_not_registrable")
    catalogue.require_registrable(eq.catalogue_code)
    _past(app.form, "put_into_use_date", today)
    for name in ("region_code", "address"):
        if moved_in and not app.form.get(name):
            raise _form_error(name, "迁入设备须填写新的设备所在地区和地点。", "moved_in_place_required")


def _change_common(app: Application, eq: Equipment, today: date) -> None:
    if eq.use_status in GONE_STATUSES:
        raise RuleViolation("设备已报废、拆除或迁出，不能办理变更登记（TSG 08-2017）。", code="equipment_not_in_service")
    _registered(eq, "变更登记")


def _alteration(app: Application, eq: Equipment, today: date) -> None:
    """改造: after completion, before use or within 30 days after resuming use."""
    _change_common(app, eq, today)
    _past(app.form, "completed_on", today)
    _past(app.form, "resumed_use_on", today)


def _relocation(app: Application, eq: Equipment, today: date) -> None:
    """移装 within the same registration office (a new certificate); across offices is relocation_out."""
    _change_common(app, eq, today)
    target = form_region(app.form, "new_region_code", eq.region_code)
    if offices.office_for(target.code).code != app.office_region_code:
        raise RuleViolation("移装到其他登记机关辖区，请办理「移装（跨登记机关，迁出）」。", code="relocation_crosses_office")


def _relocation_out(app: Application, eq: Equipment, today: date) -> None:
    """移装 across offices: cancelled at the original office, which issues a 变更证明."""
    _change_common(app, eq, today)
    target = form_region(app.form, "new_region_code", None)
    if offices.office_for(target.code).code == app.office_region_code:
        raise RuleViolation("移装后仍由本登记机关管辖，请办理「移装（同一登记机关）」。", code="relocation_within_office")


def _unit_change(app: Application, eq: Equipment, today: date) -> None:
    """单位变更 needs an in-date periodic inspection; the new use unit is an approved use unit."""
    _change_common(app, eq, today)
    _inspection_in_date(eq, today, "单位变更")
    unit = db.session.get(Unit, app.form.get("new_use_unit_id") or 0)
    if (unit is None or unit.kind not in records.USE_UNIT_KINDS or unit.status != "approved"
            or unit.id == eq.use_unit_id):
        raise _form_error("new_use_unit_id", "新使用单位须为平台上已审核的其他使用单位。", "new_use_unit_invalid")
    _past(app.form, "transferred_on", today)


def _continued_use(app: Application, eq: Equipment, today: date) -> None:
    """达到设计使用年限继续使用: after an inspection or 安全评估 (特种设备安全法 §48)."""
    _change_common(app, eq, today)
    if not app.form.get("report_file_id"):
        raise _form_error("report_file_id", "须上传检验或安全评估报告。", "continued_use_evidence_required")


def _suspension(app: Application, eq: Equipment, today: date) -> None:
    """停用 of equipment in use, reported within 30 days after stopping."""
    _registered(eq, "停用")
    if eq.use_status != "in_use":
        raise RuleViolation(f"设备使用状态为「{USE_STATUSES[eq.use_status]}」，只有在用设备可以停用。",
                            code="equipment_not_in_use")
    _past(app.form, "stopped_on", today)


def _resumption(app: Application, eq: Equipment, today: date) -> None:
    """启用: a lapsed inspection blocks restart until inspected; an elevator stopped one year or
    more needs a periodic inspection after it stopped (domain.md §2.5, TSG T7001-2023)."""
    _registered(eq, "启用")
    if eq.use_status != "suspended":
        raise RuleViolation("只有停用的设备可以办理启用。", code="equipment_not_suspended")
    _inspection_in_date(eq, today, "启用")
    stopped = eq.suspended_on
    if catalogue.is_elevator(eq.catalogue) and stopped and today >= _one_year_after(stopped):
        if eq.last_inspection_date is None or eq.last_inspection_date <= stopped:
            raise RuleViolation("电梯停用一年以上，须经定期检验合格后才能启用。", code="inspection_required_after_long_stop")


def _retirement(app: Application, eq: Equipment, today: date) -> None:
    """注销 / 报废 of registered equipment; a use unit that does not own it needs the 产权单位's
    written authorisation (TSG 08-2017)."""
    _registered(eq, APPLICATION_KINDS[app.kind])
    if eq.property_unit_id and eq.property_unit_id != eq.use_unit_id and not app.form.get("authorisation_file_id"):
        raise _form_error("authorisation_file_id", "使用单位不是产权单位，须上传产权单位的书面委托。",
                          "property_authorisation_required")


def _one_year_after(day: date) -> date:
    return day.replace(year=day.year + 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


def form_region(form: dict, name: str, default: str | None) -> Region:
    region = db.session.get(Region, form.get(name) or default or "")
    if region is None:
        raise _form_error(name, "行政区划代码不存在（应为陕西省的区划代码）。", "region_unknown")
    return region


Rule = Callable[[Application, Equipment, date], None]
RULES: dict[str, Rule] = {
    "construction_notice": _construction_notice, "use_registration": _use_registration,
    "alteration": _alteration, "relocation": _relocation, "relocation_out": _relocation_out,
    "unit_change": _unit_change, "rename": _change_common, "continued_use": _continued_use,
    "suspension": _suspension, "resumption": _resumption, "cancellation": _retirement, "scrapping": _retirement,
    "maintenance_filing": contracts.check_filing,
}


def rule_key(application: Application) -> str:
    return application.change_type or application.kind


def late_days(application: Application, today: date) -> int | None:
    """Days past the 30-day limit of the kind (TSG 08-2017 §2.1, §2.4, §2.5; the filing deadline
    for contracts); None when in time. Late applications are flagged, not refused."""
    limit = TIME_LIMITS.get(rule_key(application))
    start = _day(application.form, limit[0]) if limit else None
    if start is None:
        return None
    late = (today - start).days - current_app.config[limit[1]]
    return late if late > 0 else None


# -- what an approval does to the equipment -------------------------------------------------

def _new_certificate(app: Application, eq: Equipment, today: date) -> str:
    """Issue a 使用登记证编号 at the office, numbered in the year of approval (Asia/Shanghai)."""
    old = eq.registration_cert_no
    # A step recorded as done offline keeps the number issued on paper (services.equipment.offline).
    cert = (app.form.get("certificate_no") if app.form.get("offline") else None) or offices.issue_certificate_no(
        eq.catalogue, regions.get_region(app.office_region_code), today.year)
    app.certificate_no = eq.registration_cert_no = cert
    eq.registration_status = "registered"
    return f"核发使用登记证编号 {cert}" + (f"，原编号 {old} 作废" if old and old != cert else "")


def _change_proof(app: Application, eq: Equipment, today: date) -> str:
    """A 《特种设备使用登记证变更证明》 number, unique per application."""
    office = regions.get_region(app.office_region_code)
    proof = (app.form.get("certificate_no") if app.form.get("offline") else None) or (
        f"{current_app.config['PROVINCE_ABBR']}{offices.office_letter(office)}变字〔{today.year}〕第{app.id:06d}号")
    app.form = {**app.form, "change_certificate_no": proof, "old_certificate_no": eq.registration_cert_no}
    return f"出具变更证明 {proof}（原使用登记证编号 {eq.registration_cert_no} 注销）"


def supervision_cited(eq: Equipment) -> dict[str, Any] | None:
    """The 监督检验 a use registration of a newly installed (or altered) device cites: its 合格 date
    and report number, as the inspection domain recorded them on the device; None without one."""
    if eq.supervision_passed_on is None:
        return None
    return {"passed_on": eq.supervision_passed_on.isoformat(), "report_no": eq.supervision_report_no}


def _approve_registration(app: Application, eq: Equipment, today: date) -> str:
    # The certificate is the permission to use: the device is 在用 from approval; registered
    # before use, its put-into-use date is the approval date.
    if app.form.get("region_code"):
        eq.region_code, eq.address = app.form["region_code"], app.form["address"]
    eq.use_status, eq.suspended_on = "in_use", None
    eq.put_into_use_date = _day(app.form, "put_into_use_date") or today
    cited = supervision_cited(eq)
    note = _new_certificate(app, eq, today)
    if cited is None:
        return note
    app.form = {**app.form, "supervision": cited}  # recorded with the approval, as the certificate cites it
    return note + f"；监督检验合格（{cited['passed_on']}，报告编号 {cited['report_no'] or '未记录'}）"


def _approve_rename(app: Application, eq: Equipment, today: date) -> str:
    """更名: a new certificate in the use unit's new name. A device without a use unit on the
    platform records the name itself; a platform unit is renamed by `rename_use_unit`."""
    if eq.use_unit_id is None:
        eq.legacy_use_unit_name = app.form["new_name"].strip()
    return f"使用单位名称变更为「{app.form['new_name'].strip()}」，" + _new_certificate(app, eq, today)


def rename_use_unit(identity: Identity, app: Application, eq: Equipment) -> None:
    """The use unit on the platform takes the approved name: every device of it, its cards and
    pages show it (the scan cache follows the unit, `services.equipment.onecode`)."""
    if eq.use_unit_id is not None:
        units.rename(identity, db.session.get(Unit, eq.use_unit_id), app.form["new_name"],
                     {"application_id": app.id})


def _approve_relocation(app: Application, eq: Equipment, today: date) -> str:
    eq.region_code = app.form.get("new_region_code") or eq.region_code
    eq.address = app.form["new_address"]
    return _new_certificate(app, eq, today)


def _approve_relocation_out(app: Application, eq: Equipment, today: date) -> str:
    eq.registration_status, eq.use_status = "cancelled", "moved_out"
    return _change_proof(app, eq, today)


def _approve_unit_change(app: Application, eq: Equipment, today: date) -> str:
    # The new unit re-registers before use or within 30 days (TSG 08-2017): the device leaves the
    # old unit's contracts and safety officer behind.
    note = _change_proof(app, eq, today)
    contracts.end_contracts(eq)
    eq.use_unit_id, eq.registration_status = app.form["new_use_unit_id"], "unregistered"
    eq.safety_officer_person_id = None
    if eq.use_status == "in_use":
        eq.use_status = "in_use_unregistered"
    units.tell_admins(eq.use_unit_id, "equipment_unit_changed", "设备使用单位变更",
                 f"设备（{eq.equipment_code or eq.id}，{eq.address or ''}）已变更到您单位，"
                 "请在投入使用前或者投入使用后 30 日内办理使用登记。", {"equipment_id": eq.id})
    return note


def _retire(use_status: str) -> Callable[[Application, Equipment, date], None]:
    """注销 / 报废: the registration is cancelled and the device leaves its maintenance contracts."""
    def effect(app: Application, eq: Equipment, today: date) -> None:
        contracts.end_contracts(eq)
        eq.use_status, eq.registration_status = use_status, "cancelled"
    return effect


def _approve_suspension(app: Application, eq: Equipment, today: date) -> None:
    eq.use_status, eq.suspended_on = "suspended", _day(app.form, "stopped_on")


def _approve_resumption(app: Application, eq: Equipment, today: date) -> None:
    eq.use_status, eq.suspended_on = "in_use", None


Effect = Callable[[Application, Equipment, date], str | None]
EFFECTS: dict[str, Effect] = {
    "construction_notice": lambda app, eq, today: "登记机关已知悉施工告知",
    "use_registration": _approve_registration,
    "alteration": _new_certificate, "relocation": _approve_relocation, "relocation_out": _approve_relocation_out,
    "unit_change": _approve_unit_change, "rename": _approve_rename,
    "continued_use": lambda app, eq, today: "准予达到设计使用年限继续使用",
    "suspension": _approve_suspension, "resumption": _approve_resumption,
    # 注销 takes the device out of supervision (删除（移除监察）); 报废 is 报废 / 注销登记.
    "cancellation": _retire("removed"), "scrapping": _retire("scrapped"),
}


def apply_approval(identity: Identity, app: Application, eq: Equipment, today: date) -> str | None:
    """Change the equipment as the approval says, in this transaction, with its own audit entry."""
    before = records.snapshot(eq)
    if app.kind == "maintenance_filing":
        note = contracts.file_contract(identity, app, eq, today)
    elif rule_key(app) == "rename":
        rename_use_unit(identity, app, eq)
        note = EFFECTS["rename"](app, eq, today)
    else:
        note = EFFECTS[rule_key(app)](app, eq, today)
    db.session.flush()
    audit.record(identity.audit_context(), f"equipment.{rule_key(app)}", "equipment", eq.id, before,
                 {**records.snapshot(eq), "application_id": app.id, "note": note})
    return note
