"""What a scan shows: the public card, built with one Core query (the hot path),
and the status colour.

Colour: green, inspection in date; yellow, due within INSPECTION_DUE_SOON_DAYS or
not yet known; red, overdue, not in use (停用, 报废, ...) or stopped for a serious hazard.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from core.extensions import db
from core.timeutil import business_today
from models.equipment import USE_STATUSES, CatalogueEntry, Equipment
from models.onecode import EquipmentCode
from models.orgs import Unit

PUBLIC_ACTIONS = ("report_problem", "complain")


@dataclass(frozen=True)
class Lookup:
    """A code's state: `ok` with its equipment id, `voided`, or `unknown`."""

    state: str
    equipment_id: int | None = None


# Built once: the hot path only binds parameters.
_LOOKUP = select(EquipmentCode.status, EquipmentCode.equipment_id).where(EquipmentCode.code == bindparam("code"))
_USE_UNIT, _MAINTAINER = aliased(Unit, name="use_unit"), aliased(Unit, name="maintainer")
_CARD = (
    select(Equipment.catalogue_code, CatalogueEntry.name.label("category"), CatalogueEntry.kind_code,
           Equipment.registration_cert_no, Equipment.use_status, Equipment.hazard_stopped,
           Equipment.last_inspection_date, Equipment.last_inspection_conclusion, Equipment.next_due_date,
           Equipment.next_due_type, Equipment.address, Equipment.legacy_use_unit_name,
           _USE_UNIT.name.label("use_unit_name"), _MAINTAINER.name.label("maintenance_unit_name"),
           _MAINTAINER.contact_phone.label("maintenance_unit_phone"))
    .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
    .outerjoin(_USE_UNIT, _USE_UNIT.id == Equipment.use_unit_id)
    .outerjoin(_MAINTAINER, _MAINTAINER.id == Equipment.maintenance_unit_id)
    .where(Equipment.id == bindparam("equipment_id"))
)


def lookup(code: str) -> Lookup:
    row = db.session.execute(_LOOKUP, {"code": code}).first()
    if row is None:
        return Lookup("unknown")
    return Lookup("ok" if row.status == "active" else "voided", row.equipment_id)


def status_colour(use_status: str, next_due: date | None, hazard_stopped: bool = False,
                  today: date | None = None) -> tuple[str, str]:
    """(colour, Chinese text) for the public card."""
    today = today or business_today()
    if hazard_stopped:
        return "red", "存在严重事故隐患，已停止使用"
    if use_status != "in_use":
        return "red", f"设备{USE_STATUSES.get(use_status, use_status)}，请勿使用"
    if next_due is None:
        return "yellow", "检验信息待补充"
    if next_due < today:
        return "red", "已超过检验有效期，请勿使用"
    if next_due <= today + timedelta(days=current_app.config["INSPECTION_DUE_SOON_DAYS"]):
        return "yellow", "检验即将到期"
    return "green", "在检验有效期内"


def public_card(code: str, equipment_id: int) -> dict[str, Any]:
    """The public card: no personal data, only what a passer-by needs."""
    row = db.session.execute(_CARD, {"equipment_id": equipment_id}).one()
    colour, text = status_colour(row.use_status, row.next_due_date, row.hazard_stopped)
    elevator = row.kind_code == "3000"
    return {
        "code": code,
        "category_code": row.catalogue_code,
        "category": row.category,
        "registration_cert_no": row.registration_cert_no,
        "use_unit_name": row.use_unit_name or row.legacy_use_unit_name,
        "address": row.address,
        "maintenance_unit_name": row.maintenance_unit_name,
        "maintenance_unit_phone": row.maintenance_unit_phone,
        "last_inspection_date": row.last_inspection_date.isoformat() if row.last_inspection_date else None,
        "last_inspection_conclusion": row.last_inspection_conclusion,
        "next_due_date": row.next_due_date.isoformat() if row.next_due_date else None,
        "next_due_type": row.next_due_type,
        "status_colour": colour,
        "status_text": text,
        "rescue_phone": current_app.config["RESCUE_PHONE"] if elevator else None,
        "actions": list(PUBLIC_ACTIONS),
    }
