"""Shared fixtures for the risk domain: regulators down the supervision hierarchy, a monitoring
point of each type with reporters whose personnel information is complete, the province risk
centre with two experts, a unit that reports can be about, and helpers to submit reports.

    def test_something(client, risk):
        response = submit(client, risk.use.reporter_headers, title="…")
        report_id = response.json["id"]

`risk` (a namespace) holds:

- regulators, each with `.unit`, `.staff` (a `regulator_staff` person), `.headers`:
  `risk.province` (610000), `risk.city` (西安市 610100), `risk.county` (雁塔区 610113),
  `risk.other_county` (碑林区 610103), `risk.hancheng` (韩城市 610581, acts as a city);
- points, each with `.unit`, `.point`, `.manager`, `.reporter` (a Reporter row), `.reporter_person`,
  `.reporter_headers` (mini program), `.manager_headers`:
  - `risk.use`: a 一级 use unit in 雁塔区 (county start), with `.director` / `.director_headers`
    (安全总监) and `.admin` / `.admin_headers`;
  - `risk.production`: a production unit in 雁塔区 (county start), with a 质量安全总监
    `.director` / `.director_headers`;
  - `risk.supervision`: the 西安市 regulator itself (city start); its reporter is a regulator officer;
  - `risk.inspection`: an inspection agency in 韩城市 (starts at 韩城, city level);
- `risk.centre`: the province risk centre (`.unit`; `.staff` / `.headers`, its unit admin; `.experts`,
  two persons with role `expert`; `.expert_headers`, their headers in the same order);
- `risk.mall`: a use unit in 雁塔区 that reports can be about (`.unit`, `.admin`, `.admin_headers`,
  `.elevator` with an active one-code `.code`).
"""
from __future__ import annotations

import io
import uuid
from types import SimpleNamespace

import pytest
from PIL import Image

from core.extensions import db
from core.idcodes import id_check_char
from models.risk import MonitoringPoint, Reporter

_ids = iter(range(1, 10**6))


def new_id_number() -> str:
    """A valid, unused 18-digit ID number (GB 11643 check character)."""
    n = next(_ids)
    body = f"61011319850{1 + (n // 1000) % 9}{1 + (n // 9000) % 28:02d}{n % 1000:03d}"
    return body + id_check_char(body)


def new_key() -> str:
    return str(uuid.uuid4())


def report_body(**overrides) -> dict:
    """A valid risk report: a hazard in use, one paragraph."""
    body = {"area": "use", "kind": "hazard", "title": "商场扶梯梳齿板多处缺齿",
            "body": "巡检发现商场 1 号扶梯梳齿板多处缺齿，存在夹脚风险，建议尽快更换。",
            "suggested_level": "general"}
    body.update(overrides)
    return body


def submit(client, headers, *, key: str | None = None, **overrides):
    """POST a report (with an Idempotency-Key when `key` is given)."""
    all_headers = {**headers, "Idempotency-Key": key} if key else headers
    return client.post("/api/v1/risk/reports", json=report_body(**overrides), headers=all_headers)


def jpeg_with_gps(size=(640, 480), colour=(200, 60, 40), orientation: int | None = None) -> bytes:
    """A JPEG carrying EXIF with a GPS position (Xi'an), a camera make and optionally an orientation."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (34.0, 13.0, 24.0)
    gps[3] = "E"
    gps[4] = (108.0, 56.0, 42.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=85)
    image.close()
    return buffer.getvalue()


def upload(client, headers, data: bytes, filename: str = "现场.jpg") -> str:
    response = client.post("/api/v1/uploads", data={"file": (io.BytesIO(data), filename)}, headers=headers,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def fresh(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


@pytest.fixture
def make_complete_person(make_person):
    """A person whose reporter information is complete: name, phone, ID number, a post."""

    def make(unit, *roles: str, **fields):
        fields.setdefault("id_number", new_id_number())
        return make_person(unit, *roles, **fields)

    return make


@pytest.fixture
def make_point(make_complete_person, auth_headers):
    """Make a point directly: `make_point(unit, "use")` -> namespace with point, manager, reporter."""

    def make(unit, point_type: str, *, reporter_roles=("operator",), manager=None):
        manager = manager or make_complete_person(unit, "unit_admin", name=f"{unit.name}监测点负责人")
        point = MonitoringPoint(unit_id=unit.id, point_type=point_type, region_code=unit.region_code,
                                manager_person_id=manager.id, status="active")
        db.session.add(point)
        db.session.flush()
        person = make_complete_person(unit, *reporter_roles, "risk_reporter", name=f"{unit.name}报送员")
        reporter = Reporter(point_id=point.id, person_id=person.id, status="active", is_expert=False)
        db.session.add(reporter)
        db.session.flush()
        return SimpleNamespace(unit=unit, point=point, manager=manager, manager_headers=auth_headers(manager),
                               reporter=reporter, reporter_person=person,
                               reporter_headers=auth_headers(person, client="miniapp"))

    return make


@pytest.fixture
def risk(make_unit, make_person, make_complete_person, make_point, make_equipment, auth_headers):
    from services.equipment.onecode import active_code, assign_many

    def regulator(code: str, name: str):
        unit = make_unit("regulator", code, name=name)
        staff = make_complete_person(unit, "regulator_staff", "unit_admin", name=f"{name}监管员")
        return SimpleNamespace(unit=unit, staff=staff, headers=auth_headers(staff))

    province = regulator("610000", "陕西省市场监督管理局")
    city = regulator("610100", "西安市市场监督管理局")
    county = regulator("610113", "雁塔区市场监督管理局")
    other_county = regulator("610103", "碑林区市场监督管理局")
    hancheng = regulator("610581", "韩城市市场监督管理局")

    use_unit = make_unit("use", "610113", name="雁塔一级管控商场", control_level="一级")
    use = make_point(use_unit, "use")
    use.director = make_complete_person(use_unit, "safety_director", name="商场安全总监")
    use.director_headers = auth_headers(use.director)
    use.admin, use.admin_headers = use.manager, use.manager_headers

    production_unit = make_unit("production", "610113", name="雁塔电梯维保公司",
                                production_scopes=["maintenance"], licence_no="TS3161001-2027")
    production = make_point(production_unit, "production")
    production.director = make_complete_person(production_unit, "quality_safety_director", name="维保质量安全总监")
    production.director_headers = auth_headers(production.director)

    supervision = make_point(city.unit, "supervision", reporter_roles=("regulator_staff",), manager=city.staff)
    inspection_unit = make_unit("inspection", "610581", name="韩城特种设备检验所")
    inspection = make_point(inspection_unit, "inspection", reporter_roles=("inspector",))

    centre_unit = make_unit("risk_center", "610000", name="陕西省特种设备风险监测及应急保障中心")
    centre_staff = make_complete_person(centre_unit, "unit_admin", name="中心工作人员")
    experts = [make_complete_person(centre_unit, "expert", name=f"中心专家{i}") for i in (1, 2)]
    centre = SimpleNamespace(unit=centre_unit, staff=centre_staff, headers=auth_headers(centre_staff),
                             experts=experts, expert_headers=[auth_headers(e) for e in experts])

    mall_unit = make_unit("use", "610113", name="被报告的商场")
    mall_admin = make_person(mall_unit, "unit_admin", "safety_director", name="被报告商场管理员")
    elevator = make_equipment(mall_unit, "3110", address="被报告商场 1 号客梯", use_status="in_use",
                              registration_status="registered")
    assign_many([elevator.id], None)
    mall = SimpleNamespace(unit=mall_unit, admin=mall_admin, admin_headers=auth_headers(mall_admin),
                           elevator=elevator, code=active_code(elevator.id).code)

    return SimpleNamespace(province=province, city=city, county=county, other_county=other_county,
                           hancheng=hancheng, use=use, production=production, supervision=supervision,
                           inspection=inspection, centre=centre, mall=mall)
