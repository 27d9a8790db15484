"""The expert pool and expert assignments (guidance 二(五): 「省特种设备风险监测及应急保障中心组织专家对上报的
风险信息进行分类、汇总、评估和研判」).

The pool is every active person holding the `expert` role (in a regulator, the risk centre or an
inspection agency), with their specialties: equipment kinds and categories by name or code
(「电梯」, 「3000」, 「起重机械」) and areas (「使用」, 「检验检测」 or their codes). A report matches an
expert whose specialties name its equipment's kind or category, or its area.

The province (its regulator or the risk centre) assigns one or more experts; each is told through
the outbox and then sees the report (`access.visible_clause`). An expert submits once: a second
submission is refused (409 `risk_opinion_already_submitted`); a correction is a new assignment's job
or the centre's consolidation. Risk levels use the hazard scale 一般 / 严重 / 重大 (`HAZARD_LEVELS`;
重大 as in GB 45067-2024).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, func, select

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.timeutil import utcnow
from models.equipment import CatalogueEntry
from models.orgs import Person, PersonRole, Unit
from models.risk import AREAS, ExpertAssignment, RiskReport
from services import notify
from services.orgs import people
from services.risk import handling, path


def require_province_body(identity: Identity) -> None:
    """The expert pool is the province's: its regulator and the risk centre."""
    if not handling.is_province_body(identity):
        raise Forbidden("只有省局和省风险监测中心可以查看和指派专家。", code="not_province_body")


def report_terms(report: RiskReport) -> set[str]:
    """What an expert's specialty may name to match the report: its area (code and label) and its
    equipment's catalogue codes and names up to the kind (电梯 / 3000, 乘客电梯 / 3110 …)."""
    terms = {report.area, AREAS.get(report.area, report.area)}
    code = report.catalogue_code
    while code:
        entry = db.session.get(CatalogueEntry, code)
        if entry is None:
            break
        terms.update({entry.code, entry.name})
        code = entry.parent_code
    return {t for t in terms if t}


def expert_pool(specialty: str | None = None, report: RiskReport | None = None) -> list[dict[str, Any]]:
    """Active experts, each with their unit and specialties; by one specialty, or matching a report.

    Experts matching the report come first when a report is given and no specialty filter is set.
    """
    rows = db.session.execute(
        _experts(Person, PersonRole.specialties, Unit.name)
        .join(PersonRole, and_(PersonRole.person_id == Person.id, PersonRole.role == "expert"))).all()
    terms = report_terms(report) if report is not None else set()
    pool = []
    for person, specialties, unit_name in rows:
        specialties = list(specialties or [])
        if specialty and specialty.strip() not in specialties:
            continue
        matched = bool(set(specialties) & terms)
        pool.append({"person_id": person.id, "name": person.name, "unit_id": person.unit_id,
                     "unit_name": unit_name, "specialties": specialties, "matches_report": matched})
    if report is not None:
        pool.sort(key=lambda e: not e["matches_report"])  # stable: matching first, then by id
    return pool


def _experts(*columns: Any) -> Select:
    """Active experts of approved units (the pool the province assigns from), by id."""
    return (people.people_with_roles_stmt(None, "expert", *columns).join(Unit, Unit.id == Person.unit_id)
            .where(Unit.status == "approved"))


def _is_expert(person_id: int) -> Person | None:
    return db.session.scalar(_experts().where(Person.id == person_id))


def assign(identity: Identity, report: RiskReport, person_ids: list[int], note: str | None) -> list[ExpertAssignment]:
    """The province assigns experts from the pool; the report goes to `assessing` (or more experts join).

    Every id must be an active expert (422 naming the bad ones); experts already assigned are kept,
    not doubled (a new round after a send-back asks them again). Each expert asked is told through
    the outbox. Raises InvalidInput, RuleViolation (409),
    Forbidden (403).
    """
    ids = list(dict.fromkeys(person_ids or []))
    if not ids:
        raise InvalidInput.field("expert_person_ids", "请至少指派一名专家。", code="risk_experts_required")
    t = handling.begin(identity, report, "assign_experts")
    experts = {pid: _is_expert(pid) for pid in ids}
    bad = [pid for pid, person in experts.items() if person is None]
    if bad:
        raise InvalidInput("所选人员不是专家库中的专家。", code="risk_expert_invalid",
                           details={"fields": {"expert_person_ids": [f"{pid} 不是专家。" for pid in bad]}})
    existing = {a.expert_person_id: a for a in db.session.scalars(
        select(ExpertAssignment).where(ExpertAssignment.report_id == report.id))}
    # A new assessment (the first, or one after the report was sent back and returned) asks every
    # chosen expert, those of an earlier round again; during one, only experts not yet asked join.
    starting = t.to_status != report.status
    again = [existing[pid] for pid in ids if pid in existing] if starting else []
    new = [ExpertAssignment(report_id=report.id, expert_person_id=pid, assigned_by_person_id=identity.person_id)
           for pid in ids if pid not in existing]
    if not new and not again:
        raise RuleViolation("所选专家均已指派。", code="risk_experts_already_assigned")
    db.session.add_all(new)
    db.session.flush()
    new = again + new
    # The path is the reporter's view too: it names the risk centre, as other steps name only the
    # office, never the experts; who was asked is kept on the event's data and the assignments.
    note = (note or "").strip()
    text = f"{path.centre_name()}组织专家评估" + (f"。{note}" if note else "")
    asked = {"experts": [a.expert_person_id for a in new]}
    if t.to_status == report.status:  # more experts for an assessment under way: the deadline keeps running
        handling.record_step(identity, report, "assign_experts", t, text, asked)
    else:
        handling.apply(identity, report, "assign_experts", t, text, data=asked)
    for a in new:
        notify.queue_message(a.expert_person_id, "risk_expert_assigned", "风险信息评估任务",
                             f"请对风险信息「{report.title}」进行分类、评估并提出意见"
                             + (f"，期限 {report.deadline.isoformat()}" if report.deadline else "") + "。",
                             {"report_id": report.id, "assignment_id": a.id},
                             dedupe_key=f"risk-report:{report.id}:expert:{a.expert_person_id}:assigned:"
                                        f"{len(report.events)}")
    return new


def submit_opinion(identity: Identity, report: RiskReport, classification: str, risk_level: str,
                   opinion: str) -> ExpertAssignment:
    """An assigned expert's classification, risk level (一般 / 严重 / 重大) and opinion — once.

    Only while the report is being assessed (409 otherwise); a second submission is 409
    `risk_opinion_already_submitted`; someone not assigned gets 403 `not_assigned_expert`.
    """
    opinion = handling.required_text(opinion, "opinion", "请填写评估意见。")
    classification = handling.required_text(classification, "classification", "请填写风险分类。")
    risk_level = handling.require_risk_level(risk_level)
    # Not a step on the reporter's path (the consolidation is); kept on the assignment and audited.
    handling.begin(identity, report, "submit_opinion")
    mine = db.session.scalar(select(ExpertAssignment).where(
        ExpertAssignment.report_id == report.id, ExpertAssignment.expert_person_id == identity.person_id)
        .with_for_update())
    if mine is None:
        raise Forbidden("您未被指派评估该风险信息。", code="not_assigned_expert")
    if mine.submitted_at is not None:
        raise RuleViolation("您已提交过评估意见，不能重复提交。", code="risk_opinion_already_submitted",
                            details={"assignment_id": mine.id})
    mine.classification, mine.risk_level, mine.opinion = classification, risk_level, opinion
    mine.submitted_at = utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "risk_report.submit_opinion", "risk_expert_assignment", mine.id, None,
                 {"report_id": report.id, "classification": mine.classification, "risk_level": risk_level,
                  "opinion": opinion})
    return mine


def assignments(report: RiskReport) -> list[ExpertAssignment]:
    return list(db.session.scalars(select(ExpertAssignment).where(ExpertAssignment.report_id == report.id)
                                   .order_by(ExpertAssignment.id)))


def submitted_count(report: RiskReport) -> int:
    return db.session.scalar(select(func.count()).select_from(ExpertAssignment).where(
        ExpertAssignment.report_id == report.id, ExpertAssignment.submitted_at.is_not(None))) or 0


def assessment_view(identity: Identity, report: RiskReport) -> list[ExpertAssignment]:
    """The opinions on a report: all of them for the province; an expert sees only their own."""
    if handling.is_province_body(identity):
        return assignments(report)
    return [a for a in assignments(report) if a.expert_person_id == identity.person_id]


def my_assignments_stmt(identity: Identity, pending: bool | None = None) -> Select:
    """The caller's assignments with their reports, newest first: rows of (ExpertAssignment, RiskReport)."""
    stmt = (select(ExpertAssignment, RiskReport).join(RiskReport, RiskReport.id == ExpertAssignment.report_id)
            .where(ExpertAssignment.expert_person_id == identity.person_id))
    if pending is True:
        stmt = stmt.where(ExpertAssignment.submitted_at.is_(None))
    elif pending is False:
        stmt = stmt.where(ExpertAssignment.submitted_at.is_not(None))
    return stmt.order_by(ExpertAssignment.id.desc())
