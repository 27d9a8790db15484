"""Login: mini program (wx.login code, then binding) and PC console (password)."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint

from core import tx
from core.auth import require_login
from miniapp_api.schemas.auth import (InvitationBindInput, PasswordLoginInput, PhoneBindInput, SessionSchema,
                                      WxLoginInput)
from services.orgs import accounts

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="登录与绑定")


def _session(login: accounts.LoginResult) -> dict:
    person = login.person
    return {"bound": True, "token": login.token, "expires_at": login.expires_at, "person": person,
            "unit": person.unit, "roles": person.role_codes}


@blp.post("/wx-login")
@blp.arguments(WxLoginInput)
@blp.response(200, SessionSchema)
def wx_login(data):
    """Exchange a wx.login() code: a token when the WeChat is bound, else a bind ticket."""
    result = accounts.wx_login(data["code"], request.remote_addr)
    if result.login is None:
        return {"bound": False, "bind_ticket": result.bind_ticket, "token": None, "expires_at": None,
                "person": None, "unit": None, "roles": []}
    return _session(result.login)


@blp.post("/wx-bind/invitation")
@blp.arguments(InvitationBindInput)
@blp.response(200, SessionSchema)
def bind_invitation(data):
    return _session(accounts.bind_by_invitation(data["bind_ticket"], data["invitation_code"], request.remote_addr))


@blp.post("/wx-bind/phone")
@blp.arguments(PhoneBindInput)
@blp.response(200, SessionSchema)
def bind_phone(data):
    """Bind by the phone number from the mini program's getPhoneNumber (decrypted here)."""
    return _session(accounts.bind_by_phone(data["bind_ticket"], data["encrypted_data"], data["iv"],
                                           request.remote_addr))


@blp.post("/login")
@blp.arguments(PasswordLoginInput)
@blp.response(200, SessionSchema)
def password_login(data):
    try:
        login = accounts.password_login(data["username"], data["password"], request.remote_addr)
    except accounts.LoginFailed:
        tx.commit()  # keep the failure count, so repeated guesses lock the account
        raise
    return _session(login)


@blp.post("/logout")
@blp.response(204)
def logout():
    """Revoke this token."""
    accounts.revoke_session(require_login())


@blp.post("/logout-all")
@blp.response(204)
def logout_all():
    """Revoke every token of the caller (a lost phone)."""
    accounts.revoke_all_sessions(require_login().person_id)
