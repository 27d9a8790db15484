"""Checking an import file, pass 2: matching its rows to the platform's records.

The equipment and units the file names are loaded in a few chunked queries, then
each row is matched in Python: by 设备代码, else by 注册代码 (narrowed by the
使用登记证编号 when the row has one). A matched row whose values are all already on
the record is `unchanged`, so importing the same file twice writes nothing; empty
cells never clear what the platform holds.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.extensions import db
from core.timeutil import utcnow
from models.equipment import (APPLICATION_KINDS, APPLICATION_STATUSES, GONE_STATUSES, REGISTRATION_STATUSES,
                              USE_STATUSES, Application, Equipment)
from models.orgs import UNIT_KINDS, Unit
from services.equipment.applications import OPEN_STATUSES
from services.equipment.import_check import Importer, Report, Row
from services.equipment.records import INSPECTION_FIELDS, REGISTERED_FIELDS, USE_UNIT_KINDS

QUERY_CHUNK = 5000
ROW_DETAIL_LIMIT = 1000

# The equipment fields an import writes, compared to decide update or unchanged.
FIELDS = ("catalogue_code", "equipment_code", "legacy_reg_code", "registration_cert_no", "product_name",
          "model_spec", "manufacturer_name", "product_serial_no", "use_unit_id", "legacy_use_unit_name",
          "address", "region_code", "public_place", "use_status", "registration_status", "put_into_use_date",
          "manufacture_date", "last_inspection_date", "last_inspection_conclusion", "next_due_date",
          "next_due_type")
# On equipment registered through the platform these change only through a lifecycle application.
LOCKED_FIELDS = frozenset(REGISTERED_FIELDS + INSPECTION_FIELDS
                          + ("use_status", "registration_status", "registration_cert_no"))
COLUMN_OF = {"use_unit_id": "use_unit_uscc", "legacy_use_unit_name": "use_unit_name"}
# Approved applications after which the registration office, not a spreadsheet, vouches for the record.
PLATFORM_REGISTRATION_KINDS = ("use_registration", "change_registration")
ACTIONS = ("create", "update", "unchanged", "error")


@dataclass
class Plan:
    """What the file would do: rows with their action, and the writes that do it."""

    rows: list[Row]
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    def row_details(self) -> list[dict[str, Any]]:
        return [{"row": r.number, "action": r.action, "equipment_code": r.values.get("equipment_code"),
                 "legacy_reg_code": r.values.get("legacy_reg_code"), "equipment_id": r.equipment_id}
                for r in self.rows[:ROW_DETAIL_LIMIT]]

    def action_ranges(self) -> dict[str, list[list[int]]]:
        """Every row's action, exactly and compactly: runs of consecutive rows as [first, last]."""
        ranges: dict[str, list[list[int]]] = {a: [] for a in ACTIONS}
        previous: Row | None = None
        for row in self.rows:
            runs = ranges[row.action]
            if previous is not None and previous.action == row.action and runs:
                runs[-1][1] = row.number
            else:
                runs.append([row.number, row.number])
            previous = row
        return ranges


def _chunks(items: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _equipment_where(column, keys: Iterable[str]) -> list[Any]:
    found: list[Any] = []
    for chunk in _chunks(sorted(set(keys))):
        found.extend(db.session.execute(select(
            Equipment.id, Equipment.source, *(getattr(Equipment, f) for f in FIELDS)).where(column.in_(chunk))))
    return found


def _units_where(column, keys: Iterable[Any]) -> dict[Any, Any]:
    found: dict[Any, Any] = {}
    for chunk in _chunks(sorted(set(keys))):
        query = select(Unit.id, Unit.uscc, Unit.name, Unit.kind, Unit.status).where(column.in_(chunk))
        for unit in db.session.execute(query):
            found[getattr(unit, column.key)] = unit
    return found


@dataclass(frozen=True)
class Hold:
    """A regulator's decision that a record keeps against an import: why, and which fields."""

    code: str
    message: str
    fields: frozenset[str]


def regulator_hold(record: Any, open_application: tuple[str, str] | None, platform_registered: bool) -> Hold | None:
    """What an import may not change on `record`, because the registration office decided it.

    - cancelled (注销登记) or gone (报废, 拆除, 迁出, ... GONE_STATUSES): nothing; the office closed it;
    - under an open lifecycle application (`open_application` = (kind, status)): nothing until it is decided;
    - registered on the platform (created there, or an approved 使用登记 / 变更登记): the registered
      fields, codes, place, status and inspection data (TSG 08: they change through 变更登记).
    None: an ordinary historical record, which the import updates.
    """
    gone = [REGISTRATION_STATUSES["cancelled"]] if record.registration_status == "cancelled" else []
    if record.use_status in GONE_STATUSES:
        gone.append(USE_STATUSES[record.use_status])
    if gone:
        return Hold("equipment_retired", f"设备已{'、'.join(gone)}，这是登记机关办结的状态，不能通过导入改变；"
                                         "如记录有误，请联系登记机关。", frozenset(FIELDS))
    if open_application is not None:
        kind, status = open_application
        return Hold("equipment_under_application",
                    f"设备有办理中的「{APPLICATION_KINDS.get(kind, kind)}」申请（{APPLICATION_STATUSES.get(status, status)}），"
                    "办结前不能通过导入修改。", frozenset(FIELDS))
    if platform_registered and record.registration_status == "registered":
        return Hold("equipment_field_locked", "设备已在平台办理使用登记，该项的变化须通过变更登记等业务办理。", LOCKED_FIELDS)
    return None


def _applications_of(ids: Iterable[int]) -> tuple[dict[int, tuple[str, str]], set[int]]:
    """For the records `ids`: an open application of each (kind, status), and those whose
    registration the office approved on the platform."""
    open_: dict[int, tuple[str, str]] = {}
    approved: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        for app in db.session.execute(
                select(Application.equipment_id, Application.kind, Application.status)
                .where(Application.equipment_id.in_(chunk))
                .where(Application.status.in_(OPEN_STATUSES)
                       | ((Application.status == "approved") & Application.kind.in_(PLATFORM_REGISTRATION_KINDS)))
                .order_by(Application.id)):
            if app.status in OPEN_STATUSES:
                open_.setdefault(app.equipment_id, (app.kind, app.status))
            else:
                approved.add(app.equipment_id)
    return open_, approved


def _key(row: Row) -> tuple | None:
    code, reg = row.values.get("equipment_code"), row.values.get("legacy_reg_code")
    if code:
        return ("code", code)
    return ("reg", reg, row.values.get("registration_cert_no") or "") if reg else None


class Planner:
    """Pass 2 over the rows of pass 1; records the problems it finds in `report`."""

    def __init__(self, rows: list[Row], importer: Importer, report: Report) -> None:
        self.rows = rows
        self.importer = importer
        self.report = report
        codes_ = [r.values["equipment_code"] for r in rows if r.values.get("equipment_code")]
        self.by_code = {e.equipment_code: e for e in _equipment_where(Equipment.equipment_code, codes_)}
        regs = [r.values["legacy_reg_code"] for r in rows
                if r.values.get("legacy_reg_code") and r.values.get("equipment_code") not in self.by_code]
        self.by_reg: dict[str, list[Any]] = {}
        for record in _equipment_where(Equipment.legacy_reg_code, regs):
            self.by_reg.setdefault(record.legacy_reg_code, []).append(record)
        self.units = _units_where(Unit.uscc, [r.uscc for r in rows if r.uscc]) if importer.is_regulator else {}
        owners = {e.use_unit_id for e in self.by_code.values() if e.use_unit_id}
        owners |= {e.use_unit_id for found in self.by_reg.values() for e in found if e.use_unit_id}
        self.owners = _units_where(Unit.id, owners)
        ids = [e.id for e in self.by_code.values()] + [e.id for found in self.by_reg.values() for e in found]
        self.open_applications, self.approved_registrations = _applications_of(ids)

    def _error(self, row: Row, key: str, code: str, message: str) -> None:
        row.ok = False
        self.report.error(row.number, key, code, message)

    def plan(self) -> Plan:
        """Each row's action (create / update / unchanged / error) and the writes for them."""
        plan = Plan(self.rows)
        seen_keys: dict[tuple, int] = {}
        seen_records: dict[int, int] = {}
        now = utcnow()
        for row in self.rows:
            key = _key(row)
            if key is not None and key in seen_keys:
                column = "equipment_code" if key[0] == "code" else "legacy_reg_code"
                what = "设备代码" if key[0] == "code" else "注册代码（及使用登记证编号）"
                self._error(row, column, "duplicate_in_file", f"与第 {seen_keys[key]} 行的{what}重复。")
            elif key is not None:
                seen_keys[key] = row.number
            record = self._match(row)
            if record is not None:
                first = seen_records.setdefault(record.id, row.number)
                if first != row.number:
                    self._error(row, "equipment_code", "same_record_in_file",
                                f"与第 {first} 行对应平台上的同一台设备。")
            target = self._target(row, record)
            if not row.ok:
                continue
            if record is None:
                row.action = "create"
                plan.creates.append(self._new(target, now))
                continue
            row.equipment_id = record.id
            changes = {k: v for k, v in target.items() if v is not None and getattr(record, k) != v}
            hold = regulator_hold(record, self.open_applications.get(record.id),
                                  record.source == "new" or record.id in self.approved_registrations)
            if hold is not None:
                for name in sorted(hold.fields.intersection(changes)):
                    self._error(row, COLUMN_OF.get(name, name), hold.code, hold.message)
                if not row.ok:
                    continue
            row.action = "update" if changes else "unchanged"
            if changes:
                plan.updates.append({"id": record.id, **{f: getattr(record, f) for f in FIELDS}, **changes,
                                     "updated_at": now})
        for row in self.rows:
            if not row.ok:
                row.action = "error"
        return plan

    def _match(self, row: Row) -> Any | None:
        """The platform record the row describes, or None for a new one (errors recorded)."""
        code, reg = row.values.get("equipment_code"), row.values.get("legacy_reg_code")
        record = self.by_code.get(code) if code else None
        if record is None and reg:
            cert = row.values.get("registration_cert_no")
            found = [e for e in self.by_reg.get(reg, ()) if not cert or e.registration_cert_no == cert]
            if len(found) > 1:
                self._error(row, "legacy_reg_code", "legacy_reg_code_ambiguous",
                            "平台上有多台设备使用该注册代码，请填写设备代码或使用登记证编号加以区分。")
                return None
            record = found[0] if found else None
            if record is not None and code and record.equipment_code and record.equipment_code != code:
                self._error(row, "equipment_code", "equipment_code_mismatch",
                            f"该注册代码在平台上对应的设备代码为 {record.equipment_code}，与本行不一致。")
                return None
        if record is None:
            return None
        if self.importer.is_regulator:
            scope = self.importer.region_codes
            if scope is not None and record.region_code not in scope:
                self._error(row, "equipment_code" if code else "legacy_reg_code", "equipment_out_of_scope",
                            "该设备已在平台登记，所在地区不在本部门的监管范围内。")
        elif record.use_unit_id is None:
            self._error(row, "equipment_code" if code else "legacy_reg_code", "equipment_unclaimed",
                        "该设备是平台上待认领的历史设备，请通过「设备认领」办理。")
        elif record.use_unit_id != self.importer.unit_id:
            self._error(row, "equipment_code" if code else "legacy_reg_code", "equipment_owned_by_other_unit",
                        "该设备已由其他使用单位在平台登记。")
        return record

    def _target(self, row: Row, record: Any | None) -> dict[str, Any]:
        """The row's values as equipment fields, with the use unit resolved."""
        target = dict(row.values)
        if row.unit_name and not self._names_own_unit(row, record):
            target["legacy_use_unit_name"] = row.unit_name
        if not self.importer.is_regulator:
            target["use_unit_id"] = self.importer.unit_id
            return target
        unit_id = None
        if row.uscc:
            unit = self.units.get(row.uscc)
            if unit is not None and unit.kind not in USE_UNIT_KINDS:
                self._error(row, "use_unit_uscc", "use_unit_wrong_kind",
                            f"该统一社会信用代码在平台上登记的是{UNIT_KINDS.get(unit.kind, unit.kind)}，不是使用单位。")
            elif unit is not None and unit.status == "approved":
                unit_id = unit.id
            elif not row.unit_name:
                self._error(row, "use_unit_name", "use_unit_name_required",
                            "平台上尚无该使用单位，请同时填写使用单位名称，设备可由其日后认领。")
        if record is not None and record.use_unit_id is not None:
            owner = self.owners.get(record.use_unit_id)
            if row.uscc and (owner is None or owner.uscc != row.uscc):
                self._error(row, "use_unit_uscc", "equipment_owned_by_other_unit",
                            "该设备已登记在其他使用单位名下；使用单位变化须办理变更登记。")
            return target  # the record keeps its use unit
        target["use_unit_id"] = unit_id
        return target

    def _names_own_unit(self, row: Row, record: Any | None) -> bool:
        """The row's 使用单位名称 is only the platform name of the unit the record belongs to (as an
        export writes it): nothing to keep as an imported name."""
        if record is None or record.use_unit_id is None or record.legacy_use_unit_name is not None:
            return False
        owner = self.owners.get(record.use_unit_id)
        return owner is not None and owner.name == row.unit_name

    def _new(self, target: dict[str, Any], now: datetime) -> dict[str, Any]:
        values = {f: target.get(f) for f in FIELDS}
        values["public_place"] = bool(values["public_place"])
        values.update(source="import", created_by_unit_id=self.importer.unit_id, jurisdiction="market",
                      created_at=now, updated_at=now)
        return values
