"""Alerts about notify's own health: the ops group hears when failed messages pile up.

Reads only the outbox, so it stays in notify (the digest's figures, which read other
domains, are `services.analytics.digest`). The alert carries a dedupe key by hour, so a
periodic job that runs twice sends it once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import SHANGHAI, utcnow
from models.notify import OutboxMessage
from services.notify import outbox

GIVEN_UP_TEMPLATE = "ops_delivery_given_up"


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def queue_failure_alert(now: datetime | None = None) -> OutboxMessage | None:
    """Alert the ops group (and WECOM_OPS_USERS) when failed or retrying messages pile up; once an hour.

    Nothing is queued below NOTIFY_ALERT_THRESHOLD (failed in 24 h plus pending after 3 attempts).
    Queues `ops_delivery_alert` on the ops group, and on the WeCom app to WECOM_OPS_USERS.
    """
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


def alert_given_up(messages: list[OutboxMessage]) -> OutboxMessage | None:
    """Tell the ops group (and WECOM_OPS_USERS) which messages `outbox.give_up_stuck` just marked
    failed; once per batch (keyed by its first id). None when there were none. A given-up alert
    is not alerted about again (the ops list shows it), so a broken robot makes no chain of alerts."""
    ids = sorted(message.id for message in messages if message.template != GIVEN_UP_TEMPLATE)
    if not ids:
        return None
    shown = "、".join(str(i) for i in ids[:20]) + ("…" if len(ids) > 20 else "")
    hours = f"{current_app.config['NOTIFY_GIVE_UP_SECONDS'] / 3600:g}"
    body = (f"> {len(ids)} 条消息超过 {hours} 小时仍未送达，已标记为发送失败\n> 消息编号：{shown}\n\n"
            "请检查后台任务进程与微信/企业微信接口；排除原因后可在控制台重发。")
    key = f"ops-alert:given-up:{ids[0]}"
    message = outbox.queue_ops_group(GIVEN_UP_TEMPLATE, "消息长时间未送达告警", body, dedupe_key=key,
                                     data={"message_ids": ids})
    ops_users = current_app.config["WECOM_OPS_USERS"]
    if message is not None and ops_users:
        outbox.queue_wecom_app(ops_users, GIVEN_UP_TEMPLATE, "消息长时间未送达告警",
                               body.replace("> ", ""), dedupe_key=f"{key}:app")
    return message
