"""Periodic risk-assessment reports (风险评估报告), month and quarter.

Guidance 二(五): the province risk centre 「统计各级风险信息及处置情况，定期形成风险评估报告，并对典型风险的
处置形成案例指导各级监管部门」. A report covers the province's reports *submitted* in the period
(Asia/Shanghai days): the statistics of `services.risk.statistics`, bar charts by area, kind,
hazard level and region, a monthly trend, time held per level, the main risks (top categories,
areas and regions; every 严重 / 重大 report with its measures) and the typical cases published in
the period (`periodic_content`). It is written as a PDF (`periodic_pdf`) and an .xlsx, stored
with `core.storage`.

One `PeriodicRiskReport` row per period type and start (a unique constraint): generating again
replaces its files. The scheduled job (`jobs.risk.generate_due_periodic_reports`, daily) creates
the row of the last complete month and quarter once — so the month's report is made on the 1st and
the quarter's on the 1st after its end — and enqueues its generation; the province or the centre
may (re)generate a period on demand. A period not yet over may be generated too (marked as partial,
data as of that day); the scheduled job makes it again once the period is over.

Readers: every regulator (the report is the province's publication to all levels) and the risk
centre. Nothing in a report names a reporter, a point or a reporting unit (guidance 二(六)).
"""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit, storage, work
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound
from core.extensions import db
from core.storage import StoredFile, store_upload
from core.timeutil import SHANGHAI, as_utc, business_today, utcnow
from models.risk import PeriodicRiskReport
from services.risk import handling, periodic_content, periodic_pdf
from services.risk import statistics as stats

PERIOD_TYPES = {"month": "月度", "quarter": "季度"}
STATUSES = {"queued": "排队中", "generating": "生成中", "done": "已生成", "failed": "生成失败"}
WAITING_STATUSES = ("queued", "generating")
STALE_AFTER = timedelta(minutes=30)  # a queued or generating row left this long lost its job
MAX_FILE_BYTES = 200 * 1024 * 1024


# -- who ---------------------------------------------------------------------------------------------

def can_read(identity: Identity) -> bool:
    """Every regulator (province, city, county) and the risk centre."""
    return identity.is_regulator or stats.is_centre(identity)


def require_reader(identity: Identity) -> None:
    if not can_read(identity):
        raise Forbidden("只有监管部门和省风险监测中心可以查看风险评估报告。", code="periodic_report_forbidden")


def require_author(identity: Identity) -> None:
    if not handling.is_province_body(identity):
        raise Forbidden("只有省局和省风险监测中心可以生成风险评估报告。", code="periodic_report_forbidden")


# -- periods --------------------------------------------------------------------------------------------

def period_for(period_type: str, code: str) -> stats.Period:
    """`2026-11` for a month, `2026-Q4` for a quarter."""
    if period_type not in PERIOD_TYPES:
        raise InvalidInput.field("period_type", "报告类型应为 month 或 quarter。", code="period_type_invalid")
    period = stats.parse_period(code)
    if period.kind != period_type:
        example = "2026-11" if period_type == "month" else "2026-Q4"
        raise InvalidInput.field("period", f"{PERIOD_TYPES[period_type]}报告的期间格式应为 {example}。",
                                 code="period_invalid")
    return period


def previous_period(period_type: str, today: date) -> stats.Period:
    """The last complete month or quarter before `today`."""
    current = stats.period_of(period_type, today)
    return stats.period_of(period_type, current.start - timedelta(days=1))


def period_of_row(row: PeriodicRiskReport) -> stats.Period:
    return stats.period_of(row.period_type, row.period_start)


# -- rows and jobs ------------------------------------------------------------------------------------

def _row(period_type: str, period: stats.Period) -> tuple[PeriodicRiskReport, bool]:
    """The period's row, created when missing (a concurrent creator wins the unique constraint)."""
    stmt = select(PeriodicRiskReport).where(PeriodicRiskReport.period_type == period_type,
                                            PeriodicRiskReport.period_start == period.start)
    row = db.session.scalar(stmt)
    if row is not None:
        return row, False
    try:
        with db.session.begin_nested():
            row = PeriodicRiskReport(period_type=period_type, period_start=period.start, period_end=period.end,
                                     status="queued", statistics={})
            db.session.add(row)
    except IntegrityError:
        return db.session.scalar(stmt), False
    return row, True


def _queue(row: PeriodicRiskReport) -> None:
    row.status, row.error = "queued", None
    row.updated_at = utcnow()
    db.session.flush()
    PERIODIC_REPORT_WORK.request(row.id)


def job_id(report_id: int) -> str:
    """The rq job id of a report's generation, the same at every enqueue and in the sweep."""
    return f"risk-periodic-{report_id}"


def waiting(before: datetime) -> list[int]:
    """Reports queued (or left generating by a dead run) and untouched since `before`.
    For the sweep of lost work (`PERIODIC_REPORT_WORK`)."""
    return list(db.session.scalars(select(PeriodicRiskReport.id).where(
        PeriodicRiskReport.status.in_(WAITING_STATUSES), PeriodicRiskReport.updated_at < before)
        .order_by(PeriodicRiskReport.id)))


def _in_flight(row: PeriodicRiskReport) -> bool:
    """Queued or being generated, recently enough that its job is still to come."""
    return row.status in ("queued", "generating") and utcnow() - as_utc(row.updated_at) < STALE_AFTER


def request_report(identity: Identity, period_type: str, code: str, today: date) -> tuple[PeriodicRiskReport, bool]:
    """(Re)generate a period's report on demand (the province or the centre), as a job after commit.

    Returns (row, queued): a report already queued or being generated is returned as it is, and
    no second job is queued. Raises Forbidden for other callers; InvalidInput for a bad period or
    one that has not started.
    """
    require_author(identity)
    period = period_for(period_type, code)
    if period.start > today:
        raise InvalidInput.field("period", "该期间尚未开始。", code="period_not_started")
    row, created = _row(period_type, period)
    if not created and _in_flight(row):
        return row, False
    _queue(row)
    audit.record(identity.audit_context(), "risk.periodic_report_request", "risk_periodic_report", row.id, None,
                 {"period_type": period_type, "period": period.code})
    return row, True


def queue_due(today: date) -> list[int]:
    """What the daily job does: queue the last complete month's and quarter's reports when they are
    missing or were made before their period ended, and re-queue rows whose job was lost. Returns
    the ids queued (empty on a second run the same day)."""
    queued = []
    for period_type in PERIOD_TYPES:
        period = previous_period(period_type, today)
        row, created = _row(period_type, period)
        made_early = row.status == "done" and row.generated_at is not None and \
            as_utc(row.generated_at).astimezone(SHANGHAI).date() <= period.end
        if created or made_early:
            _queue(row)
            queued.append(row.id)
    lost = db.session.scalars(select(PeriodicRiskReport).where(
        PeriodicRiskReport.status.in_(("queued", "generating")),
        PeriodicRiskReport.updated_at < utcnow() - STALE_AFTER, PeriodicRiskReport.id.not_in(queued or [0])))
    for row in lost:
        _queue(row)
        queued.append(row.id)
    return queued


def mark_generating(report_id: int) -> PeriodicRiskReport | None:
    """Mark a waiting report generating (the run holds its claim, `PERIODIC_REPORT_WORK.perform`),
    or None when it is no longer waiting (made, or failed, by an earlier run)."""
    row = db.session.get(PeriodicRiskReport, report_id, populate_existing=True)
    if row is None:
        raise NotFound("未找到该风险评估报告。", code="periodic_report_not_found")
    if row.status not in WAITING_STATUSES:
        return None
    row.status = "generating"
    row.updated_at = utcnow()
    return row


def generate(report_id: int, font_path: str, today: date | None = None) -> PeriodicRiskReport | None:
    """Build the report's content, draw the PDF, write the .xlsx, store both (flush, no commit).

    Run by `PERIODIC_REPORT_WORK.perform` (which claims the row: a second run meanwhile makes
    nothing); a run after a finished one makes nothing either and returns None (`mark_generating`)."""
    row = mark_generating(report_id)
    if row is None:
        return None
    today = today or business_today()
    content = periodic_content.build_content(row.period_type, period_of_row(row), today)
    stem = f"{periodic_content.TITLE}-{content['period_code']}"
    pdf = store_upload(io.BytesIO(periodic_pdf.render(content, font_path)), f"{stem}.pdf", None, None,
                       max_bytes=MAX_FILE_BYTES)
    xlsx = store_upload(io.BytesIO(periodic_content.to_xlsx(content)), f"{stem}.xlsx", None, None,
                        max_bytes=MAX_FILE_BYTES)
    replaced = [file_id for file_id in (row.pdf_file_id, row.xlsx_file_id) if file_id]
    row.pdf_file_id, row.xlsx_file_id = pdf.id, xlsx.id
    row.statistics = content
    row.status, row.error, row.generated_at = "done", None, utcnow()
    row.updated_at = row.generated_at
    db.session.flush()
    for file_id in replaced:  # the previous edition's files go once the new one is committed
        storage.discard(db.session.get(StoredFile, file_id))
    db.session.flush()
    return row


def fail(report_id: int, message: str) -> None:
    row = db.session.get(PeriodicRiskReport, report_id)
    if row is not None:
        row.status, row.error = "failed", message
        row.updated_at = utcnow()
        db.session.flush()


PERIODIC_REPORT_WORK = work.WorkKind(
    "risk_periodic_report", queue="reports", timeout="PERIODIC_REPORT_JOB_TIMEOUT", job_id=job_id,
    waiting=waiting, claim=work.advisory_claim, fail=fail, failure_message="报告生成失败，请稍后重试或联系运维。")


# -- the content -------------------------------------------------------------------------------------

def list_stmt(identity: Identity, period_type: str | None = None):
    require_reader(identity)
    stmt = select(PeriodicRiskReport).order_by(PeriodicRiskReport.period_start.desc(),
                                               PeriodicRiskReport.period_type)
    if period_type:
        stmt = stmt.where(PeriodicRiskReport.period_type == period_type)
    return stmt


def get_report(identity: Identity, report_id: int) -> PeriodicRiskReport:
    require_reader(identity)
    row = db.session.get(PeriodicRiskReport, report_id)
    if row is None:
        raise NotFound("未找到该风险评估报告。", code="periodic_report_not_found")
    return row


def stored_file(row: PeriodicRiskReport, fmt: str) -> StoredFile:
    file_id = row.pdf_file_id if fmt == "pdf" else row.xlsx_file_id
    if file_id is None:
        raise NotFound("报告尚未生成。", code="file_not_ready")
    return db.session.get(StoredFile, file_id)


def label_of(row: PeriodicRiskReport) -> str:
    return period_of_row(row).label


def code_of(row: PeriodicRiskReport) -> str:
    return period_of_row(row).code
