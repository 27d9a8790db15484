"""Elevator maintenance contracts (电梯维保合同备案, domain.md §5.3; TSG T5002-2017).

The use unit signs a contract with a licensed 维保单位 and files it on the platform as a
`maintenance_filing` application; the approval creates a `MaintenanceContract`. The elevator's
maintenance unit is the one of the filed contract in force today (`current_contract`).
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from core import audit
from core.auth import Identity
from core.errors import InvalidInput, RuleViolation
from core.extensions import db
from models.equipment import GONE_STATUSES, Application, Equipment, MaintenanceContract
from models.orgs import Unit
from services.equipment import catalogue
from services.orgs import certificates

MODES = {"fixed": "固定周期", "on_demand": "按需维保"}
# TSG T5002-2017: fixed-cycle maintenance at least every 15 days; 按需维保 sets its own interval by contract.
FIXED_MODE_MAX_INTERVAL_DAYS = 15


def _field_error(name: str, message: str, code: str) -> InvalidInput:
    return InvalidInput(message, code=code, details={"fields": {"form": {name: [message]}}})


def _day(form: dict, name: str) -> date | None:
    value = form.get(name)
    return date.fromisoformat(value) if value else None


def with_defaults(form: dict) -> dict:
    """The interval defaults to MAINTENANCE_INTERVAL_DAYS_DEFAULT, the mode to 固定周期."""
    form = dict(form)
    if form.get("interval_days") is None:
        form["interval_days"] = current_app.config["MAINTENANCE_INTERVAL_DAYS_DEFAULT"]
    form.setdefault("mode", "fixed")
    return form


def check_filing(application: Application, equipment: Equipment, today: date) -> None:
    """维保合同备案 rules: elevators only (catalogue kind 3000); the other party holds an approved
    production licence with 电梯维保 scope, in date; the period ends after it starts; a fixed-cycle contract
    maintains at least every 15 days (TSG T5002-2017). Raises InvalidInput / RuleViolation."""
    form = application.form
    if not catalogue.is_elevator(equipment.catalogue):
        raise InvalidInput("维保合同备案只适用于电梯（目录代码 3000 类）。", code="not_an_elevator")
    if equipment.use_status in GONE_STATUSES:
        raise RuleViolation("设备已报废、拆除或迁出，不能备案维保合同。", code="equipment_not_in_service")
    unit = db.session.get(Unit, form.get("maintenance_unit_id")) if form.get("maintenance_unit_id") else None
    if (unit is None or unit.kind != "production" or unit.status != "approved"
            or "maintenance" not in (unit.production_scopes or [])):
        raise _field_error("maintenance_unit_id", "维保单位须为平台上已审核、持有电梯维保许可的生产单位。",
                           "maintenance_unit_invalid")
    certificates.require_licence_in_date(unit, "承接电梯维保", field="maintenance_unit_id", today=today)
    start, end, signed = _day(form, "start_date"), _day(form, "end_date"), _day(form, "signed_on")
    if start is None or end is None or end <= start:
        raise _field_error("end_date", "合同终止日期须晚于起始日期。", "contract_period_invalid")
    if signed and signed > today:
        raise _field_error("signed_on", "签订日期不能晚于今天。", "date_in_future")
    if form.get("mode") == "fixed" and int(form.get("interval_days") or 0) > FIXED_MODE_MAX_INTERVAL_DAYS:
        raise _field_error("interval_days", f"固定周期维保至少每 {FIXED_MODE_MAX_INTERVAL_DAYS} 日一次"
                           "（TSG T5002-2017）；更长的间隔须按需维保。", "maintenance_interval_too_long")


def file_contract(identity: Identity, application: Application, equipment: Equipment, today: date) -> str:
    """On approval: create the filed contract, end the elevator's filed contracts whose period
    overlaps it, and set the elevator's maintenance unit from the contract in force today.
    Leaves an audit entry; the caller audits the equipment change."""
    form = application.form
    contract = MaintenanceContract(
        equipment_id=equipment.id, use_unit_id=equipment.use_unit_id,
        maintenance_unit_id=form["maintenance_unit_id"], contract_no=form.get("contract_no"),
        signed_on=_day(form, "signed_on"), start_date=_day(form, "start_date"), end_date=_day(form, "end_date"),
        interval_days=form["interval_days"], mode=form["mode"], status="filed", application_id=application.id)
    overlapping = list(db.session.scalars(select(MaintenanceContract).where(
        MaintenanceContract.equipment_id == equipment.id, MaintenanceContract.status == "filed",
        MaintenanceContract.start_date <= contract.end_date, MaintenanceContract.end_date >= contract.start_date)))
    for old in overlapping:
        old.status = "ended"
    db.session.add(contract)
    db.session.flush()
    refresh_maintenance_unit(equipment, today)
    audit.record(identity.audit_context(), "maintenance_contract.file", "maintenance_contract", contract.id, None,
                 {"equipment_id": equipment.id, "maintenance_unit_id": contract.maintenance_unit_id,
                  "start_date": contract.start_date, "end_date": contract.end_date, "mode": contract.mode,
                  "interval_days": contract.interval_days, "ended_contract_ids": [c.id for c in overlapping]})
    note = f"维保合同 {contract.contract_no or contract.id} 已备案"
    return note + (f"，原合同（{'、'.join(str(c.contract_no or c.id) for c in overlapping)}）终止" if overlapping else "")


def end_contracts(equipment: Equipment) -> list[int]:
    """End every filed contract of a device leaving its use unit or supervision (单位变更, 注销, 报废)."""
    ended = list(db.session.scalars(select(MaintenanceContract).where(
        MaintenanceContract.equipment_id == equipment.id, MaintenanceContract.status == "filed")))
    for contract in ended:
        contract.status = "ended"
    equipment.maintenance_unit_id = None
    db.session.flush()
    return [c.id for c in ended]


def current_contract(equipment: Equipment, today: date) -> MaintenanceContract | None:
    """The filed contract in force on `today` (the latest started, if periods touch)."""
    return db.session.scalar(
        select(MaintenanceContract)
        .where(MaintenanceContract.equipment_id == equipment.id, MaintenanceContract.status == "filed",
               MaintenanceContract.start_date <= today, MaintenanceContract.end_date >= today)
        .order_by(MaintenanceContract.start_date.desc(), MaintenanceContract.id.desc()).limit(1))


def refresh_maintenance_unit(equipment: Equipment, today: date) -> None:
    """The elevator's maintenance unit comes from the filed contract in force (none: no unit).
    A daily job should call this so that a contract starting later takes over on its first day."""
    contract = current_contract(equipment, today)
    equipment.maintenance_unit_id = contract.maintenance_unit_id if contract else None
    db.session.flush()


def list_contracts(equipment: Equipment) -> list[MaintenanceContract]:
    """An elevator's filed and ended contracts, newest period first."""
    return list(db.session.scalars(
        select(MaintenanceContract).where(MaintenanceContract.equipment_id == equipment.id)
        .order_by(MaintenanceContract.start_date.desc(), MaintenanceContract.id.desc())))
