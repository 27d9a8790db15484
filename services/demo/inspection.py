"""Demo inspection business, made through the services: the demo agency (演示特种设备检验检测院)
declares its scope (业务开通) and the province approves it; the demo units apply for inspections
that end in every state of an application; the agency records two results — a 合格 and a 不合格
with two problems (findings open, that elevator's code red, the mall and its regulators told),
which a newcomer can take on: rectify the findings, apply for the 复检, record a 复检合格.

Each application is made only when its device has no application to the agency for that type
yet, so loading twice adds nothing (and a database loaded before this module grew gets the rest).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from core.auth import Identity
from core.extensions import db
from core.timeutil import business_today
from models.equipment import Equipment
from models.inspection import INSPECTION_TYPES, InspectionApplication
from models.onecode import Code
from models.orgs import Unit
from services.demo.equipment import CHEMICAL, MALL
from services.demo.orgs import demo_person
from services.inspection import applications, approvals, due_dates, results
from services.orgs.accounts import identity_for

AGENCY = "演示特种设备检验检测院"
# Every category the platform inspects (not 8100 长输 / 8200 公用管道), the whole province.
SCOPE_CATEGORIES = ["1000", "2000", "3000", "4000", "5000", "6000", "8300", "9000"]


@dataclass(frozen=True)
class Scenario:
    """One application and where it ends: on the `index`-th coded device (by id) of a category."""

    status: str  # submitted, accepted, planned, completed, refused, withdrawn
    unit: str
    catalogue_code: str
    index: int
    inspection_type: str
    applicant: str  # a demo person's code
    result: dict | None = None  # the completed application's result (report_no, conclusion, problems)


PROBLEMS = [
    {"description": "紧急报警装置无法与值班室通话（轿厢内对讲无应答）", "severity": "serious", "item_key": "8.9", "days": 15},
    {"description": "3 层层门自动关闭装置失效，层门不能自行关闭", "severity": "general", "item_key": "6.8", "days": 30},
]
SCENARIOS = (
    # The mall's second coded elevator (the first carries the demo maintenance contract).
    Scenario("submitted", MALL, "3110", 1, "periodic", "demo-unit-admin"),
    Scenario("accepted", MALL, "1200", 0, "external", "demo-unit-admin"),
    Scenario("planned", CHEMICAL, "2150", 0, "periodic", "demo-hancheng-admin"),
    Scenario("completed", MALL, "3110", 3, "periodic", "demo-unit-admin",
             {"report_no": "DEMO-DT-0001", "conclusion": "合格", "problems": []}),
    Scenario("completed", MALL, "3110", 4, "periodic", "demo-unit-admin",
             {"report_no": "DEMO-DT-0002", "conclusion": "不合格", "problems": PROBLEMS}),
    Scenario("refused", MALL, "3310", 0, "periodic", "demo-unit-admin"),
    Scenario("withdrawn", CHEMICAL, "5110", 0, "periodic", "demo-hancheng-admin"),
)


def load() -> int:
    """The demo devices' due-date series (as the daily job makes them), the agency's approved scope,
    then every scenario not loaded yet; returns how many records were added."""
    due_dates.seed_recorded_series()  # the overdue views and reminders read the series
    agency = db.session.scalar(select(Unit).where(Unit.name == AGENCY))
    created = _approve_scope(agency)
    for scenario in SCENARIOS:
        created += _play(agency, scenario)
    return created


def _approve_scope(agency: Unit) -> int:
    """业务开通: the agency's admin declares, the province approves (every category the platform
    inspects, every inspection type, the whole province, until its 核准证 expires)."""
    if approvals.current_approval(agency.id) is not None:
        return 0
    declared = approvals.declare(identity_for(demo_person("demo-agency-admin"), "cli"), {
        "licence_no": agency.licence_no, "valid_until": agency.licence_expiry, "categories": SCOPE_CATEGORIES,
        "inspection_types": list(INSPECTION_TYPES), "region_codes": [], "note": "演示数据：全省、全部检验类型"})
    approvals.approve(identity_for(demo_person("demo-province"), "cli"), declared, "演示数据")
    return 1


def _device(scenario: Scenario) -> Equipment:
    unit_id = db.session.scalar(select(Unit.id).where(Unit.name == scenario.unit))
    return db.session.scalar(
        select(Equipment).join(Code, (Code.target_type == "equipment") & (Code.target_id == Equipment.id)
                               & (Code.status == "active"))
        .where(Equipment.use_unit_id == unit_id, Equipment.catalogue_code == scenario.catalogue_code,
               Equipment.registration_status == "registered")
        .order_by(Equipment.id).offset(scenario.index).limit(1))


def _play(agency: Unit, scenario: Scenario) -> int:
    """Submit the scenario's application and move it to its final state (and its result)."""
    device = _device(scenario)
    if db.session.scalar(select(InspectionApplication.id).where(
            InspectionApplication.equipment_id == device.id, InspectionApplication.agency_unit_id == agency.id,
            InspectionApplication.inspection_type == scenario.inspection_type).limit(1)):
        return 0
    today = business_today()
    applicant = identity_for(demo_person(scenario.applicant), "cli")
    inspector = identity_for(demo_person("demo-agency"), "cli")
    application = applications.submit(applicant, device, {
        "agency_unit_id": agency.id, "inspection_type": scenario.inspection_type,
        "requested_date": today + timedelta(days=14), "contact_name": "演示联系人", "contact_phone": "13900000008",
        "note": "请提前一天电话联系。"})
    if scenario.status == "withdrawn":
        applications.withdraw(applicant, application, "设备计划停用，暂不检验。")
    elif scenario.status == "refused":
        applications.refuse(inspector, application, "本月检验任务已满，请选择其他检验机构或下月再申请。")
    elif scenario.status != "submitted":
        applications.accept(inspector, application, today + timedelta(days=7))
        if scenario.status in ("planned", "completed"):
            day = today if scenario.status == "completed" else today + timedelta(days=5)
            applications.plan(inspector, application, day, [inspector.person_id], "请物业派人陪同。")
        if scenario.status == "completed":
            _record(inspector, application, scenario.result, today)
    return 1


def _record(inspector: Identity, application: InspectionApplication, result: dict, today: date) -> None:
    """The agency's result for a planned application (it completes the application)."""
    problems = [{"description": p["description"], "severity": p["severity"], "item_key": p["item_key"],
                 "deadline": (today + timedelta(days=p["days"])).isoformat()} for p in result["problems"]]
    outcome = results.record_results(inspector, [{
        "report_no": result["report_no"], "equipment_code": application.equipment.equipment_code,
        "inspection_type": application.inspection_type, "conclusion": result["conclusion"],
        "inspection_date": today.isoformat(), "report_date": today.isoformat(),
        "inspector_names": [demo_person("demo-agency").name], "application_id": application.id,
        "problems": problems}])[0]
    if outcome.status == "error":  # the demo must hold: a refusal here is a bug in it
        raise outcome.error
