"""Risk report intake (guidance 二(三)): a reporter sends a problem, a hazard, a suggestion, a
difficulty, an analysis or a plan — one sentence or a long study — from the mini program or the PC.

`submit_report(identity, data)` is the one way in (the API, demo data and tests call it):

1. the caller is an active 信息报送员 of an active monitoring point, with complete personnel
   information (`services.risk.points.reporter_completeness`);
2. it is not an emergency (`services.risk.emergency`: 「不含应急类信息」);
3. the device, category, region, photos and documents are checked; photos lose their location;
4. the report is placed at its first level (`services.risk.path.place`): holder, deadline, first
   event; the holder's staff are told;
5. inside the unit (「同时向本单位（质量）安全总监报告」): a use, production or filling unit's
   report also goes to its (quality) safety director, who records what the unit did
   (`record_unit_action`).

Reports are for help, never for punishment (guidance 二(六)): nothing here links a report to an
enforcement action, and the unit a report is about never sees it (`services.risk.access`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation, Unauthorized
from core.extensions import db
from core.scoping import get_in_scope
from core.timeutil import utcnow
from models.equipment import Equipment
from models.orgs import Person, Unit
from models.risk import AREAS, HAZARD_LEVELS, REPORT_KINDS, MonitoringPoint, Reporter, RiskReport
from services import notify
from services.equipment import catalogue
from services.equipment import onecode as equipment_onecode
from services.orgs import people, regions
from services.risk import access, emergency, media, path, points

TITLE_MAX = 200
BODY_MAX = 20_000
PLACE_MAX = 256
# Units whose reports also go to their (quality) safety director.
DIRECTOR_UNIT_KINDS = ("use", "production", "filling")
UNIT_ACTION_MAX = 5_000
# Chinese labels accepted for the suggested level, besides the codes.
_LEVEL_BY_LABEL = {label: code for code, label in HAZARD_LEVELS.items()}


def snapshot(report: RiskReport) -> dict[str, Any]:
    """What the audit keeps of a report (no personal data)."""
    return {f: getattr(report, f) for f in (
        "point_id", "reporter_id", "area", "kind", "title", "equipment_id", "catalogue_code", "region_code",
        "suggested_level", "photo_ids", "document_ids", "not_emergency_confirmed", "status", "level",
        "holder_region_code", "deadline")}


def current_reporter(identity: Identity, point_id: int | None = None) -> Reporter:
    """The caller's active designation (at an active point); `point_id` picks one of several.

    Raises Unauthorized (not logged in), Forbidden (403 `not_reporter`: not an active reporter of an
    active point), InvalidInput (`point_id` needed or not one of theirs).
    """
    if not identity.is_authenticated:
        raise Unauthorized()
    designations = points.active_reporters_of(identity.person_id)
    if point_id is not None:
        designations = [r for r in designations if r.point_id == point_id]
        if not designations:
            raise InvalidInput.field("point_id", "您不是该监测点在岗的信息报送员。", code="point_not_yours")
    if not designations:
        raise Forbidden("只有监测点在岗的信息报送员可以报送风险信息。", code="not_reporter")
    if len(designations) > 1:
        raise InvalidInput.field("point_id", "您是多个监测点的信息报送员，请选择以哪个监测点报送。",
                                 code="point_required")
    return designations[0]


def _text(data: dict, field: str, limit: int, label: str, required: bool = True) -> str | None:
    value = data.get(field)
    value = value.strip() if isinstance(value, str) else value
    if not value:
        if required:
            raise InvalidInput.field(field, f"请填写{label}。")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput.field(field, f"{label}不能超过 {limit} 个字。")
    return value


def _code(data: dict, field: str, choices: dict[str, str], label: str) -> str:
    value = data.get(field)
    if value not in choices:
        raise InvalidInput.field(field, f"{label}应为以下之一：{'、'.join(choices)}。")
    return value


def suggested_level(value: str | None) -> str | None:
    """general / serious / major, or their labels 一般 / 严重 / 重大; None when not given."""
    if value in (None, ""):
        return None
    code = _LEVEL_BY_LABEL.get(value, value)
    if code not in HAZARD_LEVELS:
        raise InvalidInput.field("suggested_level", "建议隐患等级应为一般、严重或重大。")
    return code


def _equipment(identity: Identity, data: dict) -> Equipment | None:
    """The device: by id among those the reporter may see, or by a scanned code (any device)."""
    equipment_id, scanned = data.get("equipment_id"), data.get("equipment_code_scan")
    if equipment_id is not None and scanned:
        raise InvalidInput.field("equipment_id", "设备请二选一：扫码或选择。")
    if equipment_id is not None:
        return get_in_scope(Equipment, equipment_id, identity, "未找到该设备。")
    if scanned:  # the one-code package: a scan names the device, whoever uses it
        return equipment_onecode.scanned_equipment(scanned)
    return None


def _catalogue_code(data: dict, equipment: Equipment | None) -> str | None:
    code = data.get("catalogue_code")
    if not code:
        return equipment.catalogue_code if equipment else None
    entry = catalogue.get_entry(code)
    if entry is None:
        raise InvalidInput.field("catalogue_code", "设备类别代码不在《特种设备目录》中。", code="catalogue_code_unknown")
    return entry.code


def _region(data: dict, point: MonitoringPoint) -> str:
    """The report's region: given, or the point's; within the point's supervision subtree, so the
    office the report goes to can see it."""
    code = data.get("region_code") or point.region_code
    regions.require_region(code)
    if code not in regions.subtree_codes(point.region_code):
        raise InvalidInput.field("region_code", "所在地区须在本监测点所在辖区内。", code="region_outside_point")
    return code


def submit_report(identity: Identity, data: dict) -> RiskReport:
    """Take in one risk report from the caller (an active reporter) and place it at its first level.

    `data` (plain values, as the API schema loads them):
    - required: `area` (models.risk.AREAS code), `kind` (REPORT_KINDS code), `title` (≤ 200 chars),
      `body` (≤ 20,000 chars);
    - optional: `point_id` (only when the caller reports for several points), `equipment_id` (a device
      the caller may see) or `equipment_code_scan` (a scanned one-code, resolved by `services.equipment.onecode.scanned_equipment`),
      `catalogue_code` (defaults to the device's), `place`, `region_code` (defaults to the point's;
      must lie in the point's subtree), `photo_ids` (≤ RISK_MAX_PHOTOS stored JPEG/PNG files of the
      caller's unit), `document_ids` (≤ 9 stored files of the unit), `suggested_level`
      (general/serious/major or 一般/严重/重大), `emergency` (bool), `not_emergency_confirmed` (bool).

    Effects (flush only; the caller commits): the report row; photos re-saved without EXIF/GPS;
    the first `RiskReportEvent` (holder and deadline, `path.place`); an audit entry
    `risk.report_submit`; outbox messages to the holder's regulator staff and, for use/production/
    filling units, to the unit's (quality) safety director(s); `jobs.risk.make_thumbnails` enqueued
    after commit when there are photos.

    Raises: Forbidden 403 `not_reporter`; RuleViolation 409 `reporter_info_incomplete` (details.missing)
    or `emergency_not_accepted` (96333/119/120 guidance; send `not_emergency_confirmed: true` when it
    is not an emergency); InvalidInput 422 naming the field; NotFound for an unseen device;
    errors of `services.equipment.onecode.scanned_equipment` for a bad scanned code.
    """
    reporter = current_reporter(identity, data.get("point_id"))
    point = reporter.point
    person = reporter.person
    points.require_complete(person)

    area = _code(data, "area", AREAS, "领域")
    kind = _code(data, "kind", REPORT_KINDS, "信息类别")
    title = _text(data, "title", TITLE_MAX, "标题")
    body = _text(data, "body", BODY_MAX, "内容")
    emergency.require_not_emergency(title, body, flagged=bool(data.get("emergency")),
                                    confirmed=bool(data.get("not_emergency_confirmed")))

    equipment = _equipment(identity, data)
    catalogue_code = _catalogue_code(data, equipment)
    place = _text(data, "place", PLACE_MAX, "地点", required=False)
    region_code = _region(data, point)
    level = suggested_level(data.get("suggested_level"))
    unit_id = person.unit_id
    photos = media.require_photos(unit_id, data.get("photo_ids") or [])
    documents = media.require_documents(unit_id, data.get("document_ids") or [])
    for photo in photos:  # last of the checks: it rewrites the stored photo
        media.strip_location(photo)

    report = RiskReport(
        point_id=point.id, reporter_id=reporter.id, reporter_unit_id=unit_id,
        area=area, kind=kind, title=title, body=body,
        equipment_id=equipment.id if equipment else None, catalogue_code=catalogue_code,
        place=place, region_code=region_code, suggested_level=level,
        photo_ids=[p.id for p in photos], document_ids=[d.id for d in documents],
        not_emergency_confirmed=bool(data.get("not_emergency_confirmed")),
        submitted_at=utcnow(),
        # placed just below; the columns need a value before the first flush
        status="handling", level="county", holder_region_code=point.region_code,
    )
    db.session.add(report)
    db.session.flush()
    path.place(report, point, identity)
    audit.record(identity.audit_context(), "risk.report_submit", "risk_report", report.id, None, snapshot(report))
    _tell_directors(report, person)
    if photos:
        media.THUMBNAIL_WORK.request(report.id)
    return report


# -- inside the unit -----------------------------------------------------------------------

def director_ids(unit_id: int) -> list[int]:
    """The unit's active (quality) safety directors."""
    return people.ids_with_roles(unit_id, points.DIRECTOR_ROLES)


def _tell_directors(report: RiskReport, reporter_person: Person) -> None:
    unit = db.session.get(Unit, report.reporter_unit_id)
    if unit.kind not in DIRECTOR_UNIT_KINDS:
        return
    # The reporter is named once, after the report: a person's name may itself be a post (「信息报送员」).
    text = (f"本单位报送了风险信息「{report.title}」（报送人：{reporter_person.name}），"
            "请及时安排处置并在平台记录处置情况。")
    for person_id in director_ids(unit.id):
        if person_id == reporter_person.id:
            continue
        notify.queue_message(person_id, "risk_report_unit_director", "本单位风险信息", text,
                             {"report_id": report.id},
                             dedupe_key=f"risk-report:{report.id}:director:{person_id}")


def record_unit_action(identity: Identity, report: RiskReport, action: str) -> RiskReport:
    """The unit's (quality) safety director records what the unit did about its own report.

    Only a director of the reporter's unit (a use, production or filling unit); 403 otherwise.
    A later record replaces the text; the audit keeps each. The reporter is told.
    """
    unit = db.session.get(Unit, report.reporter_unit_id)
    if (identity.unit_id != report.reporter_unit_id or unit.kind not in DIRECTOR_UNIT_KINDS
            or not identity.has_role(*points.DIRECTOR_ROLES)):
        raise Forbidden("只有报送单位的（质量）安全总监可以记录本单位的处置情况。", code="not_unit_director")
    text = (action or "").strip()
    if not text:
        raise InvalidInput.field("action", "请填写本单位的处置情况。")
    if len(text) > UNIT_ACTION_MAX:
        raise InvalidInput.field("action", f"处置情况不能超过 {UNIT_ACTION_MAX} 个字。")
    if report.status == "merged":
        raise RuleViolation("该风险信息已合并到另一条，请在那条记录处置情况。", code="report_merged")
    before = {"unit_action": report.unit_action, "unit_action_by_person_id": report.unit_action_by_person_id}
    report.unit_action = text
    report.unit_action_by_person_id = identity.person_id
    report.unit_action_at = utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "risk.report_unit_action", "risk_report", report.id, before,
                 {"unit_action": text, "unit_action_by_person_id": identity.person_id})
    reporter_person_id = report.reporter.person_id
    if reporter_person_id != identity.person_id:
        notify.queue_message(reporter_person_id, "risk_report_unit_action", "本单位已记录处置情况",
                             f"您报送的风险信息「{report.title}」，本单位安全总监已记录处置情况。",
                             {"report_id": report.id},
                             dedupe_key=f"risk-report:{report.id}:unit-action:{report.unit_action_at.isoformat()}")
    return report


# -- reading -------------------------------------------------------------------------------

def list_reports_stmt(identity: Identity, *, status: str | None = None, level: str | None = None,
                      area: str | None = None, kind: str | None = None, mine: bool | None = None,
                      point_id: int | None = None) -> Select:
    """Reports the identity may see (`services.risk.access`), filtered; newest first.

    `mine=true`: only the caller's own reports (as a reporter, at any of their points).
    """
    stmt = access.visible_reports(identity)
    for column, value in ((RiskReport.status, status), (RiskReport.level, level), (RiskReport.area, area),
                          (RiskReport.kind, kind), (RiskReport.point_id, point_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if mine:
        stmt = stmt.where(RiskReport.reporter_id.in_(
            select(Reporter.id).where(Reporter.person_id == identity.person_id)))
    return stmt.order_by(RiskReport.id.desc())


def record_reporter_view(identity: Identity, report: RiskReport) -> bool:
    """Record that the viewer is being shown who reported; True when it was audited.

    Issue 5 §10: 「every view of a reporter's identity outside their unit is audited」. Inside the
    reporter's unit nothing is recorded; outside it each view writes `risk.reporter_identity_view`.
    Who may see the report at all is `services.risk.access`'s (the unit a report is about never does).
    """
    if access.in_reporter_unit(identity, report):
        return False
    audit.record(identity.audit_context(), "risk.reporter_identity_view", "risk_report", report.id, None,
                 {"reporter_id": report.reporter_id, "viewer_unit_id": identity.unit_id})
    return True
