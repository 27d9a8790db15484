"""Ops staff's commands in the WeCom app; answers come back as WeCom app messages."""
from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today, utcnow
from models.notify import OutboxMessage


def test_todays_figures(ops_push, ops_answers, make_unit, make_equipment):
    make_unit("use", "610113", status="pending", submitted_at=utcnow())
    use = make_unit("use", "610113")
    make_equipment(use, use_status="in_use", next_due_date=business_today() - timedelta(days=1))
    db.session.add(OutboxMessage(channel="subscribe", template="x", title="x", body="x", status="failed",
                                 attempts=10, data={}))
    db.session.flush()
    assert ops_push("今日数据").status_code == 200
    (answer,) = ops_answers()
    assert answer.startswith(f"今日数据 {business_today().isoformat()}")
    assert "待审核单位：1（今日新注册 1）" in answer
    assert "检验超期在用设备：1" in answer
    assert "发送失败消息：1" in answer


def test_look_up_a_unit_by_name_or_uscc_and_a_device_by_code(ops_push, ops_answers, make_unit, make_equipment):
    unit = make_unit("use", "610113", name="雁塔演示宾馆", contact_name="赵六", contact_phone="029-80001111")
    make_equipment(unit, equipment_code="31106101202099999", address="宾馆 1 号梯")
    ops_push("查单位 演示宾馆")
    ops_push(f"单位 {unit.uscc}")
    ops_push("查设备 31106101202099999")
    ops_push("查设备 不存在的设备")
    by_name, by_uscc, device, missing = ops_answers()
    assert by_name == by_uscc
    assert "雁塔演示宾馆（使用单位，已通过）" in by_name and "赵六 029-80001111" in by_name
    assert "设备代码 31106101202099999" in device and "宾馆 1 号梯" in device
    assert missing == "未找到设备 不存在的设备。"


def test_open_tickets_are_listed_and_a_ticket_is_closed(push, ops_push, ops_answers):
    push("我们单位的数据怎么迁移到新的组织架构下")
    from models.notify import SupportTicket

    ticket = db.session.scalar(select(SupportTicket))
    ops_push("工单")
    ops_push(f"关闭 {ticket.number}")
    ops_push(f"回复 {ticket.number} 晚了")
    ops_push("回复 T999999 没有这个工单")
    listing, closed, refused, missing = ops_answers()
    assert listing.startswith("待答复工单：") and ticket.number in listing
    assert closed == f"工单 {ticket.number} 已关闭。"
    assert refused == f"工单 {ticket.number} 当前为「已关闭」，不能再答复。"
    assert missing == "未找到工单 T999999。"


def test_suggestion_status_from_wecom(push, ops_push, ops_answers):
    from models.notify import Suggestion

    push("建议 增加夜间模式")
    number = db.session.scalar(select(Suggestion)).number
    ops_push("建议列表")
    ops_push(f"建议 {number} 排期")
    ops_push(f"建议 {number} 采纳 12 月版本")
    listing, refused, accepted = ops_answers()
    assert f"{number} 增加夜间模式" in listing
    assert refused == "建议当前为「已收到」，不能改为「已排期」。"
    assert accepted == f"建议 {number} 已更新为「已采纳」。"
    suggestion = db.session.scalar(select(Suggestion))
    db.session.refresh(suggestion)
    assert (suggestion.status, suggestion.ops_note, suggestion.handled_by) == ("accepted", "12 月版本", "wecom:ops1")


def test_anything_else_gets_the_command_menu(ops_push, ops_answers):
    ops_push("你好")
    assert ops_answers()[0].startswith("运维命令：")


def test_only_listed_ops_members_may_command_when_a_list_is_set(app, monkeypatch, ops_push, ops_answers):
    monkeypatch.setitem(app.config, "WECOM_OPS_USERS", ["ops1"])
    ops_push("今日数据", user="intern")
    ops_push("今日数据", user="ops1")
    assert ops_answers("intern") == ["您不在运维人员名单中，不能使用运维命令。"]
    assert ops_answers("ops1")[0].startswith("今日数据")


def test_the_console_shows_the_same_figures(client, make_unit, make_person, auth_headers):
    ops = auth_headers(make_person(make_unit("risk_center", "610000"), "ops"))
    make_unit("use", "610113", status="pending")
    response = client.get("/api/v1/ops/figures", headers=ops)
    assert response.status_code == 200, response.json
    assert (response.json["day"], response.json["units_pending"]) == (business_today().isoformat(), 1)
