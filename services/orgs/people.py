"""People of a unit and the roles they hold (人员管理).

Unit admins maintain their unit's people. ID numbers are checked by the
GB 11643 check character; a person belongs to one unit and can hold several
roles there. Order 73 forbids one person being both 质量安全总监 and 质量安全员. A role that needs a
certificate (作业人员, 检验/检测人员) needs its number, and is refused on an expired one
(`services.orgs.certificates`).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, update

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.idcodes import check_field, id_number_problem, phone_problem
from core.scoping import scoped
from core.timeutil import utcnow
from models.orgs import (CERTIFIED_ROLES, ROLE_UNIT_KINDS, ROLES, UNIT_KINDS, Account, AuthSession,
                         Person, PersonRole, Unit)
from services.orgs import certificates

EXCLUSIVE_ROLES = (("quality_safety_director", "quality_safety_officer"),)
PERSON_FIELDS = ("name", "id_number", "phone", "title")


def snapshot(person: Person) -> dict[str, Any]:
    return {"unit_id": person.unit_id, "name": person.name, "id_number": person.id_number,
            "phone": person.phone, "title": person.title, "status": person.status,
            "roles": [{"role": r.role, "certificate_no": r.certificate_no,
                       "certificate_expiry": r.certificate_expiry} for r in person.roles]}


def _clean(data: dict) -> dict:
    data = dict(data)
    check_field(data, "id_number", id_number_problem, "id_number_invalid")
    check_field(data, "phone", phone_problem, "phone_invalid", normalise=str.strip)
    return data


def _check_id_unique(id_number: str | None, exclude_id: int | None = None) -> None:
    if not id_number:
        return
    stmt = select(Person.id).where(Person.id_number == id_number, Person.status == "active")
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    if db.session.scalar(stmt):
        raise Conflict("该身份证号码的人员已在平台登记（一人只能在一个单位任职）。", code="person_exists",
                       details={"fields": {"id_number": ["已登记。"]}})


def _check_roles(unit: Unit, roles: list[dict], person: Person | None = None) -> None:
    """Roles allowed for the unit's kind, each once, certified ones with a number and, when given
    or changed (`person`'s current roles are the reference), a certificate in date."""
    codes = [r["role"] for r in roles]
    if len(set(codes)) != len(codes):
        raise InvalidInput.field("roles", "角色重复。")
    for item in roles:
        role = item["role"]
        if role not in ROLES:
            raise InvalidInput.field("roles", f"未知角色：{role}。", code="role_unknown")
        if unit.kind not in ROLE_UNIT_KINDS[role]:
            raise InvalidInput.field("roles", f"{UNIT_KINDS[unit.kind]}不能设置「{ROLES[role]}」。",
                                     code="role_not_allowed_for_unit")
        if role in CERTIFIED_ROLES and not item.get("certificate_no"):
            raise InvalidInput.field("roles", f"「{ROLES[role]}」须填写证书编号。", code="certificate_required")
    current = {r.role: (r.certificate_no, r.certificate_expiry) for r in (person.roles if person else [])}
    certificates.check_role_certificates(
        [r for r in roles if current.get(r["role"]) != (r.get("certificate_no"), r.get("certificate_expiry"))])
    for a, b in EXCLUSIVE_ROLES:
        if a in codes and b in codes:
            raise RuleViolation(f"同一人不能同时担任「{ROLES[a]}」和「{ROLES[b]}」（总局令第73号）。",
                                code="roles_exclusive")


def _set_roles(person: Person, roles: list[dict]) -> None:
    existing = {r.role: r for r in person.roles}
    keep = []
    for item in roles:
        row = existing.get(item["role"]) or PersonRole(role=item["role"])
        for name in ("certificate_type", "certificate_no", "certificate_expiry"):
            setattr(row, name, item.get(name))
        row.specialties = item.get("specialties") or []
        keep.append(row)
    person.roles = keep


def add_person_record(unit: Unit, data: dict) -> Person:
    """Create a person in `unit` after checking the data (no permission check)."""
    data = _clean(data)
    roles = data.pop("roles", None) or []
    _check_roles(unit, roles)
    _check_id_unique(data.get("id_number"))
    person = Person(unit_id=unit.id, status="active", **{k: data.get(k) for k in PERSON_FIELDS})
    _set_roles(person, roles)
    db.session.add(person)
    db.session.flush()
    return person


def can_manage(identity: Identity, unit_id: int) -> bool:
    """Unit admins manage their own unit's people."""
    return identity.unit_id == unit_id and "unit_admin" in identity.roles


def require_manager(identity: Identity, unit_id: int) -> None:
    if not can_manage(identity, unit_id):
        raise Forbidden("只有本单位管理员可以维护人员信息。", code="not_unit_admin")


def sees_personal_data(identity: Identity, person: Person) -> bool:
    """Whole ID and phone numbers: the person themself and their unit's admins."""
    return identity.person_id == person.id or can_manage(identity, person.unit_id)


def create_person(identity: Identity, unit: Unit, data: dict) -> Person:
    require_manager(identity, unit.id)
    person = add_person_record(unit, data)
    audit.record(identity.audit_context(), "person.create", "person", person.id, None, snapshot(person))
    return person


def update_person(identity: Identity, person: Person, changes: dict) -> Person:
    require_manager(identity, person.unit_id)
    if person.status != "active":
        raise RuleViolation("该人员已离职，不能修改。", code="person_inactive")
    changes = _clean(changes)
    if "id_number" in changes:
        _check_id_unique(changes["id_number"], exclude_id=person.id)
    before = snapshot(person)
    for name in PERSON_FIELDS:
        if name in changes:
            setattr(person, name, changes[name])
    if "roles" in changes:
        roles = changes["roles"] or []
        _check_roles(person.unit, roles, person)
        if person.id == identity.person_id and "unit_admin" not in {r["role"] for r in roles}:
            raise RuleViolation("不能取消自己的单位管理员角色，请由其他管理员操作。", code="cannot_drop_own_admin")
        _set_roles(person, roles)
    db.session.flush()
    audit.record(identity.audit_context(), "person.update", "person", person.id, before, snapshot(person))
    return person


def deactivate_person(identity: Identity, person: Person) -> Person:
    """Someone who left: roles kept for the record, logins revoked, WeChat unbound."""
    require_manager(identity, person.unit_id)
    if person.id == identity.person_id:
        raise RuleViolation("不能将自己设为离职。", code="cannot_deactivate_self")
    before = snapshot(person)
    person.status = "left"
    db.session.execute(update(AuthSession).where(AuthSession.person_id == person.id,
                                                 AuthSession.revoked_at.is_(None)).values(revoked_at=utcnow()))
    db.session.execute(update(Account).where(Account.person_id == person.id).values(openid=None))
    db.session.flush()
    audit.record(identity.audit_context(), "person.deactivate", "person", person.id, before, snapshot(person))
    return person


def list_people_stmt(identity: Identity, unit_id: int | None = None, role: str | None = None,
                     q: str | None = None, status: str | None = "active") -> Select:
    stmt = scoped(select(Person), Person, identity)
    if unit_id is not None:
        stmt = stmt.where(Person.unit_id == unit_id)
    if role:
        stmt = stmt.where(holds_any_role(role))
    if status:
        stmt = stmt.where(Person.status == status)
    if q:
        stmt = stmt.where(or_(Person.name.contains(q.strip(), autoescape=True), Person.phone == q.strip()))
    return stmt.order_by(Person.id)


# -- who holds a role ---------------------------------------------------------------------------------

def holds_any_role(roles: str | Iterable[str]) -> ColumnElement[bool]:
    """SQL: the person holds at least one of `roles` (an EXISTS, so a person holding several of
    them is one row)."""
    wanted = [roles] if isinstance(roles, str) else sorted(set(roles))
    return Person.roles.any(PersonRole.role.in_(wanted))


def people_with_roles_stmt(unit_id: int | Iterable[int] | None, roles: str | Iterable[str], *columns: Any,
                           active_only: bool = True) -> Select:
    """The people of a unit (or of several units; None: of any unit, for the caller to narrow
    further, e.g. by joining Unit) who hold any of `roles`, ordered by id.

    Selects `columns` (default the Person rows); only active people unless `active_only` is False.
    This is the one "who in this unit is its X" query: admins told of a review, directors told of a
    finding, regulator staff of an office, an agency's inspectors.
    """
    stmt = select(*(columns or (Person,))).select_from(Person).where(holds_any_role(roles))
    if isinstance(unit_id, int):
        stmt = stmt.where(Person.unit_id == unit_id)
    elif unit_id is not None:
        stmt = stmt.where(Person.unit_id.in_(sorted(set(unit_id))))
    if active_only:
        stmt = stmt.where(Person.status == "active")
    return stmt.order_by(Person.id)


def people_with_roles(unit_id: int | Iterable[int] | None, roles: str | Iterable[str], *,
                      active_only: bool = True) -> list[Person]:
    """The (active) people of a unit holding any of `roles`, by id (see `people_with_roles_stmt`)."""
    return list(db.session.scalars(people_with_roles_stmt(unit_id, roles, active_only=active_only)))


def regulator_staff_stmt(region_code: str, *columns: Any) -> Select:
    """The active `regulator_staff` of the approved regulator unit(s) at `region_code` (the office
    that holds a report or reviews a registration there)."""
    return (people_with_roles_stmt(None, "regulator_staff", *columns).join(Unit, Unit.id == Person.unit_id)
            .where(Unit.kind == "regulator", Unit.status == "approved", Unit.region_code == region_code))


def ids_with_roles(unit_id: int | Iterable[int] | None, roles: str | Iterable[str], *,
                   active_only: bool = True) -> list[int]:
    """Ids of the (active) people of a unit holding any of `roles`, in order."""
    return list(db.session.scalars(people_with_roles_stmt(unit_id, roles, Person.id, active_only=active_only)))
