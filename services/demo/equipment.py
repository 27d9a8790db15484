"""Demo equipment: a few dozen devices of several categories for the demo use units in
雁塔区 and 韩城, registered with certificate numbers, some overdue for inspection, all coded."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from models.equipment import Equipment
from models.orgs import Person, Unit
from services.equipment import onecode as equipment_onecode
from services.equipment import catalogue, offices
from services.orgs import people


@dataclass(frozen=True)
class Batch:
    unit_name: str
    catalogue_code: str
    count: int
    place: str
    due_type: str
    interval_days: int
    public_place: bool = False


MALL = "演示雁塔商业广场有限公司"
CHEMICAL = "演示韩城化工有限公司"

BATCHES = (
    Batch(MALL, "3110", 12, "演示商业广场 {n} 号客梯", "定期检验", 365, True),
    Batch(MALL, "3310", 4, "演示商业广场 {n} 号自动扶梯", "定期检验", 365, True),
    Batch(MALL, "4D00", 2, "演示商业广场地下车库 {n} 号机械式停车设备", "定期检验", 730, True),
    Batch(MALL, "1200", 1, "演示商业广场锅炉房 {n} 号热水锅炉", "外部检验", 365),
    Batch(CHEMICAL, "2150", 6, "演示化工厂区 {n} 号储罐", "定期检验", 1095),
    Batch(CHEMICAL, "4110", 3, "演示化工厂区 {n} 号桥式起重机", "定期检验", 730),
    Batch(CHEMICAL, "5110", 4, "演示化工厂区 {n} 号叉车", "定期检验", 365),
    Batch(CHEMICAL, "8310", 2, "演示化工厂区 {n} 号工艺管道", "定期检验", 1095),
)


def _code(catalogue_code: str, serial: int) -> str:
    """An 18-character 设备代码: catalogue code, maker 61001, year 2019, serial."""
    return f"{catalogue_code}61001{2019}{serial:05d}"


def _officer(unit: Unit) -> int | None:
    return db.session.scalar(people.people_with_roles_stmt(unit.id, "safety_officer", Person.id).limit(1))


def load(today: date | None = None) -> int:
    """Registered, in-use devices; every fifth one overdue for inspection."""
    today = today or business_today()
    created = 0
    serial = 0
    for batch in BATCHES:
        unit = db.session.scalar(select(Unit).where(Unit.name == batch.unit_name))
        entry = catalogue.get_entry(batch.catalogue_code)
        office = offices.office_for(unit.region_code)
        for n in range(1, batch.count + 1):
            serial += 1
            code = _code(batch.catalogue_code, serial)
            if db.session.scalar(select(Equipment.id).where(Equipment.equipment_code == code)):
                continue
            last = today - timedelta(days=(serial * 37) % batch.interval_days + 20)
            due = last + timedelta(days=batch.interval_days)
            if serial % 5 == 0:
                due = today - timedelta(days=serial)  # overdue
            db.session.add(Equipment(
                catalogue_code=entry.code, equipment_code=code, product_name=entry.name,
                use_unit_id=unit.id, address=batch.place.format(n=n), region_code=unit.region_code,
                public_place=batch.public_place, use_status="in_use", registration_status="registered",
                registration_cert_no=offices.issue_certificate_no(entry, office, 2019 + serial % 6),
                safety_officer_person_id=_officer(unit), manufacture_date=date(2019, 1 + serial % 12, 1),
                put_into_use_date=date(2019, 6, 1) + timedelta(days=serial), last_inspection_date=last,
                last_inspection_conclusion="合格", next_due_date=due, next_due_type=batch.due_type,
                source="import", created_by_unit_id=unit.id,
            ))
            created += 1
    db.session.flush()
    for name in {batch.unit_name for batch in BATCHES}:
        unit_id = db.session.scalar(select(Unit.id).where(Unit.name == name))
        created += equipment_onecode.assign_many(
            list(db.session.scalars(equipment_onecode.uncoded_equipment_stmt(unit_id, None))), None)
    return created
