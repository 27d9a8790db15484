"""Every periodic job of the platform, in one place.

`flask cron` registers them with rq's CronScheduler (it only enqueues; a worker
must run too). Cron times are UTC, rq's clock: 00:30 UTC is 08:30 in Shaanxi.
Each job is idempotent, so a double run sends nothing twice: the sweep only
enqueues what is still pending (a message is locked and sent once; an import, a
one-code job, thumbnails or a periodic report is claimed by its job and done once),
and every push carries a dedupe key by day, hour or week.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    func: str
    cron: str
    queue: str = "default"
    description: str = ""


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("jobs.notify.sweep_outbox", "* * * * *", queue="notify",
             description="re-enqueue pending messages: lost enqueues, retries after back-off"),
    Periodic("jobs.notify.alert_delivery_failures", "*/10 * * * *", queue="notify",
             description="alert the ops group when failed messages pile up (once an hour)"),
    Periodic("jobs.analytics.send_daily_digest", "30 0 * * *", queue="notify",
             description="daily digest to the ops group at 08:30 Asia/Shanghai (once a day)"),
    Periodic("jobs.inspection.remind_inspections_due", "0 1 * * *", queue="notify",
             description="inspection-due reminders to use units at 09:00 Asia/Shanghai (once a week each)"),
    Periodic("jobs.maintenance.sweep_lost_jobs", "*/5 * * * *",
             description="re-enqueue imports, one-code jobs, thumbnails and periodic reports still waiting "
                         "after JOB_SWEEP_GRACE_SECONDS (600) with no live rq job: lost enqueues, dead workers"),
    Periodic("jobs.maintenance.purge_idempotency_keys", "17 19 * * *",
             description="forget idempotency keys past their retention (03:17 Asia/Shanghai)"),
    # The two regulations: hourly, each acting only at its Asia/Shanghai hour (whatever the host's zone).
    Periodic("jobs.checks.remind_daily_checks", "2 * * * *", queue="notify",
             description="安全员 with devices not yet checked today, at DAILY_CHECK_REMINDER_HOUR (17:00)"),
    Periodic("jobs.checks.remind_weekly_reports", "4 * * * *", queue="notify",
             description="安全总监 whose weekly report is not in, Friday to Sunday at 09:00 (once a day)"),
    Periodic("jobs.checks.remind_monthly_minutes", "6 * * * *", queue="notify",
             description="主要负责人 whose monthly minutes are not in, from the 25th at 09:00 (once a day)"),
    Periodic("jobs.checks.remind_findings", "8 * * * *", queue="notify",
             description="open serious hazards and overdue rectifications, at 09:00 (once a day per person)"),
    Periodic("jobs.risk.check_deadlines", "0 1 * * *", queue="notify",
             description="risk reports: reminders before the handling deadline, overdue flags to the holder "
                         "and the level above, at 09:00 Asia/Shanghai (once per deadline)"),
    Periodic("jobs.risk.generate_due_periodic_reports", "20 17 * * *", queue="reports",
             description="risk-assessment reports of the last complete month and quarter, daily at 01:20 "
                         "Asia/Shanghai: made on the 1st (the quarter's after it ends), later runs add nothing"),
)
