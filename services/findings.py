"""Safety findings: one record for every problem found, traced to its source and its fix.

Hazard escalation (Order 74, the use-unit chapters, e.g. art. 70 for elevators):
- 一般事故隐患 (`general`): the 安全员 fixes it at once or notifies the maintenance unit
  (`immediate_action`), and the rectification has a deadline; the unit's 安全员 or 安全总监
  closes it with a note.
- 严重事故隐患 (`serious`): the equipment is stopped at once (`Equipment.hazard_stopped`, the
  public card turns red) and the 安全总监 is told; only the 安全总监 closes it, with evidence,
  which restores the device once no other open serious finding remains on it.
`major` (重大, GB 45067-2024) is handled as `serious`.

An inspection agency's report lists its problems in bulk (`open_many`, source `inspection`): each
has a deadline, none an immediate action, and none stops the device (the report's conclusion
decides whether it may be used). The unit closes them with `close_finding` under the same rules; a
passing re-inspection closes those still open (`close_many`). The bulk functions return the audit
changes for the caller to append with the rest of its request (`core.audit.record_many`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, select

from core import audit, bulk
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.scoping import scoped
from core.storage import IMAGE_TYPES, StoredFile, check_image, read_bytes
from core.timeutil import business_today, utcnow
from models.equipment import Equipment
from models.findings import SEVERITIES, Finding
from services import notify
from services.orgs import people

STOPPING_SEVERITIES = frozenset({"serious", "major"})
IMMEDIATE_ACTIONS = {"fixed": "已当场处理", "maintenance_notified": "已通知维保单位", "stopped": "已停止使用"}
# Order 73: in a production unit the 质量安全员 / 质量安全总监 close what their daily check found.
CLOSE_ROLES = {"general": ("safety_officer", "safety_director", "quality_safety_officer", "quality_safety_director")}
DIRECTOR_ROLES = ("safety_director", "quality_safety_director")
# The explicit state machine: (status, action) -> new status.
TRANSITIONS = {("open", "close"): "closed"}
MAX_FILES = 9


def snapshot(finding: Finding) -> dict[str, Any]:
    return {"source_type": finding.source_type, "source_id": finding.source_id,
            "equipment_id": finding.equipment_id, "unit_id": finding.unit_id, "severity": finding.severity,
            "item_key": finding.item_key, "status": finding.status, "deadline": finding.deadline,
            "immediate_action": finding.immediate_action, "closed_by_person_id": finding.closed_by_person_id,
            "closing_note": finding.closing_note, "closing_evidence_ids": finding.closing_evidence_ids}


def _apply(finding: Finding, action: str) -> None:
    target = TRANSITIONS.get((finding.status, action))
    if target is None:
        raise RuleViolation("该隐患已整改完毕，不能重复操作。", code="finding_closed")
    finding.status = target


def default_deadline(today: date) -> date:
    """Today plus FINDING_GENERAL_DEADLINE_DAYS (default 7): the rectification deadline of a 一般 finding."""
    return today + timedelta(days=current_app.config["FINDING_GENERAL_DEADLINE_DAYS"])


def require_unit_files(unit_id: int, file_ids: list[str], field: str, *, photos: bool = False) -> list[str]:
    """Uploaded files (photos, evidence) must be the unit's own uploads; at most MAX_FILES.

    Photos must be JPEG or PNG (`photos=True`); every image, photo or evidence, must decode whole
    within IMAGE_MAX_PIXELS (`core.storage.check_image`, as a risk report's photos), so a file
    stored before uploads were decoded cannot stand as a photo or as evidence.
    Raises InvalidInput (422) on `field`: `too_many_files`, `file_invalid`, `photo_type_not_allowed`,
    `image_invalid`, `image_too_large`.
    """
    ids = list(dict.fromkeys(file_ids or []))
    if len(ids) > MAX_FILES:
        raise InvalidInput.field(field, f"最多上传 {MAX_FILES} 个文件。", code="too_many_files")
    if not ids:
        return ids
    rows = list(db.session.scalars(select(StoredFile).where(StoredFile.id.in_(ids),
                                                            StoredFile.owner_unit_id == unit_id)))
    if len(rows) != len(ids):
        raise InvalidInput.field(field, "文件不存在或不属于本单位，请重新上传。", code="file_invalid")
    for row in rows:
        if photos and row.content_type not in IMAGE_TYPES:
            raise InvalidInput.field(field, f"「{row.filename}」不是照片，照片只接受 JPG、PNG。",
                                     code="photo_type_not_allowed")
        if row.content_type in IMAGE_TYPES:
            check_image(read_bytes(row), field=field, name=f"图片「{row.filename}」")
    return ids


def unit_directors(unit_id: int) -> list[int]:
    """Every active 安全总监 of the unit: who is told of a serious finding when the source domain
    names no one appointed for the device."""
    return people.ids_with_roles(unit_id, "safety_director")


def open_finding(identity: Identity, equipment: Equipment, *, source_type: str, source_id: int, severity: str,
                 description: str, item_key: str | None = None, photo_ids: list[str] | None = None,
                 immediate_action: str | None = None, deadline: date | None = None,
                 today: date | None = None, directors: Sequence[int] = ()) -> Finding:
    """Open a finding on a device; a serious one stops it at once and tells the 安全总监 (Order 74).

    A general finding needs `immediate_action` (fixed / maintenance_notified); its deadline
    defaults to FINDING_GENERAL_DEADLINE_DAYS. Raises InvalidInput. Queues
    `serious_finding_opened` (outbox) for a serious one to `directors`: the 安全总监(s) the source
    domain knows are responsible for the device (the daily check: those appointed for its kind);
    when it names none, to every 安全总监 of the unit. The source passes them in because
    findings sits below the domains that find problems and cannot ask them.
    """
    if severity not in SEVERITIES:
        raise InvalidInput.field("severity", "隐患等级应为一般或严重。", code="severity_invalid")
    today = today or business_today()
    if severity in STOPPING_SEVERITIES:
        immediate_action = "stopped"
    elif immediate_action not in ("fixed", "maintenance_notified"):
        raise InvalidInput.field("immediate_action", "一般隐患须当场处理或通知维保单位，请选择处理方式。",
                                 code="immediate_action_required")
    else:
        deadline = deadline or default_deadline(today)
    if deadline is not None and deadline < today:
        raise InvalidInput.field("deadline", "整改期限不能早于今天。", code="deadline_invalid")
    finding = Finding(source_type=source_type, source_id=source_id, equipment_id=equipment.id,
                      unit_id=equipment.use_unit_id, region_code=equipment.region_code, severity=severity,
                      item_key=item_key, description=description, photo_ids=photo_ids or [], status="open",
                      deadline=deadline, immediate_action=immediate_action,
                      reported_by_person_id=identity.person_id, closing_evidence_ids=[])
    db.session.add(finding)
    db.session.flush()
    audit.record(identity.audit_context(), "finding.open", "finding", finding.id, None, snapshot(finding))
    if severity in STOPPING_SEVERITIES:
        _stop(identity, equipment, finding, directors)
    return finding


def open_production_finding(identity: Identity, unit: Any, *, source_id: int, severity: str, description: str,
                            item_key: str | None = None, photo_ids: list[str] | None = None,
                            immediate_action: str | None = None, deadline: date | None = None,
                            today: date | None = None, directors: Sequence[int] = ()) -> Finding:
    """Open a finding of a production unit's daily check (Order 73): no device to stop.

    A general finding is fixed at once or given a deadline (default FINDING_GENERAL_DEADLINE_DAYS);
    a serious one stops the production activity concerned (`immediate_action` = stopped) and is
    told to `directors` (the unit's 质量安全总监). Raises InvalidInput.
    """
    if severity not in SEVERITIES:
        raise InvalidInput.field("severity", "隐患等级应为一般或严重。", code="severity_invalid")
    today = today or business_today()
    if severity in STOPPING_SEVERITIES:
        immediate_action = "stopped"
    elif immediate_action not in (None, "fixed"):
        raise InvalidInput.field("immediate_action", "生产质量问题的处理方式应为当场处理。", code="immediate_action_invalid")
    else:
        deadline = deadline or default_deadline(today)
    if deadline is not None and deadline < today:
        raise InvalidInput.field("deadline", "整改期限不能早于今天。", code="deadline_invalid")
    finding = Finding(source_type="daily_check", source_id=source_id, equipment_id=None, unit_id=unit.id,
                      region_code=unit.region_code, severity=severity, item_key=item_key, description=description,
                      photo_ids=photo_ids or [], status="open", deadline=deadline,
                      immediate_action=immediate_action, reported_by_person_id=identity.person_id,
                      closing_evidence_ids=[])
    db.session.add(finding)
    db.session.flush()
    audit.record(identity.audit_context(), "finding.open", "finding", finding.id, None, snapshot(finding))
    if severity in STOPPING_SEVERITIES:
        for person_id in directors:
            notify.queue_message(
                person_id, "serious_finding_opened", "发现严重生产质量隐患",
                f"{finding.description}。相关生产活动已停止，请质量安全总监组织分析处置。",
                {"finding_id": finding.id}, dedupe_key=f"serious-finding:{finding.id}:{person_id}")
    return finding


def _lock(equipment_id: int) -> Equipment:
    """The device, reloaded under a row lock: stopping and restoring it are serialised."""
    return db.session.scalars(select(Equipment).where(Equipment.id == equipment_id)
                              .with_for_update(of=Equipment).execution_options(populate_existing=True)).one()


def _stop(identity: Identity, equipment: Equipment, finding: Finding, directors: Sequence[int]) -> None:
    """Stop the device for the hazard and tell `directors` (else its unit's 安全总监s)."""
    equipment = _lock(equipment.id)
    if not equipment.hazard_stopped:
        equipment.hazard_stopped = True
        db.session.flush()
        audit.record(identity.audit_context(), "equipment.hazard_stop", "equipment", equipment.id,
                     {"hazard_stopped": False}, {"hazard_stopped": True, "finding_id": finding.id})
    place = equipment.address or equipment.equipment_code or f"设备 {equipment.id}"
    for person_id in directors or unit_directors(equipment.use_unit_id):
        notify.queue_message(
            person_id, "serious_finding_opened", "发现严重事故隐患，设备已停用",
            f"{place}：{finding.description}。设备已立即停止使用，请安全总监分析处置并在消除隐患后恢复。",
            {"finding_id": finding.id, "equipment_id": equipment.id},
            dedupe_key=f"serious-finding:{finding.id}:{person_id}")


def require_closer(identity: Identity, finding: Finding) -> None:
    """General: the unit's 安全员 or 安全总监; serious: only the 安全总监 (Order 74)."""
    roles = CLOSE_ROLES.get(finding.severity, DIRECTOR_ROLES)
    if identity.unit_id != finding.unit_id or identity.unit_status != "approved" or not identity.has_role(*roles):
        if finding.severity in STOPPING_SEVERITIES:
            raise Forbidden("严重事故隐患只能由本单位安全总监确认消除。", code="director_required")
        raise Forbidden("只有本单位的安全员或安全总监可以确认整改。", code="not_finding_closer")


def close_finding(identity: Identity, finding: Finding, note: str, evidence_ids: list[str] | None) -> Finding:
    """Close a rectified finding; closing the last open serious one on a device restores it.

    Raises Forbidden, InvalidInput (`closing_note_required`, `evidence_required`, `file_invalid`)
    and RuleViolation `finding_closed`.
    """
    require_closer(identity, finding)
    db.session.refresh(finding, with_for_update=True)  # a re-inspection closing it at once is serialised
    if finding.status != "open":
        raise RuleViolation("该隐患已整改完毕，不能重复操作。", code="finding_closed")
    note = (note or "").strip()
    if not note:
        raise InvalidInput.field("note", "请填写整改情况。", code="closing_note_required")
    evidence = require_unit_files(finding.unit_id, evidence_ids or [], "evidence_ids")
    if finding.severity in STOPPING_SEVERITIES and not evidence:
        raise InvalidInput.field("evidence_ids", "严重事故隐患须上传整改证明材料。", code="evidence_required")
    before = snapshot(finding)
    _apply(finding, "close")
    finding.closed_by_person_id = identity.person_id
    finding.closed_at = utcnow()
    finding.closing_note = note
    finding.closing_evidence_ids = evidence
    db.session.flush()
    audit.record(identity.audit_context(), "finding.close", "finding", finding.id, before, snapshot(finding))
    if finding.severity in STOPPING_SEVERITIES and finding.equipment_id is not None:
        _restore_if_clear(identity, finding)
    return finding


def _restore_if_clear(identity: Identity, finding: Finding) -> None:
    """Restore the device once no finding that stopped it stays open. An inspection report's
    serious problems never stopped it (its conclusion decides its use), so they do not hold it."""
    equipment = _lock(finding.equipment_id)
    still_open = db.session.scalar(select(Finding.id).where(
        Finding.equipment_id == equipment.id, Finding.status == "open",
        Finding.severity.in_(STOPPING_SEVERITIES), Finding.immediate_action == "stopped").limit(1))
    if equipment.hazard_stopped and still_open is None:
        equipment.hazard_stopped = False
        db.session.flush()
        audit.record(identity.audit_context(), "equipment.hazard_restore", "equipment", equipment.id,
                     {"hazard_stopped": True}, {"hazard_stopped": False, "finding_id": finding.id})


@dataclass(frozen=True)
class NewFinding:
    """One problem found on a device by a source that reports many at once (an inspection report)."""

    source_id: int
    equipment_id: int
    unit_id: int
    region_code: str
    severity: str
    description: str
    deadline: date | None
    item_key: str | None = None


def open_many(source_type: str, items: Sequence[NewFinding], reported_by_person_id: int | None) -> list[audit.Change]:
    """Open many findings in one statement (no immediate action, nothing stopped: the source's own
    verdict decides the device's use). Returns the `finding.open` audit changes, in order.
    The caller validated severities and deadlines."""
    if not items:
        return []
    now = utcnow()
    rows = [{"source_type": source_type, "source_id": item.source_id, "equipment_id": item.equipment_id,
             "unit_id": item.unit_id, "region_code": item.region_code, "severity": item.severity,
             "item_key": item.item_key, "description": item.description, "photo_ids": [], "status": "open",
             "deadline": item.deadline, "immediate_action": None, "reported_by_person_id": reported_by_person_id,
             "closing_evidence_ids": [], "created_at": now, "updated_at": now} for item in items]
    ids = bulk.insert_with_ids(Finding, rows)
    return [audit.Change("finding.open", "finding", finding_id, None, _row_snapshot(row))
            for finding_id, row in zip(ids, rows)]


def _row_snapshot(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("source_type", "source_id", "equipment_id", "unit_id", "severity", "item_key", "status", "deadline",
            "immediate_action", "closed_by_person_id", "closing_note", "closing_evidence_ids")
    return {key: row.get(key) for key in keys}


def open_for_sources(source_type: str, source_ids: Sequence[int]) -> list[Finding]:
    """The still-open findings of these sources, by id, locked (one query): a unit closing one of
    them at the same moment waits, then finds it closed."""
    if not source_ids:
        return []
    return list(db.session.scalars(select(Finding).where(
        Finding.source_type == source_type, bulk.among(Finding.source_id, sorted(set(source_ids))),
        Finding.status == "open").order_by(Finding.id).with_for_update()
        .execution_options(populate_existing=True)))


def close_many(closing: Sequence[tuple[Finding, str]], closed_by_person_id: int | None) -> list[audit.Change]:
    """Close open findings each with its own note (a passing re-inspection, a corrected report),
    in one statement; returns the `finding.close` audit changes. No evidence is asked: the closing
    comes from the source's own later verdict, not from the unit."""
    closing = [(finding, note) for finding, note in closing if finding.status == "open"]
    if not closing:
        return []
    now = utcnow()
    befores = [snapshot(finding) for finding, _ in closing]
    bulk.update_rows(Finding, [{"id": finding.id, "status": "closed", "closed_at": now, "closing_note": note,
                                "closed_by_person_id": closed_by_person_id, "updated_at": now}
                               for finding, note in closing])
    changes = []
    for (finding, note), before in zip(closing, befores):
        after = {**before, "status": "closed", "closing_note": note, "closed_by_person_id": closed_by_person_id}
        changes.append(audit.Change("finding.close", "finding", finding.id, before, after))
    for finding, _ in closing:
        db.session.expire(finding)  # read again if used: the bulk statement bypassed it
    return changes


def is_overdue(finding: Finding, today: date | None = None) -> bool:
    return finding.status == "open" and finding.deadline is not None and finding.deadline < (today or business_today())


def for_source(source_type: str, source_id: int) -> list[Finding]:
    return list(db.session.scalars(select(Finding).where(Finding.source_type == source_type,
                                                         Finding.source_id == source_id).order_by(Finding.id)))


def list_findings_stmt(identity: Identity, *, status: str | None = None, severity: str | None = None,
                       equipment_id: int | None = None, unit_id: int | None = None, overdue: bool | None = None,
                       source_type: str | None = None) -> Select:
    """Findings the identity may see (its unit's, or a regulator's region), newest first."""
    stmt = scoped(select(Finding), Finding, identity)
    for column, value in ((Finding.status, status), (Finding.severity, severity),
                          (Finding.equipment_id, equipment_id), (Finding.unit_id, unit_id),
                          (Finding.source_type, source_type)):
        if value is not None:
            stmt = stmt.where(column == value)
    if overdue is not None:
        late = (Finding.status == "open") & Finding.deadline.is_not(None) & (Finding.deadline < business_today())
        stmt = stmt.where(late if overdue else ~late)
    return stmt.order_by(Finding.id.desc())
