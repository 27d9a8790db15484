"""The push endpoints accept only what WeChat / WeCom signed, once, and recently."""
import time

from sqlalchemy import func, select

from core.extensions import db
from fake_wechat.push import miniapp_push, miniapp_text, miniapp_verify, wecom_push, wecom_text, wecom_verify
from models.notify import OutboxMessage


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_wechat_url_check_is_answered_only_with_the_right_signature(client, app):
    params = miniapp_verify(app.config["WECHAT_PUSH_TOKEN"], "echo-1234")
    response = client.get("/bot/miniapp", query_string=params)
    assert (response.status_code, response.text) == (200, "echo-1234")

    forged = miniapp_verify("not-our-token", "echo-1234")
    response = client.get("/bot/miniapp", query_string=forged)
    assert (response.status_code, response.json["code"]) == (403, "push_signature_invalid")


def test_wecom_url_check_decrypts_the_echostr(client, app):
    cfg = app.config
    params = wecom_verify(cfg["WECOM_CALLBACK_TOKEN"], cfg["WECOM_CALLBACK_AES_KEY"], cfg["WECOM_CORP_ID"], "9876")
    response = client.get("/bot/wecom", query_string=params)
    assert (response.status_code, response.text) == (200, "9876")
    params["msg_signature"] = "0" * 40
    assert client.get("/bot/wecom", query_string=params).status_code == 403


def test_a_forged_signature_is_refused_and_nothing_is_answered(client, app, answers):
    cfg = app.config
    params, body = miniapp_push(miniapp_text("openid-x", "怎么注册"), cfg["WECHAT_PUSH_TOKEN"],
                                cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"])
    params["msg_signature"] = params["msg_signature"][::-1]
    response = client.post("/bot/miniapp", query_string=params, json=body)
    assert (response.status_code, response.json["code"]) == (403, "push_signature_invalid")
    assert outbox_count() == 0
    assert answers("openid-x") == []


def test_a_message_encrypted_for_another_app_or_with_another_key_is_refused(client, app):
    cfg = app.config
    for aes_key, appid in ((cfg["WECHAT_PUSH_AES_KEY"], "wx-another-app"),
                           ("YW5vdGhlci1rZXktd2l0aC10aGlydHktdHdvLWJ5dGU", cfg["WECHAT_MINIAPP_APPID"])):
        params, body = miniapp_push(miniapp_text("openid-x", "怎么注册"), cfg["WECHAT_PUSH_TOKEN"], aes_key, appid)
        response = client.post("/bot/miniapp", query_string=params, json=body)
        assert (response.status_code, response.json["code"]) == (403, "push_decrypt_failed")
    assert outbox_count() == 0


def test_a_replayed_push_is_refused_and_answered_once(client, app, answers):
    cfg = app.config
    params, body = miniapp_push(miniapp_text("openid-x", "怎么注册"), cfg["WECHAT_PUSH_TOKEN"],
                                cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"])
    assert client.post("/bot/miniapp", query_string=params, json=body).status_code == 200
    replay = client.post("/bot/miniapp", query_string=params, json=body)
    assert (replay.status_code, replay.json["code"]) == (409, "push_replayed")
    assert len(answers("openid-x")) == 1


def test_a_stale_push_is_refused(push, answers):
    response = push("怎么注册", timestamp=int(time.time()) - 600)
    assert (response.status_code, response.json["code"]) == (403, "push_stale")
    assert answers() == []


def test_the_same_message_redelivered_with_a_new_nonce_is_answered_once(push, answers):
    assert push("怎么注册", msg_id=777).status_code == 200
    assert push("怎么注册", msg_id=777).status_code == 200
    assert len(answers()) == 1


def test_a_plain_text_push_is_refused(client, app):
    params = miniapp_verify(app.config["WECHAT_PUSH_TOKEN"], "x")
    response = client.post("/bot/miniapp", query_string=params, json=miniapp_text("openid-x", "怎么注册"))
    assert (response.status_code, response.json["code"]) == (400, "push_not_encrypted")


def test_a_push_whose_sender_differs_from_the_signed_openid_is_refused(client, app):
    cfg = app.config
    params, body = miniapp_push(miniapp_text("openid-x", "怎么注册"), cfg["WECHAT_PUSH_TOKEN"],
                                cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"])
    params["openid"] = "openid-someone-else"
    response = client.post("/bot/miniapp", query_string=params, json=body)
    assert (response.status_code, response.json["code"]) == (403, "push_openid_mismatch")


def test_a_replayed_wecom_message_is_refused(client, app):
    cfg = app.config
    xml = wecom_text("ops1", "今日数据", cfg["WECOM_CORP_ID"], cfg["WECOM_AGENT_ID"])
    params, body = wecom_push(xml, cfg["WECOM_CALLBACK_TOKEN"], cfg["WECOM_CALLBACK_AES_KEY"], cfg["WECOM_CORP_ID"],
                              cfg["WECOM_AGENT_ID"])
    assert client.post("/bot/wecom", query_string=params, data=body, content_type="text/xml").status_code == 200
    replay = client.post("/bot/wecom", query_string=params, data=body, content_type="text/xml")
    assert (replay.status_code, replay.json["code"]) == (409, "push_replayed")
    forged = client.post("/bot/wecom", query_string={**params, "nonce": "1"}, data=body, content_type="text/xml")
    assert (forged.status_code, forged.json["code"]) == (403, "push_signature_invalid")


def test_production_refuses_pushes_while_the_development_token_is_set(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE_URL", "https://api.weixin.qq.com/")
    params = miniapp_verify(app.config["WECHAT_PUSH_TOKEN"], "echo")
    response = client.get("/bot/miniapp", query_string=params)
    assert (response.status_code, response.json["code"]) == (503, "push_not_configured")


def test_a_timestamp_of_hundreds_of_digits_is_400_not_500(client, app):
    cfg = app.config
    params, body = miniapp_push(miniapp_text("openid-x", "怎么注册"), cfg["WECHAT_PUSH_TOKEN"],
                                cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"])
    params["timestamp"] = "9" * 400
    for response in (client.post("/bot/miniapp", query_string=params, json=body),
                     client.get("/bot/miniapp", query_string={**params, "echostr": "x"}),
                     client.post("/bot/wecom", query_string=params, data="<xml/>", content_type="text/xml")):
        assert (response.status_code, response.json["code"]) == (400, "push_timestamp_invalid")


def test_a_chunked_body_beyond_64_kb_is_refused_413(client, app, answers):
    import io

    cfg = app.config
    params, body = miniapp_push(miniapp_text("openid-x", "怎么注册"), cfg["WECHAT_PUSH_TOKEN"],
                                cfg["WECHAT_PUSH_AES_KEY"], cfg["WECHAT_MINIAPP_APPID"])
    padded = ('{"Encrypt": "%s", "Padding": "%s"}' % (body["Encrypt"], "x" * 1024 * 1024)).encode()
    for path in ("/bot/miniapp", "/bot/wecom"):
        # No Content-Length: the server says it ends the stream itself, as gunicorn does for chunked bodies.
        response = client.post(path, query_string=params, input_stream=io.BytesIO(padded),
                               content_type="application/json",
                               headers={"Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
        assert (response.status_code, response.json["code"]) == (413, "push_too_large"), path
    assert answers("openid-x") == []
