"""Reminders of Order 73 (总局令第73号) for production units, as for use units (`reminders`):
the 质量安全员 without today's production record at the daily reminder hour, the 质量安全总监
whose weekly report is not in (from the configured weekday), the 主要负责人 whose monthly
minutes are not in (from the configured day). One message per person per day (dedupe key with
the date)."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select, true

from core.extensions import db
from core.periods import month_period, week_period
from models.checks import PRODUCTION_CODE, DailyCheck, MonthlyMinutes, WeeklyReport
from services import notify
from services.checks import production
from services.checks.reminders import holders


def _send(person_id: int, template: str, title: str, body: str, key: str, data: dict[str, Any]) -> int:
    return 1 if notify.queue_message(person_id, template, title, body, data=data, dedupe_key=key) else 0


def _current(today: date, role: str) -> list[tuple[int, int]]:
    """(unit, person) of the current appointees of `role` in approved production units."""
    rows = production.appointment_rows(true(), week_period(today, today))
    return list(dict.fromkeys((r.unit_id, r.person_id) for r in rows
                              if r.role == role and production.held_on(r, today)))


def daily_due(today: date) -> int:
    """Tell each 质量安全员 without a production record today (日管控).
    Key: `checks:production_daily_due:<person>:<date>`."""
    officers = _current(today, production.OFFICER)
    done = set(db.session.scalars(select(DailyCheck.officer_person_id).where(
        DailyCheck.equipment_id.is_(None), DailyCheck.check_date == today)))
    return sum(_send(person_id, "production_check_due", "生产质量日管控提醒",
                     f"今天（{today.isoformat()}）的生产质量日管控检查尚未完成，请在今天内提交《每日质量安全检查记录》。",
                     f"checks:production_daily_due:{person_id}:{today.isoformat()}", {"date": today.isoformat()})
               for person_id in dict.fromkeys(p for _, p in officers) if person_id not in done)


def weekly_due(today: date) -> int:
    """Tell the 质量安全总监 whose weekly report is not submitted, from WEEKLY_REPORT_REMINDER_WEEKDAY.
    Key: `checks:production_weekly_due:<person>:<date>`."""
    if today.weekday() < current_app.config["WEEKLY_REPORT_REMINDER_WEEKDAY"]:
        return 0
    monday = week_period(today).start
    done = set(db.session.scalars(select(WeeklyReport.unit_id).where(
        WeeklyReport.kind_code == PRODUCTION_CODE, WeeklyReport.week_start == monday,
        WeeklyReport.status == "submitted")))
    people = dict.fromkeys(p for u, p in _current(today, production.DIRECTOR) if u not in done)
    return sum(_send(person_id, "weekly_report_due", "周排查提醒",
                     f"本周（{monday.isoformat()} 起）的《每周质量安全排查治理报告》尚未提交，请组织排查并在本周内提交。",
                     f"checks:production_weekly_due:{person_id}:{today.isoformat()}",
                     {"period_start": monday.isoformat(), "kind_codes": [PRODUCTION_CODE]}) for person_id in people)


def monthly_due(today: date) -> int:
    """Tell the 主要负责人 of a production unit under Order 73 whose minutes are not submitted,
    from MONTHLY_MINUTES_REMINDER_DAY. Key: `checks:production_monthly_due:<person>:<date>`."""
    if today.day < current_app.config["MONTHLY_MINUTES_REMINDER_DAY"]:
        return 0
    first = month_period(today).start
    done = set(db.session.scalars(select(MonthlyMinutes.unit_id).where(
        MonthlyMinutes.kind_code == PRODUCTION_CODE, MonthlyMinutes.month == first,
        MonthlyMinutes.status == "submitted")))
    units = {u for u, _ in _current(today, production.OFFICER) + _current(today, production.DIRECTOR)} - done
    principals = holders({(u, PRODUCTION_CODE) for u in units}, "principal", today)
    people = dict.fromkeys(p for pair in sorted(principals) for p in principals[pair])
    return sum(_send(person_id, "monthly_minutes_due", "月调度提醒",
                     f"本月（{first.isoformat()} 起）的《每月质量安全调度会议纪要》尚未提交，请召开调度会议并在月底前提交。",
                     f"checks:production_monthly_due:{person_id}:{today.isoformat()}",
                     {"period_start": first.isoformat(), "kind_codes": [PRODUCTION_CODE]}) for person_id in people)
