"""Fixtures of the inspection tests: a use unit in 雁塔区 with its people, two inspection
agencies with an approved scope (业务开通), and registered devices."""
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from core.extensions import db
from core.timeutil import business_today, utcnow
from models.inspection import INSPECTION_TYPES, AgencyApproval

EVERY_KIND = ("1000", "2000", "3000", "4000", "5000", "6000", "8000", "9000")


def days(n: int) -> str:
    """An ISO date `n` days from today (negative: in the past)."""
    return (business_today() + timedelta(days=n)).isoformat()


def approve_scope(unit, categories=EVERY_KIND, inspection_types=tuple(INSPECTION_TYPES), region_codes=(),
                  valid_until: date | None = None, valid_from: date | None = None) -> AgencyApproval:
    """Give an agency an approved scope directly (the declaring and deciding have their own tests):
    by default every kind, every inspection type, the whole province, valid for two years."""
    approval = AgencyApproval(unit_id=unit.id, region_code=unit.region_code, licence_no=f"TS71{unit.id:05d}",
                              valid_from=valid_from, valid_until=valid_until or business_today() + timedelta(days=730),
                              categories=list(categories), inspection_types=list(inspection_types),
                              region_codes=list(region_codes), status="approved", submitted_at=utcnow(),
                              decided_at=utcnow())
    db.session.add(approval)
    db.session.flush()
    return approval


@pytest.fixture
def yanta(make_unit, make_person, auth_headers):
    """A use unit in 西安 雁塔区: its admin (the applicant) and a safety officer."""
    unit = make_unit("use", "610113", name="雁塔演示商场有限公司")
    admin = make_person(unit, "unit_admin")
    officer = make_person(unit, "safety_officer")
    return SimpleNamespace(unit=unit, admin=admin, headers=auth_headers(admin), officer=auth_headers(officer))


@pytest.fixture
def agency(make_unit, make_person, auth_headers):
    """An approved inspection agency with one inspector, its scope approved for everything."""
    unit = make_unit("inspection", "610100", name="测试特种设备检验院")
    inspector = make_person(unit, "inspector")
    return SimpleNamespace(unit=unit, inspector=inspector, headers=auth_headers(inspector),
                           approval=approve_scope(unit))


@pytest.fixture
def other_agency(make_unit, make_person, auth_headers):
    unit = make_unit("inspection", "610113", name="另一家检验检测机构")
    return SimpleNamespace(unit=unit, headers=auth_headers(make_person(unit, "inspector", "unit_admin")),
                           approval=approve_scope(unit))


@pytest.fixture
def device(make_equipment, yanta):
    """A registered elevator in use, its periodic inspection due in 200 days."""
    def make(**fields):
        values = {"use_status": "in_use", "registration_status": "registered",
                  "next_due_date": business_today() + timedelta(days=200), "next_due_type": "定期检验", **fields}
        return make_equipment(yanta.unit, "3110", **values)
    return make


@pytest.fixture
def apply(client, yanta, agency):
    """POST an application (the admin's, to `agency`, unless told otherwise); returns the response."""
    def post(equipment_id: int, headers=None, **overrides):
        body = {"equipment_id": equipment_id, "agency_unit_id": agency.unit.id, "inspection_type": "periodic",
                "requested_date": days(10), "contact_name": "张三", "contact_phone": "13912345678",
                "note": "请提前联系。", **overrides}
        body = {k: v for k, v in body.items() if v is not ...}
        return client.post("/api/v1/inspection/applications", json=body, headers=headers or yanta.headers)
    return post
