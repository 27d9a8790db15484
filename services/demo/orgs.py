"""Demo units in 西安 雁塔区 and 韩城, regulators
for the province, 西安市, 雁塔区 and 韩城市, and people bound to predictable openids,
so `demo-<name>` codes log in through the fake WeChat. Loading twice adds nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from core.audit import AuditContext
from core.extensions import db
from core.idcodes import USCC_CHARS, id_check_char, uscc_check_char
from models.orgs import Account, Person, Unit
from services.orgs import accounts, people, units

DEMO_PASSWORD = "demo2026"
CTX = AuditContext(None, None, "cli")


def demo_uscc(region: str, serial: str) -> str:
    """A checksum-valid USCC for a fictitious company registered in `region`."""
    body = f"91{region}MA{serial}"
    inner = 11 - sum(int(c, 36) * w for c, w in zip(body[8:16], (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    body += "X" if inner == 10 else "0" if inner == 11 else str(inner)
    assert all(c in USCC_CHARS for c in body)
    return body + uscc_check_char(body)


def demo_id_number(region: str, birth: str, seq: str) -> str:
    body = f"{region}{birth}{seq}"
    return body + id_check_char(body)


@dataclass
class DemoPerson:
    code: str
    name: str
    roles: list[dict]
    phone: str
    id_number: str | None = None


@dataclass
class DemoUnit:
    data: dict
    people: list[DemoPerson] = field(default_factory=list)


def _role(role: str, **extra) -> dict:
    return {"role": role, **extra}


DEMO_UNITS = [
    DemoUnit({"kind": "regulator", "name": "陕西省市场监督管理局", "region_code": "610000",
              "address": "西安市", "contact_phone": "029-86138283"},
             [DemoPerson("demo-province", "省局监管员", [_role("regulator_staff"), _role("unit_admin")],
                         "13900000001")]),
    DemoUnit({"kind": "regulator", "name": "西安市市场监督管理局", "region_code": "610100", "address": "西安市"},
             [DemoPerson("demo-city", "西安市局监管员", [_role("regulator_staff"), _role("unit_admin")],
                         "13900000002")]),
    DemoUnit({"kind": "regulator", "name": "西安市雁塔区市场监督管理局", "region_code": "610113",
              "address": "西安市雁塔区"},
             [DemoPerson("demo-county", "雁塔区监管员", [_role("regulator_staff"), _role("unit_admin")],
                         "13900000003")]),
    DemoUnit({"kind": "regulator", "name": "韩城市市场监督管理局", "region_code": "610581", "address": "韩城市"},
             [DemoPerson("demo-hancheng", "韩城市监管员", [_role("regulator_staff"), _role("unit_admin")],
                         "13900000004")]),
    DemoUnit({"kind": "risk_center", "name": "陕西省特种设备风险监测及应急保障中心", "region_code": "610000",
              "address": "西安市", "contact_phone": "029-82472406"},
             [DemoPerson("demo-expert", "风险评估专家", [_role("expert", specialties=["电梯", "起重机械"])],
                         "13900000005"),
              DemoPerson("demo-ops", "平台运维", [_role("ops"), _role("unit_admin")], "13900000006")]),
    DemoUnit({"kind": "inspection", "name": "演示特种设备检验检测院", "uscc": demo_uscc("610113", "6U1001"),
              "region_code": "610113", "address": "西安市雁塔区演示路 1 号", "legal_representative": "检验院长",
              "contact_name": "检验联系人", "contact_phone": "029-80000001", "licence_no": "TS7110001-2028",
              "licence_expiry": date(2028, 12, 31)},
             [DemoPerson("demo-agency", "检验员", [_role("inspector", certificate_type="检验人员证",
                                                       certificate_no="DTJ-610001",
                                                       certificate_expiry=date(2029, 6, 30))], "13900000007",
                         demo_id_number("610113", "19850312", "031")),
              DemoPerson("demo-agency-admin", "检验院管理员", [_role("unit_admin")], "13900000027")]),
    DemoUnit({"kind": "use", "name": "演示雁塔商业广场有限公司", "uscc": demo_uscc("610113", "6U2002"),
              "region_code": "610113", "address": "西安市雁塔区演示大道 88 号", "legal_representative": "广场法人",
              "contact_name": "广场联系人", "contact_phone": "029-80000002"},
             [DemoPerson("demo-unit-admin", "单位管理员", [_role("unit_admin"), _role("principal")],
                         "13900000008", demo_id_number("610113", "19780605", "012")),
              DemoPerson("demo-director", "安全总监", [_role("safety_director")], "13900000009",
                         demo_id_number("610113", "19800101", "023")),
              DemoPerson("demo-officer", "安全员", [_role("safety_officer")], "13900000010",
                         demo_id_number("610113", "19900202", "045")),
              DemoPerson("demo-reporter", "信息报送员", [_role("risk_reporter"),
                                                       _role("operator", certificate_type="T 电梯作业",
                                                             certificate_no="T-610113-0001")],
                         "13900000011", demo_id_number("610113", "19920303", "067"))]),
    DemoUnit({"kind": "production", "name": "演示电梯维保有限公司", "uscc": demo_uscc("610113", "6U3003"),
              "region_code": "610113", "address": "西安市雁塔区演示路 9 号", "legal_representative": "维保法人",
              "contact_name": "维保联系人", "contact_phone": "029-80000003",
              "production_scopes": ["installation", "repair", "maintenance"], "licence_no": "TS3161001-2027",
              "licence_expiry": date(2027, 12, 31)},
             [DemoPerson("demo-maintainer", "维保负责人", [_role("unit_admin"), _role("quality_safety_director")],
                         "13900000012"),
              DemoPerson("demo-quality-officer", "质量安全员", [_role("quality_safety_officer")], "13900000026",
                         demo_id_number("610113", "19910707", "031"))]),
    DemoUnit({"kind": "use", "name": "演示韩城化工有限公司", "uscc": demo_uscc("610581", "6U4004"),
              "region_code": "610581", "address": "韩城市演示工业园", "legal_representative": "化工法人",
              "contact_name": "化工联系人", "contact_phone": "0913-5000004"},
             [DemoPerson("demo-hancheng-admin", "化工单位管理员", [_role("unit_admin"), _role("safety_director")],
                         "13900000013")]),
]


# A self-registered unit waiting for 雁塔区's review: the README's `GET /api/v1/units?status=pending`
# as demo-county finds it.
PENDING_UNIT = {"kind": "use", "name": "演示雁塔待审核酒店有限公司", "uscc": demo_uscc("610113", "6U5005"),
                "region_code": "610113", "address": "西安市雁塔区演示街 5 号", "legal_representative": "酒店法人",
                "contact_name": "酒店联系人", "contact_phone": "029-80000005"}
PENDING_ADMIN = {"name": "酒店管理员", "phone": "13900000014", "username": "demo-pending-admin",
                 "password": DEMO_PASSWORD}


def _load_pending() -> int:
    if db.session.scalar(select(Unit.id).where(Unit.name == PENDING_UNIT["name"])):
        return 0
    units.register_unit(CTX, PENDING_UNIT, PENDING_ADMIN)
    return 1


def load() -> int:
    """Create whatever demo record is missing; returns how many units and people were added."""
    created = 0
    for spec in DEMO_UNITS:
        unit = db.session.scalar(select(Unit).where(Unit.name == spec.data["name"]))
        if unit is None:
            unit = units.create_unit(CTX, spec.data)
            created += 1
        for p in spec.people:
            if db.session.scalar(select(Account.id).where(Account.username == p.code)):
                continue
            person = people.add_person_record(unit, {"name": p.name, "phone": p.phone, "id_number": p.id_number,
                                                     "roles": p.roles})
            accounts.create_password_account(person, p.code, DEMO_PASSWORD)
            db.session.scalar(select(Account).where(Account.person_id == person.id)).openid = f"openid-{p.code}"
            created += 1
    db.session.flush()
    return created + _load_pending()  # after the regulators, who are told of it


def demo_person(code: str) -> Person:
    account = db.session.scalar(select(Account).where(Account.username == code))
    return db.session.get(Person, account.person_id)
