"""What the ops group is told without asking: today's figures and the daily digest.

The figures read units, equipment and applications, messages, tickets and suggestions, so
they live in analytics (the domain that may read all others), not in notify, which only
delivers the digest. Each digest carries a dedupe key by date, so a periodic job that runs
twice sends it once. Figures are read through the other domains' list statements with the
province-wide ops identity (`services.orgs.accounts.OPS_ROBOT`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from core.extensions import db
from core.periods import day_start_utc
from core.timeutil import business_today
from models.equipment import Equipment
from models.notify import OutboxMessage, SupportTicket, Suggestion
from models.orgs import Unit
from services.equipment import applications, records
from services.notify import outbox
from services.orgs import units
from services.orgs.accounts import OPS_ROBOT as OPS


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def day_start(day: date) -> datetime:
    """Midnight of a business day (Asia/Shanghai), in UTC."""
    return day_start_utc(day)


@dataclass(frozen=True)
class Figures:
    day: date
    units_pending: int
    units_registered_today: int
    applications_pending: int
    applications_overdue: int
    equipment_overdue: int
    equipment_due_soon: int
    messages_failed: int
    messages_retrying: int
    tickets_open: int
    suggestions_new: int

    def as_dict(self) -> dict:
        return {**asdict(self), "day": self.day.isoformat()}


def figures(today: date | None = None) -> Figures:
    """Today's figures for the ops team (「今日数据」 and the daily digest)."""
    today = today or business_today()
    pending_units = units.list_units_stmt(OPS, status="pending")
    in_use = records.list_equipment_stmt(OPS, use_status="in_use")
    soon = today + timedelta(days=current_app.config["INSPECTION_DUE_SOON_DAYS"])
    return Figures(
        day=today,
        units_pending=_count(pending_units),
        units_registered_today=_count(units.list_units_stmt(OPS).where(Unit.submitted_at >= day_start(today),
                                                                       Unit.kind.in_(units.SELF_REGISTER_KINDS))),
        applications_pending=sum(_count(applications.list_applications_stmt(OPS, status=s))
                                 for s in applications.PENDING_STATUSES),
        applications_overdue=_count(applications.list_applications_stmt(OPS, overdue=True)),
        equipment_overdue=_count(in_use.where(Equipment.next_due_date < today)),
        equipment_due_soon=_count(in_use.where(Equipment.next_due_date >= today, Equipment.next_due_date <= soon)),
        messages_failed=_count(select(OutboxMessage.id).where(OutboxMessage.status == "failed")),
        messages_retrying=_count(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                                OutboxMessage.attempts > 0)),
        tickets_open=_count(select(SupportTicket.id).where(SupportTicket.status == "open")),
        suggestions_new=_count(select(Suggestion.id).where(Suggestion.status == "received")),
    )


def figures_text(f: Figures) -> str:
    """The figures as lines the group robot (markdown) and WeCom app (text) both read well."""
    return "\n".join([
        f"> 待审核单位：{f.units_pending}（今日新注册 {f.units_registered_today}）",
        f"> 待办结设备业务：{f.applications_pending}（超期 {f.applications_overdue}）",
        f"> 检验超期在用设备：{f.equipment_overdue}；30 日内到期：{f.equipment_due_soon}",
        f"> 发送失败消息：{f.messages_failed}；重试中：{f.messages_retrying}",
        f"> 待答复工单：{f.tickets_open}；待处理建议：{f.suggestions_new}",
    ])


def queue_daily_digest(today: date | None = None) -> OutboxMessage | None:
    """The morning digest to the ops group, once per business day (None if already queued).

    Queues `ops_daily_digest` on the ops group (outbox), dedupe key `ops-digest:<day>`.
    """
    f = figures(today)
    return outbox.queue_ops_group("ops_daily_digest", f"平台运维日报 {f.day.isoformat()}", figures_text(f),
                                  dedupe_key=f"ops-digest:{f.day.isoformat()}", data=f.as_dict())
