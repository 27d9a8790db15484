"""Appointments under the two regulations (两个规定).

- Order 74 (use units): the unit names its 主要负责人, and per equipment kind a 安全总监 and
  enough 安全员 ("依法配备安全总监和安全员"), and names the responsible 安全员 for each device
  ("逐台明确负责的安全员"; `Equipment.safety_officer_person_id`, set through the equipment record).
- Order 73 (production units): a 质量安全总监 and 质量安全员; one person may not hold both.

An appointment is current on day D when `start_date <= D` and `end_date` is empty or after D:
ending an appointment on a day means the person no longer holds the post that day. Ended
appointments are kept, the record of changes regulators inspect. Appointing grants the
matching login role (`PersonRole`) if the person lacks it; ending keeps it (the unit admin
manages roles), so a person's other appointments and device assignments stay valid.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.pagination import Page, paginate
from core.scoping import scoped
from core.timeutil import business_today
from models.checks import APPOINTMENT_ROLES, Appointment
from models.equipment import CatalogueEntry, Equipment
from models.orgs import Person, PersonRole, Unit
from services.checks import scope
from services.orgs import people

USE_ROLES = ("principal", "safety_director", "safety_officer")
PRODUCTION_ROLES = ("principal", "quality_safety_director", "quality_safety_officer")
# Which posts a unit of each kind fills (Order 74 for use and filling units, Order 73 for production).
ROLES_BY_UNIT_KIND: dict[str, tuple[str, ...]] = {"use": USE_ROLES, "filling": USE_ROLES,
                                                  "production": PRODUCTION_ROLES}
# Posts held per equipment kind; the principal answers for the whole unit.
KIND_ROLES = frozenset({"safety_director", "safety_officer"})
APPOINTING_ROLES = ("unit_admin", "principal")
NOT_APPOINTABLE_KINDS = frozenset({"7000", "F000"})  # licensing scopes, not equipment in use


def snapshot(appointment: Appointment) -> dict[str, Any]:
    return {"unit_id": appointment.unit_id, "person_id": appointment.person_id, "role": appointment.role,
            "kind_code": appointment.kind_code, "start_date": appointment.start_date,
            "end_date": appointment.end_date}


def current_clause(day: date):
    """Appointments in force on `day` (start on or before it, not ended by it)."""
    return and_(Appointment.start_date <= day,
                or_(Appointment.end_date.is_(None), Appointment.end_date > day))


def require_appointer(identity: Identity, unit: Unit) -> None:
    """The unit's own admin or principal, of an approved unit."""
    if (identity.unit_id != unit.id or identity.unit_status != "approved"
            or not identity.has_role(*APPOINTING_ROLES)):
        raise Forbidden("只有本单位管理员或主要负责人可以任命安全总监、安全员。", code="not_appointer")


def require_kind_code(code: str | None, field: str = "kind_code") -> str:
    """An equipment kind of the catalogue (种类, e.g. 3000) that is used and registered."""
    entry = db.session.get(CatalogueEntry, (code or "").strip().upper())
    if entry is None or entry.level != "kind" or entry.retired or entry.code in NOT_APPOINTABLE_KINDS:
        raise InvalidInput.field(field, "请选择《特种设备目录》中的设备种类（如 3000 电梯）。",
                                 code="kind_code_invalid")
    return entry.code


def _check_role(unit: Unit, role: str, kind_code: str | None) -> str | None:
    allowed = ROLES_BY_UNIT_KIND.get(unit.kind)
    if allowed is None:
        raise RuleViolation("该类单位无须任命安全总监、安全员。", code="unit_kind_not_applicable")
    if role not in allowed:
        raise InvalidInput.field("role", f"该单位不能任命「{APPOINTMENT_ROLES.get(role, role)}」。",
                                 code="role_not_allowed_for_unit")
    if role in KIND_ROLES:
        if not kind_code:
            raise InvalidInput.field("kind_code", "安全总监、安全员须按设备种类任命，请选择设备种类。",
                                     code="kind_code_required")
        return require_kind_code(kind_code)
    if role == "principal":
        return None  # the principal answers for every kind
    return require_kind_code(kind_code) if kind_code else None


def _check_person(unit: Unit, person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or person.unit_id != unit.id or person.status != "active":
        raise InvalidInput.field("person_id", "被任命人须为本单位在职人员。", code="appointment_person_invalid")
    return person


def _held_roles(person: Person, day: date) -> set[str]:
    """Roles the person holds: login roles and current appointments."""
    appointed = db.session.scalars(select(Appointment.role).where(
        Appointment.person_id == person.id, current_clause(day)))
    return set(person.role_codes) | set(appointed)


def _check_exclusive(person: Person, role: str, day: date) -> None:
    held = _held_roles(person, day)
    for a, b in people.EXCLUSIVE_ROLES:
        other = b if role == a else a if role == b else None
        if other and other in held:
            raise RuleViolation(
                f"同一人不能同时担任「{APPOINTMENT_ROLES[a]}」和「{APPOINTMENT_ROLES[b]}」（总局令第73号）。",
                code="roles_exclusive")


def _grant_role(identity: Identity, person: Person, role: str) -> None:
    """Login roles follow appointments: the appointed person gets the role if missing."""
    if role in person.role_codes:
        return
    before = people.snapshot(person)
    person.roles.append(PersonRole(role=role, specialties=[]))
    db.session.flush()
    audit.record(identity.audit_context(), "person.role_grant", "person", person.id, before, people.snapshot(person))


def appoint(identity: Identity, unit: Unit, data: dict) -> Appointment:
    """Record an appointment (Order 74 arts. on 配备安全总监和安全员; Order 73 for production units).

    Raises Forbidden (not the unit's admin or principal), InvalidInput (role, kind or person),
    RuleViolation `roles_exclusive` (Order 73) and Conflict `appointment_exists`.
    """
    require_appointer(identity, unit)
    role = data["role"]
    kind_code = _check_role(unit, role, data.get("kind_code"))
    person = _check_person(unit, data["person_id"])
    today = business_today()
    start = data.get("start_date") or today
    _check_exclusive(person, role, max(start, today))
    duplicate = db.session.scalar(select(Appointment.id).where(
        Appointment.person_id == person.id, Appointment.role == role,
        or_(Appointment.end_date.is_(None), Appointment.end_date > today),
        Appointment.kind_code.is_(None) if kind_code is None else Appointment.kind_code == kind_code))
    if duplicate:
        raise Conflict("该人员已担任此职务。", code="appointment_exists", details={"appointment_id": duplicate})
    appointment = Appointment(unit_id=unit.id, person_id=person.id, role=role, kind_code=kind_code,
                              start_date=start, appointed_by_person_id=identity.person_id)
    db.session.add(appointment)
    db.session.flush()
    audit.record(identity.audit_context(), "appointment.create", "appointment", appointment.id, None,
                 snapshot(appointment))
    _grant_role(identity, person, role)
    return appointment


def end_appointment(identity: Identity, appointment: Appointment, end_date: date | None) -> Appointment:
    """End an appointment on `end_date` (default today); the record is kept with its dates."""
    unit = db.session.get(Unit, appointment.unit_id)
    require_appointer(identity, unit)
    if appointment.end_date is not None:
        raise RuleViolation("该任命已终止。", code="appointment_ended")
    end = end_date or business_today()
    if end < appointment.start_date:
        raise InvalidInput.field("end_date", "终止日期不能早于任命日期。", code="end_date_invalid")
    before = snapshot(appointment)
    appointment.end_date = end
    db.session.flush()
    audit.record(identity.audit_context(), "appointment.end", "appointment", appointment.id, before,
                 snapshot(appointment))
    return appointment


def list_appointments_stmt(unit_id: int, *, include_ended: bool = False, role: str | None = None,
                           kind_code: str | None = None) -> Select:
    """A unit's appointments (the caller has already been checked to see the unit)."""
    stmt = select(Appointment).where(Appointment.unit_id == unit_id)
    if not include_ended:
        stmt = stmt.where(or_(Appointment.end_date.is_(None), Appointment.end_date > business_today()))
    if role:
        stmt = stmt.where(Appointment.role == role)
    if kind_code:
        stmt = stmt.where(Appointment.kind_code == kind_code.upper())
    return stmt.order_by(Appointment.role, Appointment.kind_code, Appointment.start_date, Appointment.id)


def appointed_person_ids(unit_id: int, role: str, kind_code: str | None, day: date | None = None) -> list[int]:
    """Active people holding `role` for `kind_code` in the unit on `day` (default today)."""
    stmt = (select(Appointment.person_id).join(Person, Person.id == Appointment.person_id)
            .where(Appointment.unit_id == unit_id, Appointment.role == role, Person.status == "active",
                   current_clause(day or business_today())))
    if kind_code is not None:
        stmt = stmt.where(Appointment.kind_code == kind_code)
    return list(dict.fromkeys(db.session.scalars(stmt.order_by(Appointment.id))))


# -- regulators: units missing appointments ---------------------------------------------

def _holds(role: str, day: date):
    """EXISTS a current, active appointee of `role` for the device's kind in its unit."""
    return (exists().where(Appointment.unit_id == Equipment.use_unit_id, Appointment.role == role,
                           Appointment.kind_code == CatalogueEntry.kind_code, current_clause(day))
            .where(Person.id == Appointment.person_id, Person.status == "active"))


def _lacks_officer():
    return or_(Equipment.safety_officer_person_id.is_(None),
               ~exists().where(Person.id == Equipment.safety_officer_person_id, Person.status == "active"))


def missing_appointments_stmt(identity: Identity) -> Select:
    """Approved use and filling units in the regulator's subtree with in-use equipment of a kind
    that has no current 安全总监 or no 安全员, or with a device without a responsible 安全员
    (Order 74: 配备安全总监和安全员, 逐台明确负责的安全员)."""
    if not (identity.is_regulator or identity.is_ops):
        raise Forbidden("只有监管部门可以查看未落实任命的单位。", code="not_regulator")
    day = business_today()
    problem = (select(Equipment.id).join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
               .where(Equipment.use_unit_id == Unit.id, scope.covered_clause(),
                      or_(~_holds("safety_director", day), ~_holds("safety_officer", day), _lacks_officer()))
               .correlate(Unit))
    stmt = select(Unit).where(Unit.kind.in_(("use", "filling")), Unit.status == "approved", exists(problem))
    return scoped(stmt, Unit, identity).order_by(Unit.region_code, Unit.id)


def missing_details(unit_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Per unit, per equipment kind in use: devices, devices without an officer, missing posts."""
    if not unit_ids:
        return {}
    day = business_today()
    kind = CatalogueEntry.kind_code
    rows = db.session.execute(
        select(Equipment.use_unit_id, kind, func.count().label("devices"),
               func.count().filter(_lacks_officer()).label("without_officer"))
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(Equipment.use_unit_id.in_(unit_ids), scope.covered_clause())
        .group_by(Equipment.use_unit_id, kind).order_by(Equipment.use_unit_id, kind)).all()
    held = set(db.session.execute(
        select(Appointment.unit_id, Appointment.kind_code, Appointment.role)
        .join(Person, Person.id == Appointment.person_id)
        .where(Appointment.unit_id.in_(unit_ids), Person.status == "active", current_clause(day))).all())
    names = dict(db.session.execute(select(CatalogueEntry.code, CatalogueEntry.name)
                                    .where(CatalogueEntry.level == "kind")).all())
    details: dict[int, list[dict[str, Any]]] = {}
    for unit_id, kind_code, devices, without_officer in rows:
        missing = [r for r in ("safety_director", "safety_officer") if (unit_id, kind_code, r) not in held]
        if missing or without_officer:
            details.setdefault(unit_id, []).append({
                "kind_code": kind_code, "kind_name": names.get(kind_code, kind_code), "devices": devices,
                "devices_without_officer": without_officer, "missing_roles": missing,
                "missing_role_labels": [APPOINTMENT_ROLES[r] for r in missing]})
    return details


def get_appointment(identity: Identity, appointment_id: int) -> Appointment:
    """An appointment of a unit the identity may see, or 404."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not db.session.scalar(
            scoped(select(Unit.id).where(Unit.id == appointment.unit_id), Unit, identity)):
        raise NotFound("未找到该任命记录。")
    return appointment


def missing_page(identity: Identity, page: int, page_size: int | None) -> Page:
    """A page of units missing appointments, each with what it lacks per equipment kind."""
    result = paginate(missing_appointments_stmt(identity), page, page_size)
    details = missing_details([u.id for u in result.items])
    result.items = [{"unit": u, "problems": details.get(u.id, [])} for u in result.items]
    return result
