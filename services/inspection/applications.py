"""Inspection applications (报检): a unit asks an inspection agency to inspect one device.

条例 §28 (法 §40 says the same): the use unit applies to an inspection agency at least one month
before the inspection's validity expires. An application made later is accepted and flagged
`late`; it is never refused for that. One state machine, `TRANSITIONS`, applied by `_apply`:

    (submit) --> submitted --accept--> accepted --plan--> planned --plan--> planned (re-planned)
                 submitted --refuse--> refused
                 submitted | accepted | planned --withdraw--> withdrawn
                 submitted | accepted | planned --complete--> completed (a result answers it)

The applicant is the device's use unit (its admin, principal, 安全总监 or 安全员), or for a
监督检验 the production unit doing the work (services.inspection.kinds: which type fits which
category, who applies, a 复检's failed result). The agency must be one whose approved scope
(业务开通, services.inspection.approvals) is in date and covers the device and type; a lapsed
scope takes no new work (submit, accept, plan). Only that agency (its staff, or its system
through /open/v1) accepts, refuses, plans (services.inspection.planning: deadlines, inspectors)
and completes. At most one application is pending per device and inspection type. Every change
writes an event row, an audit entry (naming the machine client when one acted), the agency's
change-feed stamp and an in-app message to the other party. Services flush; the edge commits.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.idcodes import check_field, phone_problem
from core.scoping import get_in_scope, scoped
from core.timeutil import business_today, utcnow
from models.equipment import Equipment
from models.inspection import (INSPECTION_APPLICATION_STATUSES, INSPECTION_TYPES, PENDING_STATUSES,
                               InspectionApplication, InspectionApplicationEvent)
from services import notify
from services.equipment import scope
from services.inspection import agencies, approvals, feed, kinds, planning
from services.orgs import certificates, people, units

# (status, action) -> new status: the whole state machine. Submitting creates the row.
TRANSITIONS: dict[tuple[str | None, str], str] = {
    (None, "submit"): "submitted",
    ("submitted", "accept"): "accepted",
    ("submitted", "refuse"): "refused",
    ("submitted", "withdraw"): "withdrawn",
    ("accepted", "withdraw"): "withdrawn",
    ("accepted", "plan"): "planned",
    ("planned", "plan"): "planned",  # re-planned: another date or other inspectors
    ("planned", "withdraw"): "withdrawn",
    # A result completes the application it answers (an institute may inspect before it
    # recorded its acceptance here).
    ("submitted", "complete"): "completed",
    ("accepted", "complete"): "completed",
    ("planned", "complete"): "completed",
}
ACTION_LABELS = {"submit": "提交", "accept": "受理", "refuse": "拒绝", "withdraw": "撤回", "plan": "安排",
                 "complete": "出具结果"}
MESSAGE_TEMPLATES = {action: f"inspection_application_{past}" for action, past in (
    ("submit", "submitted"), ("accept", "accepted"), ("refuse", "refused"), ("withdraw", "withdrawn"),
    ("plan", "planned"), ("complete", "completed"))}
# Use-unit roles that may apply for (and withdraw) an inspection of the unit's device (Order 74).
APPLICANT_ROLES = ("unit_admin", "principal", "safety_director", "safety_officer")
AGENCY_ROLES = ("unit_admin", "inspector", "tester")
CERTIFIED_AGENCY_ROLES = ("inspector", "tester")


def type_label(application: InspectionApplication) -> str:
    return INSPECTION_TYPES.get(application.inspection_type, application.inspection_type)


def snapshot(application: InspectionApplication) -> dict[str, Any]:
    """What the audit record keeps of an application (not the contact phone: personal data the row holds)."""
    return {f: getattr(application, f) for f in (
        "equipment_id", "applicant_unit_id", "agency_unit_id", "region_code", "inspection_type", "work_type",
        "reinspection_of_result_id", "requested_date", "planned_date", "status", "late", "contact_name",
        "decision_note", "plan_due_on", "inspector_person_ids", "report_due_on", "result_id")}


# -- who may act ---------------------------------------------------------------------------

def _require_applicant(identity: Identity, unit_id: int) -> None:
    if (identity.unit_id is None or identity.unit_id != unit_id or identity.unit_status != "approved"
            or not identity.has_role(*APPLICANT_ROLES)):
        raise Forbidden("只有设备使用单位的管理员、主要负责人、安全总监或安全员可以申请或撤回检验。",
                        code="not_inspection_applicant")


def require_agency_staff(identity: Identity, application: InspectionApplication) -> None:
    """The addressed agency's admins, inspectors and testers, or its own system (a machine caller
    of that unit: the route has checked its scope)."""
    if (identity.unit_id != application.agency_unit_id or identity.unit_status != "approved"
            or not (identity.is_machine or identity.has_role(*AGENCY_ROLES))):
        raise Forbidden("只有受理该申请的检验检测机构的检验、检测人员或管理员可以办理。",
                        code="not_inspection_agency")


def _require_agency_in_date(identity: Identity, application: InspectionApplication, action: str) -> None:
    """New work (accept, plan) needs the agency's approved scope in date and covering the device
    (422 `agency_approval_lapsed`, `agency_not_approved_for`), its 核准证 and its staff's 检验/检测人员证
    in date (422 `licence_expired` / `certificate_expired`); an admin who is neither inspector nor
    tester, and a machine caller, act for the agency without a personal certificate."""
    approvals.require_covering(application.agency_unit, application.equipment, application.inspection_type)
    certificates.require_licence_in_date(application.agency_unit, action)
    certificates.require_certificate_in_date(identity.person_id, CERTIFIED_AGENCY_ROLES, action)


def sees_contact(identity: Identity, application: InspectionApplication) -> bool:
    """The whole contact phone: the two parties (the agency calls to arrange the visit)."""
    return identity.unit_id in (application.applicant_unit_id, application.agency_unit_id)


# -- the state machine -----------------------------------------------------------------------

def _next_status(status: str | None, action: str) -> str:
    new = TRANSITIONS.get((status, action))
    if new is None:
        raise RuleViolation(
            f"检验申请当前状态为「{INSPECTION_APPLICATION_STATUSES[status]}」，不能{ACTION_LABELS[action]}。",
            code="inspection_transition_not_allowed", details={"status": status, "action": action})
    return new


def _apply(identity: Identity, application: InspectionApplication, action: str, note: str | None,
           before: dict | None) -> None:
    """Move along `TRANSITIONS` from the status in `before` (None: a new row), writing the event and audit."""
    old = before["status"] if before is not None else None
    application.status = _next_status(old, action)
    application.events.append(InspectionApplicationEvent(action=action, from_status=old, to_status=application.status,
                                                         actor_person_id=identity.person_id, note=note))
    feed.stamp(application)
    audit.record(identity.audit_context(), f"inspection_application.{action}", "inspection_application",
                 application.id, before, snapshot(application))


def _lock(application: InspectionApplication) -> None:
    """Re-read the row under a lock, so two decisions on it cannot interleave."""
    db.session.refresh(application, with_for_update=True)


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def submit(identity: Identity, equipment: Equipment, data: dict) -> InspectionApplication:
    """Apply to an inspection agency for an inspection of `equipment` (报检).

    `data`: agency_unit_id, inspection_type (a key of INSPECTION_TYPES), work_type (监督检验 only),
    reinspection_of_result_id (a 复检, optional), requested_date, contact_name, contact_phone, note.
    The category must be inside the platform's inspection scope (422 `inspection_out_of_scope`,
    陕市监发〔2024〕454号) and take that type (422 `inspection_type_not_for_category`). A 监督检验
    comes from the production unit doing the work on a device not gone; any other type from the
    device's use unit, for a registered device not gone (services.inspection.kinds). The agency's
    approved scope must be in date and cover the device's category and region and the type (422
    `agency_not_approved_for`, `agency_approval_lapsed`); the requested date not in the past.
    条例 §28: an application less than a month before the due date (or after it) is accepted and
    flagged `late`. One pending application per device and type. Raises Forbidden (403),
    InvalidInput (422 naming the field), RuleViolation (409: `equipment_not_inspectable`,
    `inspection_application_pending`). Queues a message to the agency's staff who may act on it.
    """
    kind = data.get("inspection_type")
    if kind not in INSPECTION_TYPES:
        raise InvalidInput.field("inspection_type", "检验类型无效。")
    work_type = kinds.require_work_type(kind, data.get("work_type"))
    if kind == "supervision":
        kinds.require_supervision_applicant(identity, equipment, work_type)
    else:
        _require_applicant(identity, equipment.use_unit_id)
    scope.require_inspection_scope(equipment)
    kinds.require_fit(equipment, kind)
    reinspection_of = kinds.require_reinspection_of(equipment, kind, data.get("reinspection_of_result_id"))
    agency = agencies.require_agency_for(data["agency_unit_id"], equipment, kind)
    today = business_today()
    if data["requested_date"] < today:
        raise InvalidInput.field("requested_date", "期望检验日期不能早于今天。", code="requested_date_in_past")
    data = dict(data)
    check_field(data, "contact_phone", phone_problem, "phone_invalid", normalise=str.strip)
    contact_name = _clean(data.get("contact_name"))
    if not contact_name:
        raise InvalidInput.field("contact_name", "请填写联系人。")
    # Lock the device: two submissions for it are serialised, the second sees the first.
    db.session.execute(select(Equipment.id).where(Equipment.id == equipment.id).with_for_update())
    db.session.refresh(equipment)
    if kind == "supervision":
        kinds.require_supervisable(equipment)
    else:
        kinds.require_inspectable(equipment)
    _refuse_second_pending(equipment.id, kind)
    application = InspectionApplication(
        equipment=equipment, applicant_unit_id=identity.unit_id, agency_unit=agency,
        region_code=equipment.region_code, inspection_type=kind, work_type=work_type,
        reinspection_of_result_id=reinspection_of,
        requested_date=data["requested_date"], status="submitted", late=kinds.is_late(equipment, kind, today),
        contact_name=contact_name, contact_phone=data["contact_phone"], note=_clean(data.get("note")),
        submitted_at=utcnow(), created_by_person_id=identity.person_id)
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:  # the partial unique index: a concurrent submission won after all
        _refuse_second_pending(equipment.id, kind)
        raise RuleViolation("该设备已有待办的同类检验申请。", code="inspection_application_pending")
    _apply(identity, application, "submit", application.note, None)
    what = type_label(application) + ("（复检）" if reinspection_of else "")
    _tell_agency(application, "submit", f"{what}申请待受理",
                 f"{application.applicant_unit.name}申请{what}（设备 "
                 f"{equipment.equipment_code or equipment.id}，{equipment.address or ''}），"
                 f"期望 {application.requested_date.isoformat()} 检验。")
    return application


def _refuse_second_pending(equipment_id: int, inspection_type: str) -> None:
    other = db.session.scalar(select(InspectionApplication).where(
        InspectionApplication.equipment_id == equipment_id, InspectionApplication.inspection_type == inspection_type,
        InspectionApplication.status.in_(PENDING_STATUSES)).limit(1))
    if other is not None:
        raise RuleViolation(
            f"该设备已有待办的{INSPECTION_TYPES[inspection_type]}申请（编号 {other.id}，"
            f"{INSPECTION_APPLICATION_STATUSES[other.status]}），请等待办结或撤回后再申请。",
            code="inspection_application_pending", details={"application_id": other.id})


def accept(identity: Identity, application: InspectionApplication, planned_date: date | None = None,
           note: str | None = None) -> InspectionApplication:
    """The addressed agency accepts a submitted application: it must then plan it within
    INSPECTION_PLAN_WORKDAYS working days (`plan_due_on`). A `planned_date` given now is a
    tentative date told to the applicant (not in the past); the plan (`plan`) fixes the date and
    the inspectors.

    Raises Forbidden (403: not the agency's staff or system), InvalidInput (422
    `planned_date_in_past`, `agency_approval_lapsed`, `agency_not_approved_for`, `licence_expired`,
    `certificate_expired`), RuleViolation (409: not submitted). Queues a message to the applicant's admins.
    """
    require_agency_staff(identity, application)
    _lock(application)
    before = snapshot(application)
    _next_status(application.status, "accept")  # a repeated decision is a 409 before anything else
    _require_agency_in_date(identity, application, "受理检验申请")
    today = business_today()
    if planned_date is not None and planned_date < today:
        raise InvalidInput.field("planned_date", "计划检验日期不能早于今天。", code="planned_date_in_past")
    application.planned_date, application.decision_note = planned_date, _clean(note)
    application.decided_at, application.decided_by_person_id = utcnow(), identity.person_id
    application.plan_due_on = planning.plan_due_on(today)
    _apply(identity, application, "accept", application.decision_note, before)
    _tell_applicant(application, "accept", (f"计划检验日期（暂定）：{planned_date.isoformat()}。" if planned_date else "")
                    + f"检验机构将于 {application.plan_due_on.isoformat()} 前安排检验。"
                    + (f"说明：{application.decision_note}" if application.decision_note else ""))
    return application


def plan(identity: Identity, application: InspectionApplication, planned_date: date,
         inspector_person_ids: list[int], note: str | None = None) -> InspectionApplication:
    """The addressed agency plans an accepted application, or re-plans a planned one: the date
    (not in the past) and 1..N inspectors of the agency holding the role (tester too for a
    self-test) with certificates in date on that day (services.inspection.planning). The report
    is then due INSPECTION_REPORT_WORKDAYS working days after the date (`report_due_on`).

    Raises Forbidden (403), InvalidInput (422 `planned_date_in_past`, `inspector_required`,
    `inspector_invalid`, `inspector_certificate_expired`, `agency_approval_lapsed`, ...),
    RuleViolation (409: not accepted or planned). Tells the applicant's admins and the inspectors.
    """
    require_agency_staff(identity, application)
    _lock(application)
    before = snapshot(application)
    _next_status(application.status, "plan")
    _require_agency_in_date(identity, application, "安排检验")
    if planned_date < business_today():
        raise InvalidInput.field("planned_date", "计划检验日期不能早于今天。", code="planned_date_in_past")
    inspectors = planning.require_inspectors(application, inspector_person_ids, planned_date)
    application.planned_date, application.inspector_person_ids = planned_date, [p.id for p in inspectors]
    application.planned_at, application.planned_by_person_id = utcnow(), identity.person_id
    application.report_due_on = planning.report_due_on(planned_date)
    note = _clean(note)
    _apply(identity, application, "plan", note, before)
    names = "、".join(p.name for p in inspectors)
    _tell_applicant(application, "plan", f"检验日期：{planned_date.isoformat()}，检验人员：{names}。"
                    + (f"说明：{note}" if note else ""))
    equipment = application.equipment
    for person in inspectors:
        notify.queue_message(person.id, "inspection_assigned", "检验任务安排",
                             f"{planned_date.isoformat()} 检验 {application.applicant_unit.name}的设备 "
                             f"{equipment.equipment_code or equipment.id}（{type_label(application)}，"
                             f"{equipment.address or ''}），报告须于 {application.report_due_on.isoformat()} 前出具。",
                             {"inspection_application_id": application.id},
                             dedupe_key=f"inspection-assigned:{application.id}:{person.id}:{application.feed_seq}")
    return application


def refuse(identity: Identity, application: InspectionApplication, reason: str) -> InspectionApplication:
    """The addressed agency refuses a submitted application; the reason is required.

    Raises Forbidden (403), InvalidInput (422 `reason_required`), RuleViolation (409: not
    submitted). Queues a message with the reason to the applicant's admins.
    """
    require_agency_staff(identity, application)
    reason = _clean(reason)
    if not reason:
        raise InvalidInput.field("reason", "拒绝申请须填写原因。", code="reason_required")
    _lock(application)
    before = snapshot(application)
    _next_status(application.status, "refuse")
    application.decision_note = reason
    application.decided_at, application.decided_by_person_id = utcnow(), identity.person_id
    _apply(identity, application, "refuse", reason, before)
    _tell_applicant(application, "refuse", f"原因：{reason}")
    return application


def withdraw(identity: Identity, application: InspectionApplication,
             reason: str | None = None) -> InspectionApplication:
    """The applicant withdraws a pending (submitted, accepted or planned) application; the reason
    is optional.

    Raises Forbidden (403: not the applicant's staff who may apply), RuleViolation (409: already
    decided or withdrawn). Queues a message to the agency's staff.
    """
    if application.inspection_type == "supervision":
        if identity.unit_id != application.applicant_unit_id or not identity.has_role(
                *kinds.SUPERVISION_APPLICANT_ROLES):
            raise Forbidden("只有申请监督检验的生产单位的管理员、主要负责人或质量安全总监可以撤回。",
                            code="not_supervision_applicant")
    else:
        _require_applicant(identity, application.applicant_unit_id)
    reason = _clean(reason)
    _lock(application)
    before = snapshot(application)
    _next_status(application.status, "withdraw")
    _apply(identity, application, "withdraw", reason, before)
    _tell_agency(application, "withdraw", f"{type_label(application)}申请已撤回",
                 f"{application.applicant_unit.name}撤回了{type_label(application)}申请（编号 {application.id}）。"
                 + (f"原因：{reason}" if reason else ""))
    return application


def _tell_agency(application: InspectionApplication, action: str, title: str, text: str) -> None:
    """The agency's people who may act on it (admins, inspectors, testers), each once."""
    for person_id in people.ids_with_roles(application.agency_unit_id, AGENCY_ROLES):
        notify.queue_message(person_id, MESSAGE_TEMPLATES[action], title, text,
                             {"inspection_application_id": application.id},
                             dedupe_key=f"inspection-app-{action}:{application.id}:{person_id}")


def _tell_applicant(application: InspectionApplication, action: str, detail: str) -> None:
    units.tell_admins(application.applicant_unit_id, MESSAGE_TEMPLATES[action],
                      f"{type_label(application)}申请已{ACTION_LABELS[action]}",
                      f"您单位的{type_label(application)}申请（编号 {application.id}）已被"
                      f"{application.agency_unit.name}{ACTION_LABELS[action]}。{detail}",
                      {"inspection_application_id": application.id})


# -- reading -----------------------------------------------------------------------------------

def get_application(identity: Identity, application_id: int) -> InspectionApplication:
    """One application the identity may see (a party, or a regulator over its region); 404 otherwise."""
    return get_in_scope(InspectionApplication, application_id, identity, "未找到该检验申请。")


def get_for_agency(identity: Identity, application_id: int) -> InspectionApplication:
    """An application addressed to the identity's unit (an agency's system); 404 otherwise, as for
    an application that does not exist."""
    application = db.session.scalar(select(InspectionApplication).where(
        InspectionApplication.id == application_id, InspectionApplication.agency_unit_id == identity.unit_id))
    if application is None or identity.unit_id is None:
        raise NotFound("未找到该检验申请。")
    return application


def list_applications_stmt(identity: Identity, *, status: str | None = None, equipment_id: int | None = None,
                           agency_unit_id: int | None = None, inspection_type: str | None = None) -> Select:
    """Applications the identity may see (parties their own, regulators by region), filtered; newest first."""
    stmt = scoped(select(InspectionApplication), InspectionApplication, identity)
    for column, value in ((InspectionApplication.status, status),
                          (InspectionApplication.equipment_id, equipment_id),
                          (InspectionApplication.agency_unit_id, agency_unit_id),
                          (InspectionApplication.inspection_type, inspection_type)):
        if value is not None:
            stmt = stmt.where(column == value)
    # What a list row shows, loaded for the whole page at once (not a query per row).
    stmt = stmt.options(selectinload(InspectionApplication.equipment).selectinload(Equipment.use_unit),
                        selectinload(InspectionApplication.applicant_unit),
                        selectinload(InspectionApplication.agency_unit))
    return stmt.order_by(InspectionApplication.id.desc())


def pending_for_agency(equipment_id: int, agency_unit_id: int) -> InspectionApplication | None:
    """The newest pending (submitted or accepted) application of a device addressed to an agency.

    For the one-code scan by an agency's staff. It does not scope: the caller has established
    that the identity belongs to `agency_unit_id`.
    """
    return db.session.scalar(select(InspectionApplication).where(
        InspectionApplication.equipment_id == equipment_id, InspectionApplication.agency_unit_id == agency_unit_id,
        InspectionApplication.status.in_(PENDING_STATUSES),
    ).order_by(InspectionApplication.submitted_at.desc(), InspectionApplication.id.desc()).limit(1))
