"""What the ops group is told without asking: today's figures, the daily digest, delivery
alerts, and the weekly inspection reminders to use units.

Each push carries a dedupe key by date (or hour, or ISO week), so a periodic job
that runs twice sends nothing twice. Figures are read through the other domains'
list statements with a province-wide ops identity.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from core.auth import Identity
from core.extensions import db
from core.periods import day_start_utc
from core.timeutil import SHANGHAI, business_today, utcnow
from models.equipment import Equipment
from models.notify import OutboxMessage, SupportTicket, Suggestion
from models.orgs import Unit
from services.equipment import applications, records
from services.notify import outbox
from services.orgs import people, units

OPS = Identity(person_id=0, name="运维机器人", roles=frozenset({"ops"}), region_codes=None, client="job")
REMINDER_ROLES = ("unit_admin", "safety_director")


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
    """The morning digest to the ops group, once per business day (None if already queued)."""
    f = figures(today)
    return outbox.queue_ops_group("ops_daily_digest", f"平台运维日报 {f.day.isoformat()}", figures_text(f),
                                  dedupe_key=f"ops-digest:{f.day.isoformat()}", data=f.as_dict())


def queue_failure_alert(now: datetime | None = None) -> OutboxMessage | None:
    """Alert the ops group (and WECOM_OPS_USERS) when failed or retrying messages pile up; once an hour."""
    now = now or utcnow()
    since = now - timedelta(hours=24)
    failed = _count(select(OutboxMessage.id).where(OutboxMessage.status == "failed",
                                                   OutboxMessage.created_at >= since))
    retrying = _count(select(OutboxMessage.id).where(OutboxMessage.status == "pending",
                                                     OutboxMessage.attempts >= 3))
    if failed + retrying < current_app.config["NOTIFY_ALERT_THRESHOLD"]:
        return None
    hour = now.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H")
    body = (f"> 近 24 小时发送失败：{failed} 条\n> 多次重试仍未送达：{retrying} 条\n\n"
            "请检查微信/企业微信接口状态与模板配置；恢复后可在控制台重发失败消息。")
    message = outbox.queue_ops_group("ops_delivery_alert", "消息发送异常告警", body,
                                     dedupe_key=f"ops-alert:delivery:{hour}",
                                     data={"failed": failed, "retrying": retrying})
    ops_users = current_app.config["WECOM_OPS_USERS"]
    if message is not None and ops_users:
        outbox.queue_wecom_app(ops_users, "ops_delivery_alert", "消息发送异常告警", body.replace("> ", ""),
                               dedupe_key=f"ops-alert:delivery:{hour}:app")
    return message


def queue_inspection_reminders(today: date | None = None) -> int:
    """Remind use units of in-use equipment overdue or due within INSPECTION_DUE_SOON_DAYS.

    One message per unit admin / safety director per ISO week; returns how many were queued.
    """
    today = today or business_today()
    soon = today + timedelta(days=current_app.config["INSPECTION_DUE_SOON_DAYS"])
    due = records.list_equipment_stmt(OPS, use_status="in_use", due_to=soon).order_by(None).subquery()
    rows = db.session.execute(
        select(due.c.use_unit_id, func.sum(case((due.c.next_due_date < today, 1), else_=0)), func.count())
        .where(due.c.use_unit_id.is_not(None)).group_by(due.c.use_unit_id).order_by(due.c.use_unit_id))
    year, week, _ = today.isocalendar()
    queued = 0
    for unit_id, overdue, total in rows:
        overdue = int(overdue or 0)
        text = (f"您单位有 {overdue} 台在用设备已超过检验有效期、{total - overdue} 台将在 "
                f"{current_app.config['INSPECTION_DUE_SOON_DAYS']} 日内到期，请及时报检"
                "（登陆—工作台—检验检测—报检）。超期未检的设备请停止使用。")
        recipients = set(people.ids_with_roles(unit_id, REMINDER_ROLES))
        for person_id in sorted(recipients):
            if outbox.queue_message(person_id, "inspection_due", "设备检验到期提醒", text,
                                    {"unit_id": unit_id, "overdue": overdue, "due_soon": total - overdue},
                                    dedupe_key=f"inspection-due:{person_id}:{year}-W{week:02d}"):
                queued += 1
    return queued
