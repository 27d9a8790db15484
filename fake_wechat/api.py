"""The WeChat (mini program) and WeCom endpoints the platform calls.

Paths, query parameters, JSON shapes and errcodes follow WeChat's servers.
WeChat answers errors with HTTP 200 and a JSON `errcode`, and so does the fake.
"""
from __future__ import annotations

import functools
import io
import secrets
from typing import Any, Callable

import qrcode
from flask import Blueprint, Response, current_app, jsonify, request

from fake_wechat.crypto import session_key_for
from fake_wechat.state import FakeState

TOKEN_EXPIRES_IN = 7200
MAX_SCENE_LENGTH = 32

wechat_api = Blueprint("wechat_api", __name__)
wecom_api = Blueprint("wecom_api", __name__)


class WeChatError(Exception):
    """Raised by a view to answer `{"errcode": ..., "errmsg": ...}`."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


def error_response(errcode: int, errmsg: str) -> Response:
    """A WeChat-style error answer (HTTP 200, JSON errcode)."""
    return jsonify(errcode=errcode, errmsg=errmsg)


def current_state() -> FakeState:
    """The state of the app serving the current request."""
    return current_app.extensions["fake_wechat"]


def json_body(*required: str, errcode: int, errmsg: str) -> dict[str, Any]:
    """The request's JSON object (wechatpy sends no content type); `required` keys must be set."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        raise WeChatError(47001, "data format error")
    missing = [key for key in required if data.get(key) in (None, "")]
    if missing:
        raise WeChatError(errcode, f"{errmsg} {missing[0]}")
    return data


def requires_token(invalid_errcode: int, invalid_errmsg: str) -> Callable:
    """Decorator: reject calls without the latest access token of some app."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            token = request.args.get("access_token")
            if not token:
                raise WeChatError(41001, "access_token missing")
            if not current_state().token_is_valid(token):
                raise WeChatError(invalid_errcode, invalid_errmsg)
            return view(*args, **kwargs)

        return wrapper

    return decorator


wechat_token_required = requires_token(40001, "invalid credential")
wecom_token_required = requires_token(40014, "invalid access_token")


def _check_wechat_app(grant_type: str) -> str:
    """Validate grant_type, appid and secret of a WeChat call; return the appid."""
    args = request.args
    if args.get("grant_type") != grant_type:
        raise WeChatError(40002, "invalid grant_type")
    problem = current_state().check_app(args.get("appid"), args.get("secret"))
    if problem == "appid":
        raise WeChatError(40013, "invalid appid")
    if problem == "secret":
        raise WeChatError(40125, "invalid appsecret")
    return args["appid"]


# WeChat (mini program) --------------------------------------------------------


@wechat_api.get("/cgi-bin/token")
def token() -> Response:
    """Access token of a mini program; replaces the previous one."""
    appid = _check_wechat_app("client_credential")
    access_token = current_state().issue_token(f"wechat:{appid}")
    return jsonify(access_token=access_token, expires_in=TOKEN_EXPIRES_IN)


@wechat_api.get("/sns/jscode2session")
def jscode2session() -> Response:
    """wx.login code -> openid and session key (`demo-x` -> `openid-demo-x`)."""
    _check_wechat_app("authorization_code")
    code = request.args.get("js_code", "")
    if not code:
        raise WeChatError(41008, "missing code")
    if code.startswith("invalid"):
        raise WeChatError(40029, "invalid code")
    openid = f"openid-{code}"
    return jsonify(openid=openid, session_key=session_key_for(openid))


@wechat_api.post("/cgi-bin/message/subscribe/send")
@wechat_token_required
def subscribe_send() -> Response:
    """Subscribe message to a mini program user."""
    json_body("touser", "template_id", "data", errcode=47003, errmsg="argument invalid!")
    return jsonify(errcode=0, errmsg="ok", msgid=secrets.randbits(62))


@wechat_api.post("/cgi-bin/message/custom/send")
@wechat_token_required
def custom_send() -> Response:
    """Customer-service message."""
    json_body("touser", "msgtype", errcode=47003, errmsg="argument invalid!")
    return jsonify(errcode=0, errmsg="ok")


@wechat_api.post("/wxa/getwxacodeunlimit")
@wechat_token_required
def getwxacodeunlimit() -> Response:
    """Mini program code: a PNG body on success (here a plain QR code of the scene)."""
    scene = str(json_body("scene", errcode=47003, errmsg="argument invalid!")["scene"])
    if len(scene) > MAX_SCENE_LENGTH:
        raise WeChatError(40169, "invalid length for scene")
    buffer = io.BytesIO()
    qrcode.make(scene).save(buffer)
    return Response(buffer.getvalue(), mimetype="image/png")


# WeCom -------------------------------------------------------------------------


@wecom_api.get("/cgi-bin/gettoken")
def gettoken() -> Response:
    """Access token of a WeCom app; replaces the previous one."""
    corpid = request.args.get("corpid")
    problem = current_state().check_app(corpid, request.args.get("corpsecret"))
    if problem == "appid":
        raise WeChatError(40013, "invalid corpid")
    if problem == "secret":
        raise WeChatError(40001, "invalid credential")
    access_token = current_state().issue_token(f"wecom:{corpid}")
    return jsonify(errcode=0, errmsg="ok", access_token=access_token, expires_in=TOKEN_EXPIRES_IN)


@wecom_api.post("/cgi-bin/message/send")
@wecom_token_required
def message_send() -> Response:
    """Application message."""
    json_body("msgtype", "agentid", errcode=40058, errmsg="parameter error")
    return jsonify(errcode=0, errmsg="ok", invaliduser="")


@wecom_api.post("/cgi-bin/webhook/send")
def webhook_send() -> Response:
    """Group robot webhook, authenticated by its key only."""
    if not request.args.get("key"):
        raise WeChatError(93000, "invalid webhook url")
    json_body("msgtype", errcode=40058, errmsg="parameter error")
    return jsonify(errcode=0, errmsg="ok")
