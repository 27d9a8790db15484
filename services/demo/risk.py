"""Demo risk monitoring: points of each type in 雁塔区 and 韩城, reporters (demo-reporter and a few
more, with complete personnel information and demo logins), and reports in several states, made
through the risk services (intake, handling, experts, assessment, cases, recognition) by the demo
people, then dated back over the past weeks so the statistics and the periodic report have
handling times to show:

- at the county (雁塔区), just reported;
- escalated to the city (西安市);
- at the province, with two experts' opinions;
- implementing the province's measures at the county;
- closed after the province's measures, rated and written up as a published typical case;
- closed at the county and at 韩城 (city level), rated; one closed without a rating.

Loading twice adds nothing: each part is skipped when its first record is there.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Callable

from sqlalchemy import select

from core.extensions import db
from core.timeutil import SHANGHAI, business_today
from models.equipment import Equipment
from models.orgs import Account, Unit
from models.risk import Reporter, RiskReport
from services.demo.orgs import DEMO_PASSWORD, demo_id_number, demo_person
from services.orgs import accounts, people
from services.orgs.accounts import identity_for
from services.risk import assessment, cases, experts, handling, intake, path, points, recognition

MALL = "演示雁塔商业广场有限公司"
AGENCY = "演示特种设备检验检测院"
MAINTAINER = "演示电梯维保有限公司"
COUNTY = "西安市雁塔区市场监督管理局"
CHEMICAL = "演示韩城化工有限公司"
CENTRE = "陕西省特种设备风险监测及应急保障中心"
FIRST_TITLE = "商场 3 号客梯层门门锁啮合深度不足"

# (login, unit, name, roles, phone, id number): people the demo points need beyond services.demo.orgs.
EXTRA_PEOPLE = (
    ("demo-reporter2", MALL, "电梯作业人员", [{"role": "operator", "certificate_type": "T 电梯作业",
                                                "certificate_no": "T-610113-0002"}],
     "13900000021", demo_id_number("610113", "19880808", "015")),
    ("demo-reporter-maint", MAINTAINER, "维保报送员", [{"role": "operator", "certificate_type": "T 电梯作业",
                                                     "certificate_no": "T-610113-0003"}],
     "13900000022", demo_id_number("610113", "19870707", "037")),
    ("demo-reporter-county", COUNTY, "雁塔区风险监测员", [{"role": "regulator_staff"}],
     "13900000023", demo_id_number("610113", "19860606", "059")),
    ("demo-reporter-hancheng", CHEMICAL, "化工报送员", [{"role": "operator", "certificate_type": "R1 快开门式压力容器操作",
                                                     "certificate_no": "R1-610581-0001"}],
     "13900000024", demo_id_number("610581", "19890909", "071")),
    ("demo-expert2", CENTRE, "起重机械专家", [{"role": "expert", "specialties": ["起重机械", "压力容器"]}],
     "13900000025", None),
)

# (unit, point type, designated by, manager, reporters)
POINTS = (
    (COUNTY, "supervision", "demo-city", "demo-county", ("demo-reporter-county",)),
    (AGENCY, "inspection", "demo-county", "demo-agency", ("demo-agency",)),
    (MALL, "use", "demo-county", "demo-director", ("demo-reporter", "demo-reporter2")),
    (MAINTAINER, "production", "demo-county", "demo-maintainer", ("demo-reporter-maint",)),
    (CHEMICAL, "use", "demo-hancheng", "demo-hancheng-admin", ("demo-reporter-hancheng",)),
)


def _unit(name: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == name))


def _who(code: str, client: str = "pc"):
    return identity_for(demo_person(code), client)


def _people() -> int:
    created = 0
    for code, unit_name, name, roles, phone, id_number in EXTRA_PEOPLE:
        if db.session.scalar(select(Account.id).where(Account.username == code)):
            continue
        person = people.add_person_record(_unit(unit_name), {"name": name, "phone": phone, "id_number": id_number,
                                                             "roles": roles})
        accounts.create_password_account(person, code, DEMO_PASSWORD)
        db.session.scalar(select(Account).where(Account.person_id == person.id)).openid = f"openid-{code}"
        created += 1
    return created


def _points() -> int:
    created = 0
    for unit_name, point_type, designator, manager, reporter_codes in POINTS:
        unit = _unit(unit_name)
        regulator = _who(designator)
        point = points.active_point_for(unit.id)
        if point is None:
            if point_type == "use" and unit.control_level is None:
                points.set_control_level(regulator, unit, "一级" if unit_name == MALL else "二级")
            point = points.designate_point(regulator, unit, point_type, demo_person(manager).id)
            created += 1
        for code in reporter_codes:
            person = demo_person(code)
            if db.session.scalar(select(Reporter.id).where(Reporter.point_id == point.id,
                                                           Reporter.person_id == person.id,
                                                           Reporter.status == "active")) is None:
                points.designate_reporter(_who(manager), point, person.id)
                created += 1
    return created


# -- reports, dated back --------------------------------------------------------------------------

def _moment(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = business_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), SHANGHAI)


class _Story:
    """A report made step by step through the services; each step's path events get its date."""

    def __init__(self, reporter: str, data: dict, days_ago: int, hour: int) -> None:
        self.report = intake.submit_report(_who(reporter, "miniapp"), {"not_emergency_confirmed": True, **data})
        self.done = 0
        self._date(_moment(days_ago, hour))
        self.report.submitted_at = self.report.events[0].created_at
        db.session.flush()

    def _date(self, when: datetime) -> None:
        report = self.report
        for event in report.events[self.done:]:
            event.created_at = when
            event.deadline = path.deadline_for(event.to_status, event.to_level, when.date())
        self.done = len(report.events)
        report.deadline = report.events[-1].deadline
        if report.status == "closed":
            report.closed_at = when
        db.session.flush()

    def step(self, days_ago: int, hour: int, action: Callable, who: str, *args) -> "_Story":
        action(_who(who), self.report, *args)
        self._date(_moment(days_ago, hour))
        return self


def _device(address: str) -> int | None:
    return db.session.scalar(select(Equipment.id).where(Equipment.address == address))


def _reports() -> int:
    if db.session.scalar(select(RiskReport.id).where(RiskReport.title == FIRST_TITLE)):
        return 0
    expert_ids = [demo_person("demo-expert").id, demo_person("demo-expert2").id]

    # Closed after the province's measures; rated; written up as a published typical case.
    lift = _Story("demo-reporter", {
        "area": "use", "kind": "hazard", "title": FIRST_TITLE, "catalogue_code": "3110",
        "equipment_id": _device("演示商业广场 3 号客梯"), "suggested_level": "serious", "place": "商场 3 号客梯",
        "body": "日常乘梯时发现 3 号客梯 2 层层门关闭后仍可扒开约 3 厘米，门锁啮合深度目测不足 7 毫米，"
                "同型号的 5 号、7 号客梯也有类似情况，可能是同一批门锁部件的共性问题。"}, 40, 9)
    lift.step(38, 10, handling.escalate, "demo-county", "同型号门锁涉及多家使用单位，县局无法判定部件质量问题。")
    lift.step(35, 15, handling.escalate, "demo-city", "疑似门锁部件批次性缺陷，需省级组织专家研判。")
    lift.step(34, 10, experts.assign, "demo-province", expert_ids[:1], "请研判门锁部件是否存在批次性缺陷。")
    lift.step(33, 16, experts.submit_opinion, "demo-expert", "电梯门系统", "serious",
              "层门门锁啮合深度不足 7 毫米属于严重隐患，建议对同批次门锁全面排查并更换。")
    lift.step(31, 11, assessment.consolidate, "demo-province", "电梯门系统", "serious",
              "一、使用单位立即停用涉事客梯并更换门锁；二、县局组织辖区同型号门锁排查；三、检验机构在定期检验中重点核查门锁啮合深度。")
    lift.step(31, 12, assessment.send_measures, "demo-province", "请雁塔区局督促落实并于期限内反馈。")
    lift.step(24, 17, handling.report_done, "demo-county", "三台客梯门锁已全部更换，辖区同型号门锁排查 46 台，整改 9 台。")
    recognition.rate(_who("demo-expert"), lift.report.id, 5, True)
    case = cases.create_case(_who("demo-province"), lift.report.id, {
        "title": "同批次电梯层门门锁缺陷的逐级处置",
        "summary": "一线作业人员在日常乘梯中发现客梯层门可被扒开，县、市两级研判为疑似部件批次缺陷后上报省局；"
                   "省风险监测中心组织专家评估为严重隐患，提出停用更换、区域排查和检验重点核查三项措施，"
                   "雁塔区局督促落实，辖区排查同型号门锁 46 台、整改 9 台。",
        "lessons": "同型号部件的共性问题应尽早逐级上报，由省级统一研判，避免各地重复处置；"
                   "门锁啮合深度应纳入日管控检查项目。"})
    cases.publish_case(_who("demo-province"), case)
    case.published_at = _moment(20, 9)

    # At the county: just reported.
    _Story("demo-reporter", {
        "area": "use", "kind": "hazard", "title": "1 号自动扶梯梳齿板多处断齿", "catalogue_code": "3310",
        "equipment_id": _device("演示商业广场 1 号自动扶梯"), "suggested_level": "general",
        "body": "1 号自动扶梯上部梳齿板有 4 处断齿，已设置围挡提醒乘客，等待维保单位更换。"}, 1, 10)

    # Escalated to the city.
    _Story("demo-reporter-maint", {
        "area": "maintenance", "kind": "difficulty", "title": "老旧小区电梯维保费用过低影响维保质量",
        "catalogue_code": "3000", "suggested_level": "general",
        "body": "部分老旧小区电梯维保合同单价低于成本，维保人员难以按规定频次和项目维护保养，建议出台指导价。"},
        9, 14).step(6, 9, handling.escalate, "demo-county", "涉及维保收费政策，需市局统筹研究。")

    # At the province, two experts' opinions in.
    crane = _Story("demo-agency", {
        "area": "inspection", "kind": "hazard", "title": "多台起重机械制动器磨损超标未报检",
        "catalogue_code": "4000", "suggested_level": "major",
        "body": "检验中发现辖区多家企业的桥式起重机制动器摩擦片磨损超过原厚度的 50%，且未按期申报定期检验。"},
        20, 8)
    crane.step(18, 11, handling.escalate, "demo-county", "涉及多家企业，需市局协调检验机构。")
    crane.step(15, 16, handling.escalate, "demo-city", "可能构成重大事故隐患，请省局研判。")
    crane.step(12, 10, experts.assign, "demo-province", expert_ids, "请评估是否构成重大事故隐患（GB 45067）。")
    crane.step(10, 15, experts.submit_opinion, "demo-expert", "起重机械制动系统", "major",
               "制动器失效可能导致重物坠落，依据 GB 45067 判定为重大事故隐患。")
    crane.step(9, 11, experts.submit_opinion, "demo-expert2", "起重机械制动系统", "major",
               "同意判定为重大事故隐患，建议立即停用并更换制动器，督促企业按期报检。")

    # Implementing the province's measures at the county.
    check = _Story("demo-reporter-county", {
        "area": "supervision", "kind": "problem", "title": "辖区部分使用单位日管控记录流于形式",
        "catalogue_code": "3000", "suggested_level": "serious",
        "body": "监督检查中发现部分商场、医院的电梯每日检查记录存在集中补签现象，检查内容与现场不符。"}, 16, 9)
    check.step(14, 10, handling.escalate, "demo-county", "涉及全市同类问题，提请市局统一部署。") \
        .step(12, 15, handling.escalate, "demo-city", "建议省级出台日管控抽查规则。") \
        .step(11, 9, experts.assign, "demo-province", expert_ids[:1], "请提出日管控抽查建议。") \
        .step(10, 16, experts.submit_opinion, "demo-expert", "安全管理", "serious",
              "建议监察机构按月抽查日管控记录与现场一致性，对补签问题约谈安全总监。") \
        .step(9, 10, assessment.consolidate, "demo-province", "安全管理", "serious",
              "按月抽查日管控记录与现场的一致性；对集中补签的单位约谈安全总监并跟踪整改。") \
        .step(8, 11, assessment.send_measures, "demo-province", "请雁塔区局先行试点。")

    # Closed at the county, rated by the risk centre's ops (they see the whole province; the expert,
    # never assigned to it, does not).
    sign = _Story("demo-reporter2", {
        "area": "use", "kind": "suggestion", "title": "建议在电梯轿厢内张贴 96333 救援电话",
        "catalogue_code": "3110", "suggested_level": "general",
        "body": "部分客梯轿厢内救援电话标识脱落，建议统一张贴 96333 应急救援电话及设备使用标志。"}, 28, 15)
    sign.step(25, 10, handling.close, "demo-county", "已督促使用单位补贴标识，并在辖区推广。")
    recognition.rate(_who("demo-ops"), sign.report.id, 3, True)  # the expert never saw it: not assigned

    # Closed without a rating.
    _Story("demo-reporter-maint", {
        "area": "maintenance", "kind": "suggestion", "title": "建议维保单位上传维保记录照片",
        "catalogue_code": "3000", "suggested_level": "general",
        "body": "建议维保单位在平台上传维保关键项目照片，便于使用单位和监管部门核查。"}, 22, 16) \
        .step(19, 9, handling.close, "demo-county", "已转市局信息化建设部门研究，暂按建议办结。")

    # 韩城 acts at city level: closed there, rated by the risk centre.
    tank = _Story("demo-reporter-hancheng", {
        "area": "use", "kind": "hazard", "title": "储罐安全阀超期未校验", "catalogue_code": "2100",
        "suggested_level": "serious", "place": "演示化工厂区储罐区",
        "body": "厂区 2 号、4 号储罐的安全阀校验有效期已过 2 个月，尚未安排校验。"}, 18, 10)
    tank.step(15, 16, handling.close, "demo-hancheng", "已督促企业完成安全阀校验，校验报告已存档。")
    recognition.rate(_who("demo-ops"), tank.report.id, 4, True)
    db.session.flush()
    return 8


def load() -> int:
    """Create whatever demo risk record is missing; returns how many were added."""
    return _people() + _points() + _reports()
