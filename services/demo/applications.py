"""Demo lifecycle business: an elevator with a filed maintenance contract, and applications
in several states (submitted, accepted, draft, returned), made through the services."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from models.equipment import Application, Equipment
from models.orgs import Unit
from services.demo.equipment import CHEMICAL, MALL
from services.demo.orgs import demo_person
from services.equipment import applications, records
from services.orgs.accounts import identity_for

MAINTAINER = "演示电梯维保有限公司"


def _who(code: str):
    return identity_for(demo_person(code), "cli")


def _device(unit_name: str, catalogue_code: str, index: int = 0) -> Equipment:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == unit_name))
    return list(db.session.scalars(select(Equipment).where(
        Equipment.use_unit_id == unit_id, Equipment.catalogue_code == catalogue_code).order_by(Equipment.id)))[index]


def load() -> int:
    """Create the demo applications once (skipped when the mall's first elevator has any)."""
    elevator = _device(MALL, "3110")
    if db.session.scalar(select(Application.id).where(Application.equipment_id == elevator.id)):
        return 0
    today = business_today()
    mall, city, hancheng = _who("demo-unit-admin"), _who("demo-city"), _who("demo-hancheng")
    maintainer_id = db.session.scalar(select(Unit.id).where(Unit.name == MAINTAINER))

    filing = applications.create_application(
        mall, elevator.id, "maintenance_filing", None,
        {"maintenance_unit_id": maintainer_id, "contract_no": "WB-2026-001", "signed_on": today.isoformat(),
         "start_date": today.isoformat(), "end_date": (today + timedelta(days=364)).isoformat(),
         "interval_days": 15, "mode": "fixed"}, submit=True)
    applications.act(city, filing, "accept")
    applications.act(city, filing, "approve")

    new_elevator = records.create_equipment(mall, {
        "catalogue_code": "3110", "equipment_code": "311061001202600001", "address": "演示商业广场 13 号客梯",
        "region_code": "610113", "product_name": "曳引驱动乘客电梯", "public_place": True})
    applications.create_application(mall, new_elevator.id, "use_registration", None,
                                    {"put_into_use_date": today.isoformat()}, submit=True)

    escalator = _device(MALL, "3310", 3)
    suspension = applications.create_application(
        mall, escalator.id, "suspension", None, {"stopped_on": (today - timedelta(days=5)).isoformat()}, submit=True)
    applications.act(city, suspension, "accept")

    applications.create_application(mall, _device(MALL, "4D00", 1).id, "change_registration", "rename", {},
                                    note="单位更名后的登记证换发")

    forklift = _device(CHEMICAL, "5110", 3)
    chemical = _who("demo-hancheng-admin")
    cancellation = applications.create_application(chemical, forklift.id, "cancellation", None, {}, submit=True)
    applications.act(hancheng, cancellation, "return", "请补充设备拆除情况说明。")
    return 5
