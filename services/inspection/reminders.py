"""Inspection-due reminders: use units hear, once a week, of in-use equipment whose periodic
inspection is overdue or falls due within INSPECTION_DUE_SOON_DAYS (TSG 08: equipment past
its inspection date must not be used).

They read equipment and the unit's people and write to the outbox, so they belong to
inspection (which may call equipment, orgs and notify), not to notify. Each message carries
a dedupe key by ISO week, so a periodic job that runs twice sends nothing twice.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import case, func, select

from core.extensions import db
from core.timeutil import business_today
from services.equipment import records
from services.notify import outbox
from services.orgs import people
from services.orgs.accounts import OPS_ROBOT as OPS

REMINDER_ROLES = ("unit_admin", "safety_director")


def queue_inspection_reminders(today: date | None = None) -> int:
    """Remind use units of in-use equipment overdue or due within INSPECTION_DUE_SOON_DAYS.

    One `inspection_due` message per unit admin / safety director per ISO week (outbox);
    returns how many were queued.
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
