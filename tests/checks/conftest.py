"""A 雁塔区 shopping mall under Order 74: its people, appointments, elevators with codes,
and helpers to scan, answer a risk-control list and upload a photo."""
from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest

from core.extensions import db
from core.timeutil import business_today
from models.checks import Appointment
from tests.images import png

PNG = png()
ELEVATOR_ITEMS = 7  # the platform's default elevator list (migration 0005)


@pytest.fixture
def mall(make_unit, make_person, make_equipment, auth_headers):
    """Two elevators in the officer's care, one in a colleague's, one escalator without an officer."""
    from services.equipment.onecode import active_code, assign_many

    unit = make_unit("use", "610113", name="演示日管控商场")
    maintainer = make_unit("production", "610113", name="演示日管控维保公司", production_scopes=["maintenance"])
    admin = make_person(unit, "unit_admin", "principal", name="商场负责人")
    director = make_person(unit, "safety_director", name="安全总监甲")
    officer = make_person(unit, "safety_officer", name="安全员甲")
    colleague = make_person(unit, "safety_officer", name="安全员乙")
    reporter = make_person(unit, "risk_reporter", name="报送员")
    in_date = {"use_status": "in_use", "registration_status": "registered", "maintenance_unit_id": maintainer.id,
               "last_inspection_conclusion": "合格", "next_due_date": business_today() + timedelta(days=200),
               "next_due_type": "定期检验"}
    elevator = make_equipment(unit, "3110", address="商场 1 号客梯", safety_officer_person_id=officer.id, **in_date)
    second = make_equipment(unit, "3110", address="商场 2 号客梯", safety_officer_person_id=officer.id, **in_date)
    other = make_equipment(unit, "3110", address="商场 3 号客梯", safety_officer_person_id=colleague.id, **in_date)
    escalator = make_equipment(unit, "3310", address="商场 1 号扶梯", **in_date)
    assign_many([elevator.id, second.id, other.id, escalator.id], None)
    start = business_today() - timedelta(days=30)
    for person, role in ((director, "safety_director"), (officer, "safety_officer"), (colleague, "safety_officer")):
        db.session.add(Appointment(unit_id=unit.id, person_id=person.id, role=role, kind_code="3000",
                                   start_date=start))
    db.session.flush()
    return {
        "unit": unit, "maintainer": maintainer, "admin": admin, "director": director, "officer": officer,
        "colleague": colleague, "reporter": reporter, "elevator": elevator, "second": second, "other": other,
        "escalator": escalator, "code": active_code(elevator.id).code, "second_code": active_code(second.id).code,
        "admin_headers": auth_headers(admin), "director_headers": auth_headers(director),
        "officer_headers": auth_headers(officer, client="miniapp"),
        "colleague_headers": auth_headers(colleague, client="miniapp"),
        "reporter_headers": auth_headers(reporter, client="miniapp"),
    }


@pytest.fixture
def neighbour(make_unit, make_person, make_equipment, auth_headers):
    """A use unit in 碑林区 (610103), another county, with its own officer and elevator."""
    unit = make_unit("use", "610103", name="碑林区邻居商场")
    officer = make_person(unit, "safety_officer", name="邻居安全员")
    elevator = make_equipment(unit, "3110", use_status="in_use", safety_officer_person_id=officer.id)
    return {"unit": unit, "officer": officer, "elevator": elevator, "headers": auth_headers(officer)}


def checklist_keys(client, headers, kind_code: str = "3000") -> list[str]:
    response = client.get(f"/api/v1/checks/checklists?kind_code={kind_code}", headers=headers)
    assert response.status_code == 200, response.json
    return [item["key"] for item in response.json["items"]]


def answers(keys: list[str], **abnormal: dict) -> list[dict]:
    """Every item normal, except those named: `answers(keys, i2={"severity": "serious", ...})`."""
    return [{"item_key": k, "result": "abnormal", **abnormal[k]} if k in abnormal
            else {"item_key": k, "result": "normal"} for k in keys]


def upload(client, headers) -> str:
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(PNG), "现场.png")}, headers=headers,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def scan(client, headers, code: str) -> dict:
    response = client.post("/api/v1/checks/scan", json={"code": code}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def submit(client, headers, equipment_id: int, items: list[dict], *, scan_token: str | None = None,
           key: str | None = None, **extra):
    body = {"equipment_id": equipment_id, "answers": items, **extra}
    if scan_token:
        body["scan_token"] = scan_token
    all_headers = {**headers, "Idempotency-Key": key} if key else headers
    return client.post("/api/v1/checks/daily", json=body, headers=all_headers)


def fresh(model, pk):
    """The row as the requests left it (the test's own session may hold an older copy)."""
    db.session.expire_all()
    return db.session.get(model, pk)


def new_key() -> str:
    return str(uuid.uuid4())
