"""Lifecycle applications on a piece of equipment (TSG 08-2017 ch.3; domain.md §2, §5.3).

施工告知, 使用登记, 变更登记 (改造, 移装, 单位变更, 更名, 达到设计使用年限继续使用), 停用, 启用, 注销, 报废
and 电梯维保合同备案 share one state machine, `TRANSITIONS`, applied by `_apply`:

    draft --submit--> submitted --accept--> accepted --approve--> approved | --refuse--> refused
    submitted | accepted --return--> returned --(edit)--submit--> submitted
    draft | returned --withdraw--> withdrawn

The applicant is the equipment's use unit, except 施工告知 (the installing / altering / repairing
production unit). The registration office (`offices.office_for`) accepts, returns and decides.
The rules of each kind (`RULES`) are checked on create, edit, submit and approve; an approval
changes the equipment in the same transaction (`EFFECTS`). Services flush; the edge commits.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from core import audit, xlsx
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.scoping import get_in_scope, scoped
from core.storage import StoredFile
from core.timeutil import business_today, utcnow
from core.workdays import add_workdays
from models.equipment import APPLICATION_KINDS, APPLICATION_STATUSES, CHANGE_TYPES, Application, ApplicationEvent, Equipment
from services import notify
from services.equipment import contracts, offices, records, scope
from services.equipment.application_rules import EDITABLE_STATUSES, RULES, apply_approval, form_region, rule_key, late_days
from services.orgs import regions, units

# (status, action) -> new status: the whole state machine.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("returned", "submit"): "submitted",
    ("submitted", "accept"): "accepted",
    ("submitted", "return"): "returned",
    ("accepted", "return"): "returned",
    ("accepted", "approve"): "approved",
    ("accepted", "refuse"): "refused",
    ("draft", "withdraw"): "withdrawn",
    ("returned", "withdraw"): "withdrawn",
}
ACTIONS = frozenset(action for _, action in TRANSITIONS)
OFFICE_ACTIONS = ("accept", "return", "approve", "refuse")
ACTION_LABELS = {"create": "创建", "edit": "修改", "submit": "提交", "accept": "受理", "return": "退回补正",
                 "approve": "批准", "refuse": "不予批准", "withdraw": "撤回", "record_offline": "线下办理补录"}
OPEN_STATUSES = ("draft", "submitted", "accepted", "returned")
PENDING_STATUSES = ("submitted", "accepted")
# Kinds that change the registration: one of them open at a time per device.
REGISTRATION_KINDS = ("use_registration", "change_registration", "suspension", "resumption", "cancellation",
                      "scrapping")
PRODUCER_ROLES = ("unit_admin", "principal", "quality_safety_director")
# Form fields that name an uploaded file; they join the application's documents.
FILE_FIELDS = ("report_file_id", "authorisation_file_id")


def kind_label(application: Application) -> str:
    """「变更登记（改造）」 or 「停用」."""
    label = APPLICATION_KINDS[application.kind]
    return f"{label}（{CHANGE_TYPES[application.change_type]}）" if application.change_type else label


def is_overdue(application: Application, today: date | None = None) -> bool:
    """Pending at the office past its turnaround due date."""
    return (application.status in PENDING_STATUSES and application.due_date is not None
            and application.due_date < (today or business_today()))


def snapshot(application: Application) -> dict[str, Any]:
    return {f: getattr(application, f) for f in (
        "kind", "change_type", "equipment_id", "applicant_unit_id", "region_code", "office_region_code", "status",
        "form", "documents", "late_days", "due_date", "certificate_no", "decision_note")}


# -- who may act ----------------------------------------------------------------------

def _require_producer(identity: Identity, unit_id: int | None) -> None:
    """施工告知 is filed by the production unit's admin, principal or 质量安全总监."""
    if (identity.unit_id is None or identity.unit_id != unit_id or identity.unit_kind != "production"
            or identity.unit_status != "approved" or not identity.has_role(*PRODUCER_ROLES)):
        raise Forbidden("施工告知由从事安装、改造、修理的生产单位管理员、主要负责人或质量安全总监办理。",
                        code="not_construction_unit")


def _require_applicant(identity: Identity, app: Application) -> None:
    if app.kind == "construction_notice":
        _require_producer(identity, app.applicant_unit_id)
    else:
        records.require_manager(identity, app.applicant_unit_id)


def _lock_equipment(equipment_id: int) -> Equipment:
    """The device, row-locked so that two decisions on it cannot interleave."""
    db.session.execute(select(Equipment.id).where(Equipment.id == equipment_id).with_for_update())
    return db.session.get(Equipment, equipment_id, populate_existing=True)


def _check_documents(unit_id: int, documents: list[str], form: dict) -> list[str]:
    """Every attached file, and every file the form names as evidence, is one the applicant uploaded."""
    ids = list(dict.fromkeys([*documents, *(form[k] for k in FILE_FIELDS if form.get(k))]))
    owned = set(db.session.scalars(select(StoredFile.id).where(StoredFile.id.in_(ids),
                                                               StoredFile.owner_unit_id == unit_id))) if ids else set()
    bad = [i for i in ids if i not in owned]
    if bad:
        raise InvalidInput("附件不存在或不是本单位上传的文件。", code="document_invalid",
                           details={"fields": {"documents": [f"文件 {i} 无效。" for i in bad]}})
    return ids


def _place(app: Application, eq: Equipment) -> None:
    """The application's region (where the device stands, or will stand when moved in) and its office."""
    app.region_code = form_region(app.form, "region_code", eq.region_code).code
    app.office_region_code = offices.office_for(app.region_code).code


def _require_scope(app: Application, eq: Equipment) -> None:
    """陕市监发〔2024〕454号: business the platform does not take is refused (services.equipment.scope)."""
    scope.require_lifecycle_scope(eq, [app.region_code, app.form.get("new_region_code")])


def _with_defaults(kind: str, form: dict) -> dict:
    return contracts.with_defaults(form) if kind == "maintenance_filing" else dict(form)


# -- the state machine ------------------------------------------------------------------

def _apply(identity: Identity, app: Application, action: str, note: str | None) -> None:
    """Move along `TRANSITIONS`, writing the event and the audit entry."""
    old, before = app.status, snapshot(app)
    app.status = _next_status(app, action)
    _event(identity, app, action, old, note)
    audit.record(identity.audit_context(), f"equipment_application.{action}", "equipment_application", app.id,
                 before, snapshot(app))


def _next_status(app: Application, action: str) -> str:
    new = TRANSITIONS.get((app.status, action))
    if new is None:
        raise RuleViolation(f"申请当前状态为「{APPLICATION_STATUSES[app.status]}」，不能{ACTION_LABELS[action]}。",
                            code="application_transition_not_allowed", details={"status": app.status, "action": action})
    return new


def _event(identity: Identity, app: Application, action: str, old: str | None, note: str | None) -> None:
    app.events.append(ApplicationEvent(action=action, from_status=old, to_status=app.status,
                                       actor_person_id=identity.person_id, note=note))
    db.session.flush()


def create_application(identity: Identity, equipment_id: int, kind: str, change_type: str | None, form: dict,
                       documents: list[str] | None = None, note: str | None = None,
                       submit: bool = False) -> Application:
    """Open an application as a draft, or submit it at once with `submit`.

    TSG 08-2017: the use unit applies for its own equipment; 施工告知 comes from a production unit
    licensed for the work, naming a device already on the platform. The rules of the kind are
    checked now, so a barred application is refused before it is filed (4xx naming the rule).
    One registration business is open per device at a time (and one 维保合同备案).
    Raises NotFound, Forbidden, RuleViolation, InvalidInput.
    """
    if kind not in APPLICATION_KINDS:
        raise InvalidInput.field("kind", "业务类型无效。")
    if (kind == "change_registration") != (change_type in CHANGE_TYPES):
        raise InvalidInput.field("change_type", "变更登记须选择变更类型，其他业务不填。", code="change_type_invalid")
    if kind == "construction_notice":
        _require_producer(identity, identity.unit_id)
        if db.session.get(Equipment, equipment_id) is None:
            raise NotFound("未找到该设备，请先由使用单位在平台新增设备。", code="equipment_not_found")
    else:
        records.require_manager(identity, get_in_scope(Equipment, equipment_id, identity, "未找到该设备。").use_unit_id)
    eq = _lock_equipment(equipment_id)
    _refuse_second_open(eq, kind)
    app = Application(kind=kind, change_type=change_type, equipment=eq, applicant_unit_id=identity.unit_id,
                      status="draft", form=_with_defaults(kind, form), note=note,
                      created_by_person_id=identity.person_id)
    app.documents = _check_documents(identity.unit_id, documents or [], app.form)
    _place(app, eq)
    _require_scope(app, eq)
    RULES[rule_key(app)](app, eq, business_today())
    db.session.add(app)
    db.session.flush()
    _event(identity, app, "create", None, note)
    audit.record(identity.audit_context(), "equipment_application.create", "equipment_application", app.id, None,
                 snapshot(app))
    return act(identity, app, "submit") if submit else app


def _refuse_second_open(eq: Equipment, kind: str) -> None:
    if kind == "construction_notice":
        return
    same = REGISTRATION_KINDS if kind in REGISTRATION_KINDS else (kind,)
    other = db.session.scalar(select(Application).where(
        Application.equipment_id == eq.id, Application.kind.in_(same), Application.status.in_(OPEN_STATUSES)).limit(1))
    if other is not None:
        raise RuleViolation(f"该设备已有在办的「{kind_label(other)}」申请（编号 {other.id}），请办结或撤回后再申请。",
                            code="application_already_open", details={"application_id": other.id})


def update_application(identity: Identity, app: Application, changes: dict) -> Application:
    """补正: the applicant edits a draft or returned application (the whole form, documents, note)."""
    _require_applicant(identity, app)
    if app.status not in EDITABLE_STATUSES:
        raise RuleViolation(f"申请当前状态为「{APPLICATION_STATUSES[app.status]}」，不能修改。",
                            code="application_not_editable")
    eq = _lock_equipment(app.equipment_id)
    before = snapshot(app)
    if "form" in changes:
        app.form = _with_defaults(app.kind, changes["form"])
        _place(app, eq)
    if "note" in changes:
        app.note = changes["note"]
    app.documents = _check_documents(app.applicant_unit_id, changes.get("documents", app.documents), app.form)
    RULES[rule_key(app)](app, eq, business_today())
    _event(identity, app, "edit", app.status, None)
    audit.record(identity.audit_context(), "equipment_application.edit", "equipment_application", app.id, before,
                 snapshot(app))
    return app


def act(identity: Identity, app: Application, action: str, note: str | None = None) -> Application:
    """Apply one action of the state machine.

    submit / withdraw: the applicant. accept / return / approve / refuse: only the registration
    office (TSG 08-2017: the city's 登记机关, or the county it delegates to). Returning and
    refusing need a reason. Submitting re-checks the rules, sets the due date
    (REGISTRATION_TURNAROUND_WORKDAYS working days) and flags lateness past a 30-day limit.
    Approving re-checks the rules and changes the equipment in the same transaction.
    Raises Forbidden (403), RuleViolation (409), InvalidInput (422), NotFound (unknown action);
    queues messages to the office on submit, to the applicant's admins on an office action.
    """
    if action not in ACTIONS:
        raise NotFound("不支持的业务操作。", code="application_action_unknown")
    if action in OFFICE_ACTIONS:
        offices.require_office(identity, app.office_region_code)
    else:
        _require_applicant(identity, app)
    note = note.strip() if note and note.strip() else None
    if action in ("return", "refuse") and not note:
        raise InvalidInput.field("note", "退回补正或不予批准须填写原因。", code="reason_required")
    db.session.refresh(app, with_for_update=True)
    _next_status(app, action)
    eq, today = _lock_equipment(app.equipment_id), business_today()
    if action == "submit":
        _require_scope(app, eq)
    if action in ("submit", "approve"):
        RULES[rule_key(app)](app, eq, today)
    if action == "submit":
        app.submitted_at = utcnow()
        app.due_date = add_workdays(today, current_app.config["REGISTRATION_TURNAROUND_WORKDAYS"])
        app.late_days = late_days(app, today)
    elif action == "accept":
        app.accepted_at = utcnow()
    elif action in OFFICE_ACTIONS:
        app.decision_note = note
        if action != "return":
            app.decided_at, app.decided_by_person_id = utcnow(), identity.person_id
    if action == "approve":
        note = "；".join(filter(None, [note, apply_approval(identity, app, eq, today)])) or None
    _apply(identity, app, action, note)
    if action == "submit":
        _tell_office(app)
    elif action in OFFICE_ACTIONS:
        units.tell_admins(app.applicant_unit_id, f"equipment_application_{action}",
                     f"{kind_label(app)}{ACTION_LABELS[action]}",
                     f"您单位的{kind_label(app)}申请（编号 {app.id}）已{ACTION_LABELS[action]}。"
                     + (f"{'原因' if action in ('return', 'refuse') else '说明'}：{note}" if note else ""),
                     {"application_id": app.id})
    return app


# -- messages -----------------------------------------------------------------------------

def _tell_office(app: Application) -> None:
    eq = app.equipment
    text = (f"{app.applicant_unit.name}提交了{kind_label(app)}申请（设备 {eq.equipment_code or eq.id}，"
            f"{eq.address or ''}），请在 {app.due_date.isoformat()} 前办结。")
    for person in units.regulators_for(app.office_region_code):
        notify.queue_message(person.id, "equipment_application_submitted", f"{kind_label(app)}待受理", text,
                             {"application_id": app.id},
                             dedupe_key=f"eqapp-submit:{app.id}:{app.submitted_at.isoformat()}")


# -- reading ---------------------------------------------------------------------------------

def _office_side(identity: Identity) -> bool:
    """Regulators see an application once submitted; a draft stays with its applicant."""
    return identity.is_regulator or identity.is_ops


def get_application(identity: Identity, application_id: int) -> Application:
    """One application the identity may see; 404 otherwise (no hint that it exists)."""
    app = get_in_scope(Application, application_id, identity, "未找到该申请。")
    if _office_side(identity) and app.submitted_at is None:
        raise NotFound("未找到该申请。")
    return app


def list_applications_stmt(identity: Identity, *, kind: str | None = None, change_type: str | None = None,
                           status: str | None = None, region_code: str | None = None,
                           office_region_code: str | None = None, equipment_id: int | None = None,
                           applicant_unit_id: int | None = None, overdue: bool | None = None) -> Select:
    """Applications the identity may see (regulators by region, units their own), filtered; newest first."""
    stmt = scoped(select(Application), Application, identity)
    if _office_side(identity):
        stmt = stmt.where(Application.submitted_at.is_not(None))
    for column, value in ((Application.kind, kind), (Application.change_type, change_type),
                          (Application.status, status), (Application.office_region_code, office_region_code),
                          (Application.equipment_id, equipment_id), (Application.applicant_unit_id, applicant_unit_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if region_code:
        stmt = stmt.where(Application.region_code.in_(regions.subtree_codes(region_code)))
    if overdue is not None:
        late = Application.status.in_(PENDING_STATUSES) & (Application.due_date < business_today())
        stmt = stmt.where(late if overdue else ~late)
    return stmt.order_by(Application.id.desc())


EXPORT_COLUMNS = (
    ("编号", lambda a: a.id), ("业务类型", kind_label), ("状态", lambda a: APPLICATION_STATUSES[a.status]),
    ("设备代码", lambda a: a.equipment.equipment_code), ("设备类别", lambda a: a.equipment.catalogue.name),
    ("设备地点", lambda a: a.equipment.address), ("申请单位", lambda a: a.applicant_unit.name),
    ("行政区划代码", lambda a: a.region_code), ("登记机关区划代码", lambda a: a.office_region_code),
    ("提交时间", lambda a: a.submitted_at.replace(tzinfo=None) if a.submitted_at else None),
    ("办理期限", lambda a: a.due_date), ("是否超期", lambda a: "是" if is_overdue(a) else "否"),
    ("逾期申报天数", lambda a: a.late_days), ("使用登记证编号", lambda a: a.certificate_no),
    ("办理意见", lambda a: a.decision_note),
)


def applications_xlsx(stmt: Select) -> io.BytesIO:
    """The listed applications as a workbook, written row by row; refused past EXPORT_MAX_ROWS."""
    limit = current_app.config["EXPORT_MAX_ROWS"]
    stmt = stmt.options(joinedload(Application.equipment), joinedload(Application.applicant_unit))

    def rows() -> Iterator[list[Any]]:
        for count, app in enumerate(db.session.scalars(stmt.limit(limit + 1)), start=1):
            if count > limit:
                raise RuleViolation(f"一次最多导出 {limit} 条，请缩小筛选范围。", code="export_too_large")
            yield [value(app) for _, value in EXPORT_COLUMNS]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("设备业务申请")
    xlsx.write_table(sheet, [title for title, _ in EXPORT_COLUMNS], rows())
    return io.BytesIO(xlsx.to_bytes(workbook))
