"""A device's state recomputed from all its inspection results (only its latest result drives it),
for the devices a batch touches: one read of their due series, one executemany of the changed rows.

- last inspection date / conclusion / grade: the latest result by inspection date (a device with
  no result before the batch keeps a later date recorded by an import);
- red code (法 §40): the latest result forbidding use that no later passing result of the same
  type, and no passing re-inspection of it, has cleared (`Equipment.failed_inspection_result_id`);
- 监督检验合格日期 and report number: the latest passing installation / alteration supervision;
- next due date and type: what `due_dates.store` will leave (computed here, so the device row is
  written once; the store then finds it right).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from core import bulk
from core.audit import Change
from core.extensions import db
from core.timeutil import utcnow
from models.equipment import Equipment
from models.inspection import DUE_SERIES, EquipmentDueDate
from services.inspection import due_dates

STARTS_YEAR_LIST = ("installation", "alteration")


@dataclass(frozen=True)
class View:
    """A result as the device's state sees it (a stored one, or one of this batch)."""

    id: int
    inspection_type: str
    work_type: str | None
    conclusion: str
    safety_grade: int | None
    forbids_use: bool
    inspection_date: date
    reinspection_of_id: int | None
    report_no: str

    @property
    def key(self) -> tuple[date, int]:
        return (self.inspection_date, self.id)


def view_of(row: Any) -> View:
    """A stored result (a row of `results_effects.HISTORY_COLUMNS`)."""
    return View(row.id, row.inspection_type, row.work_type, row.conclusion, row.safety_grade, row.forbids_use,
                row.inspection_date, row.reinspection_of_id, row.report_no)


def item_view(item: Any) -> View:
    """A result of this batch (a `results_effects.Item` with its id)."""
    record = item.record
    return View(item.result_id, record.inspection_type, record.work_type, record.conclusion, record.safety_grade,
                item.forbids, record.inspection_date, item.reinspection_of_id, record.report_no)


@dataclass
class DeviceState:
    """What the recomputation found: devices turned red or restored, failures cleared, audit changes."""

    failed: list[tuple[Any, View]] = field(default_factory=list)
    restored: list[tuple[Any, View | None]] = field(default_factory=list)
    cleared: list[tuple[View, View]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def failures(ordered: list[View]) -> tuple[View | None, list[tuple[View, View]]]:
    """The failure still standing after a device's results in order, and every (failure, clearing
    result) pair: a passing result clears the open failure of its type and the one it re-inspects."""
    open_failures: dict[str, View] = {}
    cleared: list[tuple[View, View]] = []
    for view in ordered:
        if view.forbids_use:
            open_failures[view.inspection_type] = view
            continue
        for kind, failed in list(open_failures.items()):
            if kind == view.inspection_type or failed.id == view.reinspection_of_id:
                del open_failures[kind]
                cleared.append((failed, view))
    standing = max(open_failures.values(), key=lambda v: v.key, default=None)
    return standing, cleared


def next_due_after(entries: Sequence[due_dates.DueEntry],
                   device_ids: set[int]) -> dict[int, tuple[date | None, str | None]]:
    """Each device's next due date and type once `entries` are stored (`due_dates.store`: an entry
    replaces its series unless the stored one is of a later inspection; the earliest dated series,
    ties in DUE_SERIES order), reading the devices' series in one query."""
    series: dict[int, dict[str, tuple[date | None, date | None, int | None]]] = defaultdict(dict)
    for row in db.session.execute(select(EquipmentDueDate.equipment_id, EquipmentDueDate.series,
                                         EquipmentDueDate.due_date, EquipmentDueDate.last_date,
                                         EquipmentDueDate.last_result_id)
                                  .where(bulk.among(EquipmentDueDate.equipment_id, sorted(device_ids)))):
        series[row.equipment_id][row.series] = (row.due_date, row.last_date, row.last_result_id)
    latest: dict[tuple[int, str], due_dates.DueEntry] = {}
    for entry in entries:
        key = (entry.equipment_id, entry.series)
        if key not in latest or entry.last_date >= latest[key].last_date:
            latest[key] = entry
    for (device_id, name), entry in latest.items():
        stored = series[device_id].get(name)
        if stored is None or stored[1] is None or entry.last_date >= stored[1] or stored[2] == entry.last_result_id:
            series[device_id][name] = (entry.due_date, entry.last_date, entry.last_result_id)
    order = {name: index for index, name in enumerate(DUE_SERIES)}
    answer: dict[int, tuple[date | None, str | None]] = {}
    for device_id in device_ids:
        dated = [(due, order.get(name, len(order)), name) for name, (due, _, _) in series[device_id].items() if due]
        first = min(dated, default=None)
        answer[device_id] = (first[0], DUE_SERIES.get(first[2])) if first else (None, None)
    return answer


def recompute(items: Sequence[Any], history: dict[int, list[Any]], next_due: dict[int, tuple[date | None, str | None]]
              ) -> DeviceState:
    """Recompute every device of `items` (the batch, with their result ids) from its `history`
    (stored results, read before the batch wrote) and the batch; write the changed devices."""
    state = DeviceState()
    views: dict[int, dict[int, View]] = defaultdict(dict)
    devices = {}
    for item in items:
        devices[item.device.id] = item.device
    for device_id in devices:
        views[device_id].update((row.id, view_of(row)) for row in history.get(device_id, []))
    batch_ids = {item.result_id for item in items}
    for item in items:
        views[item.device.id][item.result_id] = item_view(item)  # a corrected result replaces its old self
    now, updates = utcnow(), []
    for device_id, device in devices.items():
        ordered = sorted(views[device_id].values(), key=lambda v: v.key)
        failed, cleared = failures(ordered)
        state.cleared += [(f, v) for f, v in cleared if f.id in batch_ids or v.id in batch_ids]
        values = _latest(device, ordered, any(row.id not in batch_ids for row in history.get(device_id, [])))
        supervision = [v for v in ordered if v.inspection_type == "supervision" and not v.forbids_use
                       and v.work_type in STARTS_YEAR_LIST]
        values["supervision_passed_on"] = supervision[-1].inspection_date if supervision else device.supervision_passed_on
        values["supervision_report_no"] = supervision[-1].report_no if supervision else device.supervision_report_no
        values["failed_inspection_result_id"] = failed.id if failed else None
        values["next_due_date"], values["next_due_type"] = next_due[device_id]
        if any(getattr(device, name) != value for name, value in values.items()):
            updates.append({"id": device_id, **values, "updated_at": now})
        _transition(state, device, failed, cleared)
    if updates:
        bulk.update_rows(Equipment, updates)
        expire(Equipment, {row["id"] for row in updates})
    return state


def _latest(device: Any, ordered: list[View], had_results: bool) -> dict[str, Any]:
    latest = ordered[-1]
    if had_results or device.last_inspection_date is None or latest.inspection_date >= device.last_inspection_date:
        return {"last_inspection_date": latest.inspection_date, "last_inspection_conclusion": latest.conclusion,
                "last_inspection_grade": latest.safety_grade}
    return {"last_inspection_date": device.last_inspection_date,
            "last_inspection_conclusion": device.last_inspection_conclusion,
            "last_inspection_grade": device.last_inspection_grade}


def _transition(state: DeviceState, device: Any, failed: View | None, cleared: list[tuple[View, View]]) -> None:
    """A device turned red, or restored: noted for the messages and audited."""
    old = device.failed_inspection_result_id
    new = failed.id if failed else None
    if new == old:
        return
    if new is not None:
        state.failed.append((device, failed))
        action = "equipment.inspection_failed"
    else:
        clearing = next((v for f, v in reversed(cleared) if f.id == old), None)
        state.restored.append((device, clearing))
        action = "equipment.inspection_restored"
    state.changes.append(Change(action, "equipment", device.id, {"failed_inspection_result_id": old},
                                {"failed_inspection_result_id": new}))


def expire(model: type, ids: Iterable[int]) -> None:
    """Rows changed by a bulk statement: any loaded copy is read again on next access."""
    ids = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and obj.id in ids:
            db.session.expire(obj)
