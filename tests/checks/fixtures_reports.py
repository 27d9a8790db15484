"""Data for the weekly, monthly, records, compliance and reminder tests, made directly with the
models (daily checks, findings, appointments), so these tests do not depend on the check screens.

Import the fixtures into a test module: `from tests.checks.fixtures_reports import works  # noqa: F401`.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from core.extensions import db
from core.timeutil import SHANGHAI, business_today
from models.checks import Appointment, DailyCheck
from models.findings import Finding

LONG_AGO = date(2020, 1, 1)


def monday(weeks_ago: int = 0) -> date:
    """The Monday of this week (Asia/Shanghai), or of `weeks_ago` weeks before."""
    today = business_today()
    return today - timedelta(days=today.weekday() + 7 * weeks_ago)


def previous_month() -> tuple[date, date]:
    """The first and last day of last month."""
    last = business_today().replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time on `day`, in UTC."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(timezone.utc)


def add_check(equipment, day: date, officer, *, abnormal: int = 0, note: str | None = None) -> DailyCheck:
    results = [{"key": "i1", "text": "门锁可靠", "result": "abnormal" if abnormal else "normal"}]
    check = DailyCheck(equipment_id=equipment.id, unit_id=equipment.use_unit_id, region_code=equipment.region_code,
                       officer_person_id=officer.id, check_date=day, submitted_at=at(day, 10, 30), results=results,
                       abnormal_count=abnormal, zero_risk=not abnormal, note=note)
    db.session.add(check)
    db.session.flush()
    return check


def add_checks(equipment, days, officer) -> None:
    for day in days:
        add_check(equipment, day, officer)


def add_finding(equipment, severity: str = "general", *, opened: date, deadline: date | None = None,
                closed: date | None = None, reporter=None, description: str = "轿厢门锁异常") -> Finding:
    finding = Finding(source_type="daily_check", source_id=0, equipment_id=equipment.id,
                      unit_id=equipment.use_unit_id, region_code=equipment.region_code, severity=severity,
                      description=description, deadline=deadline, status="closed" if closed else "open",
                      closed_at=at(closed, 15) if closed else None,
                      reported_by_person_id=reporter.id if reporter else None,
                      created_at=at(opened, 9), updated_at=at(opened, 9))
    db.session.add(finding)
    db.session.flush()
    return finding


def appoint(unit, person, role: str, kind_code: str | None = "3000", *, start: date = LONG_AGO,
            end: date | None = None) -> Appointment:
    appointment = Appointment(unit_id=unit.id, person_id=person.id, role=role, kind_code=kind_code,
                              start_date=start, end_date=end)
    db.session.add(appointment)
    db.session.flush()
    return appointment


@pytest.fixture
def works(make_unit, make_person, make_equipment, auth_headers):
    """A 雁塔区 (610113) use unit under Order 74: principal, admin, 安全总监, 安全员 (appointed for
    elevators), two elevators in use since long ago, and one suspended elevator."""
    unit = make_unit("use", "610113", name="报表测试工厂")
    principal = make_person(unit, "principal", name="厂长甲")
    admin = make_person(unit, "unit_admin", name="管理员甲")
    director = make_person(unit, "safety_director", name="总监甲")
    officer = make_person(unit, "safety_officer", name="安全员甲")
    elevators = [make_equipment(unit, "3110", use_status="in_use", safety_officer_person_id=officer.id,
                                product_name=f"{n}号客梯", address=f"厂区 {n} 号楼", put_into_use_date=LONG_AGO)
                 for n in (1, 2)]
    suspended = make_equipment(unit, "3110", use_status="suspended", product_name="停用客梯")
    appoint(unit, principal, "principal", None)
    appoint(unit, director, "safety_director")
    appoint(unit, officer, "safety_officer")
    return {"unit": unit, "principal": principal, "admin": admin, "director": director, "officer": officer,
            "elevators": elevators, "suspended": suspended,
            "principal_headers": auth_headers(principal), "admin_headers": auth_headers(admin),
            "director_headers": auth_headers(director), "officer_headers": auth_headers(officer, client="miniapp")}
