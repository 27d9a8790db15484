"""A risk report's path county → city → province: where it starts, and the one helper that moves it.

Guidance 二(四)/(五): 「分级汇总、分级处理、分级上报」. A report goes first to the supervision body
of its monitoring point's region: a county point's county; a point whose region acts at city level
(a city, 韩城, 杨凌 — `Region.supervision_level`) starts at that city; a point at the province
starts at the province. Every move writes a `RiskReportEvent`, so the reporter sees the whole path:
where the report is, which office holds it and by when.

`move()` is shared with the handling state machine (`services.risk.handling`), which decides which
moves are allowed; this module only applies one and tells the people concerned.
"""
from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select

from core.auth import Identity
from core.extensions import db
from core.timeutil import business_today, utcnow
from core.workdays import add_workdays
from models.orgs import Person, Region, Unit
from models.risk import LEVELS, REPORT_STATUSES, MonitoringPoint, RiskReport, RiskReportEvent
from services import notify
from services.orgs import people

# Labels of the actions on the path. The handling module adds its own actions here
# (`ACTION_LABELS.update({...})`) so that every event has a readable label.
ACTION_LABELS: dict[str, str] = {
    "submitted": "提交",
    "escalated": "上报",
    "returned": "退回",
    "closed": "办结",
    "assessing": "专家评估",
    "measures_sent": "下发措施",
    "measures_done": "措施落实完毕",
    "merged": "合并",
    "reopened": "重新处置",
}
# Statuses without a running deadline.
_FINAL_STATUSES = ("closed", "merged")


def action_label(action: str) -> str:
    """The readable label of a path action (the code itself when unknown)."""
    return ACTION_LABELS.get(action, action)


def deadline_for(to_status: str, to_level: str, today: date | None = None) -> date | None:
    """The deadline of a level (RISK_DEADLINE_WORKDAYS, in working days from today, Asia/Shanghai).

    A report whose measures are being carried out runs on the `implementing` allowance; a closed
    or merged report has no deadline.
    """
    if to_status in _FINAL_STATUSES:
        return None
    allowances = current_app.config["RISK_DEADLINE_WORKDAYS"]
    key = "implementing" if to_status == "implementing" else to_level
    return add_workdays(today or business_today(), int(allowances[key]))


def first_level(point: MonitoringPoint) -> tuple[str, str]:
    """(level, holder_region_code) where a report from `point` starts.

    The point's own region holds it, at the level that region acts at: 雁塔区 → county,
    西安市 / 韩城市 / 杨凌示范区 → city, 陕西省 → province.
    """
    region = db.session.get(Region, point.region_code)
    return region.supervision_level, region.code


def holder_office_name(region_code: str | None) -> str | None:
    """The holding region's office, as the reporter sees it (no names of regulator staff)."""
    if not region_code:
        return None
    region = db.session.get(Region, region_code)
    if region is None:
        return None
    return region.office_name or f"{region.name}市场监督管理局"


CENTRE_NAME = "陕西省特种设备风险监测及应急保障中心"


def centre_name() -> str:
    """The province risk centre, as the reporter sees it: the approved `risk_center` unit's name.

    The centre organises the expert assessment (guidance 二(五)); the reporter is told that the
    centre assesses the report, never which experts do (experts are people, like regulator staff)."""
    name = db.session.scalar(select(Unit.name).where(Unit.kind == "risk_center", Unit.status == "approved")
                             .order_by(Unit.id).limit(1))
    return name or CENTRE_NAME


def holder_staff_ids(region_code: str) -> list[int]:
    """Active `regulator_staff` of the approved regulator unit(s) at `region_code`."""
    return list(db.session.scalars(people.regulator_staff_stmt(region_code, Person.id)))


def _actor_person_id(actor: Identity | int | None) -> int | None:
    if actor is None or isinstance(actor, int):
        return actor
    return actor.person_id


def move(report: RiskReport, action: str, *, to_status: str, to_level: str, holder_region_code: str,
         actor: Identity | int | None, note: str | None = None, today: date | None = None,
         data: dict | None = None) -> RiskReportEvent:
    """Apply one step of the report's path and record it as a `RiskReportEvent` (flush, no commit).

    Sets status, level, holder and the new deadline (`deadline_for`: RISK_DEADLINE_WORKDAYS of the
    new level, or of `implementing`; none once closed or merged); `closed_at` is set on closing and
    cleared otherwise. The event records where the report came from (None on its first step).
    `note` is shown to the reporter; `data` (handlers only) keeps what the reporter must not see.

    Tells, through the outbox, with dedupe keys per event (so calling `notify_reporter` /
    `notify_holder` again for the same event sends nothing twice):
    - the reporter, on every step after submission (`notify_reporter`);
    - the holder's regulator staff, when the report arrives at a new holder (`notify_holder`).

    This function does not judge whether the move is allowed: the caller's state machine does.
    Raises ValueError for an unknown status, level or region (a programming error, not user input).
    """
    if to_status not in REPORT_STATUSES:
        raise ValueError(f"unknown report status {to_status!r}")
    if to_level not in LEVELS:
        raise ValueError(f"unknown level {to_level!r}")
    if db.session.get(Region, holder_region_code) is None:
        raise ValueError(f"unknown region {holder_region_code!r}")
    first = report.id is None or not report.events
    previous_holder = None if first else report.holder_region_code
    event = RiskReportEvent(
        action=action,
        from_status=None if first else report.status, to_status=to_status,
        from_level=None if first else report.level, to_level=to_level,
        holder_region_code=holder_region_code,
        deadline=deadline_for(to_status, to_level, today),
        actor_person_id=_actor_person_id(actor), note=note.strip() if note else None,
        data=data or {}, created_at=utcnow(),
    )
    report.status = to_status
    report.level = to_level
    report.holder_region_code = holder_region_code
    report.deadline = event.deadline
    report.closed_at = utcnow() if to_status == "closed" else None
    report.events.append(event)
    db.session.flush()
    if not first:
        notify_reporter(report, event)
    if previous_holder != holder_region_code and to_status not in _FINAL_STATUSES:
        notify_holder(report, event)
    return event


def place(report: RiskReport, point: MonitoringPoint, actor: Identity | int | None) -> RiskReportEvent:
    """Put a new report at its first level (see `first_level`), with its deadline and first event."""
    level, holder = first_level(point)
    return move(report, "submitted", to_status="handling", to_level=level, holder_region_code=holder,
                actor=actor)


def _where(report: RiskReport) -> str:
    office = holder_office_name(report.holder_region_code)
    status = REPORT_STATUSES.get(report.status, report.status)
    text = f"当前状态：{status}（{LEVELS.get(report.level, report.level)}，{office}）"
    if report.deadline:
        text += f"，办理期限 {report.deadline.isoformat()}"
    return text + "。"


def notify_reporter(report: RiskReport, event: RiskReportEvent) -> None:
    """Tell the reporter that their report moved (one message per event)."""
    person_id = report.reporter.person_id
    if event.actor_person_id == person_id:
        return
    text = f"您报送的风险信息「{report.title}」已{action_label(event.action)}。{_where(report)}"
    if event.note:
        text += f"说明：{event.note}"
    notify.queue_message(person_id, "risk_report_moved", "风险信息处置进展", text,
                         {"report_id": report.id, "event_id": event.id},
                         dedupe_key=f"risk-report:{report.id}:event:{event.id}:reporter")


def notify_holder(report: RiskReport, event: RiskReportEvent) -> None:
    """Tell the holding regulator's staff that a report has arrived (one message per event and person)."""
    deadline = f"，请于 {report.deadline.isoformat()} 前处置" if report.deadline else ""
    text = (f"收到风险信息「{report.title}」（{LEVELS.get(report.level, report.level)}，"
            f"{action_label(event.action)}）{deadline}。")
    for person_id in holder_staff_ids(report.holder_region_code):
        notify.queue_message(person_id, "risk_report_arrived", "新的风险信息待处置", text,
                             {"report_id": report.id, "event_id": event.id},
                             dedupe_key=f"risk-report:{report.id}:event:{event.id}:holder:{person_id}")
