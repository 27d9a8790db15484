"""Accounts and login: WeChat mini program, username and password, tokens.

- `wx_login`: a mini-program code goes through wechatpy's code-to-session; a
  bound openid gets a token, an unbound one a short-lived bind ticket.
- Binding: by an invitation code a unit admin or regulator issued, or by the
  phone number the mini program provides (decrypted with the session key).
- Tokens are signed session ids: they expire and can be revoked.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import requests
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash
from wechatpy.exceptions import WeChatClientException

from core import audit
from core.auth import Identity, sign_token
from core.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable, Unauthorized
from core.extensions import db
from core.scoping import region_in_scope
from core.timeutil import as_utc, utcnow
from core.wechat import WeChatDecryptError, decrypt_miniapp_data
from core.wechat_clients import miniapp_client
from models.orgs import Account, AuthSession, Invitation, Person, WeChatSession
from services.orgs import regions

BIND_SALT = "wx-bind"
INVITATION_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")

_subtree_cache: dict[str, frozenset[str]] = {}


class AccountLocked(AppError):
    status, code, message = 429, "account_locked", "登录失败次数过多，请稍后再试。"


class LoginFailed(Unauthorized):
    """A wrong username or password; the failure count it updated must still be committed."""

    code, message = "login_failed", "用户名或密码错误。"


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: object
    person: Person


# -- passwords ------------------------------------------------------------------

def password_problem(password: str) -> str | None:
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        return "密码至少 8 位，且须同时包含字母和数字。"
    return None


def create_password_account(person: Person, username: str, password: str) -> Account:
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput.field("username", "用户名为 3 到 64 位字母、数字或 _.@-。", code="username_invalid")
    problem = password_problem(password)
    if problem:
        raise InvalidInput.field("password", problem, code="password_weak")
    if db.session.scalar(select(Account.id).where(Account.username == username)):
        raise Conflict("该用户名已被使用。", code="username_taken", details={"fields": {"username": ["已被使用。"]}})
    account = account_for(person)
    account.username = username
    account.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
    db.session.flush()
    return account


def account_for(person: Person) -> Account:
    account = db.session.scalar(select(Account).where(Account.person_id == person.id))
    if account is None:
        account = Account(person_id=person.id, failed_logins=0)
        db.session.add(account)
    return account


def password_login(username: str, password: str, ip: str | None) -> LoginResult:
    """PC console login. Repeated failures lock the account for a while."""
    cfg = current_app.config
    account = db.session.scalar(select(Account).where(Account.username == username))
    now = utcnow()
    if account is not None and account.locked_until and as_utc(account.locked_until) > now:
        raise AccountLocked(f"登录失败次数过多，请 {cfg['LOGIN_LOCK_MINUTES']} 分钟后再试。")
    if account is None or not account.password_hash or not check_password_hash(account.password_hash, password):
        if account is not None:
            account.failed_logins += 1
            if account.failed_logins >= cfg["LOGIN_MAX_FAILURES"]:
                account.locked_until = now + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"])
                account.failed_logins = 0
        raise LoginFailed()
    person = _active_person(account.person_id)
    account.failed_logins = 0
    account.locked_until = None
    return open_session(person, account, "pc", ip)


# -- sessions -------------------------------------------------------------------

def _active_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or person.status != "active":
        raise Unauthorized("该账号已停用。", code="account_inactive")
    if person.unit.status == "disabled":
        raise Unauthorized("所在单位已停用。", code="unit_disabled")
    return person


def open_session(person: Person, account: Account, client: str, ip: str | None) -> LoginResult:
    hours = current_app.config["TOKEN_TTL_HOURS_MINIAPP" if client == "miniapp" else "TOKEN_TTL_HOURS_PC"]
    session = AuthSession(id=secrets.token_hex(16), person_id=person.id, client=client,
                          created_at=utcnow(), expires_at=utcnow() + timedelta(hours=hours), ip=ip)
    db.session.add(session)
    account.last_login_at = utcnow()
    db.session.flush()
    audit.record(audit.AuditContext(person.id, person.unit_id, client, ip), "auth.login", "person", person.id)
    return LoginResult(sign_token(session.id), session.expires_at, person)


def revoke_session(identity: Identity) -> None:
    db.session.execute(update(AuthSession).where(AuthSession.id == identity.session_id)
                       .values(revoked_at=utcnow()))


def revoke_all_sessions(person_id: int) -> int:
    result = db.session.execute(update(AuthSession).where(AuthSession.person_id == person_id,
                                                          AuthSession.revoked_at.is_(None))
                                .values(revoked_at=utcnow()))
    return result.rowcount or 0


def _region_codes(person: Person) -> frozenset[str] | None:
    """A regulator sees its supervision subtree; the province and ops staff see everything."""
    unit = person.unit
    if "ops" in person.role_codes or (unit.kind == "regulator" and unit.region.level == "province"):
        return None
    if unit.kind != "regulator":
        return frozenset()
    codes = _subtree_cache.get(unit.region_code)
    if codes is None:
        codes = _subtree_cache[unit.region_code] = regions.subtree_codes(unit.region_code)
    return codes


# The province-wide identity periodic jobs and the ops bot read other domains' list
# statements with (the ops digest, inspection-due reminders, the bot's look-ups).
OPS_ROBOT = Identity(person_id=0, name="运维机器人", roles=frozenset({"ops"}), region_codes=None, client="job")


def identity_for(person: Person, client: str, ip: str | None = None, session_id: str | None = None) -> Identity:
    """The Identity a person acts with (a request's, or a CLI or demo script's)."""
    unit = person.unit
    return Identity(
        person_id=person.id, unit_id=unit.id, unit_kind=unit.kind, unit_status=unit.status, name=person.name,
        roles=frozenset(person.role_codes), region_code=unit.region_code,
        region_level=unit.region.supervision_level, region_codes=_region_codes(person),
        session_id=session_id, client=client, ip=ip,
    )


def load_identity(session_id: str, ip: str | None) -> Identity | None:
    """Resolve a token's session to the caller; None when expired, revoked or inactive."""
    session = db.session.get(AuthSession, session_id)
    if session is None or session.revoked_at is not None or as_utc(session.expires_at) <= utcnow():
        return None
    person = db.session.get(Person, session.person_id)
    if person is None or person.status != "active" or person.unit.status == "disabled":
        return None
    return identity_for(person, session.client, ip, session.id)


# -- WeChat ---------------------------------------------------------------------

def _bind_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=BIND_SALT)


def _read_bind_ticket(ticket: str) -> str:
    try:
        data = _bind_serializer().loads(ticket, max_age=current_app.config["BIND_TICKET_TTL_SECONDS"])
    except SignatureExpired:
        raise Unauthorized("绑定凭证已过期，请重新进入小程序。", code="bind_ticket_expired")
    except BadSignature:
        raise Unauthorized("绑定凭证无效。", code="bind_ticket_invalid")
    return data["openid"]


@dataclass(frozen=True)
class WxLoginResult:
    login: LoginResult | None
    bind_ticket: str | None


def wx_login(code: str, ip: str | None) -> WxLoginResult:
    """Exchange a wx.login() code for a token (bound openid) or a bind ticket."""
    try:
        result = miniapp_client().wxa.code_to_session(code)
    except WeChatClientException as exc:
        if exc.errcode in (40029, 40163, 40226):
            raise Unauthorized("微信登录凭证无效或已使用，请重新进入小程序。", code="wx_code_invalid")
        raise ServiceUnavailable("微信服务暂时不可用，请稍后重试。", code="wechat_unavailable",
                                 details={"errcode": exc.errcode})
    except requests.RequestException:
        raise ServiceUnavailable("微信服务暂时不可用，请稍后重试。", code="wechat_unavailable")
    openid = result["openid"]
    wx_session = db.session.get(WeChatSession, openid) or WeChatSession(openid=openid)
    wx_session.session_key = result["session_key"]
    wx_session.unionid = result.get("unionid")
    wx_session.updated_at = utcnow()
    db.session.add(wx_session)
    account = db.session.scalar(select(Account).where(Account.openid == openid))
    if account is not None:
        person = _active_person(account.person_id)
        return WxLoginResult(open_session(person, account, "miniapp", ip), None)
    db.session.flush()
    return WxLoginResult(None, _bind_serializer().dumps({"openid": openid}))


def _bind(openid: str, person: Person, ip: str | None, how: str) -> LoginResult:
    other = db.session.scalar(select(Account).where(Account.openid == openid))
    if other is not None and other.person_id != person.id:
        raise Conflict("该微信已绑定其他人员。", code="openid_already_bound")
    account = account_for(person)
    before = {"openid": account.openid}
    account.openid = openid
    db.session.flush()
    audit.record(audit.AuditContext(person.id, person.unit_id, "miniapp", ip), f"auth.bind_{how}",
                 "person", person.id, before, {"openid": openid})
    return open_session(_active_person(person.id), account, "miniapp", ip)


def bind_registrant(ticket: str, person: Person, ip: str | None) -> None:
    """A unit registered from the mini program: its first admin's WeChat is bound at once."""
    openid = _read_bind_ticket(ticket)
    if db.session.scalar(select(Account.id).where(Account.openid == openid)):
        raise Conflict("该微信已绑定其他人员。", code="openid_already_bound")
    account_for(person).openid = openid
    db.session.flush()
    audit.record(audit.AuditContext(person.id, person.unit_id, "miniapp", ip), "auth.bind_registration",
                 "person", person.id, None, {"openid": openid})


def bind_by_invitation(ticket: str, code: str, ip: str | None) -> LoginResult:
    """Bind the ticket's openid to the person an invitation was issued for (one use)."""
    openid = _read_bind_ticket(ticket)
    invitation = db.session.get(Invitation, code.strip().upper(), with_for_update=True)
    if invitation is None or invitation.used_at is not None or as_utc(invitation.expires_at) <= utcnow():
        raise InvalidInput.field("invitation_code", "邀请码无效、已使用或已过期。", code="invitation_invalid")
    invitation.used_at = utcnow()
    return _bind(openid, db.session.get(Person, invitation.person_id), ip, "invitation")


def bind_by_phone(ticket: str, encrypted_data: str, iv: str, ip: str | None) -> LoginResult:
    """Bind by the phone number WeChat vouches for: it must match one active person."""
    openid = _read_bind_ticket(ticket)
    wx_session = db.session.get(WeChatSession, openid)
    if wx_session is None:
        raise Unauthorized("请重新进入小程序后再绑定。", code="wechat_session_missing")
    try:
        data = decrypt_miniapp_data(wx_session.session_key, iv, encrypted_data,
                                    current_app.config["WECHAT_MINIAPP_APPID"])
    except WeChatDecryptError:
        raise InvalidInput("手机号数据无法解密，请重新授权。", code="phone_decrypt_failed")
    phone = (data.get("purePhoneNumber") or data.get("phoneNumber")) if isinstance(data, dict) else None
    if not phone:
        raise InvalidInput("手机号数据无法解密，请重新授权。", code="phone_decrypt_failed")
    matches = list(db.session.scalars(select(Person).where(Person.phone == phone, Person.status == "active")))
    if not matches:
        raise NotFound("未找到使用该手机号的人员，请联系单位管理员登记，或使用邀请码绑定。", code="phone_not_found")
    if len(matches) > 1:
        raise Conflict("该手机号对应多名人员，请使用邀请码绑定。", code="phone_ambiguous")
    person = matches[0]
    account = db.session.scalar(select(Account).where(Account.person_id == person.id))
    if account is not None and account.openid and account.openid != openid:
        raise Conflict("该人员已绑定其他微信，请使用邀请码重新绑定。", code="person_already_bound")
    return _bind(openid, person, ip, "phone")


def issue_invitation(identity: Identity, person: Person) -> Invitation:
    """An invitation to bind WeChat: by the person's unit admin, or a regulator over the unit."""
    own_admin = identity.unit_id == person.unit_id and "unit_admin" in identity.roles
    if not own_admin and not (identity.is_regulator and region_in_scope(person.unit.region_code, identity)):
        raise Forbidden("只有本单位管理员或属地监管部门可以发放邀请码。", code="not_inviter")
    if person.status != "active":
        raise Conflict("该人员已离职。", code="person_inactive")
    code = "".join(secrets.choice(INVITATION_ALPHABET) for _ in range(8))
    invitation = Invitation(code=code, person_id=person.id, issued_by_person_id=identity.person_id,
                            created_at=utcnow(),
                            expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_TTL_DAYS"]))
    db.session.add(invitation)
    db.session.flush()
    audit.record(identity.audit_context(), "person.invite", "person", person.id, None,
                 {"expires_at": invitation.expires_at})
    return invitation
