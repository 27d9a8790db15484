"""Equipment as a one-code target: its public card, scoping, code rules, labels, and what a scan
shows to the device's regulator, its use unit and a risk reporter.

Registered with onecode at import (the `services.equipment` package imports this module), so
any process that touches equipment services also keeps the scan cache in step with devices.

Colour of the public card: green, inspection in date; yellow, due within
INSPECTION_DUE_SOON_DAYS or not yet known; red, overdue, not in use (停用, 报废, ...), stopped
for a serious hazard, or its latest inspection forbids use (不合格, 不符合要求, the worst 安全状况等级:
`Equipment.failed_inspection_result_id`, set and cleared by the inspection domain, 法 §40).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, inspect, or_, select
from sqlalchemy.orm import aliased, object_session

from core.audit import AuditEntry
from core.auth import Identity
from core.errors import Forbidden, NotFound, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope
from core.timeutil import business_today
from models.equipment import USE_STATUSES, Application, CatalogueEntry, Equipment
from models.onecode import Code
from models.orgs import Unit
from qr.codes import code_url
from qr.render import LabelText
from services.equipment.records import MANAGER_ROLES
from services.onecode import assign, cache, resolve, targets, views

TARGET = "equipment"
PUBLIC_ACTIONS = ("report_problem", "complain")
ASSIGNABLE_STATUSES = ("in_use", "not_in_use", "suspended", "in_use_unregistered")
UNIT_ROLES = ("safety_officer", "safety_director", "unit_admin", "principal")
ELEVATOR_KIND = "3000"

# -- the public card ------------------------------------------------------------------------------

_USE_UNIT, _MAINTAINER = aliased(Unit, name="use_unit"), aliased(Unit, name="maintainer")
CARD_COLUMNS = (
    Equipment.catalogue_code, CatalogueEntry.name.label("category"), CatalogueEntry.kind_code,
    Equipment.registration_cert_no, Equipment.use_status, Equipment.hazard_stopped,
    Equipment.failed_inspection_result_id,
    Equipment.last_inspection_date, Equipment.last_inspection_conclusion, Equipment.next_due_date,
    Equipment.next_due_type, Equipment.address, Equipment.legacy_use_unit_name,
    _USE_UNIT.name.label("use_unit_name"), _MAINTAINER.name.label("maintenance_unit_name"),
    _MAINTAINER.contact_phone.label("maintenance_unit_phone"),
)


def _card_joins(stmt: Select, is_equipment) -> Select:
    """The device, its catalogue entry, use unit and maintainer, joined to a code of this type."""
    stmt = (stmt.outerjoin(Equipment, is_equipment & (Equipment.id == Code.target_id))
            .outerjoin(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code))
    return join_card_units(stmt)


def join_card_units(stmt: Select) -> Select:
    """The use unit and the maintainer that CARD_COLUMNS name, joined to a statement over Equipment."""
    return (stmt.outerjoin(_USE_UNIT, _USE_UNIT.id == Equipment.use_unit_id)
            .outerjoin(_MAINTAINER, _MAINTAINER.id == Equipment.maintenance_unit_id))


def status_colour(use_status: str, next_due: date | None, hazard_stopped: bool = False,
                  today: date | None = None, failed_inspection: bool = False) -> tuple[str, str]:
    """(colour, Chinese text) for the public card (TSG 08: no use past the inspection due date;
    法 §40: no use after a failed inspection until a re-inspection passes)."""
    today = today or business_today()
    if hazard_stopped:
        return "red", "存在严重事故隐患，已停止使用"
    if failed_inspection:
        return "red", "检验结论为不合格，禁止使用"
    if use_status != "in_use":
        return "red", f"设备{USE_STATUSES.get(use_status, use_status)}，请勿使用"
    if next_due is None:
        return "yellow", "检验信息待补充"
    if next_due < today:
        return "red", "已超过检验有效期，请勿使用"
    if next_due <= today + timedelta(days=current_app.config["INSPECTION_DUE_SOON_DAYS"]):
        return "yellow", "检验即将到期"
    return "green", "在检验有效期内"


def public_card(code: str, row: Any) -> dict[str, Any]:
    """The public card: a fixed list of fields, no personal data, only what a passer-by needs."""
    colour, text = status_colour(row.use_status, row.next_due_date, row.hazard_stopped,
                                 failed_inspection=row.failed_inspection_result_id is not None)
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
        "rescue_phone": current_app.config["RESCUE_PHONE"] if row.kind_code == ELEVATOR_KIND else None,
        "actions": list(PUBLIC_ACTIONS),
    }


def cards_changed(equipment_ids: Iterable[int]) -> None:
    """Devices whose card columns a bulk statement changed (an inspection batch): their cached
    public cards are dropped after commit, as for a change the session flushed."""
    cache.mark_changed(TARGET, equipment_ids)


# -- code rules -----------------------------------------------------------------------------------


def can_manage_codes(identity: Identity, equipment: Equipment) -> bool:
    """The use unit's managers, and regulators over the device's region."""
    own = (identity.unit_id is not None and identity.unit_id == equipment.use_unit_id
           and identity.has_role(*MANAGER_ROLES))
    return own or (identity.is_regulator and region_in_scope(equipment.region_code, identity))


def require_code_manager(identity: Identity, equipment: Equipment) -> None:
    """Raises Forbidden unless the caller may assign or reissue the device's code."""
    if not can_manage_codes(identity, equipment):
        raise Forbidden("只有使用单位管理人员或属地监管部门可以办理赋码。", code="not_code_manager")


def require_assignable(equipment: Equipment) -> None:
    """Raises RuleViolation for a scrapped, removed or moved-out device."""
    if equipment.use_status not in ASSIGNABLE_STATUSES:
        raise RuleViolation("已报废、拆除或迁出的设备不再赋码。", code="equipment_not_assignable")


def active_code(equipment_id: int) -> Code | None:
    """The device's active code, if any."""
    return assign.active_code(TARGET, equipment_id)


def uncoded_equipment_stmt(unit_id: int | None, region_codes: list[str] | None) -> Select:
    """In-use devices of a unit or a region that have no active code yet."""
    has_code = exists().where(Code.target_type == TARGET, Code.target_id == Equipment.id, Code.status == "active")
    stmt = select(Equipment.id).where(Equipment.use_status == "in_use", ~has_code)
    if unit_id is not None:
        stmt = stmt.where(Equipment.use_unit_id == unit_id)
    if region_codes is not None:
        stmt = stmt.where(Equipment.region_code.in_(region_codes))
    return stmt.order_by(Equipment.id)


def assign_many(equipment_ids: list[int], person_id: int | None) -> int:
    """Issue codes for these devices (a bulk job's chunk); skips devices coded meanwhile or gone."""
    existing = list(db.session.scalars(select(Equipment.id).where(Equipment.id.in_(equipment_ids))
                                       .order_by(Equipment.id)))
    return assign.assign_many(TARGET, existing, person_id)


def scanned_equipment(raw_code: str) -> Equipment:
    """The device a scanned code points at (any device, whoever uses it).

    Raises what `resolve.public` raises for malformed, unknown and voided codes, and NotFound for
    a code that points at something other than a device."""
    _card, target = resolve.public(raw_code)
    equipment = db.session.get(Equipment, target.id) if target.type == TARGET else None
    if equipment is None:
        raise NotFound("该码不是特种设备码。", code="code_not_equipment")
    return equipment


def label_rows(where) -> Iterator[LabelText]:
    """The labels of the devices' active codes matching `where` (a clause on Code/Equipment), in
    device order."""
    base, phone = current_app.config["PUBLIC_BASE_URL"], current_app.config["RESCUE_PHONE"]
    use_unit = aliased(Unit)
    stmt = (select(Code.code, CatalogueEntry.name, CatalogueEntry.kind_code,
                   Equipment.registration_cert_no, use_unit.name, Equipment.legacy_use_unit_name)
            .join(Equipment, (Code.target_type == TARGET) & (Equipment.id == Code.target_id))
            .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
            .outerjoin(use_unit, use_unit.id == Equipment.use_unit_id)
            .where(Code.status == "active", where).order_by(Equipment.id))
    for code, category, kind, cert_no, unit_name, legacy_name in db.session.execute(stmt):
        yield LabelText(code, code_url(base, code), category, cert_no, unit_name or legacy_name,
                        phone if kind == ELEVATOR_KIND else None)


# -- scan views -----------------------------------------------------------------------------------


def history(equipment_id: int, limit: int = 20) -> list[dict[str, Any]]:
    """The device's recent changes: audit entries on it and on its applications."""
    application_ids = [str(i) for i in db.session.scalars(
        select(Application.id).where(Application.equipment_id == equipment_id))]
    stmt = (select(AuditEntry)
            .where(or_((AuditEntry.entity_type == "equipment") & (AuditEntry.entity_id == str(equipment_id)),
                       (AuditEntry.entity_type == "equipment_application")
                       & AuditEntry.entity_id.in_(application_ids or ["-"])))
            .order_by(AuditEntry.id.desc()).limit(limit))
    return [{"at": e.created_at, "action": e.action, "entity_type": e.entity_type, "entity_id": e.entity_id,
             "actor_person_id": e.actor_person_id} for e in db.session.scalars(stmt)]


# What a unit shows on its devices' cards: the use unit's name, the maintainer's name and phone.
_UNIT_CARD_FIELDS = ("name", "contact_phone")


def _cards_showing(unit: Unit) -> list[int]:
    """The devices whose public card shows the unit, when a field the card shows has changed."""
    state = inspect(unit)
    session = object_session(unit)
    if session is None or not any(state.attrs[name].history.has_changes() for name in _UNIT_CARD_FIELDS):
        return []
    return list(session.scalars(select(Equipment.id).where(
        or_(Equipment.use_unit_id == unit.id, Equipment.maintenance_unit_id == unit.id))))


def _is_regulator_over(identity: Identity, equipment: Equipment) -> bool:
    return (identity.is_regulator or identity.is_ops) and region_in_scope(equipment.region_code, identity)


def _is_use_unit_staff(identity: Identity, equipment: Equipment) -> bool:
    return identity.unit_id == equipment.use_unit_id and identity.has_role(*UNIT_ROLES)


def _is_reporter(identity: Identity, equipment: Equipment) -> bool:
    return identity.has_role("risk_reporter")


targets.register(targets.Target(
    type=TARGET, model=Equipment, card_columns=CARD_COLUMNS, card_joins=_card_joins, public_card=public_card,
    region_expr=lambda target_id: select(Equipment.region_code).where(Equipment.id == target_id).scalar_subquery(),
    unit_expr=lambda target_id: select(Equipment.use_unit_id).where(Equipment.id == target_id).scalar_subquery(),
    require_manager=require_code_manager, require_assignable=require_assignable,
    watch={Equipment: lambda equipment: equipment.id, Unit: _cards_showing}, label_rows=label_rows))

# Closest tie first; inspection adds its agency view before the reporter's.
views.register(TARGET, "regulator", _is_regulator_over, lambda i, e, m: {"history": history(e.id)})
views.register(TARGET, "unit", _is_use_unit_staff)
views.register(TARGET, "reporter", _is_reporter)
