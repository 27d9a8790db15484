"""Typical cases (典型案例): a handled report written up to guide every level.

Guidance 二(五): the centre 「对典型风险的处置形成案例指导各级监管部门」.

- Who writes: the province regulator, the province risk centre's staff, or a regulator that
  handled the report (its region held the report somewhere on its path). The report must be
  closed. One case per report.
- Who publishes: the province or the centre (a case goes to every regulator of the province, so
  the province decides). A published case is no longer edited.
- Who reads: every regulator and the risk centre. Published cases for all of them; a draft only for
  its author and for the province and the centre (who review and publish drafts).
- No reporter identity: a case shows the report's facts (region, area, kind, equipment category,
  hazard level, dates, measures), never the reporter, their point or their unit, and its text may
  not contain the reporter's name, phone or ID number (422 `case_names_reporter`).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select, true
from sqlalchemy.exc import IntegrityError

from core import audit
from core.auth import Identity
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.scoping import region_in_scope
from core.timeutil import utcnow
from models.equipment import CatalogueEntry
from models.orgs import Person, Region, Unit
from models.risk import AREAS, HAZARD_LEVELS, REPORT_KINDS, Reporter, RiskReport, RiskReportEvent, TypicalCase
from services.risk import handling
from services.risk import statistics as stats

CASE_STATUSES = {"draft": "草稿", "published": "已发布"}
TEXT_FIELDS = ("title", "summary", "lessons")


def can_read(identity: Identity) -> bool:
    return identity.is_regulator or stats.is_centre(identity)


def is_editor(identity: Identity) -> bool:
    """The province regulator or the centre: they see drafts and publish."""
    return handling.is_province_body(identity)


def _require_reader(identity: Identity) -> None:
    if not can_read(identity):
        raise Forbidden("只有监管部门和省风险监测中心可以查看典型案例。", code="cases_forbidden")


def handled_by(identity: Identity, report: RiskReport) -> bool:
    """Whether the caller's regulator held the report at some step of its path."""
    if not identity.is_regulator or identity.region_code is None:
        return False
    if report.holder_region_code == identity.region_code:
        return True
    return db.session.scalar(select(RiskReportEvent.id).where(
        RiskReportEvent.report_id == report.id,
        RiskReportEvent.holder_region_code == identity.region_code).limit(1)) is not None


def _check_no_identity(report: RiskReport, texts: dict[str, str | None]) -> None:
    """The case's text may not carry the reporter's name, phone or ID number."""
    person = db.session.scalar(select(Person).join(Reporter, Reporter.person_id == Person.id)
                               .where(Reporter.id == report.reporter_id))
    marks = [m for m in (person.name if person and len(person.name or "") >= 2 else None,
                         person.phone if person else None, person.id_number if person else None) if m]
    for field, text in texts.items():
        if text and any(mark in text for mark in marks):
            raise InvalidInput("典型案例中不得出现报送人的姓名、电话或身份证号。", code="case_names_reporter",
                               details={"fields": {field: ["不得出现报送人身份信息。"]}})


def _text(data: dict[str, Any], field: str, required: bool) -> str | None:
    value = (data.get(field) or "").strip()
    if required and not value:
        raise InvalidInput.field(field, "不能为空。")
    return value or None


def create_case(identity: Identity, report_id: int, data: dict[str, Any]) -> TypicalCase:
    """Write a closed report up as a draft case.

    Raises NotFound (report unknown or outside the caller's scope), Forbidden (neither the province,
    the centre nor a regulator that handled it), RuleViolation 409 `report_not_closed`,
    Conflict 409 `case_exists`, InvalidInput 422 `case_names_reporter`.
    """
    _require_reader(identity)
    report = db.session.get(RiskReport, report_id)
    editor = is_editor(identity)
    if report is None or not (editor or region_in_scope(report.region_code, identity)):
        raise NotFound("未找到该风险信息。", code="risk_report_not_found")
    if not editor and not handled_by(identity, report):
        raise Forbidden("只有处置过该风险信息的监管部门、省局或省风险监测中心可以撰写典型案例。",
                        code="case_author_forbidden")
    if report.status != "closed":
        raise RuleViolation("只有已办结的风险信息可以形成典型案例。", code="report_not_closed")
    texts = {"title": _text(data, "title", True), "summary": _text(data, "summary", True),
             "lessons": _text(data, "lessons", False)}
    _check_no_identity(report, texts)
    existing = db.session.scalar(select(TypicalCase.id).where(TypicalCase.report_id == report.id))
    if existing is not None:
        raise Conflict("该风险信息已有典型案例。", code="case_exists", details={"case_id": existing})
    case = TypicalCase(report_id=report.id, status="draft", written_by_person_id=identity.person_id, **texts)
    try:
        with db.session.begin_nested():
            db.session.add(case)
    except IntegrityError:
        raise Conflict("该风险信息已有典型案例。", code="case_exists")
    audit.record(identity.audit_context(), "risk.case_create", "risk_case", case.id, None,
                 {"report_id": report.id, **texts})
    return case


def _require_editable(identity: Identity, case: TypicalCase) -> None:
    if not (is_editor(identity) or case.written_by_person_id == identity.person_id):
        raise Forbidden("只有案例撰写人、省局或省风险监测中心可以修改典型案例。", code="case_edit_forbidden")
    if case.status == "published":
        raise RuleViolation("已发布的典型案例不能修改。", code="case_published")


def update_case(identity: Identity, case: TypicalCase, data: dict[str, Any]) -> TypicalCase:
    """Change a draft's title, summary or lessons (its author, the province or the centre)."""
    _require_editable(identity, case)
    before = {f: getattr(case, f) for f in TEXT_FIELDS}
    texts = {f: _text(data, f, f != "lessons") for f in TEXT_FIELDS if f in data}
    _check_no_identity(db.session.get(RiskReport, case.report_id), texts)
    for field, value in texts.items():
        setattr(case, field, value)
    db.session.flush()
    audit.record(identity.audit_context(), "risk.case_update", "risk_case", case.id, before,
                 {f: getattr(case, f) for f in TEXT_FIELDS})
    return case


def publish_case(identity: Identity, case: TypicalCase) -> TypicalCase:
    """Publish a draft to every regulator (the province or the centre only)."""
    if not is_editor(identity):
        raise Forbidden("只有省局或省风险监测中心可以发布典型案例。", code="case_publish_forbidden")
    if case.status == "published":
        raise RuleViolation("该典型案例已发布。", code="case_published")
    case.status, case.published_at = "published", utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "risk.case_publish", "risk_case", case.id, {"status": "draft"},
                 {"status": "published", "published_at": case.published_at})
    return case


def _visible(identity: Identity):
    if is_editor(identity):
        return true()
    return or_(TypicalCase.status == "published", TypicalCase.written_by_person_id == identity.person_id)


def list_stmt(identity: Identity, status: str | None = None, q: str | None = None) -> Select:
    """Cases the caller may read, newest first."""
    _require_reader(identity)
    stmt = select(TypicalCase).where(_visible(identity))
    if status:
        stmt = stmt.where(TypicalCase.status == status)
    if q:
        text = q.strip()
        stmt = stmt.where(or_(*(column.icontains(text, autoescape=True)
                                for column in (TypicalCase.title, TypicalCase.summary, TypicalCase.lessons))))
    return stmt.order_by(TypicalCase.published_at.desc().nulls_first(), TypicalCase.id.desc())


def get_case(identity: Identity, case_id: int) -> TypicalCase:
    _require_reader(identity)
    case = db.session.scalar(select(TypicalCase).where(TypicalCase.id == case_id, _visible(identity)))
    if case is None:
        raise NotFound("未找到该典型案例。", code="case_not_found")
    return case


def describe(identity: Identity, cases: list[TypicalCase]) -> list[dict[str, Any]]:
    """Cases as the API shows them: the report's facts, never who reported it."""
    if not cases:
        return []
    reports = {r.id: r for r in db.session.scalars(select(RiskReport).where(
        RiskReport.id.in_([c.report_id for c in cases])))}
    regions = dict(db.session.execute(select(Region.code, Region.name).where(
        Region.code.in_({r.region_code for r in reports.values()}))).all())
    codes = {r.catalogue_code for r in reports.values() if r.catalogue_code}
    kinds = dict(db.session.execute(select(CatalogueEntry.code, CatalogueEntry.kind_code)
                                    .where(CatalogueEntry.code.in_(codes))).all()) if codes else {}
    kind_names = dict(db.session.execute(select(CatalogueEntry.code, CatalogueEntry.name)
                                         .where(CatalogueEntry.code.in_(set(kinds.values())))).all()) if kinds else {}
    authors = dict(db.session.execute(select(Person.id, Unit.name).join(Unit, Unit.id == Person.unit_id).where(
        Person.id.in_({c.written_by_person_id for c in cases if c.written_by_person_id}))).all())
    editor = is_editor(identity)
    out = []
    for case in cases:
        r = reports[case.report_id]
        level = r.risk_level or r.suggested_level
        mine = case.written_by_person_id == identity.person_id
        out.append({
            "id": case.id, "title": case.title, "summary": case.summary, "lessons": case.lessons,
            "status": case.status, "status_label": CASE_STATUSES.get(case.status, case.status),
            "published_at": case.published_at, "created_at": case.created_at, "updated_at": case.updated_at,
            "author_unit": authors.get(case.written_by_person_id), "written_by_me": mine,
            "can_edit": case.status == "draft" and (editor or mine), "can_publish": case.status == "draft" and editor,
            "report": {
                "id": r.id, "title": r.title, "area": r.area, "area_label": AREAS.get(r.area, r.area),
                "kind": r.kind, "kind_label": REPORT_KINDS.get(r.kind, r.kind),
                "category_code": kinds.get(r.catalogue_code), "category": kind_names.get(kinds.get(r.catalogue_code)),
                "region_code": r.region_code, "region_name": regions.get(r.region_code),
                "hazard_level": level, "hazard_level_label": HAZARD_LEVELS.get(level, "未定级"),
                "classification": r.classification, "measures": r.measures, "closing_note": r.closing_note,
                "submitted_at": r.submitted_at, "closed_at": r.closed_at,
            },
        })
    return out
