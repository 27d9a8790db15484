"""Certificates of people and licences of units: where an expired one is refused.

A role in CERTIFIED_ROLES (作业人员 with a 特种设备作业人员证, 检验人员 / 检测人员 with their
检验、检测人员证) is held on a certificate whose expiry is recorded on the role
(`PersonRole.certificate_expiry`). A unit's licence (生产许可证, 充装许可证, the agency's 核准证)
is `Unit.licence_no` / `Unit.licence_expiry`. A missing expiry is "not recorded" and is not
refused; an expiry before today (Asia/Shanghai) is expired: the certificate or licence is no
longer valid on that day (its last valid day is the expiry date itself).

Refused with one code each:
- `certificate_expired` (422): a certified role given, or kept by an edit of the roles, with an
  expired certificate; an inspector or tester of an agency acting on an application while none
  of their inspector / tester certificates is in date.
- `licence_expired` (422): a unit acting under a licence that has expired (an agency accepting
  or being chosen for an application, a 维保单位 named on a contract, a 施工告知).
The reminders before expiry are `services.orgs.expiry`.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from core.errors import InvalidInput
from core.extensions import db
from core.timeutil import business_today
from models.orgs import CERTIFIED_ROLES, ROLES, UNIT_KINDS, PersonRole, Unit

LICENCE_NAMES = {"production": "生产许可证", "filling": "充装许可证", "inspection": "核准证"}


def is_expired(expiry: date | None, today: date | None = None) -> bool:
    """True when `expiry` is recorded and already past on `today` (Asia/Shanghai)."""
    return expiry is not None and expiry < (today or business_today())


def licence_name(unit_kind: str) -> str:
    """What the licence of a unit kind is called (生产许可证, 充装许可证, 核准证)."""
    return LICENCE_NAMES.get(unit_kind, "许可证")


def check_role_certificates(roles: Iterable[dict], today: date | None = None) -> None:
    """Refuse a certified role whose certificate has expired (422 `certificate_expired`, naming
    `roles`). Roles without a certificate requirement and unrecorded expiries pass."""
    today = today or business_today()
    for item in roles:
        role = item.get("role")
        if role in CERTIFIED_ROLES and is_expired(item.get("certificate_expiry"), today):
            raise InvalidInput(
                f"「{ROLES[role]}」的证书（{item.get('certificate_no') or '未填编号'}）已于 "
                f"{item['certificate_expiry'].isoformat()} 过期，请先复审换证并填写新的有效期。",
                code="certificate_expired",
                details={"fields": {"roles": ["证书已过期。"]}, "role": role})


def require_certificate_in_date(person_id: int | None, roles: Iterable[str], action: str,
                                today: date | None = None) -> None:
    """A person acting in one of the certified `roles` must hold at least one of them on a
    certificate in date. A person holding none of `roles` (e.g. an admin) is not concerned.

    Raises InvalidInput (422 `certificate_expired`).
    """
    if person_id is None:
        return
    today = today or business_today()
    held = list(db.session.execute(select(PersonRole.role, PersonRole.certificate_no, PersonRole.certificate_expiry)
                                   .where(PersonRole.person_id == person_id,
                                          PersonRole.role.in_(sorted(set(roles)))).order_by(PersonRole.id)))
    if held and all(is_expired(expiry, today) for _, _, expiry in held):
        role, number, expiry = held[0]
        raise InvalidInput(f"您的{ROLES[role]}证书（{number or '未填编号'}）已于 {expiry.isoformat()} 过期，"
                           f"不能{action}。请复审换证后由单位管理员更新证书有效期。",
                           code="certificate_expired", details={"role": role, "certificate_expiry": expiry})


def check_licence_expiry(expiry: date | None, previous: date | None = None) -> None:
    """A licence expiry entered at registration or in maintenance must not be past already (a
    new, in-date licence is what the unit records); an unchanged one passes. 422 `licence_expired`."""
    if expiry != previous and is_expired(expiry):
        raise InvalidInput(f"许可证（核准证）有效期 {expiry.isoformat()} 已过，请填写换发后的有效许可证。",
                           code="licence_expired", details={"fields": {"licence_expiry": ["许可证已过期。"]}})


def require_licence_in_date(unit: Unit, action: str, *, field: str | None = None,
                            today: date | None = None) -> None:
    """A unit acting under its licence (生产许可证, 充装许可证, 核准证) must hold it in date.

    Raises InvalidInput (422 `licence_expired`, naming `field` when given).
    """
    if not is_expired(unit.licence_expiry, today):
        return
    name = licence_name(unit.kind)
    message = (f"{unit.name}的{name}（{unit.licence_no or '未填编号'}）已于 {unit.licence_expiry.isoformat()} "
               f"过期，不能{action}。")
    details = {"unit_id": unit.id, "unit_kind": UNIT_KINDS.get(unit.kind, unit.kind),
               "licence_expiry": unit.licence_expiry}
    if field:
        details["fields"] = {field: [f"{name}已过期。"]}
    raise InvalidInput(message, code="licence_expired", details=details)
