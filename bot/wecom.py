"""The WeCom app's callback (接收消息): ops staff's commands.

Configured in the WeCom admin as URL `<PUBLIC_BASE_URL>/bot/wecom`, Token
WECOM_CALLBACK_TOKEN, EncodingAESKey WECOM_CALLBACK_AES_KEY. GET is the URL check
(the echostr comes encrypted and is answered decrypted); POST is an encrypted XML
message. Both go through wechatpy's WeCom crypto. Only WECOM_OPS_USERS (when set)
may give commands. The answer is a WeCom app message through the outbox.
"""
from __future__ import annotations

from flask import Response, current_app, request
from wechatpy.enterprise import parse_message
from wechatpy.enterprise.crypto import WeChatCrypto

from bot import ops_commands
from bot.security import (PushRejected, check_fresh, claim_nonce, read_body, release_nonce,
                          require_configured, verified)
from services import notify


def _crypto() -> WeChatCrypto:
    require_configured("WECOM_CALLBACK_TOKEN")
    cfg = current_app.config
    return WeChatCrypto(cfg["WECOM_CALLBACK_TOKEN"], cfg["WECOM_CALLBACK_AES_KEY"], cfg["WECOM_CORP_ID"])


def verify_url() -> Response:
    """WeCom's check of the callback URL: decrypt `echostr` and answer it."""
    args = request.args
    timestamp, nonce = args.get("timestamp"), args.get("nonce")
    check_fresh(timestamp, nonce)
    crypto = _crypto()
    echo = verified(lambda: crypto.check_signature(args.get("msg_signature", ""), timestamp, nonce,
                                                   args.get("echostr", "")))
    return Response(echo, mimetype="text/plain")


def receive() -> Response:
    """An ops member's message: verified, decrypted, checked for replay, answered through the outbox."""
    args = request.args
    timestamp, nonce = args.get("timestamp"), args.get("nonce")
    check_fresh(timestamp, nonce)
    body = read_body().decode("utf-8", "replace")
    crypto = _crypto()
    xml = verified(lambda: crypto.decrypt_message(body, args.get("msg_signature", ""),
                                                  timestamp, nonce))
    message = verified(lambda: parse_message(xml))
    nonce_key = claim_nonce("wecom", nonce)
    try:
        handle(message)
    except Exception:
        release_nonce(nonce_key)
        raise
    return Response("success", mimetype="text/plain")


def handle(message) -> None:
    """Carry out a text command and queue the answer to its sender."""
    if message.type != "text" or not message.source:
        return
    cfg = current_app.config
    if str(message.agent) != str(cfg["WECOM_AGENT_ID"]):
        raise PushRejected("消息不属于本应用。", code="push_agent_mismatch")
    allowed = cfg["WECOM_OPS_USERS"]
    if allowed and message.source not in allowed:
        text = "您不在运维人员名单中，不能使用运维命令。"
    else:
        text = ops_commands.handle(message.source, message.content)
    msg_id = str(message.id) if message.id else None
    notify.queue_wecom_app([message.source], "ops_bot_reply", "", text,
                           dedupe_key=f"bot-ops-reply:{msg_id}" if msg_id else None)
