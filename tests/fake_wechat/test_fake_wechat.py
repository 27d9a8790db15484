"""The real wechatpy clients of `core.wechat` against the fake WeChat servers."""
from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterator

import pytest
import requests
from requests.adapters import HTTPAdapter
from wechatpy.exceptions import APILimitedException, WeChatClientException

from core.wechat import MiniAppClient, WeChatDecryptError, WeComClient, decrypt_miniapp_data
from fake_wechat import (
    FakeState,
    FakeWeChatServer,
    create_fake_app,
    encrypt_for_miniapp,
    session_key_for,
)

APPID = "wx-test-miniapp"
SECRET = "test-miniapp-secret"
CORP_ID = "ww-test-corp"
CORP_SECRET = "test-wecom-secret"
AGENT_ID = 1000002
TIMEOUT = 0.5
SUBSCRIBE_PATH = "cgi-bin/message/subscribe/send"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture(autouse=True)
def loopback_only(fake: FakeWeChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from a clean fake and fail any HTTP request that would leave it."""
    fake.reset()
    real_send = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, *args, **kwargs):
        assert request.url.startswith(fake.base_url), f"request left the fake: {request.url}"
        return real_send(adapter, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", send)


@pytest.fixture
def miniapp(fake: FakeWeChatServer) -> MiniAppClient:
    return MiniAppClient(APPID, SECRET, fake.base_url, timeout=TIMEOUT)


@pytest.fixture
def wecom(fake: FakeWeChatServer) -> WeComClient:
    return WeComClient(CORP_ID, CORP_SECRET, fake.wecom_base_url, timeout=TIMEOUT)


def send_subscribe(client: MiniAppClient) -> dict:
    return client.wxa.send_subscribe_message(
        "openid-demo-reporter", "tpl-inspection-due", {"thing1": {"value": "电梯年检"}}
    )


def test_code_to_session_maps_demo_code_to_openid_and_session_key(
    fake: FakeWeChatServer, miniapp: MiniAppClient
) -> None:
    result = miniapp.wxa.code_to_session("demo-reporter")

    openid = "openid-demo-reporter"
    digest = hashlib.sha256(b"fake-session-key:" + openid.encode()).digest()
    assert result == {"openid": openid, "session_key": base64.b64encode(digest[:16]).decode()}
    assert session_key_for(openid) == result["session_key"]
    control_url = f"{fake.base_url}_fake/session-key"
    control = requests.get(control_url, params={"openid": openid}, timeout=1)
    assert control.json()["session_key"] == result["session_key"]
    (call,) = fake.calls("/sns/jscode2session")
    assert call["args"]["js_code"] == "demo-reporter"
    assert call["args"]["appid"] == APPID


def test_code_to_session_rejects_invalid_code(miniapp: MiniAppClient) -> None:
    with pytest.raises(WeChatClientException) as excinfo:
        miniapp.wxa.code_to_session("invalid-x")
    assert excinfo.value.errcode == 40029


def test_token_comes_from_fake_and_is_refetched_after_40001(
    fake: FakeWeChatServer, miniapp: MiniAppClient
) -> None:
    fake.fail(SUBSCRIBE_PATH, errcode=40001)

    result = send_subscribe(miniapp)

    assert result["errcode"] == 0 and isinstance(result["msgid"], int)
    token_calls = fake.calls("/cgi-bin/token")
    assert len(token_calls) == 2
    assert token_calls[0]["args"] == {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
    }
    first, retry = fake.calls(SUBSCRIBE_PATH)
    assert first["args"]["access_token"] != retry["args"]["access_token"]
    assert retry["json"]["touser"] == "openid-demo-reporter"


def test_new_token_cancels_previous_one(fake: FakeWeChatServer) -> None:
    first = MiniAppClient(APPID, SECRET, fake.base_url, timeout=TIMEOUT)
    second = MiniAppClient(APPID, SECRET, fake.base_url, timeout=TIMEOUT)
    send_subscribe(first)
    send_subscribe(second)

    assert send_subscribe(first)["errcode"] == 0

    assert len(fake.calls("/cgi-bin/token")) == 3
    assert len(fake.calls(SUBSCRIBE_PATH)) == 4


@pytest.mark.parametrize(
    ("errcode", "exception"), [(-1, WeChatClientException), (45009, APILimitedException)]
)
def test_injected_errcodes_surface_as_exceptions(
    fake: FakeWeChatServer, miniapp: MiniAppClient, errcode: int, exception: type
) -> None:
    fake.fail(SUBSCRIBE_PATH, errcode=errcode)
    with pytest.raises(exception) as excinfo:
        send_subscribe(miniapp)
    assert excinfo.value.errcode == errcode
    assert len(fake.calls(SUBSCRIBE_PATH)) == 1


@pytest.mark.parametrize("path", [SUBSCRIBE_PATH, "cgi-bin/token"])
def test_timeout_mode_times_out_within_client_timeout(
    fake: FakeWeChatServer, miniapp: MiniAppClient, path: str
) -> None:
    fake.fail(path, mode="timeout", seconds=TIMEOUT * 4)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        send_subscribe(miniapp)
    assert time.monotonic() - started < TIMEOUT * 3


def test_http500_mode_raises_client_exception(
    fake: FakeWeChatServer, miniapp: MiniAppClient
) -> None:
    fake.fail(SUBSCRIBE_PATH, mode="http500")
    with pytest.raises(WeChatClientException) as excinfo:
        send_subscribe(miniapp)
    assert excinfo.value.response.status_code == 500


def test_getwxacodeunlimit_returns_png(fake: FakeWeChatServer, miniapp: MiniAppClient) -> None:
    response = miniapp.wxa.get_wxa_code_unlimited("eq=SX-0042", page="pages/equipment/detail")

    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    (call,) = fake.calls("/wxa/getwxacodeunlimit")
    assert call["json"]["scene"] == "eq=SX-0042"


def test_wecom_app_message_and_group_robot(fake: FakeWeChatServer, wecom: WeComClient) -> None:
    sent = wecom.message.send_text(AGENT_ID, "zhangsan", "有新的隐患上报")
    robot = wecom.send_group_robot("robot-key", {"msgtype": "text", "text": {"content": "日报"}})

    assert sent == {"errcode": 0, "errmsg": "ok", "invaliduser": ""}
    assert robot == {"errcode": 0, "errmsg": "ok"}
    (token_call,) = fake.calls("/wecom/cgi-bin/gettoken")
    assert token_call["args"] == {"corpid": CORP_ID, "corpsecret": CORP_SECRET}
    (message_call,) = fake.calls("/wecom/cgi-bin/message/send")
    assert message_call["json"]["agentid"] == AGENT_ID
    assert message_call["json"]["text"] == {"content": "有新的隐患上报"}
    (robot_call,) = fake.calls("/wecom/cgi-bin/webhook/send")
    assert robot_call["args"] == {"key": "robot-key"}
    assert robot_call["json"]["text"] == {"content": "日报"}


def test_group_robot_errcode_raises(fake: FakeWeChatServer, wecom: WeComClient) -> None:
    fake.fail("wecom/cgi-bin/webhook/send", errcode=45009)
    with pytest.raises(APILimitedException):
        wecom.send_group_robot("robot-key", {"msgtype": "text", "text": {"content": "x"}})


def test_miniapp_data_round_trip() -> None:
    session_key = session_key_for("openid-demo-reporter")
    encrypted, iv = encrypt_for_miniapp(session_key, APPID, {"phoneNumber": "13800000000"})

    data = decrypt_miniapp_data(session_key, iv, encrypted, APPID)

    assert data["phoneNumber"] == "13800000000"
    assert data["watermark"]["appid"] == APPID


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda key, iv, data: (key, iv, data, "wx-other-app"), id="wrong-appid"),
        pytest.param(
            lambda key, iv, data: (session_key_for("someone-else"), iv, data, APPID),
            id="wrong-key",
        ),
        pytest.param(lambda key, iv, data: (key, iv, "not base64 at all!", APPID), id="garbage"),
        pytest.param(lambda key, iv, data: (key, iv, data[:-8], APPID), id="truncated"),
        pytest.param(lambda key, iv, data: (key, iv, "", APPID), id="empty"),
        pytest.param(lambda key, iv, data: (key, "c2hvcnQ=", data, APPID), id="short-iv"),
    ],
)
def test_decrypt_rejects_bad_input(tamper) -> None:
    session_key = session_key_for("openid-demo-reporter")
    encrypted, iv = encrypt_for_miniapp(session_key, APPID, {"phoneNumber": "13800000000"})
    with pytest.raises(WeChatDecryptError):
        decrypt_miniapp_data(*tamper(session_key, iv, encrypted))


def test_clients_only_talk_to_the_fake(
    fake: FakeWeChatServer, miniapp: MiniAppClient, wecom: WeComClient
) -> None:
    groups = [api for api in vars(miniapp).values() if hasattr(api, "API_BASE_URL")]
    assert miniapp.API_BASE_URL == f"{fake.base_url}cgi-bin/"
    assert wecom.API_BASE_URL == f"{fake.wecom_base_url}cgi-bin/"
    assert groups and all(api.API_BASE_URL.startswith(fake.base_url) for api in groups)
    # customservice hard-codes absolute https://api.weixin.qq.com/... URLs.
    with pytest.raises(WeChatClientException):
        miniapp.customservice.add_account("kf2001@test", "客服", "password")
    assert fake.calls("/customservice/kfaccount/add")


def test_control_endpoints_over_http(fake: FakeWeChatServer, miniapp: MiniAppClient) -> None:
    control = f"{fake.base_url}_fake/"
    rule = {"path": SUBSCRIBE_PATH, "errcode": -1, "times": 2}
    assert requests.post(f"{control}fail", json=rule, timeout=1).json() == {"ok": True}
    for _ in range(2):
        with pytest.raises(WeChatClientException):
            send_subscribe(miniapp)
    assert send_subscribe(miniapp)["errcode"] == 0

    calls = requests.get(f"{control}calls", params={"path": "subscribe"}, timeout=1).json()["calls"]
    assert [call["method"] for call in calls] == ["POST"] * 3
    no_failure = {"path": SUBSCRIBE_PATH}
    assert requests.post(f"{control}fail", json=no_failure, timeout=1).status_code == 400
    assert requests.post(f"{control}reset", timeout=1).json() == {"ok": True}
    assert fake.calls() == []


def test_configured_apps_reject_unknown_credentials() -> None:
    client = create_fake_app(FakeState(apps={APPID: SECRET})).test_client()

    def token(appid: str, secret: str) -> dict:
        args = {"grant_type": "client_credential", "appid": appid, "secret": secret}
        return client.get("/cgi-bin/token", query_string=args).get_json()

    assert token(APPID, SECRET)["expires_in"] == 7200
    assert token("wx-unknown", SECRET) == {"errcode": 40013, "errmsg": "invalid appid"}
    assert token(APPID, "wrong")["errcode"] == 40125
    assert token("", "")["errcode"] == 40013
