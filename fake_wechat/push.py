"""What WeChat and WeCom send to the platform's callbacks, signed and encrypted the same way
(wechatpy's crypto), for tests and for trying the bot by hand:

    python -m fake_wechat.push "怎么注册"                       # a user asks the bot
    python -m fake_wechat.push --wecom --user ops1 "回复 T1 好的"  # ops staff answer from WeCom

The defaults match the development configuration (`core.config`).
"""
from __future__ import annotations

import argparse
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from wechatpy.crypto import PrpCrypto as MiniAppPrpCrypto
from wechatpy.enterprise.crypto import PrpCrypto as WeComPrpCrypto
from wechatpy.utils import WeChatSigner, to_text

DEV_MINIAPP = {"token": "demo-push-token", "aes_key": "ZGVtby1taW5pYXBwLXB1c2gtYWVzLWtleS0zMmJ5dGU",
               "appid": "wx-demo-miniapp"}
DEV_WECOM = {"token": "demo-wecom-token", "aes_key": "ZGVtby13ZWNvbS1jYWxsYmFjay1hZXMta2V5LTMyYnk",
             "corp_id": "ww-demo-corp", "agent_id": "1000002"}


def sign(*parts: str) -> str:
    """WeChat's SHA-1 signature over the sorted parts (token, timestamp, nonce[, encrypt])."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _key(aes_key: str) -> bytes:
    import base64

    return base64.b64decode(aes_key + "=")


def _stamp(timestamp: int | None, nonce: str | None) -> tuple[str, str]:
    return str(timestamp if timestamp is not None else int(time.time())), nonce or str(secrets.randbelow(10**10))


def miniapp_text(openid: str, content: str, msg_id: int | None = None, to: str = "gh_demo") -> dict[str, Any]:
    """A customer-service text message as the mini program's push carries it (JSON)."""
    return {"ToUserName": to, "FromUserName": openid, "CreateTime": int(time.time()), "MsgType": "text",
            "Content": content, "MsgId": msg_id if msg_id is not None else secrets.randbits(62)}


def miniapp_push(message: dict[str, Any], token: str, aes_key: str, appid: str, *, timestamp: int | None = None,
                 nonce: str | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(query parameters, JSON body) of a safe-mode push of `message`."""
    ts, nonce = _stamp(timestamp, nonce)
    plaintext = json.dumps(message, ensure_ascii=False)
    encrypt = to_text(MiniAppPrpCrypto(_key(aes_key)).encrypt(plaintext, appid))
    params = {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce,
              "openid": str(message.get("FromUserName", "")), "encrypt_type": "aes",
              "msg_signature": sign(token, ts, nonce, encrypt)}
    return params, {"ToUserName": str(message.get("ToUserName", "")), "Encrypt": encrypt}


def miniapp_verify(token: str, echostr: str, *, timestamp: int | None = None, nonce: str | None = None) -> dict:
    """Query parameters of WeChat's URL check (GET) for the push URL."""
    ts, nonce = _stamp(timestamp, nonce)
    return {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": echostr}


def wecom_text(user_id: str, content: str, corp_id: str, agent_id: str, msg_id: int | None = None) -> str:
    """A text message to a WeCom app as XML."""
    msg_id = msg_id if msg_id is not None else secrets.randbits(62)
    return (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[{user_id}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>")


def wecom_push(xml: str, token: str, aes_key: str, corp_id: str, agent_id: str, *, timestamp: int | None = None,
               nonce: str | None = None) -> tuple[dict[str, str], str]:
    """(query parameters, XML body) of an encrypted WeCom callback."""
    ts, nonce = _stamp(timestamp, nonce)
    encrypt = to_text(WeComPrpCrypto(_key(aes_key)).encrypt(xml, corp_id))
    body = (f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><AgentID><![CDATA[{agent_id}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>")
    return {"msg_signature": sign(token, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}, body


def wecom_verify(token: str, aes_key: str, corp_id: str, echostr: str, *, timestamp: int | None = None,
                 nonce: str | None = None) -> dict[str, str]:
    """Query parameters of WeCom's URL check: the echostr comes encrypted."""
    ts, nonce = _stamp(timestamp, nonce)
    encrypted = to_text(WeComPrpCrypto(_key(aes_key)).encrypt(echostr, corp_id))
    return {"msg_signature": sign(token, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce,
            "echostr": encrypted}


def main(argv: list[str] | None = None) -> None:
    """Post one signed, encrypted message to a running platform and print its answer."""
    import requests

    parser = argparse.ArgumentParser(prog="python -m fake_wechat.push", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("text")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--openid", default="openid-demo-unit-admin", help="the mini-program user")
    parser.add_argument("--wecom", action="store_true", help="send as an ops member to the WeCom callback")
    parser.add_argument("--user", default="ops-demo", help="the WeCom user id with --wecom")
    parser.add_argument("--print-curl", action="store_true", help="print a curl command instead of posting")
    args = parser.parse_args(argv)
    if args.wecom:
        c = DEV_WECOM
        params, body = wecom_push(wecom_text(args.user, args.text, c["corp_id"], c["agent_id"]), c["token"],
                                  c["aes_key"], c["corp_id"], c["agent_id"])
        url, content_type = f"{args.base_url}/bot/wecom", "text/xml"
    else:
        c = DEV_MINIAPP
        params, payload = miniapp_push(miniapp_text(args.openid, args.text), c["token"], c["aes_key"], c["appid"])
        body, url, content_type = json.dumps(payload), f"{args.base_url}/bot/miniapp", "application/json"
    if args.print_curl:
        print(f"curl -s -X POST '{url}?{urlencode(params)}' -H 'Content-Type: {content_type}' --data '{body}'")
        return
    response = requests.post(url, params=params, data=body.encode("utf-8"),
                             headers={"Content-Type": content_type}, timeout=10)
    print(response.status_code, response.text)


if __name__ == "__main__":
    main()
