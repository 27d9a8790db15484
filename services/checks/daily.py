"""The daily check (日管控, Order 74): the 安全员 patrols each device in use against the
安全风险管控清单 every day and records it (《每日XX安全检查记录》), a day with nothing wrong
included (零风险). What is abnormal opens a finding (`services.findings`).

- Proof of presence: scanning the device's code returns a signed scan token carrying the
  server's scan time; a submission carrying a valid token of the same day stores that time
  as `scanned_at`. A submission without one is accepted with `scanned_at` empty.
- The day is the Asia/Shanghai day of submission; one record per device per day.
- The officer's list of the day: the devices they are the responsible 安全员 of
  (`Equipment.safety_officer_person_id`, 逐台明确负责的安全员), each done or missing.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from core import audit
from core.auth import Identity
from core.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from core.extensions import db
from core.idempotency import MAX_KEY_LENGTH, IdempotencyRecord, find_record
from core.scoping import scoped
from core.timeutil import business_today, utcnow
from models.checks import Checklist, DailyCheck
from models.equipment import CatalogueEntry, Equipment
from models.onecode import Code
from services import findings
from services.checks import appointments, checklists
from services.equipment import onecode as equipment_onecode
from services.checks.scope import covered_clause, is_covered

CHECKER_ROLES = ("safety_officer", "safety_director")
UNIT_VIEW_ROLES = ("safety_director", "unit_admin", "principal")
SCAN_SALT = "daily-check-scan"


def snapshot(check: DailyCheck) -> dict[str, Any]:
    return {"equipment_id": check.equipment_id, "check_date": check.check_date, "scanned_at": check.scanned_at,
            "officer_person_id": check.officer_person_id, "checklist_id": check.checklist_id,
            "abnormal_count": check.abnormal_count, "zero_risk": check.zero_risk, "results": check.results}


def is_checker(identity: Identity, equipment: Equipment) -> bool:
    """Whether the caller is the device's own (approved) unit's 安全员 or 安全总监 (Order 74)."""
    return (identity.unit_id is not None and identity.unit_id == equipment.use_unit_id
            and identity.unit_status == "approved" and identity.has_role(*CHECKER_ROLES))


def require_checker(identity: Identity, equipment: Equipment) -> None:
    """Only the device's own unit's 安全员 or 安全总监 checks it (Order 74)."""
    if not is_checker(identity, equipment):
        raise Forbidden("只有设备使用单位的安全员或安全总监可以进行日管控检查。", code="not_check_officer")


def _equipment(identity: Identity, equipment_id: int) -> Equipment:
    """The caller's own unit's device (another unit's is not found)."""
    equipment = db.session.get(Equipment, equipment_id)
    if equipment is None or identity.unit_id is None or equipment.use_unit_id != identity.unit_id:
        raise NotFound("未找到该设备。")
    return equipment


def _require_in_use(equipment: Equipment) -> None:
    if not is_covered(equipment):
        raise RuleViolation("该设备不在日管控范围内（未在用，或不属市场监管部门监管），无需检查。", code="equipment_not_in_use")


# -- scanning -------------------------------------------------------------------------

@dataclass(frozen=True)
class ScanResult:
    equipment: Equipment
    checklist: Checklist | None
    scanned_at: datetime
    scan_token: str
    expires_in: int
    today_check: DailyCheck | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SCAN_SALT)


def scan_ttl() -> int:
    """Seconds a scan token stays valid (DAILY_CHECK_SCAN_TTL_SECONDS)."""
    return current_app.config["DAILY_CHECK_SCAN_TTL_SECONDS"]


def issue_token(identity: Identity, equipment: Equipment, now: datetime) -> str:
    """The signed scan token proving this caller scanned this device at `now` (the caller must
    already be known as its checker)."""
    return _serializer().dumps({"p": identity.person_id, "e": equipment.id, "t": now.isoformat()})


def scan(identity: Identity, raw_code: str, now: datetime | None = None) -> ScanResult:
    """The officer scans a device's code on site: the server's time is the proof of presence.

    Raises what `services.equipment.onecode.scanned_equipment` raises for malformed, unknown,
    voided and non-device codes, and
    Forbidden when the caller is not the device's unit's 安全员 or 安全总监.
    """
    equipment = equipment_onecode.scanned_equipment(raw_code)
    require_checker(identity, equipment)
    now = now or utcnow()
    return ScanResult(equipment, checklists.for_equipment(equipment), now, issue_token(identity, equipment, now),
                      scan_ttl(), check_on(equipment.id, business_today(now)))


def scan_time(identity: Identity, equipment_id: int, token: str | None, day: date) -> datetime | None:
    """The scan time a token proves, if it was this officer's scan of this device on `day`.

    A forged token, or one for another person or device, is refused (`scan_token_invalid`);
    an expired one or one of another day is simply not counted.
    """
    if not token:
        return None
    try:
        data = _serializer().loads(token, max_age=scan_ttl())
    except SignatureExpired:
        return None
    except BadSignature:
        raise InvalidInput.field("scan_token", "扫码凭证无效，请重新扫码。", code="scan_token_invalid")
    if not isinstance(data, dict) or data.get("p") != identity.person_id or data.get("e") != equipment_id:
        raise InvalidInput.field("scan_token", "扫码凭证与当前人员或设备不符，请重新扫码。",
                                 code="scan_token_invalid")
    scanned_at = datetime.fromisoformat(data["t"])
    return scanned_at if business_today(scanned_at) == day else None


# -- submitting -----------------------------------------------------------------------

def check_on(equipment_id: int, day: date) -> DailyCheck | None:
    return db.session.scalar(select(DailyCheck).where(DailyCheck.equipment_id == equipment_id,
                                                      DailyCheck.check_date == day))


def check_results(checklist: Checklist, answers: list[dict], unit_id: int) -> list[dict]:
    """Every item of the list answered exactly once; photos are the unit's uploads."""
    items = {i["key"]: i["text"] for i in checklist.items}
    given = [a["item_key"] for a in answers]
    unknown = sorted(set(given) - set(items))
    if unknown:
        raise InvalidInput("有检查项不在本设备的安全风险管控清单中。", code="answer_item_unknown",
                           details={"fields": {"answers": ["检查项不在清单中。"]}, "item_keys": unknown})
    if len(given) != len(set(given)):
        raise InvalidInput.field("answers", "同一检查项只能回答一次。", code="answer_duplicate")
    missing = [k for k in items if k not in set(given)]
    if missing:
        raise InvalidInput("请逐项检查，清单中还有未回答的项目。", code="answers_incomplete",
                           details={"fields": {"answers": ["有未回答的检查项。"]}, "item_keys": missing})
    by_key = {a["item_key"]: a for a in answers}
    results = []
    for key, text in items.items():
        answer = by_key[key]
        photos = findings.require_unit_files(unit_id, answer.get("photo_ids") or [], "answers", photos=True)
        results.append({"key": key, "text": text, "result": answer["result"], "note": answer.get("note"),
                        "photo_ids": photos})
    return results


def submit(identity: Identity, data: dict, now: datetime | None = None) -> DailyCheck:
    """Record one device's daily check for today (Asia/Shanghai) and open a finding per abnormal item.

    Raises NotFound (not the caller's unit's device), Forbidden (not its 安全员 / 安全总监),
    RuleViolation (not in use; no list), InvalidInput (answers, photos, scan token, severity) and
    Conflict `daily_check_exists` (already checked today).
    """
    equipment = _equipment(identity, data["equipment_id"])
    require_checker(identity, equipment)
    _require_in_use(equipment)
    now = now or utcnow()
    day = business_today(now)
    existing = check_on(equipment.id, day)
    if existing is not None:
        raise _exists(existing)
    checklist = checklists.for_equipment(equipment)
    if checklist is None:
        raise RuleViolation("该设备种类暂无安全风险管控清单。", code="checklist_missing")
    results = check_results(checklist, data["answers"], equipment.use_unit_id)
    abnormal = [r for r in results if r["result"] == "abnormal"]
    check = DailyCheck(equipment_id=equipment.id, unit_id=equipment.use_unit_id, region_code=equipment.region_code,
                       officer_person_id=identity.person_id, check_date=day, submitted_at=now,
                       scanned_at=scan_time(identity, equipment.id, data.get("scan_token"), day),
                       checklist_id=checklist.id, results=results, abnormal_count=len(abnormal),
                       zero_risk=not abnormal, note=data.get("note"))
    try:
        with db.session.begin_nested():
            db.session.add(check)
    except IntegrityError:  # another submission for the device won the race
        raise _exists(check_on(equipment.id, day))
    audit.record(identity.audit_context(), "daily_check.create", "daily_check", check.id, None, snapshot(check))
    answers = {a["item_key"]: a for a in data["answers"]}
    # Who hears of a serious finding: the 安全总监(s) appointed for the device's kind.
    serious = any(answers[r["key"]].get("severity") in findings.STOPPING_SEVERITIES for r in abnormal)
    directors = appointments.appointed_person_ids(equipment.use_unit_id, "safety_director",
                                                  equipment.catalogue.kind_code, day) if serious else []
    for result in abnormal:
        answer = answers[result["key"]]
        description = f"{result['text']}：{result['note']}" if result.get("note") else result["text"]
        finding = findings.open_finding(
            identity, equipment, source_type="daily_check", source_id=check.id, severity=answer.get("severity"),
            description=description, item_key=result["key"], photo_ids=result["photo_ids"],
            immediate_action=answer.get("immediate_action"), deadline=answer.get("deadline"), today=day,
            directors=directors)
        result["severity"], result["finding_id"] = finding.severity, finding.id
    if abnormal:
        flag_modified(check, "results")  # the item dicts changed in place
        db.session.flush()
    return check


def _exists(check: DailyCheck | None) -> Conflict:
    return Conflict("该设备今天已完成日管控检查。", code="daily_check_exists",
                    details={"daily_check_id": check.id if check else None})


# -- the officer's day ----------------------------------------------------------------

@dataclass
class DeviceOfDay:
    equipment: Equipment
    code: str | None
    check: DailyCheck | None
    checklist_id: int | None

    @property
    def state(self) -> str:
        return "done" if self.check is not None else "missing"


@dataclass
class Day:
    date: date
    total: int
    done: int
    items: list[DeviceOfDay]
    checklists: list[Checklist] = field(default_factory=list)
    page: int = 1
    page_size: int = 20

    @property
    def missing(self) -> int:
        return self.total - self.done


def _devices_stmt(identity: Identity, scope: str) -> Select:
    stmt = (select(Equipment).join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
            .where(Equipment.use_unit_id == identity.unit_id, covered_clause()))
    if scope == "mine":
        stmt = stmt.where(Equipment.safety_officer_person_id == identity.person_id)
    return stmt


def day_list(identity: Identity, *, day: date | None = None, scope: str = "mine", state: str | None = None,
             page: int = 1, page_size: int | None = None) -> Day:
    """The devices to check on `day` (default today) and whether each is done or missing.

    `mine`: the devices the caller is the responsible 安全员 of; `unit`: every device in use of
    the unit (安全总监, admin, principal). Raises Forbidden and InvalidInput (a future day).
    """
    roles = CHECKER_ROLES if scope == "mine" else UNIT_VIEW_ROLES
    if identity.unit_id is None or identity.unit_status != "approved" or not identity.has_role(*roles):
        raise Forbidden("只有使用单位的安全员、安全总监可以查看日管控清单。", code="not_check_officer")
    today = business_today()
    day = day or today
    if day > today:
        raise InvalidInput.field("date", "不能查看未来日期的检查情况。", code="date_in_future")
    devices = _devices_stmt(identity, scope).subquery()
    done_q = select(DailyCheck.equipment_id).where(DailyCheck.check_date == day).subquery()
    total = db.session.scalar(select(func.count()).select_from(devices)) or 0
    done = db.session.scalar(select(func.count()).select_from(devices).join(
        done_q, done_q.c.equipment_id == devices.c.id)) or 0
    stmt = (select(Equipment, DailyCheck, Code.code)
            .outerjoin(DailyCheck, and_(DailyCheck.equipment_id == Equipment.id, DailyCheck.check_date == day))
            .outerjoin(Code, and_(Code.target_type == equipment_onecode.TARGET, Code.target_id == Equipment.id,
                                  Code.status == "active"))
            .where(Equipment.id.in_(select(devices.c.id))))
    if state == "done":
        stmt = stmt.where(DailyCheck.id.is_not(None))
    elif state == "missing":
        stmt = stmt.where(DailyCheck.id.is_(None))
    size = min(page_size or current_app.config["PAGE_SIZE_DEFAULT"], current_app.config["PAGE_SIZE_MAX"])
    rows = db.session.execute(stmt.order_by(DailyCheck.id.is_not(None), Equipment.address, Equipment.id)
                              .limit(size).offset((page - 1) * size)).all()
    lists = checklists.for_many(identity.unit_id, {r[0].catalogue_code for r in rows})
    items = [DeviceOfDay(e, code, check, lists[e.catalogue_code].id if lists[e.catalogue_code] else None)
             for e, check, code in rows]
    used = {c.id: c for c in lists.values() if c is not None}
    return Day(day, total, done, items, [used[k] for k in sorted(used)], page, size)


# -- records --------------------------------------------------------------------------

def list_checks_stmt(identity: Identity, *, equipment_id: int | None = None, unit_id: int | None = None,
                     officer_person_id: int | None = None, date_from: date | None = None,
                     date_to: date | None = None, zero_risk: bool | None = None) -> Select:
    """Daily-check records the identity may see (its unit's, or a regulator's region), newest first."""
    stmt = scoped(select(DailyCheck), DailyCheck, identity)
    for column, value in ((DailyCheck.equipment_id, equipment_id), (DailyCheck.unit_id, unit_id),
                          (DailyCheck.officer_person_id, officer_person_id), (DailyCheck.zero_risk, zero_risk)):
        if value is not None:
            stmt = stmt.where(column == value)
    if date_from:
        stmt = stmt.where(DailyCheck.check_date >= date_from)
    if date_to:
        stmt = stmt.where(DailyCheck.check_date <= date_to)
    return stmt.order_by(DailyCheck.check_date.desc(), DailyCheck.id.desc())


# -- a day's checks from a weak network -----------------------------------------------

BATCH_ITEM_PATH = "/api/v1/checks/daily/batch#item"
SINGLE_PATH = "/api/v1/checks/daily"


@dataclass(frozen=True)
class BatchEntry:
    """One item of a batch: its own idempotency key, its data once validated, or its validation errors."""

    key: str | None
    raw: dict
    data: dict | None = None
    errors: dict | None = None


def _item_hash(raw: dict) -> str:
    body = {k: v for k, v in raw.items() if k != "idempotency_key"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _error(entry: BatchEntry, index: int, err: AppError) -> dict:
    return {"index": index, "idempotency_key": entry.key, "status": "error",
            "error": {"code": err.code, "message": err.message, "details": err.details}}


def _replay(record: IdempotencyRecord, entry: BatchEntry, index: int, dump: Callable[[DailyCheck], dict]) -> dict:
    """The item's first result: the check it created, as it stands now."""
    first = json.loads(record.body)
    same = (record.request_hash == _item_hash(entry.raw) if record.path == BATCH_ITEM_PATH
            else record.path == SINGLE_PATH and entry.data is not None
            and first.get("equipment_id") == entry.data["equipment_id"])
    check = db.session.get(DailyCheck, first.get("id")) if same else None
    if check is None:
        return _error(entry, index, InvalidInput("同一个幂等键已用于另一次不同的提交。", code="idempotency_key_reused"))
    return {"index": index, "idempotency_key": entry.key, "status": "replayed", "daily_check": dump(check)}


def submit_batch(identity: Identity, entries: list[BatchEntry], dump: Callable[[DailyCheck], dict],
                 now: datetime | None = None) -> list[dict]:
    """A whole day's checks of one officer, each item on its own (Order 74 日管控, weak networks).

    Each item runs in a savepoint: one that fails is reported with its error code and changes
    nothing; one that succeeds is kept and its result stored under its idempotency key, so a
    resent batch replays it instead of recording it twice. Returns one result per item:
    `created`, `replayed` or `error`.
    """
    subject = f"person:{identity.person_id}"
    now = now or utcnow()
    results = []
    for index, entry in enumerate(entries):
        if not entry.key or len(entry.key) > MAX_KEY_LENGTH:
            results.append(_error(entry, index, InvalidInput.field(
                "idempotency_key", f"每项须带 1 到 {MAX_KEY_LENGTH} 个字符的幂等键。", code="idempotency_key_invalid")))
            continue
        record = find_record(subject, entry.key)
        if record is not None:
            results.append(_replay(record, entry, index, dump))
            continue
        if entry.errors is not None:
            results.append(_error(entry, index, InvalidInput("提交的数据有误，请检查标出的字段。",
                                                             details={"fields": entry.errors})))
            continue
        try:
            with db.session.begin_nested():
                check = submit(identity, entry.data, now)
                body = dump(check)
                db.session.add(IdempotencyRecord(
                    subject=subject, key=entry.key, method="POST", path=BATCH_ITEM_PATH,
                    request_hash=_item_hash(entry.raw), status_code=201, content_type="application/json",
                    body=json.dumps(body, ensure_ascii=False, default=str)))
                db.session.flush()
        except AppError as err:
            results.append(_error(entry, index, err))
            continue
        except IntegrityError:  # the same item, resent while the first was being written
            record = find_record(subject, entry.key)
            results.append(_replay(record, entry, index, dump) if record else _error(
                entry, index, Conflict("该项正在提交，请稍后重试。", code="conflict")))
            continue
        results.append({"index": index, "idempotency_key": entry.key, "status": "created", "daily_check": body})
    return results
