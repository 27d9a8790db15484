"""Fixtures of the inspection-result tests (imported by tests/inspection/test_results*.py and
tests/integration_api/test_inspection_results.py): an approved agency with an inspector and a
machine client, a use unit in 雁塔区 with its admin, 安全员 and 安全总监, the district's regulator,
and coded devices."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from core.audit import AuditContext, AuditEntry
from core.extensions import db
from core.timeutil import business_today
from integration_api.client import FlaskOpenClient
from models.inspection import INSPECTION_TYPES, AgencyApproval
from models.notify import OutboxMessage

ALL_KINDS = ("1000", "2000", "3000", "4000", "5000", "6000", "8000", "9000")


def day(n: int) -> date:
    return business_today() + timedelta(days=n)


def result_record(equipment_code: str, report_no: str = "JY-2026-0001", **overrides) -> dict:
    """A periodic elevator result record as the agency's machine sends it (JSON values)."""
    record = {"report_no": report_no, "equipment_code": equipment_code, "inspection_type": "periodic",
              "conclusion": "合格", "inspection_date": day(-2).isoformat(), "report_date": day(-1).isoformat(),
              "inspector_names": ["王检验", "李检验"], **overrides}
    return {k: v for k, v in record.items() if v is not ...}


def messages_to(person_id: int) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_person_id == person_id,
                                                               OutboxMessage.channel == "inbox")
                                   .order_by(OutboxMessage.id)))


def audit_count(action_prefix: str = "") -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.startswith(action_prefix)))


@pytest.fixture
def approve():
    """`approve(unit, categories=..., types=..., regions=..., valid_until=...)`: an approved 业务开通."""
    def make(unit, categories=ALL_KINDS, types=tuple(INSPECTION_TYPES), regions=(), valid_until=None,
             valid_from=None) -> AgencyApproval:
        approval = AgencyApproval(unit_id=unit.id, region_code=unit.region_code, licence_no=f"TS7161{unit.id:04d}",
                                  valid_from=valid_from, valid_until=valid_until or day(365),
                                  categories=list(categories), inspection_types=list(types),
                                  region_codes=list(regions), status="approved")
        db.session.add(approval)
        db.session.flush()
        return approval
    return make


@pytest.fixture
def lab(client, make_unit, make_person, auth_headers, approve):
    """An approved agency (scope: every kind, every type, the whole province) with an inspector
    and a machine client holding inspection:write (`lab.machine` signs requests)."""
    from services import clients

    unit = make_unit("inspection", "610100", name="测试特种设备检验研究院")
    inspector = make_person(unit, "inspector")
    approval = approve(unit)
    issued = clients.create_client(AuditContext(None, None, "test"), unit, "检验院业务系统",
                                   ["inspection:write", "inspection:read"])
    return SimpleNamespace(unit=unit, inspector=inspector, headers=auth_headers(inspector), approval=approval,
                           client_id=issued.client.id, machine=FlaskOpenClient(client, issued.key.key_id, issued.secret))


@pytest.fixture
def mall(make_unit, make_person, auth_headers):
    """A use unit in 雁塔区 (admin, 安全员, 安全总监) and the district's regulator staff."""
    unit = make_unit("use", "610113", name="雁塔检验演示商场")
    admin, officer = make_person(unit, "unit_admin"), make_person(unit, "safety_officer")
    director = make_person(unit, "safety_director")
    regulator_unit = make_unit("regulator", "610113", name="雁塔区市场监督管理局")
    regulator = make_person(regulator_unit, "regulator_staff")
    return SimpleNamespace(unit=unit, admin=admin, officer=officer, director=director, regulator=regulator,
                           headers=auth_headers(admin), officer_headers=auth_headers(officer),
                           director_headers=auth_headers(director), regulator_headers=auth_headers(regulator))


@pytest.fixture
def coded(make_equipment, mall):
    """`coded(catalogue_code="3110", **fields)`: a registered device in use with its one-code."""
    from services.equipment.onecode import active_code, assign_many

    counter = iter(range(1, 10**6))

    def make(catalogue_code: str = "3110", **fields):
        n = next(counter)
        values = {"use_status": "in_use", "registration_status": "registered",
                  "equipment_code": f"{catalogue_code}610113{2026}{n:04d}", "next_due_date": day(200),
                  "next_due_type": "定期检验", **fields}
        device = make_equipment(mall.unit, catalogue_code, **values)
        assign_many([device.id], None)
        return SimpleNamespace(device=device, id=device.id, code=device.equipment_code,
                               scan=active_code(device.id).code)
    return make
