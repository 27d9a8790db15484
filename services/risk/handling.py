"""Level-by-level handling of a risk report: the state machine (guidance 二(四)(五)).

「县（区）局……协助企业消除隐患，不能处置的信息上报市局；市局……研判并商同级综合检验机构协助企业消除
隐患，不能处置的信息上报省局；省局会同省特种设备风险监测及应急保障中心提出具体措施意见，指导属地消除隐患。」

The whole machine is `TRANSITIONS`: (status, level, action) → where the report goes and who may act.
`begin()` checks one action against it (409 `risk_transition_not_allowed`, naming status, level
and action) and against the actor (403 `not_report_holder`); the moves themselves go through
`services.risk.path.move`, which writes the path event, sets the next deadline and tells the
reporter and the new holder. Steps that do not move the report (商请检验机构, its opinion, the
consolidation of expert opinions) are recorded on the path with `record_step`, keeping the deadline.

    handling/county --close--> closed            handling/county --escalate--> handling/city
    handling/city   --close--> closed            handling/city   --escalate--> handling/province
    handling/city   --consult_agency, agency_opinion--> handling/city
    handling/city   --send_back--> handling/county (only if it started at a county)
    handling/province --assign_experts--> assessing/province --consolidate--> assessing/province
    assessing/province --send_measures--> implementing/<where it started> --report_done--> closed
    handling|assessing/province --close--> closed;  --send_back--> handling/city
    handling (any level), assessing/province --merge--> merged (into another open report)

Who acts: the regulator staff of the unit at `holder_region_code`; at the province also the staff of
the province risk centre; an assigned expert submits an opinion (`experts`); the consulted inspection
agency records its opinion. Nothing here leads to an enforcement action (guidance 二(六)).
Services flush; the edge commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope
from core.timeutil import utcnow
from models.orgs import Person, Region, Unit
from models.risk import HAZARD_LEVELS, LEVELS, REPORT_STATUSES, ExpertAssignment, RiskReport, RiskReportEvent
from services import notify
from services.risk import access, path

PROVINCE_CODE = "610000"
ORIGIN = "origin"  # a target level: where the report started (its first event)
OPEN_STATUSES = ("handling", "assessing", "implementing")


@dataclass(frozen=True)
class Transition:
    to_status: str
    to_level: str   # a level, or ORIGIN
    event: str      # the action recorded on the path (`path.ACTION_LABELS`)
    actor: str = "holder"  # holder | agency (the consulted agency or the holder) | expert (an assigned one)


# (status, level, action) -> transition: the whole state machine.
TRANSITIONS: dict[tuple[str, str, str], Transition] = {
    ("handling", "county", "close"): Transition("closed", "county", "closed"),
    ("handling", "county", "escalate"): Transition("handling", "city", "escalated"),
    ("handling", "county", "merge"): Transition("merged", "county", "merged"),

    ("handling", "city", "close"): Transition("closed", "city", "closed"),
    ("handling", "city", "escalate"): Transition("handling", "province", "escalated"),
    ("handling", "city", "consult_agency"): Transition("handling", "city", "agency_consulted"),
    ("handling", "city", "agency_opinion"): Transition("handling", "city", "agency_opinion", "agency"),
    ("handling", "city", "send_back"): Transition("handling", "county", "returned"),
    ("handling", "city", "merge"): Transition("merged", "city", "merged"),

    ("handling", "province", "assign_experts"): Transition("assessing", "province", "assessing"),
    ("handling", "province", "close"): Transition("closed", "province", "closed"),
    ("handling", "province", "send_back"): Transition("handling", "city", "returned"),
    ("handling", "province", "merge"): Transition("merged", "province", "merged"),

    ("assessing", "province", "assign_experts"): Transition("assessing", "province", "experts_added"),
    ("assessing", "province", "submit_opinion"): Transition("assessing", "province", "expert_opinion", "expert"),
    ("assessing", "province", "consolidate"): Transition("assessing", "province", "consolidated"),
    ("assessing", "province", "send_measures"): Transition("implementing", ORIGIN, "measures_sent"),
    ("assessing", "province", "close"): Transition("closed", "province", "closed"),
    ("assessing", "province", "send_back"): Transition("handling", "city", "returned"),
    ("assessing", "province", "merge"): Transition("merged", "province", "merged"),

    ("implementing", "county", "report_done"): Transition("closed", "county", "measures_done"),
    ("implementing", "city", "report_done"): Transition("closed", "city", "measures_done"),
    ("implementing", "province", "report_done"): Transition("closed", "province", "measures_done"),
}
ACTION_LABELS = {
    "close": "办结", "escalate": "上报", "merge": "合并", "consult_agency": "商请检验机构",
    "agency_opinion": "录入检验机构意见", "send_back": "退回", "assign_experts": "指派专家",
    "submit_opinion": "提交专家意见", "consolidate": "汇总专家意见", "send_measures": "下发措施",
    "report_done": "报告措施落实",
}
# Labels of the steps this module adds to the path (the reporter reads them).
path.ACTION_LABELS.update({
    "agency_consulted": "商请检验机构", "agency_opinion": "检验机构意见", "experts_added": "增派专家",
    "consolidated": "汇总专家意见", "merged_in": "合并同类信息",
})


def snapshot(report: RiskReport) -> dict[str, Any]:
    return {f: getattr(report, f) for f in (
        "status", "level", "holder_region_code", "deadline", "closing_note", "merged_into_id", "classification",
        "risk_level", "measures")}


# -- who may act --------------------------------------------------------------------------

def is_centre_staff(identity: Identity) -> bool:
    """Staff of the province risk centre: an approved `risk_center` unit's people other than those who
    are only its experts or reporters (an expert gives an opinion; the centre decides)."""
    return (identity.is_authenticated and identity.unit_kind == "risk_center" and identity.unit_status == "approved"
            and bool(identity.roles - {"expert", "risk_reporter"}))


def is_province_body(identity: Identity) -> bool:
    """The province regulator or the province risk centre."""
    return (identity.is_regulator and identity.region_code == PROVINCE_CODE) or is_centre_staff(identity)


def is_holder(identity: Identity, report: RiskReport) -> bool:
    """The regulator staff of the unit at `holder_region_code` (at the province, also the risk centre)."""
    if identity.is_regulator and identity.region_code == report.holder_region_code:
        return True
    return report.holder_region_code == PROVINCE_CODE and is_centre_staff(identity)


def require_holder(identity: Identity, report: RiskReport) -> None:
    if not is_holder(identity, report):
        office = path.holder_office_name(report.holder_region_code)
        raise Forbidden(f"该风险信息目前由{office}办理，您不能处置。", code="not_report_holder",
                        details={"holder_region_code": report.holder_region_code})


def transition_for(report: RiskReport, action: str) -> Transition:
    """The allowed move of `action` from where the report is; 409 naming status, level and action otherwise."""
    found = TRANSITIONS.get((report.status, report.level, action))
    if found is None:
        raise not_allowed(report, action)
    return found


def not_allowed(report: RiskReport, action: str, why: str | None = None) -> RuleViolation:
    status = REPORT_STATUSES.get(report.status, report.status)
    level = LEVELS.get(report.level, report.level)
    message = why or f"风险信息当前为「{status}」（{level}），不能{ACTION_LABELS.get(action, action)}。"
    return RuleViolation(message, code="risk_transition_not_allowed",
                         details={"status": report.status, "level": report.level, "action": action})


def allowed_actions(identity: Identity, report: RiskReport) -> list[str]:
    """The actions `identity` may take on the report now (for the client's buttons)."""
    found = []
    for (status, level, action), t in TRANSITIONS.items():
        if (status, level) != (report.status, report.level):
            continue
        if t.actor == "holder" and is_holder(identity, report):
            found.append(action)
        elif t.actor == "agency" and (is_holder(identity, report) or identity.unit_id in consulted_agencies(report)):
            found.append(action)
        elif t.actor == "expert" and _awaits_opinion(identity, report):
            found.append(action)
    return found


def _awaits_opinion(identity: Identity, report: RiskReport) -> bool:
    """The caller is an expert assigned to the report who has not given an opinion yet."""
    return identity.is_authenticated and db.session.scalar(select(ExpertAssignment.id).where(
        ExpertAssignment.report_id == report.id, ExpertAssignment.expert_person_id == identity.person_id,
        ExpertAssignment.submitted_at.is_(None))) is not None


def begin(identity: Identity, report: RiskReport, action: str) -> Transition:
    """Lock the report, then check the action against the machine (409) and the holder (403).

    Actions with another actor kind (`agency`, `expert`) check their actor themselves.
    """
    db.session.refresh(report, with_for_update=True)
    found = transition_for(report, action)
    if found.actor == "holder":
        require_holder(identity, report)
    return found


def apply(identity: Identity, report: RiskReport, action: str, t: Transition, note: str | None, *,
          to_level: str | None = None, holder_region_code: str | None = None,
          before: dict[str, Any] | None = None, data: dict[str, Any] | None = None) -> RiskReportEvent:
    """Move the report along `t` with `path.move` (event, deadline, messages) and audit it
    (`before`: the snapshot taken before the caller changed other fields; `data`: kept on the event
    for handlers, never shown to the reporter)."""
    before = before or snapshot(report)
    event = path.move(report, t.event, to_status=t.to_status, to_level=to_level or t.to_level,
                      holder_region_code=holder_region_code or report.holder_region_code, actor=identity,
                      note=note, data=data)
    audit.record(identity.audit_context(), f"risk_report.{action}", "risk_report", report.id, before,
                 snapshot(report))
    return event


def record_step(identity: Identity, report: RiskReport, action: str, t: Transition, note: str | None,
                audit_after: dict[str, Any] | None = None, before: dict[str, Any] | None = None) -> RiskReportEvent:
    """A step on the path that leaves the report where it is (same holder, same deadline).

    `audit_after` is also kept on the event (`data`), e.g. which agency was consulted.
    """
    before = before or snapshot(report)
    event = RiskReportEvent(action=t.event, from_status=report.status, to_status=report.status,
                            from_level=report.level, to_level=report.level,
                            holder_region_code=report.holder_region_code, deadline=report.deadline,
                            actor_person_id=identity.person_id, note=note, data=audit_after or {},
                            created_at=utcnow())
    report.events.append(event)
    db.session.flush()
    audit.record(identity.audit_context(), f"risk_report.{action}", "risk_report", report.id, before,
                 {**snapshot(report), **(audit_after or {})})
    return event


def required_text(value: str | None, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput.field(field, message, code="reason_required")
    return text


def require_risk_level(value: str | None) -> str:
    """A risk level on the hazard scale 一般 / 严重 / 重大 (`HAZARD_LEVELS`; 重大 per GB 45067-2024)."""
    if value not in HAZARD_LEVELS:
        raise InvalidInput.field("risk_level", "风险等级应为一般、严重或重大。", code="risk_level_invalid")
    return value


def origin(report: RiskReport) -> tuple[str, str]:
    """(level, holder_region_code) where the report started: its first event."""
    first = report.events[0]
    return first.to_level, first.holder_region_code


# -- the actions ----------------------------------------------------------------------------

def close(identity: Identity, report: RiskReport, measures: str) -> RiskReport:
    """The holder closes the report with the measures taken (协助企业消除隐患), at any level.

    Raises InvalidInput (422, no measures), RuleViolation (409), Forbidden (403). Tells the reporter.
    """
    measures = required_text(measures, "measures", "办结须填写采取的措施。")
    t = begin(identity, report, "close")
    before = snapshot(report)
    report.closing_note = measures
    apply(identity, report, "close", t, measures, before=before)
    return report


def escalate(identity: Identity, report: RiskReport, reason: str) -> RiskReport:
    """「不能处置的信息上报」: to the holder's supervision parent (a county's city; for a city, 韩城 and
    杨凌, the province), at the level that parent acts at. A reason is required.

    Raises InvalidInput (422), RuleViolation (409), Forbidden (403). Tells the reporter and the new holder.
    """
    reason = required_text(reason, "reason", "上报须填写原因。")
    t = begin(identity, report, "escalate")
    region = db.session.get(Region, report.holder_region_code)
    parent = db.session.get(Region, region.supervision_parent_code) if region.supervision_parent_code else None
    if parent is None or parent.supervision_level != t.to_level:
        raise not_allowed(report, "escalate", "该地区没有可以上报的上级监察机构。")
    apply(identity, report, "escalate", t, reason, holder_region_code=parent.code)
    return report


def send_back(identity: Identity, report: RiskReport, reason: str) -> RiskReport:
    """Send the report one level down, to the body that held it there, with a reason.

    Never below where it started: a report that started at the city (a city point, 韩城, 杨凌)
    cannot go to a county. An assessment under way is dropped: the consolidated findings are
    cleared and the experts' assignments reopened, so that when the report comes back the
    province assesses it afresh (the earlier opinions stay in the report's history). Raises
    InvalidInput (422), RuleViolation (409), Forbidden (403).
    """
    reason = required_text(reason, "reason", "退回须填写原因。")
    t = begin(identity, report, "send_back")
    lower = [e for e in report.events if e.to_level == t.to_level]
    if not lower:
        raise not_allowed(report, "send_back",
                          f"该风险信息从{LEVELS[report.events[0].to_level]}开始处置，不能退回到{LEVELS[t.to_level]}。")
    before = snapshot(report)
    if report.status == "assessing":
        report.classification = report.risk_level = report.measures = None
        db.session.execute(update(ExpertAssignment).where(ExpertAssignment.report_id == report.id).values(
            classification=None, risk_level=None, opinion=None, submitted_at=None))
    apply(identity, report, "send_back", t, reason, holder_region_code=lower[-1].holder_region_code, before=before)
    return report


def report_done(identity: Identity, report: RiskReport, note: str) -> RiskReport:
    """The locality reports the province's measures carried out (「指导属地消除隐患」); the report closes.

    Raises InvalidInput (422, nothing said about what was done), RuleViolation (409), Forbidden (403).
    """
    note = required_text(note, "note", "请填写措施落实情况。")
    t = begin(identity, report, "report_done")
    before = snapshot(report)
    report.closing_note = note
    apply(identity, report, "report_done", t, note, before=before)
    return report


def merge(identity: Identity, report: RiskReport, into_id: int, note: str | None) -> RiskReport:
    """Link a report to another about the same hazard: it ends `merged` with `merged_into_id`, and the
    other (the primary, which the actor must be able to see and which must still be open) carries on.

    Raises NotFound (404, primary not visible), RuleViolation (409), Forbidden (403).
    """
    if into_id == report.id:
        raise InvalidInput.field("into_id", "不能与自身合并。", code="risk_merge_self")
    primary = access.get_visible(identity, into_id)
    # Both rows locked in id order, so two merges crossing each other cannot deadlock.
    db.session.execute(select(RiskReport.id).where(RiskReport.id.in_((report.id, primary.id)))
                       .order_by(RiskReport.id).with_for_update())
    t = begin(identity, report, "merge")
    db.session.refresh(primary)
    if primary.status not in OPEN_STATUSES:
        raise RuleViolation(f"风险信息 {primary.id} 已{REPORT_STATUSES[primary.status]}，不能合并到该信息。",
                            code="risk_merge_target_closed", details={"into_id": primary.id,
                                                                      "status": primary.status})
    note = (note or "").strip() or None
    before = snapshot(report)
    report.merged_into_id = primary.id
    text = f"与风险信息 {primary.id}「{primary.title}」为同一隐患，合并处置" + (f"：{note}" if note else "。")
    apply(identity, report, "merge", t, text, before=before)
    record_step(identity, primary, "merged_in", Transition(primary.status, primary.level, "merged_in"),
                f"合并风险信息 {report.id}「{report.title}」。")
    return report


# -- 商同级综合检验机构: the city asks its inspection agency ---------------------------------------

def consulted_agencies(report: RiskReport) -> list[int]:
    """Agency units the city consulted while the report was at the city, oldest first."""
    ids = [e.data.get("agency_unit_id") for e in report.events if e.action == "agency_consulted" and e.data]
    return list(dict.fromkeys(i for i in ids if i))


def consult_agency(identity: Identity, report: RiskReport, agency_unit_id: int, note: str) -> RiskReport:
    """The city asks an inspection agency of its area for an opinion (「商同级综合检验机构」).

    The agency must be an approved inspection agency in the city's supervision area. Its staff are
    told (outbox) and may then record the opinion (`agency_opinion`). The deadline keeps running.
    Raises InvalidInput (422), RuleViolation (409), Forbidden (403).
    """
    note = required_text(note, "note", "请说明商请检验机构研判的事项。")
    t = begin(identity, report, "consult_agency")
    agency = db.session.get(Unit, agency_unit_id)
    if (agency is None or agency.kind != "inspection" or agency.status != "approved"
            or not region_in_scope(agency.region_code, identity)):
        raise InvalidInput.field("agency_unit_id", "请选择本辖区内已通过审核的检验检测机构。",
                                 code="risk_agency_invalid")
    record_step(identity, report, "consult_agency", t, f"商请「{agency.name}」提出意见：{note}",
                {"agency_unit_id": agency.id, "agency_name": agency.name})
    text = f"{path.holder_office_name(report.holder_region_code)}商请贵单位对风险信息「{report.title}」提出意见：{note}"
    for person_id in _agency_staff(agency.id):
        notify.queue_message(person_id, "risk_agency_consulted", "风险信息商请研判", text,
                             {"report_id": report.id},
                             dedupe_key=f"risk-report:{report.id}:consult:{agency.id}:{len(report.events)}:{person_id}")
    return report


def _agency_staff(unit_id: int) -> list[int]:
    return list(db.session.scalars(select(Person.id).where(Person.unit_id == unit_id, Person.status == "active")
                                   .order_by(Person.id)))


def load_for_agency(identity: Identity, report_id: int) -> RiskReport:
    """A report the caller may see, or one their agency was consulted on (404 otherwise)."""
    try:
        return access.get_visible(identity, report_id)
    except NotFound:
        report = db.session.get(RiskReport, report_id) if 0 < report_id < 2**31 else None
        if report is None or identity.unit_kind != "inspection" or identity.unit_id not in consulted_agencies(report):
            raise
        return report


def agency_opinion(identity: Identity, report: RiskReport, opinion: str, agency_unit_id: int | None) -> RiskReport:
    """Record a consulted agency's opinion: by its own staff, or by the city holding the report
    (naming the agency; the last one consulted by default).

    Raises InvalidInput (422), RuleViolation (409: not at the city, or that agency was not consulted),
    Forbidden (403).
    """
    opinion = required_text(opinion, "opinion", "请填写检验机构意见。")
    t = begin(identity, report, "agency_opinion")
    consulted = consulted_agencies(report)
    if is_holder(identity, report):
        agency_id = agency_unit_id or (consulted[-1] if consulted else None)
    elif identity.unit_kind == "inspection" and identity.unit_id in consulted:
        agency_id = identity.unit_id
    else:
        raise Forbidden("只有被商请的检验机构或办理该信息的市局可以录入意见。", code="not_report_holder",
                        details={"holder_region_code": report.holder_region_code})
    if agency_id not in consulted:
        raise RuleViolation("尚未商请该检验机构，不能录入其意见。", code="risk_agency_not_consulted",
                            details={"agency_unit_id": agency_id})
    agency = db.session.get(Unit, agency_id)
    record_step(identity, report, "agency_opinion", t, f"「{agency.name}」意见：{opinion}",
                {"agency_unit_id": agency.id})
    return report
