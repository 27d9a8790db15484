"""Support tickets: what the bot cannot answer goes to the ops group; the reply goes back to the user.

The seed routes users' questions to the ops WeChat group (「使用过程中的问题，可在特种设备运维群咨询」).
A ticket is opened from a mini-program message, posted to the group by its robot
with its number (T<id>), answered by ops staff from WeCom (「回复 T12 …」) or the
console, and the answer reaches the user as a customer-service message (and in the
inbox when the user is bound to a person, since WeChat only allows customer-service
replies within 48 hours of the user's last message).
"""
from __future__ import annotations

import re

from sqlalchemy import Select, select

from core.errors import InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.timeutil import utcnow
from models.notify import SupportTicket
from services.notify import outbox

NUMBER = re.compile(r"^[Tt](\d{1,9})$")
# Allowed ticket transitions: (status, action) -> new status.
TRANSITIONS = {("open", "reply"): "answered", ("answered", "reply"): "answered",
               ("open", "close"): "closed", ("answered", "close"): "closed"}
MAX_QUESTION = 2000
MAX_ID = 2**31 - 1  # an INTEGER key; a longer number names nothing


def parse_number(text: str) -> int | None:
    """`T12` -> 12; None when it is not a ticket number."""
    match = NUMBER.match(text.strip())
    return int(match.group(1)) if match else None


def get_ticket(number_or_id: str | int) -> SupportTicket:
    """A ticket by number (`T12`) or id; NotFound otherwise."""
    ticket_id = number_or_id if isinstance(number_or_id, int) else parse_number(number_or_id)
    ticket = db.session.get(SupportTicket, ticket_id) if ticket_id and ticket_id <= MAX_ID else None
    if ticket is None:
        raise NotFound(f"未找到工单 {number_or_id}。", code="ticket_not_found")
    return ticket


def open_ticket(openid: str, question: str, *, person_id: int | None = None, who: str = "",
                source_msg_id: str | None = None) -> SupportTicket:
    """Open a ticket and post it to the ops group (once per WeChat message: `source_msg_id`)."""
    if source_msg_id:
        existing = db.session.scalar(select(SupportTicket).where(SupportTicket.source_msg_id == source_msg_id))
        if existing is not None:
            return existing
    ticket = SupportTicket(openid=openid, person_id=person_id, question=question.strip()[:MAX_QUESTION],
                           source_msg_id=source_msg_id, status="open", replies=[])
    db.session.add(ticket)
    db.session.flush()
    outbox.queue_ops_group(
        "ops_ticket_opened", f"新工单 {ticket.number}",
        f"> 提问人：{who or '未绑定用户'}\n> 问题：{ticket.question}\n\n"
        f"请在企业微信应用中发送「回复 {ticket.number} 答复内容」，答复将以客服消息发给提问人。",
        dedupe_key=f"ticket-opened:{ticket.id}", data={"ticket_id": ticket.id})
    return ticket


def _apply(ticket: SupportTicket, action: str) -> None:
    new = TRANSITIONS.get((ticket.status, action))
    if new is None:
        raise RuleViolation(f"工单 {ticket.number} 当前为「{ticket.status_label}」，不能再{'答复' if action == 'reply' else '关闭'}。",
                            code="ticket_transition_not_allowed", details={"status": ticket.status})
    ticket.status = new


def reply(ticket: SupportTicket, text: str, by: str) -> SupportTicket:
    """Answer a ticket: the user gets a customer-service message (and an inbox message if bound)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput.field("text", "请填写答复内容。", code="reply_empty")
    _apply(ticket, "reply")
    now = utcnow()
    ticket.replies = [*ticket.replies, {"by": by, "at": now.isoformat(), "text": text}]
    ticket.answered_at = now
    db.session.flush()
    n = len(ticket.replies)
    outbox.queue_customer_service(ticket.openid, f"【运维答复 {ticket.number}】{text}", template="ticket_reply",
                                  person_id=ticket.person_id, dedupe_key=f"ticket-reply:{ticket.id}:{n}",
                                  data={"ticket_id": ticket.id})
    if ticket.person_id is not None:
        outbox.queue_message(ticket.person_id, "ticket_reply", f"工单 {ticket.number} 已答复",
                             f"您的问题「{ticket.question[:60]}」已答复：{text}", {"ticket_id": ticket.id},
                             dedupe_key=f"ticket-reply-inbox:{ticket.id}:{n}")
    return ticket


def close(ticket: SupportTicket, by: str) -> SupportTicket:
    """Close a ticket without (further) answer."""
    _apply(ticket, "close")
    ticket.closed_at = utcnow()
    ticket.replies = [*ticket.replies, {"by": by, "at": ticket.closed_at.isoformat(), "text": None}]
    db.session.flush()
    return ticket


def list_tickets_stmt(status: str | None = None, openid: str | None = None) -> Select:
    """Tickets, newest first; open ones for the ops view, a user's own by openid."""
    stmt = select(SupportTicket)
    if status:
        stmt = stmt.where(SupportTicket.status == status)
    if openid:
        stmt = stmt.where(SupportTicket.openid == openid)
    return stmt.order_by(SupportTicket.id.desc())
