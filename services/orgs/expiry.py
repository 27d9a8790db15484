"""Reminders before a certificate or a licence expires, written to the outbox.

A certified role (作业人员证, 检验人员证, 检测人员证; `PersonRole.certificate_expiry`) and a
unit's licence (生产许可证, 充装许可证, 核准证; `Unit.licence_expiry`) are watched in two
stages: `due` from CERTIFICATE_EXPIRY_LEAD_DAYS (30) before the expiry date, and `expired`
from the expiry date on. Each stage is told once: the dedupe key carries the certificate (or
unit), its expiry date, the stage and the recipient, so a second run sends nothing, and a
renewed certificate (a new expiry date) is watched afresh.

Who hears: of a certificate, its holder and their unit's admins; of a licence, the unit's
admins, and at expiry also the regulator staff of the unit's region (the unit may no longer
work under it). Only active people of approved units are told.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from models.orgs import CERTIFIED_ROLES, ROLES, Person, PersonRole, Unit
from services import notify
from services.orgs import certificates, people

STAGES = ("due", "expired")


def _stage(expiry: date, today: date) -> str:
    return "expired" if expiry <= today else "due"


def _send(recipients: list[int], template: str, title: str, body: str, key: str, data: dict) -> int:
    sent = 0
    for person_id in dict.fromkeys(recipients):
        if notify.queue_message(person_id, template, title, body, data=data, dedupe_key=f"{key}:{person_id}"):
            sent += 1
    return sent


def _when(expiry: date, today: date) -> str:
    if expiry < today:
        return f"已于 {expiry.isoformat()} 过期"
    if expiry == today:
        return f"今天（{expiry.isoformat()}）到期，明天起失效"
    return f"将于 {expiry.isoformat()} 到期（还有 {(expiry - today).days} 天）"


def certificates_expiring(today: date | None = None) -> int:
    """Tell holders of certificates expiring within the lead time (or expired) and their unit admins.

    Key: `cert-expiry:<person_role>:<expiry>:<stage>:<recipient>`. Returns the messages queued.
    """
    today = today or business_today()
    horizon = today + timedelta(days=current_app.config["CERTIFICATE_EXPIRY_LEAD_DAYS"])
    rows = db.session.execute(
        select(PersonRole.id, PersonRole.role, PersonRole.certificate_type, PersonRole.certificate_no,
               PersonRole.certificate_expiry, Person.id, Person.name, Person.unit_id)
        .join(Person, Person.id == PersonRole.person_id).join(Unit, Unit.id == Person.unit_id)
        .where(PersonRole.role.in_(sorted(CERTIFIED_ROLES)), PersonRole.certificate_expiry.is_not(None),
               PersonRole.certificate_expiry <= horizon, Person.status == "active", Unit.status == "approved")
        .order_by(PersonRole.id)).all()
    admins: dict[int, list[int]] = {}
    sent = 0
    for role_id, role, kind, number, expiry, person_id, name, unit_id in rows:
        if unit_id not in admins:
            admins[unit_id] = people.ids_with_roles(unit_id, "unit_admin")
        stage = _stage(expiry, today)
        label = f"{ROLES[role]}证书" + (f"（{kind}）" if kind else "")
        title = "证书已到期" if stage == "expired" else "证书即将到期"
        body = (f"{name}的{label}（编号 {number or '未填'}）{_when(expiry, today)}。"
                + ("证书过期后不能担任该岗位作业，请尽快复审换证，并由单位管理员在人员信息中更新证书有效期。"
                   if stage == "expired" else "请提前办理复审换证，并由单位管理员更新证书有效期。"))
        sent += _send([person_id, *admins[unit_id]], "certificate_expiry", title, body,
                      f"cert-expiry:{role_id}:{expiry.isoformat()}:{stage}",
                      {"person_id": person_id, "role": role, "certificate_expiry": expiry.isoformat(),
                       "stage": stage})
    return sent


def licences_expiring(today: date | None = None) -> int:
    """Tell unit admins of a licence (生产许可证, 充装许可证, 核准证) expiring within the lead time,
    and at expiry the regulator staff of the unit's region too.

    Key: `licence-expiry:<unit>:<expiry>:<stage>:<recipient>`. Returns the messages queued.
    """
    today = today or business_today()
    horizon = today + timedelta(days=current_app.config["CERTIFICATE_EXPIRY_LEAD_DAYS"])
    units = db.session.scalars(
        select(Unit).where(Unit.licence_expiry.is_not(None), Unit.licence_expiry <= horizon,
                           Unit.status == "approved").order_by(Unit.id)).all()
    sent = 0
    for unit in units:
        expiry = unit.licence_expiry
        stage = _stage(expiry, today)
        name = certificates.licence_name(unit.kind)
        recipients = people.ids_with_roles(unit.id, "unit_admin")
        if stage == "expired":
            recipients += list(db.session.scalars(people.regulator_staff_stmt(unit.region_code, Person.id)))
        body = (f"{unit.name}的{name}（编号 {unit.licence_no or '未填'}）{_when(expiry, today)}。"
                + ("许可证过期后不能从事许可范围内的活动，请尽快办理延续并在单位信息中更新有效期。"
                   if stage == "expired" else "请提前办理延续，取得新证后在单位信息中更新有效期。"))
        sent += _send(recipients, "licence_expiry", f"{name}{'已到期' if stage == 'expired' else '即将到期'}", body,
                      f"licence-expiry:{unit.id}:{expiry.isoformat()}:{stage}",
                      {"unit_id": unit.id, "licence_expiry": expiry.isoformat(), "stage": stage})
    return sent
