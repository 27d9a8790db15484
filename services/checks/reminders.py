"""Reminders of the two regulations, written to the outbox (`services.notify.queue_message`).

Order 74 (总局令第74号) sets the rhythm: the 安全员 checks every device in use every day, the
安全总监 reports weekly and is told of every serious hazard, the 主要负责人 holds the monthly
scheduling meeting, and rectifications are tracked to closure. Each function finds who is
behind on `today` (Asia/Shanghai) and writes one message per person per day: the dedupe key
carries the date, so a second run the same day sends nothing new, and a person still behind
the next day is reminded again.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import exists, select

from core.extensions import db
from core.periods import month_period, week_period
from models.checks import Appointment, DailyCheck, MonthlyMinutes, WeeklyReport
from models.equipment import CatalogueEntry, Equipment
from models.findings import SEVERITIES, Finding
from models.orgs import Person
from services import notify
from services.checks import appointments, scope
from services.orgs import people

LIST_LIMIT = 10  # devices or findings named in one message; the rest are counted


def _kind_names() -> dict[str, str]:
    return dict(db.session.execute(select(CatalogueEntry.code, CatalogueEntry.name)
                                   .where(CatalogueEntry.level == "kind")).all())


def _listing(labels: list[str]) -> str:
    more = f" 等 {len(labels)} 项" if len(labels) > LIST_LIMIT else ""
    return "、".join(labels[:LIST_LIMIT]) + more


def holders(pairs: Iterable[tuple[int, str | None]], role: str, day: date) -> dict[tuple[int, str | None], list[int]]:
    """Who holds `role` per (unit, kind) on `day`: the current appointees for the kind (the
    principal answers for every kind); where nobody is appointed, the unit's active people
    with the login role."""
    pairs = set(pairs)
    units = {u for u, _ in pairs}
    if not units:
        return {}
    appointed: dict[tuple[int, str | None], list[int]] = defaultdict(list)
    for unit_id, kind_code, person_id in db.session.execute(
            select(Appointment.unit_id, Appointment.kind_code, Appointment.person_id)
            .join(Person, Person.id == Appointment.person_id)
            .where(Appointment.unit_id.in_(units), Appointment.role == role, Person.status == "active",
                   appointments.current_clause(day))
            .order_by(Appointment.id)).all():
        appointed[(unit_id, None if role == "principal" else kind_code)].append(person_id)
    by_role: dict[int, list[int]] = defaultdict(list)
    for unit_id, person_id in db.session.execute(
            people.people_with_roles_stmt(units, role, Person.unit_id, Person.id)).all():
        by_role[unit_id].append(person_id)
    return {(unit_id, kind_code): list(dict.fromkeys(
                appointed.get((unit_id, None if role == "principal" else kind_code)) or by_role.get(unit_id, [])))
            for unit_id, kind_code in pairs}


def _send(person_id: int, template: str, title: str, body: str, key: str, data: dict[str, Any]) -> int:
    return 1 if notify.queue_message(person_id, template, title, body, data=data, dedupe_key=key) else 0


def daily_checks_due(today: date) -> int:
    """Tell each 安全员 which of their devices have no daily check yet today (日管控).

    The device's responsible officer (逐台明确负责的安全员) is told; a device without one goes
    to the unit's 安全员 for its kind. Key: `checks:daily_due:<person>:<date>`.
    """
    checked = exists().where(DailyCheck.equipment_id == Equipment.id, DailyCheck.check_date == today)
    rows = db.session.execute(
        select(Equipment.id, Equipment.use_unit_id, CatalogueEntry.kind_code, Equipment.safety_officer_person_id,
               Equipment.equipment_code, Equipment.product_name, CatalogueEntry.name)
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(scope.covered_clause(), ~checked,
               (Equipment.put_into_use_date.is_(None)) | (Equipment.put_into_use_date <= today))
        .order_by(Equipment.id)).all()
    officers = holders({(r.use_unit_id, r.kind_code) for r in rows if r.safety_officer_person_id is None},
                       "safety_officer", today)
    active = set(db.session.scalars(select(Person.id).where(
        Person.id.in_({r.safety_officer_person_id for r in rows if r.safety_officer_person_id}),
        Person.status == "active")))
    pending: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        owner = row.safety_officer_person_id
        targets = [owner] if owner in active else officers.get((row.use_unit_id, row.kind_code), [])
        for person_id in targets:
            pending[person_id].append(row)
    sent = 0
    for person_id, devices in pending.items():
        labels = [f"{d.product_name or d.name}（{d.equipment_code or d.id}）" for d in devices]
        sent += _send(person_id, "daily_check_due", "日管控提醒",
                      f"今天（{today.isoformat()}）还有 {len(devices)} 台设备未完成日管控检查：{_listing(labels)}。"
                      "请在今天内完成检查并提交《每日安全检查记录》。",
                      f"checks:daily_due:{person_id}:{today.isoformat()}",
                      {"date": today.isoformat(), "equipment_ids": [d.id for d in devices]})
    return sent


def _pairs_in_use() -> set[tuple[int, str]]:
    return set(db.session.execute(
        select(Equipment.use_unit_id, CatalogueEntry.kind_code).distinct()
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(scope.covered_clause(), Equipment.use_unit_id.is_not(None))).all())


def weekly_reports_due(today: date) -> int:
    """Remind the 安全总监 of each kind whose report for this week is not submitted (周排查),
    from the configured weekday (WEEKLY_REPORT_REMINDER_WEEKDAY, 4 = Friday) to Sunday.
    Key: `checks:weekly_due:<person>:<date>`."""
    if today.weekday() < current_app.config["WEEKLY_REPORT_REMINDER_WEEKDAY"]:
        return 0
    monday = week_period(today).start
    done = set(db.session.execute(select(WeeklyReport.unit_id, WeeklyReport.kind_code).where(
        WeeklyReport.week_start == monday, WeeklyReport.status == "submitted")).all())
    return _by_person({p for p in _pairs_in_use() if p not in done}, "safety_director", today, "weekly_report_due",
                      "周排查提醒", "本周（{start} 起）的{reports}尚未提交，请组织排查并在本周内提交。", monday,
                      lambda kind: f"《每周{kind}安全排查治理报告》", "checks:weekly_due")


def monthly_minutes_due(today: date) -> int:
    """Remind the 主要负责人 whose minutes for this month are not submitted (月调度), from the
    configured day (MONTHLY_MINUTES_REMINDER_DAY, 25) to the month's end.
    Key: `checks:monthly_due:<person>:<date>`."""
    if today.day < current_app.config["MONTHLY_MINUTES_REMINDER_DAY"]:
        return 0
    first = month_period(today).start
    done = set(db.session.execute(select(MonthlyMinutes.unit_id, MonthlyMinutes.kind_code).where(
        MonthlyMinutes.month == first, MonthlyMinutes.status == "submitted")).all())
    return _by_person({p for p in _pairs_in_use() if p not in done}, "principal", today, "monthly_minutes_due",
                      "月调度提醒", "本月（{start} 起）的{reports}尚未提交，请召开安全调度会议并在月底前提交。", first,
                      lambda kind: f"《每月{kind}安全调度会议纪要》", "checks:monthly_due")


def _by_person(pairs: set[tuple[int, str]], role: str, today: date, template: str, title: str, text: str,
               start: date, record_name, key_prefix: str) -> int:
    names = _kind_names()
    people = holders(pairs, role, today)
    kinds: dict[int, list[str]] = defaultdict(list)
    for pair in sorted(pairs):
        for person_id in people.get(pair, []):
            kinds[person_id].append(pair[1])
    sent = 0
    for person_id, codes in kinds.items():
        reports = "、".join(record_name(names.get(c, c)) for c in dict.fromkeys(codes))
        sent += _send(person_id, template, title, text.format(start=start.isoformat(), reports=reports),
                      f"{key_prefix}:{person_id}:{today.isoformat()}", {"period_start": start.isoformat(),
                                                                         "kind_codes": sorted(set(codes))})
    return sent


def _finding_rows(*where) -> list[Any]:
    return db.session.execute(
        select(Finding.id, Finding.unit_id, Finding.severity, Finding.description, Finding.deadline,
               Finding.reported_by_person_id, CatalogueEntry.kind_code)
        .outerjoin(Equipment, Equipment.id == Finding.equipment_id)
        .outerjoin(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code)
        .where(Finding.status == "open", *where).order_by(Finding.id)).all()


def serious_findings_open(today: date) -> int:
    """Tell the 安全总监 every day while a serious (or major) hazard stays open: Order 74 has the
    officer stop the device and report, and the director eliminate the hazard.
    Key: `checks:serious_open:<person>:<date>`."""
    rows = _finding_rows(Finding.severity.in_(("serious", "major")))
    return _findings_to(rows, lambda r: [], today, "serious_finding_open", "严重隐患未消除提醒",
                        "以下严重事故隐患尚未整改消除：{items}。设备应保持停用，请组织分析并采取措施消除隐患。",
                        "checks:serious_open")


def overdue_findings(today: date) -> int:
    """Tell the finding's reporter and the 安全总监 of rectifications past their deadline.
    Key: `checks:finding_overdue:<person>:<date>`."""
    rows = _finding_rows(Finding.deadline.is_not(None), Finding.deadline < today)
    return _findings_to(rows, lambda r: [r.reported_by_person_id] if r.reported_by_person_id else [], today,
                        "finding_overdue", "隐患整改逾期提醒", "以下隐患已超过整改期限仍未整改：{items}。请尽快整改并上传整改证据。",
                        "checks:finding_overdue")


def _findings_to(rows: list[Any], extra, today: date, template: str, title: str, text: str, key_prefix: str) -> int:
    directors = holders({(r.unit_id, r.kind_code) for r in rows}, "safety_director", today)
    active = set(db.session.scalars(select(Person.id).where(
        Person.id.in_({p for r in rows for p in extra(r)}), Person.status == "active")))
    per_person: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        for person_id in dict.fromkeys([*[p for p in extra(row) if p in active],
                                        *directors.get((row.unit_id, row.kind_code), [])]):
            per_person[person_id].append(row)
    sent = 0
    for person_id, findings in per_person.items():
        labels = [f"{SEVERITIES.get(f.severity, f.severity)}隐患#{f.id}"
                  + (f"（期限 {f.deadline.isoformat()}）" if f.deadline else "") + f" {f.description[:30]}"
                  for f in findings]
        sent += _send(person_id, template, title, text.format(items=_listing(labels)),
                      f"{key_prefix}:{person_id}:{today.isoformat()}",
                      {"date": today.isoformat(), "finding_ids": [f.id for f in findings]})
    return sent

