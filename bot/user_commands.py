"""What the bot answers a mini-program user: commands first, then the knowledge base,
then a ticket for the ops group. Returns the text of the customer-service reply."""
from __future__ import annotations

import re
from typing import Callable

from flask import current_app
from sqlalchemy import func, select

from bot import knowledge, replies
from core.auth import Identity
from core.errors import AppError, NotFound
from core.extensions import db
from models.orgs import Account, Person
from qr.codes import is_well_formed, normalize
from services import notify
from services.equipment import applications
from services.notify import suggestions, tickets
from services.onecode import resolve
from services.orgs import accounts, units

HELP = re.compile(r"^(帮助|菜单|help|功能|\?|？)$", re.I)
GREETING = re.compile(r"^(你好|您好|hi|hello|在吗|在么|谢谢|多谢|谢谢你)[!！。~～]*$", re.I)
SUGGEST = re.compile(r"^建议(?![\s]*[Ss]\d)[\s:：,，]*(.*)$", re.S)
HUMAN = re.compile(r"^(转人工|人工客服|人工)[\s:：,，]*(.*)$", re.S)
DEVICE = re.compile(r"^(查设备|查询设备|设备|查码)[\s:：]*([A-Za-z0-9]{6,32})$")
TODO = re.compile(r"^(我的)?待办(事项)?$")
APPLICATION = re.compile(r"^(查询|查|进度|状态)?\s*(申请|业务)\s*[#：:]?\s*(\d{1,9})$")
TICKET = re.compile(r"^(查询|查|进度|工单)?\s*([Tt]\d{1,9})$")
SUGGESTION = re.compile(r"^(查询|查|进度|建议)?\s*([Ss]\d{1,9})$")
MY_TICKETS = re.compile(r"^我的工单$")
CONTACT_WORDS = ("运维", "客服", "联系方式", "联系电话", "省局", "咨询电话")


def person_for(openid: str) -> Person | None:
    """The active person bound to this WeChat user, if any."""
    person_id = db.session.scalar(select(Account.person_id).where(Account.openid == openid))
    person = db.session.get(Person, person_id) if person_id else None
    return person if person is not None and person.status == "active" else None


def identity_for(person: Person) -> Identity:
    """The person's identity, as their token would give it (scope by unit or supervision subtree)."""
    return accounts.identity_for(person, "bot")


def who(person: Person | None, openid: str) -> str:
    if person is None:
        return f"未绑定用户（openid …{openid[-6:]}）"
    return f"{person.name}（{person.unit.name}）"


class Conversation:
    """One incoming text from one user; `reply()` does what it asks and says what to answer."""

    def __init__(self, openid: str, text: str, msg_id: str | None) -> None:
        self.openid, self.text, self.msg_id = openid, (text or "").strip(), msg_id
        self.person = person_for(openid)

    def reply(self) -> str:
        text = self.text
        if not text or HELP.match(text) or GREETING.match(text):
            return replies.USER_HELP
        routes: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
            (HUMAN, lambda m: self._ticket(m.group(2)) if m.group(2).strip() else "请发送“转人工 + 您的问题”。"),
            (SUGGEST, lambda m: self._suggest(m.group(1))),
            (DEVICE, lambda m: self._device(m.group(2))),
            (TODO, lambda m: self._todo()),
            (APPLICATION, lambda m: self._application(int(m.group(3)))),
            (TICKET, lambda m: self._ticket_status(m.group(2))),
            (SUGGESTION, lambda m: self._suggestion_status(m.group(2))),
            (MY_TICKETS, lambda m: self._my_tickets()),
        ]
        for pattern, action in routes:
            match = pattern.match(text)
            if match:
                return action(match)
        if len(text) == 10 and is_well_formed(normalize(text)):
            return self._device(text)
        office = knowledge.office_answer(text)
        if office:
            return office
        found = knowledge.answer(text)
        if found:
            return found
        if any(word in text for word in CONTACT_WORDS):
            return knowledge.contacts()
        return self._ticket(text)

    # -- actions -----------------------------------------------------------------------------

    def _ticket(self, question: str) -> str:
        ticket = tickets.open_ticket(self.openid, question, person_id=self.person.id if self.person else None,
                                     who=who(self.person, self.openid), source_msg_id=self.msg_id)
        return (f"这个问题我暂时无法回答，已转给运维人员（工单 {ticket.number}），答复会以客服消息发给您。"
                f"也可拨打运维电话 {current_app.config['BOT_OPS_PHONE']}。")

    def _suggest(self, content: str) -> str:
        if not content.strip():
            return "请在“建议”后写下您的建议内容，例如：建议 增加批量导出功能。"
        suggestion = suggestions.record(content, openid=self.openid, person_id=self.person.id if self.person else None,
                                        who=who(self.person, self.openid), source_msg_id=self.msg_id)
        return f"感谢您的建议，已记录（编号 {suggestion.number}），运维团队研判后会更新处理状态。发送“{suggestion.number}”可查询。"

    def _device(self, code: str) -> str:
        try:
            card, _ = resolve.public(code)
        except AppError as error:
            return error.message
        return replies.device_card(card)

    def _todo(self) -> str:
        if self.person is None:
            return replies.NOT_BOUND
        identity = identity_for(self.person)
        lines: list[str] = []
        if identity.is_regulator:
            pending = list(db.session.scalars(units.list_units_stmt(identity, status="pending").limit(3)))
            count = _count(units.list_units_stmt(identity, status="pending"))
            if count:
                names = "、".join(u.name for u in pending)
                lines.append(f"待审核单位注册 {count} 家：{names}{' 等' if count > 3 else ''}")
            for status, label in (("submitted", "待受理"), ("accepted", "待办结")):
                n = _count(applications.list_applications_stmt(identity, status=status))
                if n:
                    lines.append(f"设备业务{label} {n} 件")
            late = _count(applications.list_applications_stmt(identity, overdue=True))
            if late:
                lines.append(f"其中超期 {late} 件，请尽快办理")
        else:
            unit = self.person.unit
            if unit.status in ("pending", "returned"):
                lines.append(f"单位注册{unit.status_label}" + ("，请按退回意见修改后重新提交" if unit.status == "returned" else ""))
            for status, label in (("returned", "被退回待补正"), ("draft", "草稿未提交")):
                n = _count(applications.list_applications_stmt(identity, status=status,
                                                               applicant_unit_id=unit.id))
                if n:
                    lines.append(f"设备业务申请{label} {n} 件")
        if identity.is_ops:
            n = _count(tickets.list_tickets_stmt(status="open"))
            if n:
                lines.append(f"待答复工单 {n} 个")
        unread = notify.unread_count(self.person.id)
        if unread:
            lines.append(f"未读消息 {unread} 条")
        if not lines:
            return f"{self.person.name}，您目前没有待办事项。"
        return f"{self.person.name}，您的待办：\n" + "\n".join(f"· {line}" for line in lines)

    def _application(self, application_id: int) -> str:
        if self.person is None:
            return replies.NOT_BOUND
        try:
            app = applications.get_application(identity_for(self.person), application_id)
        except NotFound:
            return f"未找到编号为 {application_id} 的申请，或您无权查看。"
        return replies.application_status(app, applications.kind_label(app))

    def _ticket_status(self, number: str) -> str:
        try:
            ticket = tickets.get_ticket(number)
        except NotFound:
            ticket = None
        if ticket is None or ticket.openid != self.openid:
            return f"未找到您的工单 {number.upper()}。"
        last = next((r["text"] for r in reversed(ticket.replies) if r.get("text")), None)
        return f"工单 {ticket.number}：{ticket.status_label}。" + (f"\n最新答复：{last}" if last else "")

    def _suggestion_status(self, number: str) -> str:
        suggestion_id = suggestions.parse_number(number)
        try:
            suggestion = suggestions.get_suggestion(suggestion_id)
        except NotFound:
            suggestion = None
        if suggestion is None or suggestion.openid != self.openid:
            return f"未找到您的建议 {number.upper()}。"
        note = f"\n说明：{suggestion.ops_note}" if suggestion.ops_note else ""
        return f"建议 {suggestion.number}：{suggestion.status_label}。{note}"

    def _my_tickets(self) -> str:
        mine = list(db.session.scalars(tickets.list_tickets_stmt(openid=self.openid).limit(5)))
        if not mine:
            return "您还没有工单。"
        return "您最近的工单：\n" + "\n".join(f"{t.number} {t.status_label}：{t.question[:30]}" for t in mine)


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
