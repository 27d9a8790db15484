"""Order 73 (总局令第73号) for production units: the 质量安全员's daily production-quality record,
the 质量安全总监's weekly report and the 主要负责人's monthly minutes on the same engine as Order 74,
counted in the regulators' compliance figures."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from models.checks import DailyCheck
from models.findings import Finding
from tests.checks.fixtures_reports import LONG_AGO, appoint, at, monday, previous_month
from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)

BASE = "/api/v1/checks/production"


def add_production_check(unit, officer, day):
    check = DailyCheck(equipment_id=None, unit_id=unit.id, region_code=unit.region_code, officer_person_id=officer.id,
                       check_date=day, submitted_at=at(day, 17), abnormal_count=0, zero_risk=True,
                       results=[{"key": "p1", "text": "设计文件", "result": "normal"}])
    db.session.add(check)
    db.session.flush()
    return check


@pytest.fixture
def plant(make_unit, make_person, auth_headers):
    """A 雁塔区 installer and maintainer under Order 73 with its principal, 质量安全总监 and 质量安全员."""
    unit = make_unit("production", "610113", name="演示安装维保公司", production_scopes=["installation", "maintenance"])
    principal = make_person(unit, "principal", name="生产负责人")
    director = make_person(unit, "quality_safety_director", name="质量安全总监甲")
    officer = make_person(unit, "quality_safety_officer", name="质量安全员甲")
    appoint(unit, principal, "principal", None)
    appoint(unit, director, "quality_safety_director", None)
    appoint(unit, officer, "quality_safety_officer", None, start=LONG_AGO)
    return {"unit": unit, "principal": principal, "director": director, "officer": officer,
            "principal_headers": auth_headers(principal), "director_headers": auth_headers(director),
            "officer_headers": auth_headers(officer, client="miniapp")}


def _answers(keys, **abnormal):
    return [{"item_key": k, "result": "abnormal", **abnormal[k]} if k in abnormal
            else {"item_key": k, "result": "normal"} for k in keys]


def test_a_quality_safety_officer_records_the_days_production_check_and_a_finding_without_a_device(client, plant):
    headers = plant["officer_headers"]
    day = client.get(f"{BASE}/today", headers=headers)
    assert day.status_code == 200, day.json
    assert (day.json["state"], day.json["checklist"]["kind_code"], day.json["checklist"]["is_default"]) == (
        "missing", "PROD", True)
    keys = [i["key"] for i in day.json["checklist"]["items"]]
    assert len(keys) == 10
    body = {"answers": _answers(keys, p3={"severity": "general", "note": "焊工证过期"}), "note": "今日安装现场"}
    response = client.post(f"{BASE}/daily", json=body, headers=headers)
    assert response.status_code == 201, response.json
    record = response.json
    assert (record["equipment_id"], record["equipment"], record["unit_id"], record["abnormal_count"]) == (
        None, None, plant["unit"].id, 1)
    assert [f["severity"] for f in record["findings"]] == ["general"]
    finding = db.session.scalar(select(Finding).where(Finding.source_id == record["id"]))
    assert (finding.equipment_id, finding.unit_id, finding.source_type, finding.status) == (
        None, plant["unit"].id, "daily_check", "open")
    assert finding.deadline is not None and "焊工证过期" in finding.description
    again = client.post(f"{BASE}/daily", json=body, headers=headers)
    assert (again.status_code, again.json["code"]) == (409, "daily_check_exists")
    assert client.get(f"{BASE}/today", headers=headers).json["state"] == "done"
    listed = client.get(f"/api/v1/checks/daily?unit_id={plant['unit'].id}", headers=plant["director_headers"])
    assert [c["id"] for c in listed.json["items"]] == [record["id"]]
    # The 质量安全员 closes the general finding of the production check.
    closed = client.post(f"/api/v1/findings/{finding.id}/close", json={"note": "已更换持证焊工"}, headers=headers)
    assert closed.status_code == 200, closed.json


def test_a_use_unit_only_person_cannot_make_production_records(client, works, plant):
    keys = [f"p{n}" for n in range(1, 11)]
    response = client.post(f"{BASE}/daily", json={"answers": _answers(keys)}, headers=works["officer_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_quality_safety_officer")
    response = client.post(f"{BASE}/weekly/submit", json={"analysis": "无"}, headers=works["director_headers"])
    assert response.json["code"] == "not_production_unit"
    response = client.post(f"{BASE}/monthly/submit", json={}, headers=works["principal_headers"])
    assert response.json["code"] == "not_production_unit"
    # Within the production unit, only the 质量安全总监 writes the weekly report.
    response = client.put(f"{BASE}/weekly", json={"analysis": "草稿"}, headers=plant["officer_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_quality_safety_director")
    # A use unit cannot keep a production list; the production unit sees only its own kind of list.
    items = {"items": [{"text": "原材料验收"}]}
    response = client.put(f"/api/v1/units/{works['unit'].id}/checklists/PROD", json=items,
                          headers=works["admin_headers"])
    assert (response.status_code, response.json["code"]) == (422, "kind_code_invalid")
    own = client.put(f"/api/v1/units/{plant['unit'].id}/checklists/PROD", json=items,
                     headers=plant["director_headers"])
    assert own.status_code == 200, own.json
    lists = client.get(f"/api/v1/units/{plant['unit'].id}/checklists", headers=plant["director_headers"]).json
    assert [(c["kind_code"], c["is_default"]) for c in lists] == [("PROD", False)]
    use_lists = client.get(f"/api/v1/units/{works['unit'].id}/checklists", headers=works["admin_headers"]).json
    assert "PROD" not in {c["kind_code"] for c in use_lists}


def test_the_weekly_report_and_the_monthly_minutes_of_a_production_unit_are_prefilled_and_accepted(client, plant):
    m = monday(1)
    for n in (0, 1, 2, 4, 5):
        add_production_check(plant["unit"], plant["officer"], m + timedelta(days=n))
    query = f"week={m.isoformat()}"
    view = client.get(f"{BASE}/weekly?{query}", headers=plant["director_headers"])
    assert view.status_code == 200, view.json
    f = view.json["figures"]
    assert (view.json["title"], view.json["kind_code"], view.json["can_edit"]) == (
        "《每周质量安全排查治理报告》", "PROD", True)
    assert (f["officers"], f["checks_expected"], f["checks_done"], f["checks_missed"]) == (1, 7, 5, 2)
    assert [(o["person_id"], o["missed"]) for o in f["missed_by_officer"]] == [(plant["officer"].id, 2)]
    submitted = client.post(f"{BASE}/weekly/submit?{query}", json={"analysis": "周三、周日漏检，已督促。"},
                            headers=plant["director_headers"])
    assert submitted.status_code == 200, submitted.json
    assert (submitted.json["status"], submitted.json["figures"]["checks_done"]) == ("submitted", 5)
    again = client.post(f"{BASE}/weekly/submit?{query}", json={"analysis": "再次"}, headers=plant["director_headers"])
    assert (again.status_code, again.json["code"]) == (409, "report_already_submitted")

    first, last = previous_month()
    month = f"month={first.strftime('%Y-%m')}"
    minutes = {"meeting_date": last.isoformat(), "attendees": [{"name": "生产负责人"}, {"name": "质量安全总监甲"}],
               "decisions": "加强焊工持证管理。", "next_month_tasks": "开展无损检测专项检查。"}
    response = client.post(f"{BASE}/monthly/submit?{month}", json=minutes, headers=plant["director_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_principal")
    view = client.get(f"{BASE}/monthly?{month}", headers=plant["principal_headers"]).json
    assert view["title"] == "《每月质量安全调度会议纪要》" and "质量安全员 1 名" in view["director_report"]
    assert view["figures"]["checks_expected"] == (last - first).days + 1 and view["can_submit"]
    response = client.post(f"{BASE}/monthly/submit?{month}", json=minutes, headers=plant["principal_headers"])
    assert response.status_code == 200, response.json
    assert (response.json["status"], response.json["kind_code"]) == ("submitted", "PROD")
    assert "weekly_reports" in response.json["figures"]


def test_compliance_for_a_region_counts_the_production_units_expected_and_missing_records(
        client, plant, works, regulator, make_unit):
    make_unit("production", "610113", name="未任命的制造厂")  # no Order 73 appointment: not counted
    m = monday(1)
    for n in range(5):
        add_production_check(plant["unit"], plant["officer"], m + timedelta(days=n))
    window = f"date_from={m.isoformat()}&date_to={(m + timedelta(days=6)).isoformat()}"
    response = client.get(f"/api/v1/checks/compliance?{window}", headers=regulator("610113"))
    assert response.status_code == 200, response.json
    rows = {r["unit_id"]: r for r in response.json["items"]}
    row = rows[plant["unit"].id]
    assert (row["daily_expected"], row["daily_done"], row["daily_rate"]) == (7, 5, 0.7143)
    assert (row["weekly_expected"], row["weekly_submitted"], row["kinds"]) == (1, 0, ["PROD"])
    assert (row["missing_appointment_kinds"], row["units_appointed"], row["behind"]) == ([], 1, True)
    assert set(rows) == {plant["unit"].id, works["unit"].id}
    # A 碑林区 regulator does not see the 雁塔区 production unit.
    other = client.get(f"/api/v1/checks/compliance?{window}", headers=regulator("610103")).json
    assert plant["unit"].id not in {r["unit_id"] for r in other["items"]}


def test_the_demo_maintenance_unit_has_days_of_production_records(client, demo, auth_headers):
    director = demo.demo_person("demo-maintainer")
    checks = db.session.scalars(select(DailyCheck).where(DailyCheck.unit_id == director.unit_id)
                                .order_by(DailyCheck.check_date)).all()
    assert len(checks) == 5 and all(c.equipment_id is None for c in checks)
    assert [c.abnormal_count for c in checks] == [0, 0, 1, 0, 0]
    view = client.get(f"{BASE}/weekly", headers=auth_headers(director))
    assert view.status_code == 200 and view.json["can_edit"], view.json


def test_a_quality_safety_officer_without_todays_production_record_is_reminded_once(plant):
    from jobs import checks as jobs
    from models.notify import OutboxMessage

    today = business_today()
    assert jobs.remind_daily_checks(at(today, 17, 5).isoformat()) == 1
    assert jobs.remind_daily_checks(at(today, 17, 30).isoformat()) == 0
    (message,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "production_check_due",
                                                                 OutboxMessage.channel == "inbox")).all()
    assert (message.recipient_person_id, message.dedupe_key) == (
        plant["officer"].id, f"checks:production_daily_due:{plant['officer'].id}:{today.isoformat()}")
    add_production_check(plant["unit"], plant["officer"], today + timedelta(days=1))
    assert jobs.remind_daily_checks(at(today + timedelta(days=1), 17, 5).isoformat()) == 0
