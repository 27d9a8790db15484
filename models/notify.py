"""The outbox of every message the platform sends, the users' subscribe authorisations,
and what the bot keeps: support tickets and improvement suggestions (the `notify` domain)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from core.timeutil import utcnow

CHANNELS = {
    "inbox": "站内消息",
    "subscribe": "小程序订阅消息",
    "customer_service": "小程序客服消息",
    "wecom_robot": "企业微信运维群",
    "wecom_app": "企业微信应用消息",
}
# skipped: nothing to push on this channel (no authorisation, no WeChat bound); the inbox still has it.
STATUSES = {"pending": "待发送", "sent": "已送达", "failed": "发送失败", "skipped": "未推送"}

TICKET_STATUSES = {"open": "待答复", "answered": "已答复", "closed": "已关闭"}
SUGGESTION_STATUSES = {"received": "已收到", "accepted": "已采纳", "planned": "已排期", "done": "已上线",
                       "declined": "暂不采纳"}


class OutboxMessage(db.Model):
    """One message on one channel, written in the transaction of the change that caused it.

    `recipient_person_id` for a platform user; `recipient_address` for what the
    channel needs beyond that (an openid, WeCom user ids, a robot key).
    A pending row is delivered by `jobs.notify.deliver_message`; after a
    passing failure it waits until `next_attempt_at` and the sweep re-enqueues it.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    recipient_address: Mapped[str | None] = mapped_column(String(128))
    template: Mapped[str] = mapped_column(String(64), nullable=False)
    title: Mapped[str] = mapped_column(String(128), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SubscriptionGrant(db.Model):
    """One tap on 「允许」 in `wx.requestSubscribeMessage`: WeChat lets us send one message
    of that template to that user. Consumed by the message it is reserved for."""

    __tablename__ = "subscription_grants"
    __table_args__ = (Index("ix_subscription_grants_person_id_template_id", "person_id", "template_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False)
    template_id: Mapped[str] = mapped_column(String(64), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), unique=True)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SupportTicket(TimestampMixin, db.Model):
    """A question the bot could not answer, handed to the ops group (工单 T<id>)."""

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    question: Mapped[str] = mapped_column(Text, nullable=False)
    source_msg_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    replies: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def number(self) -> str:
        return f"T{self.id}"

    @property
    def status_label(self) -> str:
        return TICKET_STATUSES.get(self.status, self.status)


class Suggestion(TimestampMixin, db.Model):
    """An improvement suggestion sent to the bot (「建议 …」); the ops team maintains its status."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    openid: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    text: Mapped[str] = mapped_column(Text, nullable=False)
    source_msg_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="received", index=True)
    ops_note: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(64))

    @property
    def number(self) -> str:
        return f"S{self.id}"

    @property
    def status_label(self) -> str:
        return SUGGESTION_STATUSES.get(self.status, self.status)
