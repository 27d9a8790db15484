"""Texts the bot sends: help menus, device cards, application status (Chinese, plain text)."""
from __future__ import annotations

from typing import Any

from models.equipment import APPLICATION_STATUSES

USER_HELP = (
    "您好，我是陕西省特种设备智慧监管平台运维机器人，可以：\n"
    "1. 解答平台使用问题，如“怎么注册”“如何报检”“气瓶使用登记”“两个规定”；\n"
    "2. 查询办事机构，如“雁塔区办事机构电话”；\n"
    "3. 查设备：发送“查设备 + 设备码”；\n"
    "4. 我的待办：发送“我的待办”（需先在小程序登录绑定）；\n"
    "5. 查询进度：“申请 12”查业务申请，“T12”查工单；\n"
    "6. 提建议：发送“建议 + 内容”；\n"
    "7. 转人工：发送“转人工 + 问题”，运维人员会尽快答复。"
)

OPS_HELP = (
    "运维命令：\n"
    "今日数据 — 待审核单位、今日注册、设备超期、消息失败等\n"
    "查设备 <设备码/设备代码> — 查询设备\n"
    "查单位 <名称/统一社会信用代码> — 查询单位\n"
    "工单 — 待答复工单\n"
    "回复 T12 <内容> — 答复工单，用户以客服消息收到\n"
    "关闭 T12 — 关闭工单\n"
    "建议列表 — 待处理建议；建议 S3 采纳|排期|上线|不采纳 [说明] — 更新建议状态\n"
    "失败消息 — 发送失败的消息"
)

NOT_BOUND = "请先在小程序中登录并绑定账号，再查询您的待办和业务进度。"
NON_TEXT = "目前只能识别文字消息。如需人工帮助，请发送“转人工 + 您的问题”。"


def device_card(card: dict[str, Any]) -> str:
    """A device's public card as a short text."""
    lines = [f"设备码 {card['code']}：{card.get('category') or card.get('category_code')}"]
    if card.get("use_unit_name"):
        lines.append(f"使用单位：{card['use_unit_name']}")
    if card.get("address"):
        lines.append(f"地点：{card['address']}")
    if card.get("registration_cert_no"):
        lines.append(f"使用登记证：{card['registration_cert_no']}")
    lines.append(f"状态：{card['status_text']}")
    if card.get("next_due_date"):
        lines.append(f"下次检验：{card['next_due_date']}（{card.get('next_due_type') or '定期检验'}）")
    if card.get("maintenance_unit_name"):
        phone = f"，电话 {card['maintenance_unit_phone']}" if card.get("maintenance_unit_phone") else ""
        lines.append(f"维保单位：{card['maintenance_unit_name']}{phone}")
    if card.get("rescue_phone"):
        lines.append(f"电梯困人请拨打 {card['rescue_phone']}")
    return "\n".join(lines)


def application_status(app: Any, kind_label: str) -> str:
    """One lifecycle application's state for its applicant or reviewer."""
    eq = app.equipment
    lines = [f"申请 {app.id}（{kind_label}）：{APPLICATION_STATUSES.get(app.status, app.status)}",
             f"设备：{eq.equipment_code or eq.id}{'，' + eq.address if eq.address else ''}"]
    if app.status in ("submitted", "accepted") and app.due_date:
        lines.append(f"办理期限：{app.due_date.isoformat()}")
    if app.certificate_no:
        lines.append(f"使用登记证编号：{app.certificate_no}")
    if app.decision_note:
        lines.append(f"办理意见：{app.decision_note}")
    return "\n".join(lines)
