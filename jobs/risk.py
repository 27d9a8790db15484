"""Risk-monitoring jobs (thin: load by id, call a service, commit).

Other parts of the `risk` domain append their job functions at the end of this file.
"""
from __future__ import annotations

from flask import current_app

from core import tx
from services.risk import media, periodic
from services.risk.media import THUMBNAIL_WORK
from services.risk.periodic import PERIODIC_REPORT_WORK


@THUMBNAIL_WORK.job
def make_thumbnails(report_id: int) -> int:
    """Thumbnails of a report's photos (`THUMBNAIL_WORK`: queue `default`, THUMBNAIL_JOB_TIMEOUT);
    made once, so a re-run does nothing.

    Safe to run twice: the run claims the report's thumbnails for its transaction, so a second run
    while the first is going makes nothing, and a later one finds them made. The photos themselves
    were stripped of EXIF/GPS at submission (`services.risk.media`). Returns how many were made.
    """
    return THUMBNAIL_WORK.perform(report_id, media.make_report_thumbnails) or 0


# -- handling deadlines (services.risk.deadlines) ---------------------------------------------------

def check_deadlines(today: str | None = None) -> int:
    """Reminders before handling deadlines and overdue flags to the holder and the level above
    (queue `notify`, daily at 09:00 Asia/Shanghai). Idempotent: every message's dedupe key names the
    report, holder, deadline date and person, so a second run sends nothing. `today` (ISO date) lets
    a test or an operator replay a day. Returns how many messages were queued.
    """
    from datetime import date

    from services.risk import deadlines

    day = date.fromisoformat(today) if today else None
    sent = deadlines.send_reminders(day) + deadlines.flag_overdue(day)
    tx.commit()
    return sent


# -- periodic risk-assessment reports (services.risk.periodic) ---------------------------------------

@PERIODIC_REPORT_WORK.job
def generate_periodic_report(report_id: int) -> None:
    """Make one month's or quarter's risk-assessment report: statistics, PDF with charts, .xlsx
    (`PERIODIC_REPORT_WORK`: queue `reports`, PERIODIC_REPORT_JOB_TIMEOUT). A failure is recorded
    on the row (`status` failed, `error`) and, unless it is an AppError, re-raised. Safe to run
    twice: a run claims the row, a second one meanwhile or afterwards makes nothing."""
    PERIODIC_REPORT_WORK.perform(
        report_id, lambda row_id, progress: periodic.generate(row_id, current_app.config["LABEL_FONT_PATH"]))


def generate_due_periodic_reports(now: str | None = None) -> int:
    """Daily (queue `reports`): queue the last complete month's report (so on the 1st) and the last
    complete quarter's (so on the 1st after the quarter), once; later runs find them and queue
    nothing. Also re-queues a report whose job was lost. `now` (ISO 8601) replays a moment.
    Returns how many reports were queued."""
    from datetime import datetime

    from core.timeutil import as_utc, business_today, utcnow
    from services.risk import periodic

    moment = as_utc(datetime.fromisoformat(now)) if now else utcnow()
    queued = periodic.queue_due(business_today(moment))
    tx.commit()
    return len(queued)
