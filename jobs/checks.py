"""Periodic reminders of the two regulations (Order 74: 日管控, 周排查, 月调度, rectification).

rq's cron reads the clock of the host it runs on, so each job runs hourly and acts only at
its Asia/Shanghai hour (configurable); a run at another hour does nothing. Each is
idempotent: the messages carry dedupe keys with the date, so a second run sends nothing.
`now` (ISO 8601) lets a test or an operator replay a given moment.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from flask import current_app

from core import tx
from core.timeutil import SHANGHAI, as_utc, business_today, utcnow
from services.checks import production_reminders, reminders


def _run(now: str | None, hour_setting: str, *steps: Callable) -> int:
    moment = as_utc(datetime.fromisoformat(now)) if now else utcnow()
    if moment.astimezone(SHANGHAI).hour != current_app.config[hour_setting]:
        return 0
    today = business_today(moment)
    sent = sum(step(today) for step in steps)
    tx.commit()
    return sent


def remind_daily_checks(now: str | None = None) -> int:
    """At DAILY_CHECK_REMINDER_HOUR (17:00): each 安全员 with devices not yet checked today, and
    each 质量安全员 of a production unit without today's production record (Order 73)."""
    return _run(now, "DAILY_CHECK_REMINDER_HOUR", reminders.daily_checks_due, production_reminders.daily_due)


def remind_weekly_reports(now: str | None = None) -> int:
    """At CHECKS_REMINDER_HOUR (09:00), Friday to Sunday: 安全总监 whose weekly report is not in."""
    return _run(now, "CHECKS_REMINDER_HOUR", reminders.weekly_reports_due, production_reminders.weekly_due)


def remind_monthly_minutes(now: str | None = None) -> int:
    """At CHECKS_REMINDER_HOUR (09:00), from the 25th: 主要负责人 whose monthly minutes are not in."""
    return _run(now, "CHECKS_REMINDER_HOUR", reminders.monthly_minutes_due, production_reminders.monthly_due)


def remind_findings(now: str | None = None) -> int:
    """At CHECKS_REMINDER_HOUR (09:00): serious hazards still open (the 安全总监) and
    rectifications past their deadline (the reporter and the 安全总监)."""
    return _run(now, "CHECKS_REMINDER_HOUR", reminders.serious_findings_open, reminders.overdue_findings)
