"""Pushes signed and encrypted as WeChat and WeCom do (wechatpy's crypto, `fake_wechat.push`)."""
import pytest

from core.extensions import db
from fake_wechat.push import miniapp_push, miniapp_text, wecom_push, wecom_text

USER = "openid-bot-user"


@pytest.fixture
def push(client, app):
    """Post a user's text to /bot/miniapp: `push("怎么注册", openid=..., msg_id=...)`."""

    def send(text: str, openid: str = USER, msg_id: int | None = None, **signing):
        cfg = app.config
        params, body = miniapp_push(miniapp_text(openid, text, msg_id), cfg["WECHAT_PUSH_TOKEN"],
                                    cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"], **signing)
        return client.post("/bot/miniapp", query_string=params, json=body)

    return send


@pytest.fixture
def ops_push(client, app):
    """Post an ops member's text to /bot/wecom: `ops_push("今日数据", user="ops1")`."""

    def send(text: str, user: str = "ops1", msg_id: int | None = None):
        cfg = app.config
        xml = wecom_text(user, text, cfg["WECOM_CORP_ID"], cfg["WECOM_AGENT_ID"], msg_id)
        params, body = wecom_push(xml, cfg["WECOM_CALLBACK_TOKEN"], cfg["WECOM_CALLBACK_AES_KEY"],
                                  cfg["WECOM_CORP_ID"], cfg["WECOM_AGENT_ID"])
        return client.post("/bot/wecom", query_string=params, data=body, content_type="text/xml")

    return send


@pytest.fixture
def answers(fake, run_jobs):
    """Deliver what is queued, then the customer-service texts the fake WeChat got for `openid`."""

    def read(openid: str = USER) -> list[str]:
        run_jobs()
        return [c["json"]["text"]["content"] for c in fake.calls("cgi-bin/message/custom/send")
                if c["json"]["touser"] == openid]

    return read


@pytest.fixture
def ops_answers(fake, run_jobs):
    """Deliver what is queued, then the WeCom app texts sent to `user`."""

    def read(user: str = "ops1") -> list[str]:
        run_jobs()
        return [c["json"]["text"]["content"] for c in fake.calls("wecom/cgi-bin/message/send")
                if c["json"]["touser"] == user]

    return read


@pytest.fixture
def group(fake, run_jobs):
    """Deliver what is queued, then the markdown posted to the ops group."""

    def read() -> list[str]:
        run_jobs()
        return [c["json"]["markdown"]["content"] for c in fake.calls("wecom/cgi-bin/webhook/send")]

    return read


@pytest.fixture
def bound(make_unit, make_person):
    """A person bound to a WeChat openid: `bound(unit, "unit_admin", openid=...)`."""
    from services.orgs import accounts

    def make(unit, *roles, openid: str = USER):
        person = make_person(unit, *roles)
        accounts.account_for(person).openid = openid
        db.session.flush()
        return person

    return make
