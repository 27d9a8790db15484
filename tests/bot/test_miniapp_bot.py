"""What users ask the bot in the mini program, and what they get back as customer-service messages."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today, utcnow
from models.notify import SupportTicket, Suggestion
from models.orgs import Region

GUIDE = [
    ("怎么注册单位账号？", "系统首页面—“立即注册”"),
    ("企业信息在哪里维护", "基础设置—“企业信息”"),
    ("如何添加检验人员", "基础设置—“人员管理”"),
    ("电梯定期检验怎么报检", "检验检测—“业务开通、报检、结果管理”"),
    ("新买的锅炉怎么办理使用登记", "监管业务—“新增设备、新增告知、新增登记”"),
    ("液化石油气瓶使用登记", "液化石油气瓶使用登记"),
    ("工业气瓶补登记怎么做", "工业气瓶使用登记"),
    ("日管控周排查月调度在哪里填", "登陆—工作台—两个规定"),
    ("特设大屏怎么打开", "特设大屏/监管分析"),
]


@pytest.mark.parametrize("question,expected", GUIDE, ids=[q for q, _ in GUIDE])
def test_a_question_about_the_platform_gets_the_operation_guide(push, answers, question, expected):
    assert push(question).status_code == 200
    (answer,) = answers()
    assert expected in answer
    assert db.session.scalar(select(SupportTicket.id)) is None


def test_a_regions_office_contact_comes_from_the_region_table(push, answers):
    yanta = db.session.get(Region, "610113")
    yanta.office_name, yanta.office_phone = "雁塔区市场监督管理局特种设备安全监察科", "029-85511234"
    yanta.office_hours = "工作日 9:00-17:00"
    xian = db.session.get(Region, "610100")
    xian.office_name, xian.office_phone = "西安市市场监督管理局特种设备安全监察处", "029-86786000"
    db.session.flush()

    push("雁塔区办事机构电话是多少")
    push("长安区的办事机构在哪")  # not published: the city's office answers for it
    yanta_answer, changan_answer = answers()
    assert "029-85511234" in yanta_answer and "工作日 9:00-17:00" in yanta_answer
    assert "长安区办事机构（暂由西安市受理咨询）" in changan_answer and "029-86786000" in changan_answer


def test_an_unknown_question_becomes_a_ticket_in_the_ops_group_and_the_ops_reply_reaches_the_user(
        push, ops_push, answers, ops_answers, group):
    assert push("我们的压力容器铭牌丢了应该找谁补办").status_code == 200
    ticket = db.session.scalar(select(SupportTicket))
    assert ticket.status == "open"
    (ack,) = answers()
    assert f"工单 {ticket.number}" in ack
    (posted,) = group()
    assert f"新工单 {ticket.number}" in posted and "铭牌丢了" in posted and f"回复 {ticket.number}" in posted

    assert ops_push(f"回复 {ticket.number} 请携带产品合格证到属地监管部门办理。").status_code == 200
    assert answers()[-1] == f"【运维答复 {ticket.number}】请携带产品合格证到属地监管部门办理。"
    assert ops_answers("ops1") == [f"已答复工单 {ticket.number}，答复将以客服消息发给提问人。"]
    db.session.refresh(ticket)
    assert ticket.status == "answered"
    assert ticket.replies[0]["by"] == "wecom:ops1"

    push(ticket.number)
    assert "已答复" in answers()[-1] and "合格证" in answers()[-1]


def test_a_ticket_answered_from_the_console_reaches_a_bound_user_in_the_inbox_too(
        client, push, answers, bound, make_unit, make_person, auth_headers):
    user = bound(make_unit("use", "610113"), "unit_admin")
    push("转人工 我们单位名称变更后证书怎么换")
    ticket = db.session.scalar(select(SupportTicket))
    assert ticket.person_id == user.id
    ops = auth_headers(make_person(make_unit("risk_center", "610000"), "ops"))
    assert client.get("/api/v1/ops/tickets?status=open", headers=ops).json["total"] == 1
    replied = client.post(f"/api/v1/ops/tickets/{ticket.id}/reply", json={"text": "请办理变更登记。"}, headers=ops)
    assert replied.status_code == 200, replied.json
    assert replied.json["status"] == "answered"
    assert answers()[-1] == f"【运维答复 {ticket.number}】请办理变更登记。"
    inbox = client.get("/api/v1/me/messages", headers=auth_headers(user)).json["items"]
    assert inbox[0]["title"] == f"工单 {ticket.number} 已答复"
    closed = client.post(f"/api/v1/ops/tickets/{ticket.id}/close", headers=ops)
    assert closed.json["status"] == "closed"
    again = client.post(f"/api/v1/ops/tickets/{ticket.id}/reply", json={"text": "补充"}, headers=ops)
    assert (again.status_code, again.json["code"]) == (409, "ticket_transition_not_allowed")


def test_only_ops_staff_see_tickets(client, regulator):
    response = client.get("/api/v1/ops/tickets", headers=regulator("610113"))
    assert (response.status_code, response.json["code"]) == (403, "not_ops")


def test_a_suggestion_is_recorded_and_its_status_maintained_by_ops(
        client, push, answers, group, bound, make_unit, make_person, auth_headers):
    user = bound(make_unit("use", "610113"), "unit_admin")
    push("建议：设备列表增加按检验到期日排序")
    suggestion = db.session.scalar(select(Suggestion))
    assert (suggestion.text, suggestion.status) == ("设备列表增加按检验到期日排序", "received")
    assert suggestion.number in answers()[-1]
    assert any(f"新建议 {suggestion.number}" in post for post in group())

    ops = auth_headers(make_person(make_unit("risk_center", "610000"), "ops"))
    listed = client.get("/api/v1/ops/suggestions?status=received", headers=ops).json["items"]
    assert [s["number"] for s in listed] == [suggestion.number]
    updated = client.patch(f"/api/v1/ops/suggestions/{suggestion.id}", json={"status": "accepted",
                                                                             "note": "下个版本上线"}, headers=ops)
    assert updated.status_code == 200, updated.json
    assert updated.json["status_label"] == "已采纳"
    wrong = client.patch(f"/api/v1/ops/suggestions/{suggestion.id}", json={"status": "received"}, headers=ops)
    assert (wrong.status_code, wrong.json["code"]) == (409, "suggestion_transition_not_allowed")

    push(suggestion.number)
    assert answers()[-1] == f"建议 {suggestion.number}：已采纳。\n说明：下个版本上线"
    inbox = client.get("/api/v1/me/messages", headers=auth_headers(user)).json["items"]
    assert inbox[0]["title"] == f"建议 {suggestion.number} 已采纳"


def test_a_device_is_looked_up_by_its_code(push, answers, make_unit, make_equipment):
    from services.equipment.onecode import active_code, assign_many

    unit = make_unit("use", "610113", name="演示商场")
    elevator = make_equipment(unit, "3110", use_status="in_use", registration_cert_no="梯11陕A00042(24)",
                              next_due_date=business_today() + timedelta(days=200), next_due_type="定期检验")
    assign_many([elevator.id], None)
    code = active_code(elevator.id).code
    push(f"查设备 {code}")
    push(code.lower())
    push("查设备 ABCDEFGHJK")
    by_command, by_code, wrong = answers()
    assert f"设备码 {code}" in by_command and "演示商场" in by_command and "在检验有效期内" in by_command
    assert "电梯困人请拨打 96333" in by_command
    assert by_code == by_command
    assert wrong == "二维码编号有误，请核对后重新输入。"


def test_my_todos_for_a_regulator_and_for_someone_not_bound(push, answers, bound, make_unit):
    bound(make_unit("regulator", "610113", name="雁塔区局"), "regulator_staff")
    make_unit("use", "610113", status="pending", name="待审核的酒店")
    make_unit("use", "610581", status="pending", name="韩城的工厂")  # another regulator's
    push("我的待办")
    push("我的待办", openid="openid-stranger")
    mine, stranger = answers(), answers("openid-stranger")
    assert "待审核单位注册 1 家：待审核的酒店" in mine[0]
    assert "韩城" not in mine[0]
    assert stranger == ["请先在小程序中登录并绑定账号，再查询您的待办和业务进度。"]


def test_the_status_of_my_application_by_its_number(push, answers, bound, make_unit, make_equipment):
    from models.equipment import Application

    unit = make_unit("use", "610113")
    bound(unit, "unit_admin")
    equipment = make_equipment(unit)
    application = Application(kind="use_registration", equipment_id=equipment.id, applicant_unit_id=unit.id,
                              region_code="610113", office_region_code="610100", status="accepted",
                              submitted_at=utcnow(), due_date=business_today() + timedelta(days=10), form={},
                              documents=[])
    db.session.add(application)
    db.session.flush()
    push(f"申请 {application.id}")
    push(f"申请 {application.id}", openid="openid-stranger")
    (mine,) = answers()
    assert mine.startswith(f"申请 {application.id}（使用登记）：已受理")
    assert "办理期限" in mine
    assert answers("openid-stranger") == ["请先在小程序中登录并绑定账号，再查询您的待办和业务进度。"]


def test_hello_gets_the_menu_and_an_image_gets_a_hint(client, app, push, answers):
    from fake_wechat.push import miniapp_push

    push("你好")
    cfg = app.config
    image = {"ToUserName": "gh", "FromUserName": "openid-bot-user", "CreateTime": 1, "MsgType": "image",
             "PicUrl": "http://x", "MediaId": "m", "MsgId": 42}
    params, body = miniapp_push(image, cfg["WECHAT_PUSH_TOKEN"], cfg["WECHAT_PUSH_AES_KEY"],
                                cfg["WECHAT_MINIAPP_APPID"])
    assert client.post("/bot/miniapp", query_string=params, json=body).status_code == 200
    menu, hint = answers()
    assert "运维机器人" in menu and "转人工" in menu
    assert hint.startswith("目前只能识别文字消息")


def test_the_demo_offices_answer_in_the_quick_start(push, answers):
    from services.demo import offices

    assert offices.load() == 3
    assert offices.load() == 0
    push("韩城办事机构电话")
    assert "0913-8000581" in answers()[0]
