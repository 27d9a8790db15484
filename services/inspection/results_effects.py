"""What a batch of valid inspection results does, set-based (no query per record).

`Batch.link` ties each record to what it answers (the result it re-inspects, the application it
completes) and refuses the records that cannot be tied. `Batch.write` then, in the request's
transaction:

1. inserts the new results and updates the changed ones (one multi-row insert, one executemany);
2. recomputes each touched device from all its results (`results_state`), so only the device's
   latest result drives its state (a corrected or late-arriving older result does not overwrite a
   newer one): last inspection, red code (法 §40), 监督检验合格日期, next due date;
3. due dates per series (`due_dates.due_after` per result, `due_dates.store` once for the batch;
   store keeps the latest inspection date per series);
4. problems become findings (source `inspection`); a correction opens the problems it adds and
   closes the open ones it no longer lists; a cleared failure's open findings are closed, the
   note naming the report that cleared it;
5. the applications answered are completed (TRANSITIONS of `applications`, event rows, the
   agency's change feed stamped), and the parties told (`results_notices`);
6. the devices' cached public cards dropped after commit, and everything audited in one append.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from core import audit, bulk
from core.audit import Change
from core.auth import Identity
from core.errors import AppError, InvalidInput, RuleViolation
from core.extensions import db
from core.timeutil import utcnow
from models.findings import Finding
from models.inspection import (INSPECTION_APPLICATION_STATUSES, INSPECTION_TYPES, PENDING_STATUSES,
                               InspectionApplication, InspectionApplicationEvent, InspectionResult)
from services import findings
from services.equipment import onecode as equipment_onecode
from services.inspection import applications, conclusions, due_dates, feed, results_notices, results_state
from services.inspection.results_input import ResultInput
from services.inspection.results_state import View

SOURCE = "inspection"
HISTORY_COLUMNS = (InspectionResult.id, InspectionResult.equipment_id, InspectionResult.agency_unit_id,
                   InspectionResult.report_no, InspectionResult.inspection_type, InspectionResult.work_type,
                   InspectionResult.conclusion, InspectionResult.safety_grade, InspectionResult.forbids_use,
                   InspectionResult.inspection_date, InspectionResult.reinspection_of_id)
SNAPSHOT_FIELDS = ("report_no", "equipment_id", "application_id", "inspection_type", "work_type", "conclusion",
                   "safety_grade", "forbids_use", "inspection_date", "report_date", "reinspection_of_id", "next_due",
                   "problem_count", "inspector_names", "content_hash")


@dataclass(eq=False)
class Item:
    """One valid record on its way in: its device row, the existing result (a change) or None."""

    index: int
    record: ResultInput
    device: Any
    old: Any
    error: AppError | None = None
    forbids: bool = False
    reinspection_of_id: int | None = None
    reinspects: Item | None = None  # a result of the same batch it re-inspects
    application: Any = None  # the pending application row it completes
    application_id: int | None = None
    result_id: int | None = None
    next_due: dict[str, date | None] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)


def snapshot(row: dict[str, Any]) -> dict[str, Any]:
    """What the audit keeps of a result."""
    return {name: row.get(name) for name in SNAPSHOT_FIELDS}


class Batch:
    def __init__(self, identity: Identity, agency_id: int, today: date, items: list[Item], history: list[Any],
                 application_rows: list[Any]) -> None:
        self.identity, self.agency_id, self.today, self.items = identity, agency_id, today, items
        self.history: dict[int, list[Any]] = defaultdict(list)
        for row in history:
            self.history[row.equipment_id].append(row)
        self.applications = {row.id: row for row in application_rows}
        self.pending = {(row.equipment_id, row.inspection_type): row for row in application_rows
                        if row.status in PENDING_STATUSES}
        self.claimed: set[int] = set()
        self.changes: list[Change] = []
        self.completed: list[Item] = []

    # -- linking -----------------------------------------------------------------------------------

    def link(self) -> list[Item]:
        """Tie records to the result they re-inspect and the application they answer; returns the
        records refused (their `error` set), keeps the others."""
        good, bad, by_report = [], [], {}
        for item in self.items:
            try:
                self._link_reinspection(item, by_report)
                self._link_application(item)
            except AppError as error:
                item.error = error
                bad.append(item)
                continue
            good.append(item)
            by_report[item.record.report_no] = item
        self.items = good
        return bad

    def _link_reinspection(self, item: Item, by_report: dict[str, Item]) -> None:
        record, device = item.record, item.device
        if record.reinspection_of:
            earlier = by_report.get(record.reinspection_of)
            if earlier is not None and earlier.device.id == device.id:
                item.reinspects = earlier
                return
            rows = [row for row in self.history[device.id] if row.report_no == record.reinspection_of]
            if not rows:
                raise InvalidInput.field("reinspection_of", f"未找到该设备报告编号为「{record.reinspection_of}」的检验结果。",
                                         code="reinspection_of_unknown")
            row = next((row for row in rows if row.agency_unit_id == self.agency_id), rows[0])
            if row.inspection_date > record.inspection_date:
                raise InvalidInput.field("reinspection_of", "复检日期不能早于被复检的检验日期。",
                                         code="reinspection_before_original")
            item.reinspection_of_id = row.id
        elif conclusions.is_reinspection_word(record.conclusion) and device.failed_inspection_result_id:
            failed = next((row for row in self.history[device.id] if row.id == device.failed_inspection_result_id), None)
            if (failed is not None and failed.inspection_type == record.inspection_type
                    and failed.inspection_date <= record.inspection_date):
                item.reinspection_of_id = failed.id

    def _link_application(self, item: Item) -> None:
        record, old = item.record, item.old
        if record.application_id is None:
            if old is not None and old.application_id:
                item.application_id = old.application_id
                return
            found = self.pending.get((item.device.id, record.inspection_type))
            if found is not None and found.id not in self.claimed:
                self._claim(item, found)
            return
        found = self.applications.get(record.application_id)
        if found is None or found.equipment_id != item.device.id:
            raise InvalidInput.field("application_id", "未找到本机构收到的该设备的这份检验申请。", code="application_unknown")
        if found.inspection_type != record.inspection_type:
            raise InvalidInput.field("application_id", f"该申请是{INSPECTION_TYPES[found.inspection_type]}申请，与检验类型不符。",
                                     code="application_type_mismatch")
        if old is not None and found.result_id == old.id:
            item.application_id = found.id
            return
        if found.status not in PENDING_STATUSES or found.id in self.claimed:
            status = "本批已有结果" if found.id in self.claimed else INSPECTION_APPLICATION_STATUSES[found.status]
            raise RuleViolation(f"该检验申请当前为「{status}」，不能再登记检验结果。", code="application_not_pending",
                                details={"fields": {"application_id": ["申请已办结。"]}})
        self._claim(item, found)

    def _claim(self, item: Item, application: Any) -> None:
        self.claimed.add(application.id)
        item.application, item.application_id = application, application.id
        # A 复检 application names the result it re-inspects: the answer re-inspects it too.
        target = application.reinspection_of_result_id
        if (target and item.reinspection_of_id is None and item.reinspects is None
                and any(row.id == target for row in self.history[item.device.id])):
            item.reinspection_of_id = target

    # -- writing -----------------------------------------------------------------------------------

    def write(self) -> list[Item]:
        """Apply every linked record with all its effects (flushes); returns them with their ids."""
        if not self.items:
            return []
        self._rule_effects()
        self._write_results()
        entries = [due_dates.DueEntry(item.device.id, series, due, item.record.inspection_date, item.record.conclusion,
                                      item.result_id) for item in self.items for series, due in item.next_due.items()]
        state = results_state.recompute(self.items, self.history, results_state.next_due_after(
            entries, {item.device.id for item in self.items}))
        self.changes += state.changes
        due_dates.store(entries, refresh_devices=False)  # recompute has set the devices' next due date
        self._findings()
        self._close_cleared(state.cleared)
        self._complete_applications()
        results_notices.tell(self.items, state.failed, state.restored, self.completed)
        equipment_onecode.cards_changed(item.device.id for item in self.items)
        audit.record_many(self.identity.audit_context(), self.changes, at_commit=True)  # the chain's lock: at commit
        return self.items

    def _by_device(self) -> dict[int, list[Item]]:
        grouped: dict[int, list[Item]] = defaultdict(list)
        for item in sorted(self.items, key=lambda i: (i.record.inspection_date, i.index)):
            grouped[item.device.id].append(item)
        return grouped

    def _rule_effects(self) -> None:
        """Forbids use (§3.3) and next due dates (§3.2), device by device in inspection order: a
        supervision passed earlier in the batch starts the year list of what follows it."""
        config = current_app.config
        for items in self._by_device().values():
            device = items[0].device
            supervision_on = device.supervision_passed_on
            for item in items:
                record = item.record
                item.forbids = conclusions.forbids_use(device.catalogue_code, record.inspection_type,
                                                       record.conclusion, record.safety_grade)
                facts = due_dates.ResultFacts(record.inspection_type, record.work_type, record.conclusion,
                                              record.safety_grade, record.inspection_date, not item.forbids)
                item.next_due = due_dates.due_after(due_dates.DeviceFacts(
                    device.catalogue_code, supervision_on, device.put_into_use_date), facts, config)
                supervision_on = due_dates.new_supervision_date(facts) or supervision_on

    def _write_results(self) -> None:
        now, identity = utcnow(), self.identity
        for item in self.items:
            record, device = item.record, item.device
            item.row = {
                "agency_unit_id": self.agency_id, "report_no": record.report_no, "application_id": item.application_id,
                "equipment_id": device.id, "use_unit_id": device.use_unit_id, "region_code": device.region_code,
                "inspection_type": record.inspection_type, "work_type": record.work_type,
                "conclusion": record.conclusion, "safety_grade": record.safety_grade, "forbids_use": item.forbids,
                "inspection_date": record.inspection_date, "report_date": record.report_date,
                "reinspection_of_id": item.reinspection_of_id,
                "next_due": {k: v.isoformat() if v else None for k, v in item.next_due.items()},
                "inspector_names": list(record.inspector_names), "problem_count": len(record.problems),
                "note": record.note, "content_hash": record.content_hash,
                "recorded_by_person_id": identity.person_id, "recorded_by_client_id": identity.client_id,
                "updated_at": now}
        new = [item for item in self.items if item.old is None]
        changed = [item for item in self.items if item.old is not None]
        if new:
            ids = bulk.insert_with_ids(InspectionResult, [{**item.row, "created_at": now} for item in new])
            for item, result_id in zip(new, ids):
                item.result_id = item.row["id"] = result_id
        before = {}
        if changed:
            for item in changed:
                item.result_id = item.row["id"] = item.old.id
            before = {row.id: snapshot(row._asdict()) for row in db.session.execute(
                select(InspectionResult.id, *(getattr(InspectionResult, name) for name in SNAPSHOT_FIELDS))
                .where(bulk.among(InspectionResult.id, [item.result_id for item in changed])))}
            bulk.update_rows(InspectionResult, [item.row for item in changed])
        later = [item for item in self.items if item.reinspects is not None]
        for item in later:
            item.reinspection_of_id = item.row["reinspection_of_id"] = item.reinspects.result_id
        if later:
            bulk.update_rows(InspectionResult, [{"id": item.result_id, "reinspection_of_id": item.reinspection_of_id}
                                                for item in later])
        for item in self.items:
            action = "inspection_result.update" if item.old is not None else "inspection_result.record"
            self.changes.append(Change(action, "inspection_result", item.result_id, before.get(item.result_id),
                                       snapshot(item.row)))

    def _findings(self) -> None:
        """Problems become findings: all of a new result's; a changed result's new ones, and its open
        ones no longer listed closed."""
        days = current_app.config["INSPECTION_FINDING_DEADLINE_DAYS"]
        to_open: list[findings.NewFinding] = []
        changed = {item.result_id: item for item in self.items if item.old is not None}
        existing: dict[int, list[Finding]] = defaultdict(list)
        if changed:
            for finding in db.session.scalars(select(Finding).where(
                    Finding.source_type == SOURCE, bulk.among(Finding.source_id, sorted(changed)))
                    .order_by(Finding.id).with_for_update().execution_options(populate_existing=True)):
                existing[finding.source_id].append(finding)
        closing = []
        for item in self.items:
            device, record = item.device, item.record
            have = {(f.description, f.severity, f.item_key): f for f in existing.get(item.result_id, [])}
            wanted = {(p.description, p.severity, p.item_key): p for p in record.problems}
            for key, problem in wanted.items():
                if key not in have:
                    to_open.append(findings.NewFinding(item.result_id, device.id, device.use_unit_id, device.region_code,
                                                       problem.severity, problem.description,
                                                       record.finding_deadline(problem, days), problem.item_key))
            closing += [(finding, f"检验报告（编号 {record.report_no}）更正后不再列出该问题。")
                        for key, finding in have.items() if key not in wanted]
        self.changes += findings.open_many(SOURCE, to_open, self.identity.person_id)
        self.changes += findings.close_many(closing, self.identity.person_id)

    def _close_cleared(self, cleared: list[tuple[View, View]]) -> None:
        """A failure cleared (or a result re-inspected) by a passing result: its open findings close."""
        by_source: dict[int, View] = {}
        for failed, clearing in cleared:
            by_source[failed.id] = clearing
        for item in self.items:
            if item.reinspection_of_id and not item.forbids:
                by_source.setdefault(item.reinspection_of_id, results_state.item_view(item))
        if not by_source:
            return
        open_ones = findings.open_for_sources(SOURCE, sorted(by_source))
        note = "{}（报告编号 {}），问题已整改，自动关闭。"
        self.changes += findings.close_many(
            [(finding, note.format("复检合格" if by_source[finding.source_id].reinspection_of_id == finding.source_id
                                   else "后续检验合格", by_source[finding.source_id].report_no))
             for finding in open_ones], self.identity.person_id)

    def _complete_applications(self) -> None:
        """The answered applications move to completed (TRANSITIONS), with an event and the feed stamp."""
        done = [item for item in self.items if item.application is not None]
        self.completed = done
        if not done:
            return
        now = utcnow()
        updates, events = [], []
        for item in done:
            application = item.application
            status = applications.TRANSITIONS[(application.status, "complete")]
            updates.append({"id": application.id, "status": status, "result_id": item.result_id, "updated_at": now})
            note = f"检验报告 {item.record.report_no}：{item.record.conclusion}"
            events.append({"application_id": application.id, "action": "complete", "from_status": application.status,
                           "to_status": status, "actor_person_id": self.identity.person_id, "note": note,
                           "created_at": now})
            self.changes.append(Change("inspection_application.complete", "inspection_application", application.id,
                                       {"status": application.status, "result_id": application.result_id},
                                       {"status": status, "result_id": item.result_id}))
        bulk.update_rows(InspectionApplication, updates)
        bulk.insert_rows(InspectionApplicationEvent, events)
        results_state.expire(InspectionApplication, {row["id"] for row in updates})
        feed.stamp_ids(self.agency_id, [row["id"] for row in updates])


