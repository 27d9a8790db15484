"""Every periodic job of the platform, in one place, by its function and with its timeout.

`flask cron` registers them with rq's CronScheduler (it only enqueues; a worker
must run too). Cron times are UTC, rq's clock: 00:30 UTC is 08:30 in Shaanxi.
Each job is idempotent, so a double run sends nothing twice: the sweeps only
enqueue what is still waiting in a kind of work of the registry (`core.work`:
an outbox message, an import, a one-code job, thumbnails, a periodic report),
which its job claims and does once, and every push carries a dedupe key by day,
hour or week. `timeout` is rq's job_timeout in seconds: a run past it is killed
(work on rows is then taken up by the sweep of lost jobs).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobs import analytics, checks, inspection, maintenance, notify, orgs, risk


@dataclass(frozen=True)
class Periodic:
    function: Callable[..., Any]
    cron: str
    queue: str = "default"
    timeout: int = 300
    description: str = ""

    @property
    def func(self) -> str:
        """The job's dotted path, as rq names it."""
        return f"{self.function.__module__}.{self.function.__qualname__}"


SCHEDULE: tuple[Periodic, ...] = (
    Periodic(notify.sweep_outbox, "* * * * *", queue="notify", timeout=60,
             description="re-enqueue pending messages: lost enqueues, retries after back-off"),
    Periodic(notify.alert_delivery_failures, "*/10 * * * *", queue="notify", timeout=60,
             description="alert the ops group when failed messages pile up (once an hour)"),
    Periodic(analytics.send_daily_digest, "30 0 * * *", queue="notify", timeout=300,
             description="daily digest to the ops group at 08:30 Asia/Shanghai (once a day)"),
    Periodic(inspection.remind_inspections_due, "0 1 * * *", queue="notify", timeout=1800,
             description="inspection-due reminders to use units at 09:00 Asia/Shanghai: each series of each "
                         "in-use device INSPECTION_REMIND_MONTHS (1) before its due date, once per due date"),
    Periodic(inspection.remind_inspections_overdue, "5 1 * * 1", queue="notify", timeout=1800,
             description="weekly digest to use units of in-use devices past a due date, per series, Mondays "
                         "at 09:05 Asia/Shanghai (once a week each)"),
    Periodic(inspection.remind_agency_deadlines, "5 1 * * *", queue="notify", timeout=600,
             description="agencies' plan and report deadlines due tomorrow or overdue at 09:05 (once a day)"),
    Periodic(orgs.remind_expiring_certificates, "10 1 * * *", queue="notify", timeout=600,
             description="certificates (作业/检验/检测人员证) and unit licences within "
                         "CERTIFICATE_EXPIRY_LEAD_DAYS (30) of expiry, and again at expiry, at 09:10 "
                         "Asia/Shanghai (each stage once)"),
    Periodic(maintenance.sweep_lost_jobs, "*/5 * * * *", timeout=120,
             description="re-enqueue every kind of work of the registry (core.work) still waiting after "
                         "JOB_SWEEP_GRACE_SECONDS (600) with no live rq job: lost enqueues, dead workers"),
    Periodic(maintenance.purge_idempotency_keys, "17 19 * * *", timeout=300,
             description="forget idempotency keys past their retention (03:17 Asia/Shanghai)"),
    # The two regulations: hourly, each acting only at its Asia/Shanghai hour (whatever the host's zone).
    Periodic(checks.remind_daily_checks, "2 * * * *", queue="notify", timeout=600,
             description="安全员 with devices not yet checked today, at DAILY_CHECK_REMINDER_HOUR (17:00)"),
    Periodic(checks.remind_weekly_reports, "4 * * * *", queue="notify", timeout=600,
             description="安全总监 whose weekly report is not in, Friday to Sunday at 09:00 (once a day)"),
    Periodic(checks.remind_monthly_minutes, "6 * * * *", queue="notify", timeout=600,
             description="主要负责人 whose monthly minutes are not in, from the 25th at 09:00 (once a day)"),
    Periodic(checks.remind_findings, "8 * * * *", queue="notify", timeout=600,
             description="open serious hazards and overdue rectifications, at 09:00 (once a day per person)"),
    Periodic(risk.check_deadlines, "0 1 * * *", queue="notify", timeout=600,
             description="risk reports: reminders before the handling deadline, overdue flags to the holder "
                         "and the level above, at 09:00 Asia/Shanghai (once per deadline)"),
    Periodic(risk.generate_due_periodic_reports, "20 17 * * *", queue="reports", timeout=120,
             description="risk-assessment reports of the last complete month and quarter, daily at 01:20 "
                         "Asia/Shanghai: made on the 1st (the quarter's after it ends), later runs add nothing"),
)
