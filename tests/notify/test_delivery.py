"""Delivery of the outbox through the fake WeChat: subscribe messages with one-time authorisations,
dedupe keys, retries with back-off, token refresh, WeCom robot and app messages."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from core import tx
from core.extensions import db
from core.timeutil import utcnow
from jobs.notify import sweep_outbox
from models.notify import OutboxMessage
from services import notify
from tests.notify.conftest import SUBSCRIBE_PATH, rows


def remind(person, key="weekly:2026-W48"):
    message = notify.queue_message(person.id, "weekly_report_due", "周排查提醒", "请在周五前提交本周排查报告。",
                                   dedupe_key=f"{key}:{person.id}")
    tx.commit()
    return message


def grant(client, headers, *template_ids):
    response = client.post("/api/v1/me/subscriptions", json={"template_ids": list(template_ids)}, headers=headers)
    assert response.status_code == 201, response.json
    return {item["template_id"]: item["remaining"] for item in response.json["items"]}


def remaining(client, headers):
    items = client.get("/api/v1/me/subscriptions", headers=headers).json["items"]
    return {item["template_id"]: item["remaining"] for item in items}


def time_passes():
    """Every back-off is over."""
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    tx.commit()


def test_a_reminder_goes_out_once_with_its_dedupe_key_and_spends_one_authorisation(
        client, templates, county, fake, run_jobs):
    assert grant(client, county["headers"], "tmpl-reminder", "tmpl-reminder") == {"tmpl-reminder": 2,
                                                                                  "tmpl-unit-review": 0}
    assert remind(county["person"]) is not None
    assert remind(county["person"]) is None  # the same reminder again: nothing new
    run_jobs()

    sent = fake.calls(SUBSCRIBE_PATH)
    assert len(sent) == 1
    assert sent[0]["json"]["touser"] == county["openid"]
    assert sent[0]["json"]["template_id"] == "tmpl-reminder"
    assert sent[0]["json"]["data"]["thing1"] == {"value": "周排查提醒"}
    assert sent[0]["json"]["data"]["thing4"]["value"] == "请在周五前提交本周排查报告。"
    assert [(m.channel, m.status) for m in rows()] == [("inbox", "sent"), ("subscribe", "sent")]
    assert remaining(client, county["headers"])["tmpl-reminder"] == 1
    inbox = client.get("/api/v1/me/messages", headers=county["headers"]).json["items"]
    assert [m["title"] for m in inbox] == ["周排查提醒"]


def test_without_an_authorisation_the_message_stays_in_the_inbox_only(client, templates, county, fake, run_jobs):
    remind(county["person"])
    run_jobs()
    assert fake.calls(SUBSCRIBE_PATH) == []
    inbox_row, subscribe_row = rows()
    assert (inbox_row.status, subscribe_row.status) == ("sent", "skipped")
    assert "授权" in subscribe_row.last_error
    assert client.get("/api/v1/me/messages/unread-count", headers=county["headers"]).json == {"unread": 1}


def test_a_message_type_without_a_template_is_inbox_only(county, templates, fake, run_jobs):
    notify.queue_message(county["person"].id, "unit_approve", "单位审核通过", "您单位的注册申请已审核通过。")
    tx.commit()
    run_jobs()
    assert [(m.channel, m.status) for m in rows()] == [("inbox", "sent")]


@pytest.mark.parametrize("failure", [{"errcode": -1}, {"errcode": 45009}, {"mode": "timeout", "seconds": 1.5},
                                     {"mode": "http500"}], ids=["busy", "quota", "timeout", "http500"])
def test_wechat_failures_are_retried_after_back_off_and_the_message_is_delivered_once(
        client, app, templates, county, fake, run_jobs, monkeypatch, failure):
    monkeypatch.setitem(app.config, "WECHAT_TIMEOUT_SECONDS", 0.5)
    grant(client, county["headers"], "tmpl-reminder")
    fake.fail(SUBSCRIBE_PATH, **failure)
    remind(county["person"])
    run_jobs()

    subscribe_row = rows("subscribe")[0]
    assert (subscribe_row.status, subscribe_row.attempts) == ("pending", 1)
    assert subscribe_row.last_error
    assert subscribe_row.next_attempt_at > utcnow()
    assert sweep_outbox() == 0  # not due yet

    time_passes()
    assert sweep_outbox() == 1
    run_jobs()
    subscribe_row = rows("subscribe")[0]
    assert (subscribe_row.status, subscribe_row.attempts) == ("sent", 2)
    assert len(fake.calls(SUBSCRIBE_PATH)) == 2  # the failed call and the one that went through
    assert remaining(client, county["headers"])["tmpl-reminder"] == 0  # one authorisation for one message
    assert sweep_outbox() == 0


def test_an_expired_token_is_refreshed_and_the_message_sent_in_the_same_attempt(
        client, templates, county, fake, run_jobs):
    grant(client, county["headers"], "tmpl-reminder")
    fake.fail(SUBSCRIBE_PATH, errcode=40001)
    remind(county["person"])
    run_jobs()
    subscribe_row = rows("subscribe")[0]
    assert (subscribe_row.status, subscribe_row.attempts) == ("sent", 1)
    assert len(fake.calls("cgi-bin/token")) == 2  # the first token, then a fresh one after 40001
    tokens = [call["args"]["access_token"] for call in fake.calls(SUBSCRIBE_PATH)]
    assert len(tokens) == 2 and tokens[0] != tokens[1]


def test_a_lasting_refusal_fails_and_gives_the_authorisation_back(client, templates, county, fake, run_jobs):
    grant(client, county["headers"], "tmpl-reminder")
    fake.fail(SUBSCRIBE_PATH, errcode=40003)  # invalid openid: trying again will not help
    remind(county["person"])
    run_jobs()
    subscribe_row = rows("subscribe")[0]
    assert subscribe_row.status == "failed"
    assert "40003" in subscribe_row.last_error
    assert remaining(client, county["headers"])["tmpl-reminder"] == 1
    assert sweep_outbox() == 0


def test_a_message_the_user_refused_in_wechat_ends_skipped(client, templates, county, fake, run_jobs):
    grant(client, county["headers"], "tmpl-reminder")
    fake.fail(SUBSCRIBE_PATH, errcode=43101)
    remind(county["person"])
    run_jobs()
    assert rows("subscribe")[0].status == "skipped"
    assert remaining(client, county["headers"])["tmpl-reminder"] == 0  # WeChat has no grant for it either


def test_after_the_last_attempt_the_message_fails_and_the_ops_group_is_alerted_once(
        client, app, templates, county, fake, run_jobs, monkeypatch, make_unit, make_person, auth_headers):
    from jobs.notify import alert_delivery_failures

    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 2)
    monkeypatch.setitem(app.config, "NOTIFY_ALERT_THRESHOLD", 1)
    grant(client, county["headers"], "tmpl-reminder")
    fake.fail(SUBSCRIBE_PATH, errcode=-1, times=2)
    remind(county["person"])
    run_jobs()
    time_passes()
    sweep_outbox()
    run_jobs()
    assert rows("subscribe")[0].status == "failed"

    assert alert_delivery_failures() is True
    assert alert_delivery_failures() is False  # once an hour
    run_jobs()
    alerts = [c for c in fake.calls("webhook/send") if "消息发送异常告警" in c["json"]["markdown"]["content"]]
    assert len(alerts) == 1

    ops = auth_headers(make_person(make_unit("risk_center", "610000"), "ops"))
    failed = client.get("/api/v1/ops/messages?status=failed", headers=ops).json["items"]
    assert [m["channel"] for m in failed] == ["subscribe"]
    retried = client.post(f"/api/v1/ops/messages/{failed[0]['id']}/retry", headers=ops)
    assert retried.json["status"] == "pending"
    run_jobs()
    assert rows("subscribe")[0].status == "sent"


def test_wecom_robot_and_app_messages_reach_the_fake_wecom(app, fake, run_jobs):
    notify.queue_ops_group("ops_test", "测试推送", "> 运维群消息")
    notify.queue_wecom_app(["ops1", "ops2"], "ops_test", "测试", "应用消息")
    tx.commit()
    run_jobs()
    robot = fake.calls("wecom/cgi-bin/webhook/send")
    assert robot[0]["args"]["key"] == app.config["WECOM_ROBOT_KEY"]
    assert robot[0]["json"] == {"msgtype": "markdown", "markdown": {"content": "**测试推送**\n> 运维群消息"}}
    sent = fake.calls("wecom/cgi-bin/message/send")
    assert sent[0]["json"]["touser"] == "ops1|ops2"
    assert sent[0]["json"]["text"]["content"] == "测试\n应用消息"
    assert sent[0]["json"]["agentid"] == int(app.config["WECOM_AGENT_ID"])
    assert {m.status for m in rows()} == {"sent"}


def test_with_redis_down_a_registration_commits_and_the_sweep_delivers_everything_later(
        client, app, templates, county, fake, run_jobs, monkeypatch):
    from tests.core.test_jobs import queued
    from tests.orgs.test_registration import registration

    grant(client, county["headers"], "tmpl-unit-review")
    redis_url = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.post("/api/v1/units/registrations", json=registration())
    assert response.status_code == 201, response.json
    assert [(m.channel, m.status) for m in rows()] == [("inbox", "pending"), ("subscribe", "pending")]

    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)  # Redis is back
    assert queued() == []  # the enqueue after commit was lost
    assert sweep_outbox() == 2
    run_jobs()
    assert [(m.channel, m.status) for m in rows()] == [("inbox", "sent"), ("subscribe", "sent")]
    sent = fake.calls(SUBSCRIBE_PATH)
    assert [(c["json"]["touser"], c["json"]["template_id"]) for c in sent] == [(county["openid"], "tmpl-unit-review")]
    assert sent[0]["json"]["page"] == "pages/inbox/index"
    inbox = client.get("/api/v1/me/messages", headers=county["headers"]).json["items"]
    assert [m["template"] for m in inbox] == ["unit_registration_submitted"]


def test_a_long_value_is_cut_to_what_wechat_accepts(client, templates, county, fake, run_jobs):
    grant(client, county["headers"], "tmpl-reminder")
    notify.queue_message(county["person"].id, "weekly_report_due", "一个超过二十个字的提醒标题会被微信拒收所以要截断",
                         "正文")
    tx.commit()
    run_jobs()
    value = fake.calls(SUBSCRIBE_PATH)[0]["json"]["data"]["thing1"]["value"]
    assert len(value) == 20 and value.endswith("…")


def test_without_redis_the_sweep_delivers_in_process(app, county, monkeypatch):
    db.session.add(OutboxMessage(channel="inbox", recipient_person_id=county["person"].id, template="reminder",
                                 title="提醒", body="请完成本周排查。", status="pending", attempts=0, data={}))
    tx.commit()
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert sweep_outbox() == 1
    assert [m.status for m in rows()] == ["sent"]
