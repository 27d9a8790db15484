"""What a scan shows: the public card, built with one Core query (on a cache miss),
and the status colour.

Colour: green, inspection in date; yellow, due within INSPECTION_DUE_SOON_DAYS or
not yet known; red, overdue, not in use (停用, 报废, ...) or stopped for a serious hazard.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import aliased

from core.extensions import db
from core.timeutil import business_today
from models.equipment import USE_STATUSES, CatalogueEntry, Equipment
from models.onecode import EquipmentCode
from models.orgs import Unit

PUBLIC_ACTIONS = ("report_problem", "complain")


@dataclass(frozen=True)
class Found:
    """A code's state: `ok` with its device and public card, `voided` with its device, or `unknown`."""

    state: str
    equipment_id: int | None = None
    card: dict[str, Any] | None = None


# Built once: the hot path only binds parameters. One statement finds the code, its device and
# everything the public card shows.
_USE_UNIT, _MAINTAINER = aliased(Unit, name="use_unit"), aliased(Unit, name="maintainer")
_CARD = (
    select(EquipmentCode.status.label("code_status"), EquipmentCode.equipment_id, Equipment.catalogue_code,
           CatalogueEntry.name.label("category"), CatalogueEntry.kind_code,
           Equipment.registration_cert_no, Equipment.use_status, Equipment.hazard_stopped,
           Equipment.last_inspection_date, Equipment.last_inspection_conclusion, Equipment.next_due_date,
           Equipment.next_due_type, Equipment.address, Equipment.legacy_use_unit_name,
           _USE_UNIT.name.label("use_unit_name"), _MAINTAINER.name.label("maintenance_unit_name"),
           _MAINTAINER.contact_phone.label("maintenance_unit_phone"))
    .select_from(EquipmentCode)
    .join(Equipment, Equipment.id == EquipmentCode.equipment_id)
    .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
    .outerjoin(_USE_UNIT, _USE_UNIT.id == Equipment.use_unit_id)
    .outerjoin(_MAINTAINER, _MAINTAINER.id == Equipment.maintenance_unit_id)
    .where(EquipmentCode.code == bindparam("code"))
)


def load(code: str) -> Found:
    """The code's state and, for an active code, its public card (one query)."""
    row = db.session.execute(_CARD, {"code": code}).first()
    if row is None:
        return Found("unknown")
    if row.code_status != "active":
        return Found("voided", row.equipment_id)
    return Found("ok", row.equipment_id, public_card(code, row))


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


def public_card(code: str, row: Row) -> dict[str, Any]:
    """The public card from a `_CARD` row: a fixed list of fields, no personal data, only what a
    passer-by needs."""
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
