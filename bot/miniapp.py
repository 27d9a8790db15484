"""The mini program's message push (消息推送): customer-service messages from users.

Configured in the mini program's console as URL `<PUBLIC_BASE_URL>/bot/miniapp`,
Token WECHAT_PUSH_TOKEN, EncodingAESKey WECHAT_PUSH_AES_KEY, safe mode (安全模式),
data format JSON. GET is WeChat's URL check (echostr); POST carries
`{"ToUserName", "Encrypt"}` with `msg_signature`, `timestamp`, `nonce`, `openid`
in the query. Plain-text pushes are refused: only safe mode signs the body.

The answer is written to the outbox as a customer-service message in this request's
transaction (one commit at the edge); a worker sends it through wechatpy.
"""
from __future__ import annotations

import json

from flask import Response, current_app, request
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import check_signature

from bot import replies
from bot.security import (PushRejected, check_fresh, claim_nonce, read_body, release_nonce, require_configured,
                          verified)
from bot.user_commands import Conversation
from core.errors import InvalidInput
from services import notify


def _crypto() -> WeChatCrypto:
    require_configured("WECHAT_PUSH_TOKEN")
    cfg = current_app.config
    return WeChatCrypto(cfg["WECHAT_PUSH_TOKEN"], cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"])


def verify_url() -> Response:
    """WeChat's check of the push URL: echo `echostr` when the signature is right."""
    require_configured("WECHAT_PUSH_TOKEN")
    args = request.args
    timestamp, nonce = args.get("timestamp"), args.get("nonce")
    check_fresh(timestamp, nonce)
    token = current_app.config["WECHAT_PUSH_TOKEN"]
    verified(lambda: check_signature(token, args.get("signature", ""), timestamp, nonce))
    return Response(args.get("echostr", ""), mimetype="text/plain")


def _decrypt() -> dict:
    args = request.args
    timestamp, nonce = args.get("timestamp"), args.get("nonce")
    check_fresh(timestamp, nonce)
    read_body()
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("Encrypt"), str):
        raise PushRejected("仅接受安全模式（加密）的 JSON 推送。", code="push_not_encrypted", status=400)
    crypto = _crypto()
    plaintext = verified(lambda: crypto.decrypt_message({"Encrypt": body["Encrypt"]},
                                                        args.get("msg_signature", ""), timestamp, nonce))
    try:
        message = json.loads(plaintext)
    except ValueError:
        raise InvalidInput("消息内容不是 JSON。", code="push_malformed") from None
    if not isinstance(message, dict) or not message.get("FromUserName"):
        raise InvalidInput("消息缺少发送人。", code="push_malformed")
    if args.get("openid") and args["openid"] != message["FromUserName"]:
        raise PushRejected("发送人与签名参数不一致。", code="push_openid_mismatch")
    return message


def receive() -> Response:
    """A user's message: verified, decrypted, checked for replay, answered through the outbox."""
    message = _decrypt()
    nonce_key = claim_nonce("miniapp", request.args["nonce"])
    try:
        handle(message)
    except Exception:
        release_nonce(nonce_key)
        raise
    return Response("success", mimetype="text/plain")


def handle(message: dict) -> None:
    """Answer one decrypted push (text, the user entering the chat, anything else)."""
    openid = str(message["FromUserName"])
    msg_id = str(message["MsgId"]) if message.get("MsgId") else None
    kind = str(message.get("MsgType", "")).lower()
    if kind == "text":
        text = Conversation(openid, str(message.get("Content", "")), msg_id).reply()
    elif kind == "event" and str(message.get("Event", "")).lower() == "user_enter_tempsession":
        text = replies.USER_HELP
        msg_id = msg_id or f"enter:{openid}:{message.get('CreateTime', '')}"
    elif kind == "event":
        return
    else:
        text = replies.NON_TEXT
    notify.queue_customer_service(openid, text, dedupe_key=f"bot-reply:{msg_id}" if msg_id else None,
                                  data={"msg_id": msg_id})
