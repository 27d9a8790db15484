"""Monitoring points (风险监测点) and their reporters (信息报送员), guidance 二(一)(二).

Points: regulators designate them for units in their region (`core.scoping.region_in_scope`),
one active point per unit, of four types that must fit the unit:

| type          | unit                                                                  |
| ------------- | --------------------------------------------------------------------- |
| `supervision` | a city or county regulator (各市、县(区)特种设备安全监察机构)             |
| `inspection`  | an inspection agency                                                  |
| `use`         | a use unit whose `control_level` is 一级 or 二级 (set by a regulator)   |
| `production`  | a production or filling unit                                          |

Each point names the person who manages its reporters (「指定一名同志负责…」): an active person of
the unit. A regulator in scope revokes a point; its reporters end with it.

Reporters: designated by the point's manager or a regulator in scope.

- a use unit: one or more of its people (experienced frontline workers);
- a production or filling unit: one or two (a third is refused, 409 `reporter_limit_reached`);
- a supervision body: its risk-monitoring officer (a person of the regulator); a city or county
  bureau may also designate experts of its region (`is_expert`: a person of a unit in the point's
  supervision subtree);
- an inspection agency: people of its own.

Designation grants the `risk_reporter` role when the person lacks it.

"Complete" personnel information (「在平台填报人员信息」), needed before a reporter can report
(`reporter_completeness`): name, mobile or fixed phone, ID number; and for a person of an
enterprise (use, production, filling unit or inspection agency) a post in the unit: a job title
or a role there other than 信息报送员 (e.g. 作业人员, 安全员). The refusal names what is missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope, scoped
from models.orgs import UNIT_KINDS, Person, PersonRole, Region, Unit
from models.risk import POINT_TYPES, MonitoringPoint, Reporter
from services.orgs import regions

CONTROL_LEVELS = ("一级", "二级")
# Units whose control level a regulator may set: the units that use special equipment.
CONTROL_LEVEL_UNIT_KINDS = ("use", "filling")
# Point type -> unit kinds it fits.
POINT_UNIT_KINDS: dict[str, tuple[str, ...]] = {
    "supervision": ("regulator",),
    "inspection": ("inspection",),
    "use": ("use",),
    "production": ("production", "filling"),
}
# Most non-expert reporters a point of this type may have (None: no limit).
REPORTER_LIMITS: dict[str, int | None] = {"production": 2, "use": None, "inspection": None, "supervision": None}
ENTERPRISE_KINDS = ("use", "production", "filling", "inspection")
# The unit roles a risk report goes to inside the unit (「同时向本单位（质量）安全总监报告」).
DIRECTOR_ROLES = ("safety_director", "quality_safety_director")


# -- control level (domain.md §9) ------------------------------------------------------------

def set_control_level(identity: Identity, unit: Unit, level: str | None) -> Unit:
    """Set or clear a use unit's 一级/二级 control level: a regulator-set attribute (domain.md §9).

    Only a regulator whose supervision subtree holds the unit's region. Clearing it while the
    unit is an active `use` monitoring point is refused (revoke the point first). Audited.
    """
    if not identity.is_regulator or not region_in_scope(unit.region_code, identity):
        raise Forbidden("只有单位所在地区的监管部门可以设定管控级别。", code="not_regulator_in_scope")
    if level is not None and level not in CONTROL_LEVELS:
        raise InvalidInput.field("control_level", "管控级别应为「一级」或「二级」。")
    if unit.kind not in CONTROL_LEVEL_UNIT_KINDS:
        raise RuleViolation(f"管控级别只适用于使用单位，{UNIT_KINDS.get(unit.kind, unit.kind)}不设管控级别。",
                            code="control_level_not_applicable")
    if level is None and active_point_for(unit.id, point_type="use") is not None:
        raise RuleViolation("该单位是使用单位风险监测点，须先撤销监测点再取消管控级别。",
                            code="control_level_in_use")
    before = {"control_level": unit.control_level}
    unit.control_level = level
    db.session.flush()
    audit.record(identity.audit_context(), "unit.control_level", "unit", unit.id, before,
                 {"control_level": level})
    return unit


# -- points --------------------------------------------------------------------------------

def snapshot(point: MonitoringPoint) -> dict[str, Any]:
    """What the audit keeps of a point."""
    return {"unit_id": point.unit_id, "point_type": point.point_type, "region_code": point.region_code,
            "manager_person_id": point.manager_person_id, "status": point.status}


def active_point_for(unit_id: int, point_type: str | None = None) -> MonitoringPoint | None:
    """The unit's active point (of `point_type`, when given), if any."""
    stmt = select(MonitoringPoint).where(MonitoringPoint.unit_id == unit_id, MonitoringPoint.status == "active")
    if point_type:
        stmt = stmt.where(MonitoringPoint.point_type == point_type)
    return db.session.scalar(stmt)


def require_regulator_in_scope(identity: Identity, region_code: str, message: str) -> None:
    """403 `not_regulator_in_scope` unless a regulator whose subtree holds `region_code`."""
    if not identity.is_regulator or not region_in_scope(region_code, identity):
        raise Forbidden(message, code="not_regulator_in_scope")


def _check_fits(point_type: str, unit: Unit) -> None:
    if point_type not in POINT_TYPES:
        raise InvalidInput.field("point_type", "监测点类型无效。")
    if unit.status != "approved":
        raise RuleViolation("单位尚未通过审核（或已停用），不能确定为监测点。", code="unit_not_approved")
    if unit.kind not in POINT_UNIT_KINDS[point_type]:
        raise RuleViolation(f"{UNIT_KINDS.get(unit.kind, unit.kind)}不能作为「{POINT_TYPES[point_type]}」类监测点。",
                            code="point_type_mismatch", details={"fields": {"point_type": ["与单位类型不符。"]}})
    if point_type == "supervision" and unit.region.supervision_level not in ("city", "county"):
        raise RuleViolation("监察机构类监测点为各市、县（区）特种设备安全监察机构。", code="point_type_mismatch")
    if point_type == "use" and unit.control_level not in CONTROL_LEVELS:
        raise RuleViolation("只有一级、二级管控的使用单位可以确定为监测点，请先设定管控级别。",
                            code="control_level_required")


def _require_manager_person(unit: Unit, person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None or person.unit_id != unit.id or person.status != "active":
        raise InvalidInput.field("manager_person_id", "监测点负责人须为本单位在职人员。", code="manager_invalid")
    return person


def designate_point(identity: Identity, unit: Unit, point_type: str, manager_person_id: int) -> MonitoringPoint:
    """确认标识 a unit as a monitoring point of `point_type`, naming its manager.

    Only a regulator in scope of the unit's region. Refused: a type that does not fit the unit
    (409 `point_type_mismatch` / `control_level_required`), a unit not approved, a second active
    point for the unit (409 `point_exists`), a manager who is not an active person of the unit (422).
    """
    require_regulator_in_scope(identity, unit.region_code, "只有单位所在地区的监管部门可以确定监测点。")
    _check_fits(point_type, unit)
    _require_manager_person(unit, manager_person_id)
    existing = active_point_for(unit.id)
    if existing is not None:
        raise Conflict("该单位已是风险监测点，一个单位只设一个监测点。", code="point_exists",
                       details={"point_id": existing.id})
    point = MonitoringPoint(unit_id=unit.id, point_type=point_type, region_code=unit.region_code,
                            manager_person_id=manager_person_id, designated_by_person_id=identity.person_id,
                            status="active")
    db.session.add(point)
    db.session.flush()
    audit.record(identity.audit_context(), "risk.point_designate", "risk_point", point.id, None, snapshot(point))
    return point


def change_manager(identity: Identity, point: MonitoringPoint, manager_person_id: int) -> MonitoringPoint:
    """Name another manager: a regulator in scope, or the point unit's admin."""
    if not (region_in_scope(point.region_code, identity) and identity.is_regulator) and not (
            identity.unit_id == point.unit_id and identity.has_role("unit_admin")):
        raise Forbidden("只有监管部门或本单位管理员可以更换监测点负责人。", code="not_point_admin")
    _require_active(point)
    _require_manager_person(point.unit, manager_person_id)
    before = snapshot(point)
    point.manager_person_id = manager_person_id
    db.session.flush()
    audit.record(identity.audit_context(), "risk.point_update", "risk_point", point.id, before, snapshot(point))
    return point


def revoke_point(identity: Identity, point: MonitoringPoint, reason: str | None = None) -> MonitoringPoint:
    """Revoke a point (a regulator in scope); its reporters end with it. Reports already made stay."""
    require_regulator_in_scope(identity, point.region_code, "只有监测点所在地区的监管部门可以撤销监测点。")
    _require_active(point)
    before = snapshot(point)
    point.status = "revoked"
    for reporter in db.session.scalars(select(Reporter).where(Reporter.point_id == point.id,
                                                              Reporter.status == "active")):
        reporter.status = "revoked"
        _drop_role_if_unused(reporter.person_id)
    db.session.flush()
    audit.record(identity.audit_context(), "risk.point_revoke", "risk_point", point.id, before,
                 {**snapshot(point), "reason": reason})
    return point


def _require_active(point: MonitoringPoint) -> None:
    """409 `point_revoked` for a revoked point."""
    if point.status != "active":
        raise RuleViolation("监测点已撤销。", code="point_revoked")


def list_points_stmt(identity: Identity, *, point_type: str | None = None, status: str | None = None,
                     region_code: str | None = None, unit_id: int | None = None) -> Select:
    """Points the identity may see (a regulator: its subtree; a unit: its own point), newest first."""
    stmt = scoped(select(MonitoringPoint), MonitoringPoint, identity)
    if point_type:
        stmt = stmt.where(MonitoringPoint.point_type == point_type)
    if status:
        stmt = stmt.where(MonitoringPoint.status == status)
    if unit_id:
        stmt = stmt.where(MonitoringPoint.unit_id == unit_id)
    if region_code:
        stmt = stmt.where(MonitoringPoint.region_code.in_(regions.subtree_codes(region_code)))
    return stmt.order_by(MonitoringPoint.id.desc())


def point_counts(point_ids: list[int]) -> dict[int, int]:
    """Active reporters per point."""
    if not point_ids:
        return {}
    rows = db.session.execute(select(Reporter.point_id, func.count()).where(
        Reporter.point_id.in_(point_ids), Reporter.status == "active").group_by(Reporter.point_id))
    return dict(rows.all())


# -- reporters ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Completeness:
    missing: list[dict[str, str]]

    @property
    def complete(self) -> bool:
        return not self.missing


def reporter_completeness(person: Person) -> Completeness:
    """Whether a reporter's personnel information is complete (see the module's docstring)."""
    missing = []
    for field, label in (("name", "姓名"), ("phone", "联系电话"), ("id_number", "身份证号码")):
        if not (getattr(person, field) or "").strip():
            missing.append({"field": field, "label": label})
    if person.unit.kind in ENTERPRISE_KINDS:
        posts = [r for r in person.role_codes if r != "risk_reporter"]
        if not posts and not (person.title or "").strip():
            missing.append({"field": "post", "label": "在本单位的岗位（职务或角色，如作业人员、安全员）"})
    return Completeness(missing)


def require_complete(person: Person) -> None:
    """Refuse a reporter whose personnel information is incomplete (409 `reporter_info_incomplete`)."""
    found = reporter_completeness(person)
    if not found.complete:
        labels = "、".join(m["label"] for m in found.missing)
        raise RuleViolation(f"信息报送员人员信息不完整，请先由单位管理员补充：{labels}。",
                            code="reporter_info_incomplete", details={"missing": found.missing})


def reporter_snapshot(reporter: Reporter) -> dict[str, Any]:
    """What the audit keeps of a designation."""
    return {"point_id": reporter.point_id, "person_id": reporter.person_id, "is_expert": reporter.is_expert,
            "status": reporter.status}


def can_manage_reporters(identity: Identity, point: MonitoringPoint) -> bool:
    """The point's manager, or a regulator in scope of the point's region."""
    if identity.person_id is not None and identity.person_id == point.manager_person_id:
        return True
    return identity.is_regulator and region_in_scope(point.region_code, identity)


def _check_reporter_person(point: MonitoringPoint, person: Person, is_expert: bool) -> None:
    if person.status != "active":
        raise InvalidInput.field("person_id", "该人员已离职。", code="person_inactive")
    if is_expert:
        if point.point_type != "supervision":
            raise RuleViolation("只有市、县（区）监管部门的监测点可以确定专家为信息报送员。",
                                code="expert_not_allowed")
        if person.unit.region_code not in regions.subtree_codes(point.region_code):
            raise RuleViolation("专家须为本辖区的特种设备行业相关专家。", code="expert_outside_region")
        return
    if person.unit_id != point.unit_id:
        raise InvalidInput.field("person_id", "信息报送员须为监测点单位的人员（专家请选择「专家」）。",
                                 code="reporter_not_in_unit")


def _check_limit(point: MonitoringPoint) -> None:
    limit = REPORTER_LIMITS.get(point.point_type)
    if limit is None:
        return
    count = db.session.scalar(select(func.count()).select_from(Reporter).where(
        Reporter.point_id == point.id, Reporter.status == "active", Reporter.is_expert.is_(False))) or 0
    if count >= limit:
        raise Conflict(f"生产和充装单位确定 1 至 {limit} 名信息报送员，本监测点已有 {count} 名。",
                       code="reporter_limit_reached", details={"limit": limit, "count": count})


def designate_reporter(identity: Identity, point: MonitoringPoint, person_id: int,
                       is_expert: bool = False) -> Reporter:
    """Designate a 信息报送员 at a point (guidance 二(二)); grants the `risk_reporter` role.

    Refused: not the manager nor a regulator in scope (403), a revoked point (409), a person not of
    the point's unit (422) or an expert outside the region or at a non-supervision point (409), a
    production/filling point's third reporter (409 `reporter_limit_reached`), an active designation
    already there (409 `reporter_exists`). A revoked designation of the same person is renewed.
    Personnel information may still be incomplete here; it must be complete before reporting.
    """
    if not can_manage_reporters(identity, point):
        raise Forbidden("只有监测点负责人或所在地区监管部门可以确定信息报送员。", code="not_point_manager")
    _require_active(point)
    person = db.session.get(Person, person_id)
    if person is None:
        raise InvalidInput.field("person_id", "未找到该人员。", code="person_not_found")
    _check_reporter_person(point, person, is_expert)
    reporter = db.session.scalar(select(Reporter).where(Reporter.point_id == point.id,
                                                        Reporter.person_id == person_id))
    if reporter is not None and reporter.status == "active":
        raise Conflict("该人员已是本监测点的信息报送员。", code="reporter_exists", details={"reporter_id": reporter.id})
    if not is_expert:
        _check_limit(point)
    before = reporter_snapshot(reporter) if reporter else None
    if reporter is None:
        reporter = Reporter(point_id=point.id, person_id=person_id)
        db.session.add(reporter)
    reporter.is_expert = is_expert
    reporter.status = "active"
    reporter.designated_by_person_id = identity.person_id
    if "risk_reporter" not in person.role_codes:
        person.roles.append(PersonRole(role="risk_reporter"))
    db.session.flush()
    audit.record(identity.audit_context(), "risk.reporter_designate", "risk_reporter", reporter.id, before,
                 reporter_snapshot(reporter))
    return reporter


def _drop_role_if_unused(person_id: int) -> None:
    """Take the `risk_reporter` role back when the person reports for no point any more."""
    still = db.session.scalar(select(Reporter.id).join(MonitoringPoint).where(
        Reporter.person_id == person_id, Reporter.status == "active", MonitoringPoint.status == "active"))
    if still:
        return
    role = db.session.scalar(select(PersonRole).where(PersonRole.person_id == person_id,
                                                      PersonRole.role == "risk_reporter"))
    if role is not None:
        db.session.delete(role)


def revoke_reporter(identity: Identity, reporter: Reporter) -> Reporter:
    """End a designation (manager or regulator in scope); the role goes when no other point keeps it."""
    if not can_manage_reporters(identity, reporter.point):
        raise Forbidden("只有监测点负责人或所在地区监管部门可以撤销信息报送员。", code="not_point_manager")
    if reporter.status != "active":
        raise RuleViolation("该信息报送员已撤销。", code="reporter_revoked")
    before = reporter_snapshot(reporter)
    reporter.status = "revoked"
    db.session.flush()
    _drop_role_if_unused(reporter.person_id)
    db.session.flush()
    audit.record(identity.audit_context(), "risk.reporter_revoke", "risk_reporter", reporter.id, before,
                 reporter_snapshot(reporter))
    return reporter


def get_point(identity: Identity, point_id: int) -> MonitoringPoint:
    """A point the identity may see (a regulator in scope, the point's unit), else 404."""
    point = db.session.scalar(scoped(select(MonitoringPoint), MonitoringPoint, identity)
                              .where(MonitoringPoint.id == point_id))
    if point is None:
        raise NotFound("未找到该监测点。", code="risk_point_not_found")
    return point


def get_reporter(identity: Identity, reporter_id: int) -> Reporter:
    """A designation at a point the identity may see, else 404."""
    reporter = db.session.get(Reporter, reporter_id)
    if reporter is None:
        raise NotFound("未找到该信息报送员。", code="risk_reporter_not_found")
    get_point(identity, reporter.point_id)
    return reporter


def list_reporters(point: MonitoringPoint, status: str | None = "active") -> list[Reporter]:
    """A point's designations (active ones by default), oldest first."""
    stmt = select(Reporter).where(Reporter.point_id == point.id).order_by(Reporter.id)
    if status:
        stmt = stmt.where(Reporter.status == status)
    return list(db.session.scalars(stmt))


def active_reporters_of(person_id: int) -> list[Reporter]:
    """The person's active designations at active points."""
    return list(db.session.scalars(
        select(Reporter).join(MonitoringPoint)
        .where(Reporter.person_id == person_id, Reporter.status == "active", MonitoringPoint.status == "active")
        .order_by(Reporter.id)))


def my_designations(identity: Identity) -> list[Reporter]:
    """Where the caller reports for (active designations at active points)."""
    return active_reporters_of(identity.person_id) if identity.person_id else []



def region_of(point: MonitoringPoint) -> Region:
    """The point's region (for its name and the level it acts at)."""
    return db.session.get(Region, point.region_code)
