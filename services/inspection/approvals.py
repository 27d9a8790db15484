"""业务开通: an inspection agency's approved scope (the notice: 检验检测机构须通过平台办理…).

The agency's admin declares what its 核准证 covers: the number, validity, catalogue codes (a
种类 such as 3000 covers its 类别 and 品种), inspection types and the regions it serves (none:
the whole province). A regulator decides. `INSPECTION_APPROVAL_LEVEL` says which: `province`
(default) or `city`, the city regulator whose supervision subtree holds the agency's region; the
province may always decide. One state machine, `TRANSITIONS`:

    (declare) --> submitted --approve--> approved --revoke--> revoked
                  submitted --refuse---> refused
                                         approved --supersede--> superseded (a newer one approved)

At most one declaration is `approved` per agency (a partial unique index); approving another
supersedes it. Every step is row-locked, audited and told to the agency's admins (the
declaration also to the deciding regulators). Approving makes the declared 核准证 the unit's
licence (`Unit.licence_no` / `licence_expiry`), which the agency's other checks read.

`covering_approval` / `require_covering`: an application may only be addressed to an agency
whose approved scope, in date, covers the device's category, the inspection type and the
device's region; a lapsed approval (valid_until before today) takes no new work.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import get_in_scope, scoped
from core.timeutil import business_today, utcnow
from models.equipment import Equipment
from models.inspection import AGENCY_APPROVAL_STATUSES, INSPECTION_TYPES, AgencyApproval
from models.orgs import Person, Region, Unit
from services import notify
from services.equipment import catalogue, scope
from services.orgs import people, regions, units

TRANSITIONS: dict[tuple[str | None, str], str] = {
    (None, "declare"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "refuse"): "refused",
    ("approved", "revoke"): "revoked",
    ("approved", "supersede"): "superseded",
}
ACTION_LABELS = {"declare": "申报", "approve": "开通", "refuse": "不予开通", "revoke": "撤销", "supersede": "替代"}
MESSAGE_TEMPLATES = {"approve": "agency_approval_approved", "refuse": "agency_approval_refused",
                     "revoke": "agency_approval_revoked"}
DECIDER_LEVELS = ("province", "city")


def snapshot(approval: AgencyApproval) -> dict[str, Any]:
    """What the audit record keeps of a declaration."""
    return {f: getattr(approval, f) for f in (
        "unit_id", "region_code", "licence_no", "valid_from", "valid_until", "categories", "inspection_types",
        "region_codes", "status", "note", "decision_note")}


def _clean(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


# -- declaring -------------------------------------------------------------------------------

def _require_agency_admin(identity: Identity) -> None:
    if not (identity.is_authenticated and identity.unit_kind == "inspection" and identity.unit_status == "approved"
            and identity.has_role("unit_admin")):
        raise Forbidden("只有已通过审核的检验检测机构的单位管理员可以申报业务开通。", code="not_agency_admin")


def _check_categories(codes: list[str]) -> list[str]:
    if not codes:
        raise InvalidInput.field("categories", "请至少选择一个设备种类或类别。", code="approval_categories_required")
    cleaned: list[str] = []
    for raw in codes:
        entry = catalogue.get_entry(raw)
        if entry is None or entry.retired:
            raise InvalidInput.field("categories", f"设备类别代码「{raw}」不在《特种设备目录》中。",
                                     code="catalogue_code_unknown")
        if scope.inspection_excluded(entry.code):
            raise InvalidInput.field("categories", f"「{entry.code} {entry.name}」的检验不在本平台办理"
                                     f"（{scope.NOTICE}），不能申报。", code="approval_category_excluded")
        if entry.code not in cleaned:
            cleaned.append(entry.code)
    return cleaned


def _check_types(types: list[str]) -> list[str]:
    unknown = [t for t in types if t not in INSPECTION_TYPES]
    if unknown or not types:
        raise InvalidInput.field("inspection_types", "请选择检验类型（" + "、".join(INSPECTION_TYPES.values()) + "）。",
                                 code="approval_types_invalid")
    return [t for t in INSPECTION_TYPES if t in types]


def _check_regions(codes: list[str]) -> list[str]:
    return list(dict.fromkeys(regions.require_region(code, "region_codes").code for code in codes))


def declare(identity: Identity, data: dict) -> AgencyApproval:
    """The agency's admin declares its approved scope (业务开通申报).

    `data`: licence_no, valid_from (optional), valid_until, categories (catalogue codes; not an
    excluded category, INSPECTION_EXCLUDED_CATEGORIES), inspection_types (INSPECTION_TYPES keys),
    region_codes (empty: the whole province), note. One declaration waits at a time.
    Raises Forbidden (403 `not_agency_admin`), InvalidInput (422 naming the field),
    RuleViolation (409 `agency_approval_pending`). Tells the deciding regulators.
    """
    _require_agency_admin(identity)
    licence_no = _clean(data.get("licence_no"))
    if not licence_no:
        raise InvalidInput.field("licence_no", "请填写核准证编号。")
    valid_from, valid_until = data.get("valid_from"), data["valid_until"]
    if valid_from is not None and valid_from > valid_until:
        raise InvalidInput.field("valid_until", "有效期截止日期不能早于起始日期。", code="approval_validity_invalid")
    if valid_until < business_today():
        raise InvalidInput.field("valid_until", f"核准证已于 {valid_until.isoformat()} 到期，请申报换发后的核准证。",
                                 code="approval_validity_lapsed")
    categories = _check_categories(list(data.get("categories") or []))
    types = _check_types(list(data.get("inspection_types") or []))
    region_codes = _check_regions(list(data.get("region_codes") or []))
    unit = _lock_agency(identity.unit_id)
    waiting = db.session.scalar(select(AgencyApproval.id).where(
        AgencyApproval.unit_id == unit.id, AgencyApproval.status == "submitted").limit(1))
    if waiting is not None:
        raise RuleViolation(f"本机构已有待审核的业务开通申报（编号 {waiting}），请等待审核结果。",
                            code="agency_approval_pending", details={"approval_id": waiting})
    approval = AgencyApproval(
        unit=unit, region_code=unit.region_code, licence_no=licence_no, valid_from=valid_from,
        valid_until=valid_until, categories=categories, inspection_types=types, region_codes=region_codes,
        status=TRANSITIONS[(None, "declare")], note=_clean(data.get("note")), submitted_at=utcnow(),
        submitted_by_person_id=identity.person_id)
    db.session.add(approval)
    db.session.flush()
    audit.record(identity.audit_context(), "agency_approval.declare", "agency_approval", approval.id, None,
                 snapshot(approval))
    for person_id in decider_ids(unit):
        notify.queue_message(person_id, "agency_approval_submitted", "检验检测机构业务开通待审核",
                             f"{unit.name}申报了业务开通（核准证 {licence_no}，有效期至 {valid_until.isoformat()}），"
                             "请审核。", {"agency_approval_id": approval.id},
                             dedupe_key=f"agency-approval-declare:{approval.id}:{person_id}")
    return approval


def _lock_agency(unit_id: int) -> Unit:
    """The agency's unit row, locked: its decisions are serialised (one approved at a time)."""
    db.session.execute(select(Unit.id).where(Unit.id == unit_id).with_for_update())
    return db.session.get(Unit, unit_id)


# -- deciding --------------------------------------------------------------------------------

def _level() -> str:
    level = current_app.config["INSPECTION_APPROVAL_LEVEL"]
    return level if level in DECIDER_LEVELS else "province"


def _city_of(region_code: str) -> Region | None:
    """The city (or a county acting as one: 韩城, 杨凌) above `region_code` in supervision."""
    path = regions.get_region(region_code).path.split("/")
    rows = {r.code: r for r in db.session.scalars(select(Region).where(Region.code.in_(path)))}
    return next((rows[code] for code in reversed(path) if rows[code].supervision_level == "city"), None)


def may_decide(identity: Identity, approval: AgencyApproval) -> bool:
    """The province's regulators always; with INSPECTION_APPROVAL_LEVEL=city also the city's over the agency."""
    if not (identity.is_authenticated and identity.is_regulator):
        return False
    if identity.region_level == "province":
        return True
    return (_level() == "city" and identity.region_level == "city" and identity.region_codes is not None
            and approval.region_code in identity.region_codes)


def decider_ids(unit: Unit) -> list[int]:
    """Who is told of a declaration: the city's regulator staff when the city decides (the
    province's when the city has none), else the province's."""
    city = _city_of(unit.region_code) if _level() == "city" else None
    for region in ([city] if city else []) + [regions.province_root()]:
        ids = list(db.session.scalars(people.regulator_staff_stmt(region.code, Person.id)))
        if ids:
            return ids
    return []


def _require_decider(identity: Identity, approval: AgencyApproval) -> None:
    if not may_decide(identity, approval):
        who = "省级或机构所在设区市" if _level() == "city" else "省级"
        raise Forbidden(f"检验检测机构的业务开通由{who}市场监管部门审核。", code="not_approval_decider")


def _next_status(status: str | None, action: str) -> str:
    new = TRANSITIONS.get((status, action))
    if new is None:
        raise RuleViolation(f"该业务开通申报当前为「{AGENCY_APPROVAL_STATUSES[status]}」，不能{ACTION_LABELS[action]}。",
                            code="agency_approval_transition_not_allowed",
                            details={"status": status, "action": action})
    return new


def _move(identity: Identity, approval: AgencyApproval, action: str, note: str | None) -> None:
    """Lock the row, check and make the transition, record who decided (a superseded row keeps its
    decision: the audit entry says who superseded it), audit it."""
    db.session.refresh(approval, with_for_update=True)
    before = snapshot(approval)
    approval.status = _next_status(approval.status, action)
    if action != "supersede":
        approval.decision_note = note
        approval.decided_at, approval.decided_by_person_id = utcnow(), identity.person_id
    db.session.flush()
    audit.record(identity.audit_context(), f"agency_approval.{action}", "agency_approval", approval.id, before,
                 snapshot(approval))


def _tell_agency(approval: AgencyApproval, action: str, detail: str) -> None:
    units.tell_admins(approval.unit_id, MESSAGE_TEMPLATES[action], f"业务开通申报已{ACTION_LABELS[action]}",
                      f"贵机构的业务开通申报（编号 {approval.id}，核准证 {approval.licence_no}）已"
                      f"{ACTION_LABELS[action]}。{detail}", {"agency_approval_id": approval.id})


def approve(identity: Identity, approval: AgencyApproval, note: str | None = None) -> AgencyApproval:
    """Approve a declaration: it becomes the agency's scope, superseding the one approved before,
    and its 核准证 the unit's licence. Raises Forbidden (403 `not_approval_decider`),
    RuleViolation (409: not submitted, or `approval_validity_lapsed_meanwhile`)."""
    _require_decider(identity, approval)
    unit = _lock_agency(approval.unit_id)
    db.session.refresh(approval, with_for_update=True)
    _next_status(approval.status, "approve")  # refuse early, before the previous one is touched
    if approval.valid_until < business_today():
        raise RuleViolation(f"该申报的核准证已于 {approval.valid_until.isoformat()} 到期，不能开通，请机构重新申报。",
                            code="approval_validity_lapsed_meanwhile")
    previous = db.session.scalar(select(AgencyApproval).where(
        AgencyApproval.unit_id == approval.unit_id, AgencyApproval.status == "approved",
        AgencyApproval.id != approval.id).with_for_update())
    if previous is not None:
        _move(identity, previous, "supersede", f"由编号 {approval.id} 的申报替代")
    _move(identity, approval, "approve", _clean(note))
    before = {"licence_no": unit.licence_no, "licence_expiry": unit.licence_expiry}
    unit.licence_no, unit.licence_expiry = approval.licence_no, approval.valid_until
    db.session.flush()
    audit.record(identity.audit_context(), "unit.licence_from_approval", "unit", unit.id, before,
                 {"licence_no": unit.licence_no, "licence_expiry": unit.licence_expiry})
    _tell_agency(approval, "approve", f"有效期至 {approval.valid_until.isoformat()}。"
                 + (f"说明：{approval.decision_note}" if approval.decision_note else ""))
    return approval


def refuse(identity: Identity, approval: AgencyApproval, reason: str) -> AgencyApproval:
    """Refuse a declaration; the reason is required (422 `reason_required`)."""
    return _decide_with_reason(identity, approval, "refuse", reason)


def revoke(identity: Identity, approval: AgencyApproval, reason: str) -> AgencyApproval:
    """Revoke an approved scope (the agency then takes no new work); the reason is required."""
    return _decide_with_reason(identity, approval, "revoke", reason)


def _decide_with_reason(identity: Identity, approval: AgencyApproval, action: str, reason: str) -> AgencyApproval:
    _require_decider(identity, approval)
    reason = _clean(reason)
    if not reason:
        raise InvalidInput.field("reason", f"{ACTION_LABELS[action]}须填写原因。", code="reason_required")
    _lock_agency(approval.unit_id)
    _move(identity, approval, action, reason)
    _tell_agency(approval, action, f"原因：{reason}")
    return approval


# -- reading ---------------------------------------------------------------------------------

def get_approval(identity: Identity, approval_id: int) -> AgencyApproval:
    """One declaration the identity may see (the agency its own, regulators by region); 404 otherwise."""
    return get_in_scope(AgencyApproval, approval_id, identity, "未找到该业务开通申报。")


def list_approvals_stmt(identity: Identity, *, status: str | None = None, unit_id: int | None = None,
                        q: str | None = None) -> Select:
    """Declarations the identity may see, filtered (status, agency, agency name); newest first."""
    stmt = scoped(select(AgencyApproval), AgencyApproval, identity)
    if status is not None:
        stmt = stmt.where(AgencyApproval.status == status)
    if unit_id is not None:
        stmt = stmt.where(AgencyApproval.unit_id == unit_id)
    if q:
        stmt = stmt.where(AgencyApproval.unit.has(Unit.name.contains(q.strip(), autoescape=True)))
    return stmt.options(selectinload(AgencyApproval.unit)).order_by(AgencyApproval.id.desc())


# -- what an approval covers -----------------------------------------------------------------

def current_approval(agency_unit_id: int) -> AgencyApproval | None:
    """The agency's approved declaration (in date or not), if any."""
    return db.session.scalar(select(AgencyApproval).where(AgencyApproval.unit_id == agency_unit_id,
                                                          AgencyApproval.status == "approved").limit(1))


def uncovered(approval: AgencyApproval, catalogue_code: str | None, inspection_type: str | None,
             region_code: str | None) -> dict[str, str]:
    """What of (category, type, region) the approval does not cover: field -> the value (None: not asked)."""
    missing = {}
    if catalogue_code is not None and not any(scope.covers(code, catalogue_code) for code in approval.categories or []):
        missing["catalogue_code"] = catalogue_code
    if inspection_type is not None and inspection_type not in (approval.inspection_types or []):
        missing["inspection_type"] = inspection_type
    if (region_code is not None and approval.region_codes
            and not regions.lineage(region_code) & set(approval.region_codes)):
        missing["region_code"] = region_code
    return missing


def in_date(approval: AgencyApproval, today: date | None = None) -> bool:
    today = today or business_today()
    return (approval.valid_from is None or approval.valid_from <= today) and today <= approval.valid_until


def covering_approval(agency_unit_id: int, catalogue_code: str, inspection_type: str | None, region_code: str,
                      today: date | None = None) -> AgencyApproval | None:
    """The agency's approved scope, in date on `today`, covering the category, type (None: any) and
    region; else None."""
    approval = current_approval(agency_unit_id)
    if approval is None or not in_date(approval, today) or uncovered(approval, catalogue_code, inspection_type,
                                                                     region_code):
        return None
    return approval


def _names(missing: dict[str, str]) -> str:
    parts = []
    if "catalogue_code" in missing:
        entry = catalogue.get_entry(missing["catalogue_code"])
        parts.append(f"设备类别「{entry.name if entry else missing['catalogue_code']}」")
    if "inspection_type" in missing:
        parts.append(f"检验类型「{INSPECTION_TYPES.get(missing['inspection_type'], missing['inspection_type'])}」")
    if "region_code" in missing:
        region = db.session.get(Region, missing["region_code"])
        parts.append(f"地区「{region.name if region else missing['region_code']}」")
    return "、".join(parts)


def require_covering(agency: Unit, equipment: Equipment, inspection_type: str,
                     today: date | None = None) -> AgencyApproval:
    """The agency's in-date approved scope covering the device's category and region and the type.

    Raises InvalidInput (422, field agency_unit_id): `agency_not_approved_for` (no approved scope,
    not yet in force, or not covering: the message names what is missing), `agency_approval_lapsed`
    (valid_until passed: no new work).
    """
    today = today or business_today()
    approval = current_approval(agency.id)

    def refuse_with(message: str, code: str, **details: Any) -> InvalidInput:
        return InvalidInput(message, code=code, details={"fields": {"agency_unit_id": [message]}, **details})

    if approval is None:
        raise refuse_with(f"{agency.name}尚未在平台开通检验业务（业务开通未获批准），请选择其他检验检测机构。",
                          "agency_not_approved_for")
    if approval.valid_until < today:
        raise refuse_with(f"{agency.name}的业务开通（核准证 {approval.licence_no}）已于 "
                          f"{approval.valid_until.isoformat()} 到期，不能承接新的检验。", "agency_approval_lapsed",
                          valid_until=approval.valid_until)
    if approval.valid_from is not None and approval.valid_from > today:
        raise refuse_with(f"{agency.name}的业务开通自 {approval.valid_from.isoformat()} 起生效，请届时再申请或选择"
                          "其他检验检测机构。", "agency_not_approved_for")
    missing = uncovered(approval, equipment.catalogue_code, inspection_type, equipment.region_code)
    if missing:
        raise refuse_with(f"{agency.name}的核准范围不包括{_names(missing)}，请选择其他检验检测机构。",
                          "agency_not_approved_for", missing=missing)
    return approval


def covering_agency_ids(catalogue_code: str | None, inspection_type: str | None, region_code: str | None,
                        today: date | None = None) -> list[int]:
    """Agencies whose in-date approved scope covers what is given (None: not asked). Approved
    declarations are few (one per agency), so they are read once and matched here."""
    today = today or business_today()
    rows = db.session.scalars(select(AgencyApproval).where(AgencyApproval.status == "approved",
                                                           AgencyApproval.valid_until >= today))
    wanted = []
    for approval in rows:
        if not in_date(approval, today):
            continue
        if not uncovered(approval, catalogue_code, inspection_type, region_code):
            wanted.append(approval.unit_id)
    return wanted
