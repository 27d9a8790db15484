"""Inspection results (检验结果): an agency records what it found, in batches (its machine, up to
INSPECTION_RESULTS_BATCH_MAX records) or one by hand (a batch of one), and the device follows.

Who: the agency's staff (管理员, 检验人员, 检测人员 — an inspector's or tester's certificate in
date) or its machine client holding `inspection:write`. Each record is read and checked on its
own (`results_input`, then here against the batch's rows loaded at once: the device by 设备代码,
the §3.3 vocabulary of its category and type (`conclusions`), the agency's approved scope
(业务开通: category, type and region covered, the approval in force on the inspection date), the
application it answers, the result it re-inspects). A refused record is answered alone with its
code and Chinese message; the others are applied.

Upsert by (agency, report number): the same content again is `unchanged` and writes nothing; new
content updates the result and recomputes its effects; a new number inserts. Effects
(`results_effects`), all in the request's transaction, with no query per record: the device's
latest inspection, due dates (`due_dates.due_after` / `store`), 法 §40 red code for a result that
forbids use (cleared by a passing 复检 or a later passing result of the same type, which also
closes the failed result's open findings), problems as findings, the answered application
completed, the unit and regulators told, every result audited with the caller (one chain append).

Concurrent batches are serialised on the report numbers they touch (advisory locks over hashed
keys, taken in one statement in key order) and on the devices (row locks in id order), never on
the whole agency.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select, text

from core import bulk
from core.auth import Identity
from core.errors import AppError, Forbidden, InvalidInput, RuleViolation
from core.extensions import db
from core.timeutil import business_today
from models.equipment import Equipment
from models.inspection import (INSPECTION_TYPES, PENDING_STATUSES, AgencyApproval, InspectionApplication,
                               InspectionResult)
from models.orgs import Region
from services.equipment import scope
from services.inspection import approvals, conclusions, results_effects, results_input
from services.inspection.results_input import ResultInput
from services.orgs import certificates

RECORDER_ROLES = ("unit_admin", "inspector", "tester")
CERTIFIED_ROLES = ("inspector", "tester")
WRITE_SCOPE = "inspection:write"
_REPORT_LOCK_NAMESPACE = 73_413  # pg_advisory_xact_lock(namespace, hashed agency + report number)


@dataclass
class RowOutcome:
    """What became of one record: `applied`, `unchanged` or `error` (with the AppError)."""

    status: str
    report_no: str | None = None
    id: int | None = None
    error: AppError | None = None

    def error_dict(self) -> dict[str, Any] | None:
        if self.error is None:
            return None
        return {"code": self.error.code, "message": self.error.message, "details": self.error.details}


# -- who may record -----------------------------------------------------------------------------

def require_recorder(identity: Identity) -> None:
    """An approved inspection agency's staff (admin, inspector, tester with a certificate in date)
    or its machine client with `inspection:write`. Raises Forbidden (403 `not_inspection_agency`,
    `scope_missing`) or InvalidInput (422 `certificate_expired`)."""
    if identity.unit_kind != "inspection" or identity.unit_status != "approved":
        raise Forbidden("只有检验检测机构可以录入检验结果。", code="not_inspection_agency")
    if identity.is_machine:
        if not identity.has_scope(WRITE_SCOPE):
            raise Forbidden(f"该接入客户端没有「{WRITE_SCOPE}」权限。", code="scope_missing",
                            details={"scope": WRITE_SCOPE})
        return
    if not identity.has_role(*RECORDER_ROLES):
        raise Forbidden("只有检验检测机构的管理员、检验人员或检测人员可以录入检验结果。", code="not_inspection_agency")
    certificates.require_certificate_in_date(identity.person_id, CERTIFIED_ROLES, "录入检验结果")


# -- the batch -------------------------------------------------------------------------------------

def record_results(identity: Identity, records: Sequence[Any]) -> list[RowOutcome]:
    """Record a batch of results (one by hand is a batch of one); one outcome per record, in order.

    Raises (the whole batch): Forbidden as `require_recorder`, InvalidInput `batch_too_large`.
    Flushes; the caller commits.
    """
    require_recorder(identity)
    cfg = current_app.config
    limit = cfg["INSPECTION_RESULTS_BATCH_MAX"]
    if len(records) > limit:
        raise InvalidInput.field("records", f"每次最多提交 {limit} 条记录。", code="batch_too_large")
    agency_id, today = identity.unit_id, business_today()
    outcomes: list[RowOutcome | None] = [None] * len(records)
    readable: list[tuple[int, ResultInput]] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(records):
        try:
            record = results_input.read(raw, today, cfg["INSPECTION_RESULT_MAX_PROBLEMS"])
        except AppError as error:
            outcomes[index] = RowOutcome("error", _report_no(raw), error=error)
            continue
        if record.report_no in first_index:
            outcomes[index] = RowOutcome("error", record.report_no, error=InvalidInput.field(
                "report_no", f"报告编号与本批第 {first_index[record.report_no] + 1} 条重复。",
                code="report_no_repeated"))
            continue
        first_index[record.report_no] = index
        readable.append((index, record))
    if readable:
        _lock_report_numbers(agency_id, [record.report_no for _, record in readable])
        existing = _existing(agency_id, [record.report_no for _, record in readable])
        pending: list[tuple[int, ResultInput, Any]] = []
        for index, record in readable:
            old = existing.get(record.report_no)
            if old is not None and old.content_hash == record.content_hash:
                outcomes[index] = RowOutcome("unchanged", record.report_no, old.id)
            else:
                pending.append((index, record, old))
        if pending:
            _apply(identity, agency_id, today, pending, outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _report_no(raw: Any) -> str | None:
    """The report number of an unreadable record, for its answer (None when it cannot be shown)."""
    value = raw.get("report_no") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) and results_input.storable_text(value) else None


def _lock_report_numbers(agency_id: int, report_nos: Sequence[str]) -> None:
    """Serialise batches touching the same report numbers of one agency (PostgreSQL; SQLite writes
    one at a time): transaction locks on hashed keys, in key order, in one statement."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({zlib.crc32(f"{agency_id}:{no}".encode()) - 2**31 for no in report_nos})
    db.session.execute(text("SELECT count(pg_advisory_xact_lock(:ns, k)) FROM unnest(CAST(:keys AS integer[])) AS k"),
                       {"ns": _REPORT_LOCK_NAMESPACE, "keys": keys})


def _existing(agency_id: int, report_nos: Sequence[str]) -> dict[str, Any]:
    rows = db.session.execute(select(
        InspectionResult.id, InspectionResult.report_no, InspectionResult.content_hash, InspectionResult.equipment_id,
        InspectionResult.application_id).where(InspectionResult.agency_unit_id == agency_id,
                                               bulk.among(InspectionResult.report_no, sorted(set(report_nos)))))
    return {row.report_no: row for row in rows}


# -- loading the batch's rows --------------------------------------------------------------------

def _devices(records: Sequence[ResultInput]) -> tuple[dict[str, Any], dict[int, Any]]:
    """The batch's devices by code and by id, locked in id order (FOR NO KEY UPDATE): two batches on
    one device are serialised, findings may still reference it meanwhile."""
    codes = sorted({r.equipment_code for r in records if r.equipment_code})
    ids = sorted({r.equipment_id for r in records if r.equipment_id and not r.equipment_code})
    if not codes and not ids:
        return {}, {}
    stmt = (select(Equipment.id, Equipment.equipment_code, Equipment.catalogue_code, Equipment.use_unit_id,
                   Equipment.region_code, Equipment.address, Equipment.supervision_passed_on,
                   Equipment.supervision_report_no, Equipment.put_into_use_date,
                   Equipment.failed_inspection_result_id, Equipment.last_inspection_date,
                   Equipment.last_inspection_conclusion, Equipment.last_inspection_grade, Equipment.next_due_date,
                   Equipment.next_due_type, Region.path)
            .join(Region, Region.code == Equipment.region_code)
            .where(or_(bulk.among(Equipment.equipment_code, codes), bulk.among(Equipment.id, ids)))
            .order_by(Equipment.id).with_for_update(of=Equipment, key_share=True))
    rows = db.session.execute(stmt).all()
    return {row.equipment_code: row for row in rows if row.equipment_code}, {row.id: row for row in rows}


def _applications(agency_id: int, given: Sequence[int], device_ids: Sequence[int]) -> list[Any]:
    """The agency's applications named by the batch, and its pending ones for the batch's devices."""
    stmt = select(InspectionApplication.id, InspectionApplication.equipment_id, InspectionApplication.inspection_type,
                  InspectionApplication.status, InspectionApplication.applicant_unit_id,
                  InspectionApplication.result_id, InspectionApplication.reinspection_of_result_id).where(
        InspectionApplication.agency_unit_id == agency_id,
        or_(bulk.among(InspectionApplication.id, sorted(set(given))),
            and_(bulk.among(InspectionApplication.equipment_id, sorted(set(device_ids))),
                 InspectionApplication.status.in_(PENDING_STATUSES))))
    return list(db.session.execute(stmt.order_by(InspectionApplication.id).with_for_update(
        of=InspectionApplication, key_share=True)))


def _history(device_ids: Sequence[int]) -> list[Any]:
    """Every recorded result of the batch's devices (what their state is computed from)."""
    if not device_ids:
        return []
    return list(db.session.execute(select(*results_effects.HISTORY_COLUMNS).where(
        bulk.among(InspectionResult.equipment_id, sorted(set(device_ids))))))


# -- checking one record against the rows ------------------------------------------------------

def _device_of(record: ResultInput, by_code: dict[str, Any], by_id: dict[int, Any]) -> Any:
    device = by_code.get(record.equipment_code) if record.equipment_code else by_id.get(record.equipment_id)
    if device is None:
        field = "equipment_code" if record.equipment_code else "equipment_id"
        raise InvalidInput.field(field, "未找到该设备代码对应的设备。", code="equipment_unknown")
    return device


def check_vocabulary(record: ResultInput, catalogue_code: str) -> None:
    """The §3.3 vocabulary of the device's category and the inspection type; the grade where one is due."""
    words = conclusions.allowed(catalogue_code, record.inspection_type)
    family = conclusions.family(catalogue_code)
    name = conclusions.FAMILY_NAMES.get(family or "", "该类设备")
    label = INSPECTION_TYPES[record.inspection_type]
    if not words:
        types = "、".join(INSPECTION_TYPES[t] for t in conclusions.types_for(catalogue_code)) or "无"
        raise InvalidInput.field("inspection_type", f"{name}没有「{label}」的检验结果（可回传：{types}）。",
                                 code="inspection_type_not_for_category")
    if record.conclusion not in words:
        raise InvalidInput.field("conclusion", f"{name}{label}的检验结论应为：{'、'.join(words)}。",
                                 code="conclusion_not_allowed")
    grades = conclusions.grade_range(catalogue_code, record.inspection_type)
    if grades is None and record.safety_grade is not None:
        raise InvalidInput.field("safety_grade", f"{name}{label}不评定安全状况等级。", code="safety_grade_not_allowed")
    if grades is not None:
        if record.safety_grade is None:
            raise InvalidInput.field("safety_grade", f"{name}{label}须评定安全状况等级（{grades[0]}–{grades[1]} 级）。",
                                     code="safety_grade_required")
        if not grades[0] <= record.safety_grade <= grades[1]:
            raise InvalidInput.field("safety_grade", f"{name}的安全状况等级应为 {grades[0]}–{grades[1]} 级。",
                                     code="safety_grade_out_of_range")
        if record.safety_grade == grades[1] and record.conclusion != "不符合要求":
            raise InvalidInput.field("conclusion", f"安全状况等级为 {grades[1]} 级时，检验结论应为不符合要求。",
                                     code="safety_grade_conflicts_conclusion")


def check_approval(approval: AgencyApproval | None, device: Any, record: ResultInput) -> None:
    """业务开通: the agency's approval in force on the inspection date covers the device's category,
    the inspection type and the device's region (422 `agency_not_approved_for`, `agency_approval_lapsed`)."""
    label = INSPECTION_TYPES[record.inspection_type]
    if approval is None:
        raise InvalidInput.field("agency_unit_id", "本机构尚未开通检验业务（核准范围未经审核通过），不能回传检验结果。",
                                 code="agency_not_approved_for")
    day = record.inspection_date
    if not approvals.in_date(approval, day):
        raise InvalidInput.field("inspection_date", f"检验日期 {day.isoformat()} 不在本机构核准证（{approval.licence_no}）"
                                 f"有效期内（至 {approval.valid_until.isoformat()}）。", code="agency_approval_lapsed")
    missing = approvals.uncovered(approval, device.catalogue_code, record.inspection_type, device.region_code)
    if "catalogue_code" in missing:
        raise InvalidInput.field("equipment_code", f"本机构核准范围不含该设备类别（{device.catalogue_code}）。",
                                 code="agency_not_approved_for")
    if "inspection_type" in missing:
        raise InvalidInput.field("inspection_type", f"本机构核准范围不含「{label}」。", code="agency_not_approved_for")
    if "region_code" in missing:
        raise InvalidInput.field("equipment_code", "该设备所在地区不在本机构核准的服务区域内。",
                                 code="agency_not_approved_for")


def _check(record: ResultInput, device: Any, old: Any, approval: AgencyApproval | None) -> None:
    if old is not None and old.equipment_id != device.id:
        raise RuleViolation("该报告编号已用于另一台设备，同一报告编号不能改指其他设备。", code="report_no_taken",
                            details={"fields": {"report_no": ["报告编号已被使用。"]}})
    if scope.inspection_excluded(device.catalogue_code):
        raise InvalidInput.field("equipment_code", "公用管道、长输管道的检验不在本平台办理。", code="inspection_out_of_scope")
    check_vocabulary(record, device.catalogue_code)
    check_approval(approval, device, record)
    if record.problems and device.use_unit_id is None:
        raise RuleViolation("该设备没有使用单位，发现的问题无法交由使用单位整改。", code="equipment_without_use_unit",
                            details={"fields": {"problems": ["设备没有使用单位。"]}})


def _apply(identity: Identity, agency_id: int, today: date, pending: list[tuple[int, ResultInput, Any]],
           outcomes: list[RowOutcome | None]) -> None:
    """Check the readable, new or changed records against the batch's rows; apply the valid ones."""
    by_code, by_id = _devices([record for _, record, _ in pending])
    approval = approvals.current_approval(agency_id)
    matched: list[results_effects.Item] = []
    for index, record, old in pending:
        try:
            device = _device_of(record, by_code, by_id)
            _check(record, device, old, approval)
        except AppError as error:
            outcomes[index] = RowOutcome("error", record.report_no, error=error)
            continue
        matched.append(results_effects.Item(index, record, device, old))
    if not matched:
        return
    device_ids = sorted({item.device.id for item in matched})
    history = _history(device_ids)
    applications = _applications(agency_id, [i.record.application_id for i in matched if i.record.application_id],
                                 device_ids)
    batch = results_effects.Batch(identity, agency_id, today, matched, history, applications)
    for item in batch.link():
        outcomes[item.index] = RowOutcome("error", item.record.report_no, error=item.error)
    for item in batch.write():
        outcomes[item.index] = RowOutcome("applied", item.record.report_no, item.result_id)
