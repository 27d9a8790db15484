"""Demo two-regulations records for the demo mall: appointments, and the past week of daily
checks by demo-officer on three elevators, with one ordinary finding (fixed on the spot) and,
yesterday, one serious finding that stopped an elevator (its public code shows red).

The demo maintenance unit (Order 73): its 质量安全总监 and 质量安全员 appointed, and five days of
production-quality records by demo-quality-officer, one with an ordinary finding."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import SHANGHAI, business_today
from models.checks import Appointment, Checklist
from models.equipment import Equipment
from models.orgs import Unit
from services.checks import appointments, daily, production
from services.demo.applications import MAINTAINER
from services.demo.equipment import MALL
from services.demo.orgs import demo_person
from services.orgs.accounts import identity_for

APPOINTMENTS = (("demo-unit-admin", "principal", None), ("demo-director", "safety_director", "3000"),
                ("demo-director", "safety_director", "1000"), ("demo-director", "safety_director", "4000"),
                ("demo-officer", "safety_officer", "3000"))


# The default elevator list's item that each finding is about (migrations/data/default_checklists.json):
# i2 「轿厢内紧急报警（对讲）装置能正常呼救，应急照明正常」, not the signage item i1.
ALARM_ITEM = "i2"
# The default production list's item on welders (migration 0010): p3 「焊接按评定合格的工艺施焊，焊工持证…」.
WELDER_ITEM = "p3"


def _answers(items: list[dict], abnormal: dict | None = None, item_key: str = ALARM_ITEM) -> list[dict]:
    answers = [{"item_key": item["key"], "result": "normal"} for item in items]
    if abnormal:
        index = next(i for i, item in enumerate(items) if item["key"] == item_key)
        answers[index] = {"item_key": item_key, "result": "abnormal", **abnormal}
    return answers


def load() -> int:
    """The mall's and the maintenance unit's records, each once."""
    return _mall() + _maintainer()


def _maintainer() -> int:
    """Order 73 appointments and five days of production records (skipped when appointed)."""
    unit = db.session.scalar(select(Unit).where(Unit.name == MAINTAINER))
    if db.session.scalar(select(Appointment.id).where(Appointment.unit_id == unit.id)):
        return 0
    admin = identity_for(demo_person("demo-maintainer"), "cli")
    today = business_today()
    posts = (("demo-maintainer", "quality_safety_director"), ("demo-quality-officer", "quality_safety_officer"))
    for code, role in posts:
        appointments.appoint(admin, unit, {"role": role, "person_id": demo_person(code).id,
                                           "start_date": today - timedelta(days=30)})
    officer = identity_for(demo_person("demo-quality-officer"), "cli")
    items = production.checklist(unit.id).items
    for days_ago in range(5, 0, -1):
        day = today - timedelta(days=days_ago)
        abnormal = {"severity": "general", "immediate_action": "fixed", "note": "一名焊工证书过期，已调整为持证焊工施焊"} \
            if days_ago == 3 else None
        production.submit(officer, {"answers": _answers(items, abnormal, WELDER_ITEM), "note": "安装、维保现场日管控"},
                          now=datetime.combine(day, time(17, 0), tzinfo=SHANGHAI))
    return 7


def _mall() -> int:
    """Appointments and a week of checks, once (skipped when the mall has appointments)."""
    mall = db.session.scalar(select(Unit).where(Unit.name == MALL))
    if db.session.scalar(select(Appointment.id).where(Appointment.unit_id == mall.id)):
        return 0
    admin = identity_for(demo_person("demo-unit-admin"), "cli")
    today = business_today()
    for code, role, kind in APPOINTMENTS:
        appointments.appoint(admin, mall, {"role": role, "kind_code": kind, "person_id": demo_person(code).id,
                                           "start_date": today - timedelta(days=30)})
    officer = identity_for(demo_person("demo-officer"), "cli")
    items = db.session.scalar(select(Checklist.items).where(Checklist.unit_id.is_(None), Checklist.kind_code == "3000"))
    elevators = list(db.session.scalars(select(Equipment).where(
        Equipment.use_unit_id == mall.id, Equipment.catalogue_code == "3110",
        Equipment.safety_officer_person_id == officer.person_id).order_by(Equipment.id).limit(3)))
    created = len(APPOINTMENTS)
    for days_ago in range(7, 0, -1):
        day = today - timedelta(days=days_ago)
        noon = datetime.combine(day, time(10, 0), tzinfo=SHANGHAI)
        for index, elevator in enumerate(elevators):
            abnormal = None
            if days_ago == 4 and index == 0:
                abnormal = {"severity": "general", "immediate_action": "fixed", "note": "应急照明灯不亮，已当场更换灯泡",
                            "deadline": today + timedelta(days=3)}
            elif days_ago == 1 and index == 1:
                abnormal = {"severity": "serious", "note": "轿厢对讲装置无法呼通值班室"}
            daily.submit(officer, {"equipment_id": elevator.id, "answers": _answers(items, abnormal)}, now=noon)
            created += 1
    return created
