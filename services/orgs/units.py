"""Units: self-registration, review by the regulator of the unit's region,
information maintenance and its completeness (「必填项」)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.idcodes import check_field, id_number_problem, normalize, uscc_inner_check_ok, uscc_problem
from core.scoping import region_in_scope, scoped
from core.timeutil import utcnow
from models.orgs import UNIT_KINDS, Person, Unit
from services import notify
from services.orgs import accounts, certificates, people, regions

SELF_REGISTER_KINDS = ("use", "production", "filling", "inspection")

# Allowed review transitions: (status, action) -> new status.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "approve"): "approved",
    ("pending", "return"): "returned",
    ("returned", "resubmit"): "pending",
    ("approved", "disable"): "disabled",
    ("disabled", "enable"): "approved",
}
ACTION_LABELS = {"approve": "审核通过", "return": "退回", "resubmit": "重新提交", "disable": "停用", "enable": "启用"}

FIELD_LABELS = {
    "name": "单位名称", "identity": "统一社会信用代码（个人为身份证号）", "region_code": "所在地区",
    "address": "单位地址", "legal_representative": "法定代表人", "contact_name": "联系人",
    "contact_phone": "联系电话", "production_scopes": "生产许可项目", "licence_no": "许可证（核准证）编号",
    "licence_expiry": "许可证有效期",
}
_COMMON = ("name", "identity", "region_code", "address", "legal_representative", "contact_name", "contact_phone")
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "use": _COMMON,
    "production": _COMMON + ("production_scopes", "licence_no", "licence_expiry"),
    "filling": _COMMON + ("licence_no", "licence_expiry"),
    "inspection": _COMMON + ("licence_no", "licence_expiry"),
    "regulator": ("name", "region_code", "address", "contact_phone"),
    "risk_center": ("name", "region_code", "address", "contact_phone"),
}
EDITABLE_FIELDS = ("name", "address", "legal_representative", "contact_name", "contact_phone", "email",
                   "postal_code", "licence_no", "licence_expiry", "production_scopes")
# Fields that only change while the registration is not yet approved.
PRE_APPROVAL_FIELDS = ("region_code", "uscc", "owner_id_number", "kind")


def snapshot(unit: Unit) -> dict[str, Any]:
    return {c: getattr(unit, c) for c in ("kind", "name", "uscc", "region_code", "address",
                                          "legal_representative", "contact_name", "contact_phone",
                                          "email", "postal_code", "licence_no", "licence_expiry",
                                          "production_scopes", "status", "review_note")}


@dataclass(frozen=True)
class Completeness:
    required: int
    filled: int
    missing: list[dict[str, str]]

    @property
    def percent(self) -> int:
        return 100 if not self.required else round(100 * self.filled / self.required)


def completeness(unit: Unit) -> Completeness:
    """How many of the required fields for this kind of unit are filled in."""
    required = REQUIRED_FIELDS.get(unit.kind, _COMMON)
    missing = []
    for name in required:
        value = (unit.uscc or unit.owner_id_number) if name == "identity" else getattr(unit, name)
        if value in (None, "", []):
            missing.append({"field": name, "label": FIELD_LABELS[name]})
    return Completeness(len(required), len(required) - len(missing), missing)


def _check_identity_codes(data: dict) -> None:
    check_field(data, "uscc", uscc_problem, "uscc_invalid")
    check_field(data, "owner_id_number", id_number_problem, "id_number_invalid")


def identity_warnings(unit: Unit) -> list[dict[str, str]]:
    """Doubts about the unit's identifiers that do not refuse it, as `{"code", "message"}` items.

    domain.md §7: a USCC whose GB 32100 check character (position 18) is right but whose inner
    organisation code (positions 9-17) fails the GB 11714 check is accepted with a warning, so
    the applicant can correct a typo and the reviewing regulator knows to look at it.
    """
    if unit.uscc and uscc_problem(unit.uscc) is None and not uscc_inner_check_ok(unit.uscc):
        return [{"code": "uscc_org_code_check_failed",
                 "message": "统一社会信用代码第 9-17 位（组织机构代码）未通过 GB 11714 校验，请核对是否填写有误。"}]
    return []


def _check_registration(data: dict) -> None:
    kind = data["kind"]
    if kind not in SELF_REGISTER_KINDS:
        raise InvalidInput.field("kind", "监管部门等单位由平台开通，不能自行注册。", code="unit_kind_not_registrable")
    if data.get("person_owned"):
        if kind != "use":
            raise InvalidInput.field("person_owned", "只有使用单位可以个人名义注册。")
        if not data.get("owner_id_number"):
            raise InvalidInput.field("owner_id_number", "个人注册须填写身份证号码。")
        data["uscc"] = None
    elif not data.get("uscc"):
        raise InvalidInput.field("uscc", "请填写统一社会信用代码。", code="uscc_required")
    _check_identity_codes(data)
    certificates.check_licence_expiry(data.get("licence_expiry"))
    if kind == "production":
        scopes = data.get("production_scopes") or []
        if not scopes:
            raise InvalidInput.field("production_scopes", "生产单位须选择至少一项许可项目。")
    else:
        data["production_scopes"] = []
    regions.require_region(data["region_code"])


def _check_unique(data: dict, exclude_id: int | None = None) -> None:
    for column, label, code in ((Unit.uscc, "统一社会信用代码", "unit_uscc_exists"),
                                (Unit.owner_id_number, "身份证号码", "unit_owner_exists")):
        value = data.get(column.key)
        if not value:
            continue
        stmt = select(Unit.id, Unit.status).where(column == value)
        if exclude_id is not None:
            stmt = stmt.where(Unit.id != exclude_id)
        existing = db.session.execute(stmt).first()
        if existing:
            raise Conflict(f"该{label}已注册，不能重复注册。如需找回账号请联系所在地监管部门。", code=code,
                           details={"fields": {column.key: [f"该{label}已注册。"]}})


def register_unit(ctx: audit.AuditContext, data: dict, admin: dict) -> tuple[Unit, Person]:
    """Self-registration (「立即注册」): the unit lands as pending with its first admin.

    Refused: a wrong USCC (GB 32100 check character), a USCC already registered,
    a kind that is not self-registrable. The regulators of the unit's region are
    told there is a registration to review.
    """
    data = dict(data)
    _check_registration(data)
    _check_unique(data)
    unit = Unit(
        kind=data["kind"], name=data["name"].strip(), uscc=data.get("uscc"),
        owner_id_number=data.get("owner_id_number"), region_code=data["region_code"],
        production_scopes=data.get("production_scopes") or [],
        status="pending", submitted_at=utcnow(),
        **{k: data.get(k) for k in ("address", "legal_representative", "contact_name", "contact_phone", "email",
                                    "postal_code", "licence_no", "licence_expiry")},
    )
    db.session.add(unit)
    db.session.flush()
    person = people.add_person_record(unit, {"name": admin["name"], "phone": admin.get("phone"),
                                             "id_number": admin.get("id_number"),
                                             "roles": [{"role": "unit_admin"}]})
    accounts.create_password_account(person, admin["username"], admin["password"])
    audit.record(ctx, "unit.register", "unit", unit.id, None, snapshot(unit))
    _tell_reviewers(unit)
    return unit, person


def regulators_for(region_code: str) -> list[Person]:
    """Regulator staff who review a unit in this region: the nearest regulator upward."""
    region = regions.get_region(region_code)
    for code in reversed(region.path.split("/")):
        staff = list(db.session.scalars(people.regulator_staff_stmt(code)))
        if staff:
            return staff
    return []


def _tell_reviewers(unit: Unit) -> None:
    for person in regulators_for(unit.region_code):
        notify.queue_message(person.id, "unit_registration_submitted", "新单位注册待审核",
                             f"{unit.name}（{UNIT_KINDS[unit.kind]}）提交了注册申请，请审核。",
                             {"unit_id": unit.id}, dedupe_key=f"unit-review:{unit.id}:{unit.submitted_at.isoformat()}")


def _apply(unit: Unit, action: str) -> str:
    new = TRANSITIONS.get((unit.status, action))
    if new is None:
        raise RuleViolation(f"单位当前状态为「{unit.status_label}」，不能{ACTION_LABELS[action]}。",
                            code="unit_transition_not_allowed",
                            details={"status": unit.status, "action": action})
    unit.status = new
    return new


def review_unit(identity: Identity, unit: Unit, action: str, note: str | None = None) -> Unit:
    """Approve or return a registration, or disable / enable a unit.

    Only a regulator whose supervision subtree contains the unit's region may
    act; returning needs a reason the applicant can act on.
    """
    if not region_in_scope(unit.region_code, identity) or not identity.is_regulator:
        raise Forbidden("只有单位所在地区的监管部门可以审核该单位。", code="not_reviewer")
    if action in ("return", "disable") and not (note and note.strip()):
        raise InvalidInput.field("note", "退回或停用须填写原因。", code="reason_required")
    before = snapshot(unit)
    _apply(unit, action)
    unit.review_note = note.strip() if note else None
    unit.reviewed_by_person_id = identity.person_id
    unit.reviewed_at = utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), f"unit.{action}", "unit", unit.id, before, snapshot(unit))
    text = f"您单位「{unit.name}」的注册申请已{ACTION_LABELS[action]}。" + (f"原因：{note}" if note else "")
    tell_admins(unit.id, f"unit_{action}", f"单位{ACTION_LABELS[action]}", text, {"unit_id": unit.id})
    return unit


def tell_admins(unit_id: int, template: str, title: str, text: str, data: dict) -> None:
    """A message to every active admin of a unit, through the outbox."""
    for admin in people.people_with_roles(unit_id, "unit_admin"):
        notify.queue_message(admin.id, template, title, text, data)


def require_unit_admin(identity: Identity, unit: Unit) -> None:
    if identity.unit_id != unit.id or "unit_admin" not in identity.roles:
        raise Forbidden("只有本单位管理员可以维护单位信息。", code="not_unit_admin")


def update_unit(identity: Identity, unit: Unit, changes: dict) -> Unit:
    """Unit information maintenance (企业信息维护) by the unit's admin.

    Region, kind and identity codes change only before approval; after that a
    change of them is a business of its own (变更).
    """
    require_unit_admin(identity, unit)
    if unit.status == "disabled":
        raise RuleViolation("单位已停用，不能修改信息。", code="unit_disabled")
    changes = dict(changes)
    locked = [f for f in PRE_APPROVAL_FIELDS if f in changes and unit.status == "approved"]
    if locked:
        raise RuleViolation("单位审核通过后，所在地区、单位类型和证照号码不能直接修改，请联系监管部门。",
                            code="unit_field_locked", details={"fields": {f: ["审核通过后不能修改。"] for f in locked}})
    _check_identity_codes(changes)
    _check_unique(changes, exclude_id=unit.id)
    if "region_code" in changes:
        regions.require_region(changes["region_code"])
    if "production_scopes" in changes and unit.kind != "production" and changes["production_scopes"]:
        raise InvalidInput.field("production_scopes", "只有生产单位填写许可项目。")
    if "licence_expiry" in changes:
        certificates.check_licence_expiry(changes["licence_expiry"], unit.licence_expiry)
    before = snapshot(unit)
    for name in EDITABLE_FIELDS + PRE_APPROVAL_FIELDS:
        if name in changes:
            setattr(unit, name, changes[name])
    db.session.flush()
    audit.record(identity.audit_context(), "unit.update", "unit", unit.id, before, snapshot(unit))
    return unit


def rename(identity: Identity, unit: Unit, new_name: str, reason: dict[str, Any]) -> bool:
    """Give the unit the name a registration office approved (更名, TSG 08-2017 变更登记), with
    an audit entry naming why (`reason`, e.g. the application). Returns whether the name changed
    (a unit renamed by an earlier approval keeps its name)."""
    new_name = new_name.strip()
    if not new_name or unit.name == new_name:
        return False
    before = snapshot(unit)
    unit.name = new_name
    db.session.flush()
    audit.record(identity.audit_context(), "unit.rename", "unit", unit.id, before, {**snapshot(unit), **reason})
    return True


def resubmit(identity: Identity, unit: Unit) -> Unit:
    """A returned registration, corrected, goes back to the reviewers."""
    require_unit_admin(identity, unit)
    before = snapshot(unit)
    _apply(unit, "resubmit")
    unit.submitted_at = utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "unit.resubmit", "unit", unit.id, before, snapshot(unit))
    _tell_reviewers(unit)
    return unit


def list_units_stmt(identity: Identity, *, kind: str | None = None, status: str | None = None,
                    region_code: str | None = None, q: str | None = None,
                    control_level: str | None = None) -> Select:
    """Units the identity may see, filtered; newest first."""
    stmt = scoped(select(Unit), Unit, identity)
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    if status:
        stmt = stmt.where(Unit.status == status)
    if control_level:
        stmt = stmt.where(Unit.control_level == control_level)
    if region_code:
        stmt = stmt.where(Unit.region_code.in_(regions.subtree_codes(region_code)))
    if q:
        stmt = stmt.where(or_(Unit.name.contains(q.strip(), autoescape=True), Unit.uscc == normalize(q)))
    return stmt.order_by(Unit.id.desc())


def create_unit(ctx: audit.AuditContext, data: dict) -> Unit:
    """Open a unit directly, approved (regulators and the risk centre; CLI and demo data)."""
    data = dict(data)
    _check_identity_codes(data)
    _check_unique(data)
    regions.require_region(data["region_code"])
    unit = Unit(status="approved", submitted_at=utcnow(), reviewed_at=utcnow(), **data)
    db.session.add(unit)
    db.session.flush()
    audit.record(ctx, "unit.create", "unit", unit.id, None, snapshot(unit))
    return unit

