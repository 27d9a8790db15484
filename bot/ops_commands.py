"""Ops staff's commands from the WeCom app: figures, look-ups, tickets, suggestions.
Returns the text of the WeCom app reply."""
from __future__ import annotations

import re

from sqlalchemy import select

from bot import replies
from core.errors import AppError
from core.extensions import db
from models.notify import SUGGESTION_STATUSES, OutboxMessage
from models.orgs import UNIT_KINDS
from qr.codes import is_well_formed, normalize
from services.analytics import digest
from services.equipment import records
from services.notify import outbox, suggestions, tickets
from services.onecode import resolve
from services.orgs import units
from services.orgs.accounts import OPS_ROBOT

FIGURES = re.compile(r"^(今日|今日数据|今天|数据|日报)$")
DEVICE = re.compile(r"^(查设备|设备)\s*[:：]?\s*(\S+)$")
UNIT = re.compile(r"^(查单位|单位)\s*[:：]?\s*(.+)$")
TICKETS = re.compile(r"^(工单|工单列表|待答复)$")
REPLY = re.compile(r"^回复\s*([Tt]\d{1,9})\s*[:：,，]?\s*(.+)$", re.S)
CLOSE = re.compile(r"^关闭\s*([Tt]\d{1,9})$")
SUGGESTION_LIST = re.compile(r"^建议列表$")
SUGGESTION_STATUS = re.compile(r"^建议\s*([Ss]\d{1,9})\s*(采纳|排期|上线|不采纳|暂不采纳|重新研判)\s*(.*)$", re.S)
FAILED = re.compile(r"^(失败消息|消息失败)$")
STATUS_WORDS = {"采纳": "accepted", "排期": "planned", "上线": "done", "不采纳": "declined", "暂不采纳": "declined",
                "重新研判": "received"}
LIST_LIMIT = 10


def handle(user_id: str, text: str) -> str:
    """Carry out one ops command from WeCom user `user_id`; unknown text gets the menu."""
    text = (text or "").strip()
    by = f"wecom:{user_id}"
    try:
        if FIGURES.match(text):
            f = digest.figures()
            return f"今日数据 {f.day.isoformat()}\n" + digest.figures_text(f).replace("> ", "")
        if match := REPLY.match(text):
            ticket = tickets.reply(tickets.get_ticket(match.group(1)), match.group(2), by)
            return f"已答复工单 {ticket.number}，答复将以客服消息发给提问人。"
        if match := CLOSE.match(text):
            ticket = tickets.close(tickets.get_ticket(match.group(1)), by)
            return f"工单 {ticket.number} 已关闭。"
        if TICKETS.match(text):
            return _open_tickets()
        if match := DEVICE.match(text):
            return _device(match.group(2))
        if match := UNIT.match(text):
            return _units(match.group(2))
        if SUGGESTION_LIST.match(text):
            return _suggestions()
        if match := SUGGESTION_STATUS.match(text):
            suggestion = suggestions.get_suggestion(suggestions.parse_number(match.group(1)))
            status = STATUS_WORDS[match.group(2)]
            suggestions.update_status(suggestion, status, match.group(3) or None, by)
            return f"建议 {suggestion.number} 已更新为「{SUGGESTION_STATUSES[status]}」。"
        if FAILED.match(text):
            return _failed()
    except AppError as error:
        return error.message
    return replies.OPS_HELP


def _open_tickets() -> str:
    open_ = list(db.session.scalars(tickets.list_tickets_stmt(status="open").limit(LIST_LIMIT)))
    if not open_:
        return "没有待答复的工单。"
    return "待答复工单：\n" + "\n".join(f"{t.number}（{t.created_at:%m-%d %H:%M}）{t.question[:40]}" for t in open_)


def _device(raw: str) -> str:
    code = normalize(raw)
    if is_well_formed(code):
        try:
            card, _ = resolve.public(code)
        except AppError as error:
            return error.message
        return replies.device_card(card)
    found = list(db.session.scalars(records.list_equipment_stmt(OPS_ROBOT, q=raw).limit(3)))
    if not found:
        return f"未找到设备 {raw}。"
    return "\n\n".join(
        f"设备代码 {e.equipment_code or '-'}（{e.catalogue.name}）\n使用单位：{e.use_unit.name if e.use_unit else e.legacy_use_unit_name or '-'}\n"
        f"地点：{e.address or '-'}\n下次检验：{e.next_due_date or '未知'}" for e in found)


def _units(q: str) -> str:
    found = list(db.session.scalars(units.list_units_stmt(OPS_ROBOT, q=q).limit(5)))
    if not found:
        return f"未找到单位 {q}。"
    return "\n\n".join(
        f"{u.name}（{UNIT_KINDS.get(u.kind, u.kind)}，{u.status_label}）\n统一社会信用代码：{u.uscc or '-'}\n"
        f"所在地区：{u.region.name}；联系人：{u.contact_name or '-'} {u.contact_phone or ''}".rstrip() for u in found)


def _suggestions() -> str:
    found = list(db.session.scalars(suggestions.list_suggestions_stmt(status="received").limit(LIST_LIMIT)))
    if not found:
        return "没有待处理的建议。"
    return "待处理建议：\n" + "\n".join(f"{s.number} {s.text[:40]}" for s in found)


def _failed() -> str:
    found = list(db.session.scalars(outbox.list_messages_stmt(status="failed").limit(LIST_LIMIT)))
    retrying = db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                                 OutboxMessage.attempts > 0).limit(1)).first()
    if not found and retrying is None:
        return "没有发送失败的消息。"
    lines = [f"#{m.id} {m.channel} {m.template}：{(m.last_error or '')[:60]}" for m in found]
    if retrying is not None:
        lines.append("另有消息正在重试，可发送“今日数据”查看数量。")
    return "发送失败的消息：\n" + "\n".join(lines)
