"""Inspection reminders to use units (条例 §28: apply for the periodic inspection a month before
the validity expires; 法 §40: a device past its date must not be used).

- Due reminders (daily): each series of an in-use device (an elevator's 定期检验 and 自行检测, a
  boiler's 外部 and 内部检验, a vessel's 定期检验 and 年度检查, ...) is reminded once, from
  INSPECTION_REMIND_MONTHS before its due date (on the same day of the month, clamped; a date
  already past when first seen is reminded at once, as overdue). `EquipmentDueDate.reminded_for`
  records it; storing a new due date clears it (`due_dates.store`), so the next date is reminded
  again.
- Overdue digest (weekly): units with in-use devices past a due date, counted per series.

Either way one message per unit and run to its admins and 安全总监, with the counts and the first
devices, never one per device. Set-based for a province of 1,000,000 devices: units are taken a
page at a time (a few GROUP BY queries and one UPDATE per page, no query per device); the job
commits after each page.

They read equipment and the unit's people and write to the outbox, so they belong to inspection
(which may call equipment, orgs and notify), not to notify.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, func, select, update

from core.extensions import db
from models.equipment import Equipment
from models.inspection import DUE_SERIES, EquipmentDueDate
from models.orgs import Person
from services.inspection.due_rules import add_months
from services.notify import outbox
from services.orgs import people

REMINDER_ROLES = ("unit_admin", "safety_director")
UNITS_PER_PAGE = 500
SHOWN_DEVICES = 5  # devices named in a message; the rest are counted


def remind_from(today: date) -> date:
    """Series due on or before this date are reminded today (INSPECTION_REMIND_MONTHS ahead)."""
    return add_months(today, int(current_app.config["INSPECTION_REMIND_MONTHS"]))


def _in_use() -> ColumnElement[bool]:
    return and_(Equipment.use_status == "in_use", Equipment.use_unit_id.is_not(None))


def _due_unreminded(today: date) -> ColumnElement[bool]:
    """Series of in-use devices due within the lead time and not reminded yet."""
    due = EquipmentDueDate
    return and_(due.due_date.is_not(None), due.due_date <= remind_from(today), due.reminded_for.is_(None),
                _in_use())


def _overdue(today: date) -> ColumnElement[bool]:
    return and_(EquipmentDueDate.due_date < today, _in_use())


def _from_series(*columns: Any):
    return select(*columns).select_from(EquipmentDueDate).join(Equipment, Equipment.id == EquipmentDueDate.equipment_id)


def _unit_page(where: ColumnElement[bool], after_unit_id: int | None, limit: int) -> list[int]:
    stmt = _from_series(Equipment.use_unit_id).where(where).group_by(Equipment.use_unit_id)
    if after_unit_id is not None:
        stmt = stmt.where(Equipment.use_unit_id > after_unit_id)
    return list(db.session.scalars(stmt.order_by(Equipment.use_unit_id).limit(limit)))


def _tally(where: ColumnElement[bool], units: list[int], today: date) -> dict[int, dict[str, list[int]]]:
    """Per unit and series: [overdue, due] counts of the series rows matching `where`."""
    rows = db.session.execute(
        _from_series(Equipment.use_unit_id, EquipmentDueDate.series,
                     func.sum(case((EquipmentDueDate.due_date < today, 1), else_=0)), func.count())
        .where(where, Equipment.use_unit_id.in_(units))
        .group_by(Equipment.use_unit_id, EquipmentDueDate.series))
    tally: dict[int, dict[str, list[int]]] = defaultdict(dict)
    for unit_id, series, overdue, total in rows:
        tally[unit_id][series] = [int(overdue or 0), int(total) - int(overdue or 0)]
    return tally


def _first_devices(where: ColumnElement[bool], units: list[int]) -> dict[int, list[Any]]:
    """Per unit, its SHOWN_DEVICES earliest series rows (one windowed query for the page)."""
    rank = func.row_number().over(partition_by=Equipment.use_unit_id,
                                  order_by=(EquipmentDueDate.due_date, Equipment.id, EquipmentDueDate.series))
    ranked = (_from_series(Equipment.use_unit_id.label("unit_id"), Equipment.id.label("equipment_id"),
                           Equipment.equipment_code, Equipment.registration_cert_no, Equipment.address,
                           EquipmentDueDate.series, EquipmentDueDate.due_date, rank.label("rank"))
              .where(where, Equipment.use_unit_id.in_(units)).subquery())
    found: dict[int, list[Any]] = defaultdict(list)
    for row in db.session.execute(select(ranked).where(ranked.c.rank <= SHOWN_DEVICES)
                                  .order_by(ranked.c.unit_id, ranked.c.rank)):
        found[row.unit_id].append(row)
    return found


def _recipients(units: Iterable[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for unit_id, person_id in db.session.execute(people.people_with_roles_stmt(list(units), REMINDER_ROLES,
                                                                               Person.unit_id, Person.id)):
        found[unit_id].append(person_id)
    return found


def _device_line(row: Any, today: date) -> str:
    name = row.equipment_code or row.registration_cert_no or f"设备 {row.equipment_id}"
    where = f"（{row.address}）" if row.address else ""
    state = (f"已超期 {(today - row.due_date).days} 天" if row.due_date < today
             else f"{row.due_date.isoformat()} 到期")
    return f"· {name}{where}：{DUE_SERIES.get(row.series, row.series)} {state}"


def _series_summary(counts: dict[str, list[int]], index: int) -> str:
    return "、".join(f"{DUE_SERIES[key]} {counts[key][index]} 项" for key in DUE_SERIES
                     if key in counts and counts[key][index])


def _queue(unit_ids: list[int], recipients: dict[int, list[int]], template: str, title: str,
           texts: dict[int, tuple[str, dict]], key: str) -> int:
    """The page's messages, written at once (`outbox.queue_messages`); returns how many were new."""
    messages = [outbox.NewMessage(person_id, template, title, texts[unit_id][0],
                                  {"unit_id": unit_id, **texts[unit_id][1]}, f"{key}:{unit_id}:{person_id}")
                for unit_id in unit_ids for person_id in recipients.get(unit_id, ())]
    return outbox.queue_messages(messages)


def queue_due_reminders_page(today: date, after_unit_id: int | None = None,
                             limit: int | None = None) -> tuple[int, int | None]:
    """Remind one page of use units (ordered by id, after `after_unit_id`) of their series due
    within INSPECTION_REMIND_MONTHS and not reminded yet, then mark those series reminded
    (`reminded_for` = the due date; a unit with no admin or 安全总监 is marked too).

    One `inspection_due` message per recipient and unit (dedupe key by day). Returns (messages
    queued, the page's last unit id, None when there was no unit left). Flushes, never commits.
    """
    where = _due_unreminded(today)
    units = _unit_page(where, after_unit_id, limit or UNITS_PER_PAGE)
    if not units:
        return 0, None
    tally, first, recipients = _tally(where, units, today), _first_devices(where, units), _recipients(units)
    months = current_app.config["INSPECTION_REMIND_MONTHS"]
    texts = {}
    for unit_id in units:
        counts = tally[unit_id]
        overdue, due = (sum(pair[index] for pair in counts.values()) for index in (0, 1))
        parts = []
        if due:
            parts.append(f"{due} 项检验将在 {months} 个月内到期（{_series_summary(counts, 1)}）")
        if overdue:
            parts.append(f"{overdue} 项检验已超过有效期（{_series_summary(counts, 0)}）")
        lines = [_device_line(row, today) for row in first[unit_id]]
        more = overdue + due - len(lines)
        text = (f"您单位在用设备有{'，'.join(parts)}。请在到期前向检验机构报检（条例第二十八条：到期前 1 个月提出）"
                "（工作台—检验检测—报检）；超期未检的设备不得使用。\n" + "\n".join(lines)
                + (f"\n……另有 {more} 项，详见设备台账。" if more > 0 else ""))
        texts[unit_id] = (text, {"overdue": overdue, "due_soon": due, "series": {k: v for k, v in counts.items()}})
    queued = _queue(units, recipients, "inspection_due", "设备检验到期提醒", texts,
                    f"inspection-due:{today.isoformat()}")
    devices = select(Equipment.id).where(Equipment.use_unit_id.in_(units), _in_use())
    db.session.execute(
        update(EquipmentDueDate)
        .where(EquipmentDueDate.equipment_id.in_(devices), EquipmentDueDate.due_date.is_not(None),
               EquipmentDueDate.due_date <= remind_from(today), EquipmentDueDate.reminded_for.is_(None))
        .values(reminded_for=EquipmentDueDate.due_date).execution_options(synchronize_session=False))
    return queued, units[-1]


def queue_overdue_digest_page(today: date, after_unit_id: int | None = None,
                              limit: int | None = None) -> tuple[int, int | None]:
    """The weekly digest for one page of use units: in-use devices past a due date, per series.

    One `inspection_overdue` message per recipient, unit and ISO week (a second run the same week
    sends nothing). Returns (messages queued, the page's last unit id or None). Flushes only.
    """
    where = _overdue(today)
    units = _unit_page(where, after_unit_id, limit or UNITS_PER_PAGE)
    if not units:
        return 0, None
    tally, first, recipients = _tally(where, units, today), _first_devices(where, units), _recipients(units)
    devices = dict(db.session.execute(
        _from_series(Equipment.use_unit_id, func.count(func.distinct(Equipment.id)))
        .where(where, Equipment.use_unit_id.in_(units)).group_by(Equipment.use_unit_id)).all())
    texts = {}
    for unit_id in units:
        counts, count = tally[unit_id], int(devices.get(unit_id, 0))
        lines = [_device_line(row, today) for row in first[unit_id]]
        more = sum(pair[0] for pair in counts.values()) - len(lines)
        text = (f"您单位有 {count} 台在用设备已超过检验有效期（{_series_summary(counts, 0)}）。超期未检的设备不得使用，"
                "请停止使用并尽快报检（工作台—检验检测—报检）。\n" + "\n".join(lines)
                + (f"\n……另有 {more} 项，详见设备台账。" if more > 0 else ""))
        texts[unit_id] = (text, {"overdue_devices": count, "series": {k: v[0] for k, v in counts.items()}})
    year, week, _ = today.isocalendar()
    return _queue(units, recipients, "inspection_overdue", "设备检验超期提醒", texts,
                  f"inspection-overdue:{year}-W{week:02d}"), units[-1]
