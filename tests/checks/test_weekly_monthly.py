"""周排查 and 月调度 (Order 74): the 安全总监's weekly report and the 主要负责人's monthly minutes,
pre-filled with the period's figures, written and submitted by the right person, once."""
from datetime import timedelta

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from models.checks import WeeklyReport
from tests.checks.fixtures_reports import add_check, add_checks, add_finding, appoint, monday, previous_month
from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)

URL = "/api/v1/checks/weekly"
MONTHLY = "/api/v1/checks/monthly"


def days(start, n):
    return [start + timedelta(days=i) for i in range(n)]


def test_the_weekly_report_is_prefilled_with_the_weeks_checks_findings_and_stopped_devices(
        client, works, make_equipment):
    m = monday(2)
    e1, e2 = works["elevators"]
    officer = works["officer"]
    e3 = make_equipment(works["unit"], "3110", use_status="in_use", put_into_use_date=m + timedelta(days=2),
                        product_name="新装客梯")
    boiler = make_equipment(works["unit"], "1100", use_status="in_use")
    add_checks(e1, [m - timedelta(days=1), *days(m, 7)], officer)
    add_checks(e2, [d for d in days(m, 7) if d not in (m + timedelta(days=1), m + timedelta(days=3))], officer)
    add_checks(e3, [d for d in days(m + timedelta(days=2), 5) if d != m + timedelta(days=5)], officer)
    add_checks(works["suspended"], [m], officer)
    add_checks(boiler, days(m, 7), officer)
    e2.hazard_stopped = True
    add_finding(e1, opened=m + timedelta(days=1), deadline=m + timedelta(days=8))
    add_finding(e2, "serious", opened=m + timedelta(days=2))
    add_finding(e1, opened=m - timedelta(days=5), closed=m + timedelta(days=3))
    late = add_finding(e2, opened=m - timedelta(days=10), deadline=m + timedelta(days=2))
    closed_late = add_finding(e1, opened=m - timedelta(days=10), deadline=m + timedelta(days=4),
                              closed=m + timedelta(days=7))
    add_finding(boiler, opened=m + timedelta(days=1))
    add_finding(e1, opened=m, deadline=m + timedelta(days=6))  # due on the last day: not yet overdue

    response = client.get(f"{URL}?kind_code=3000&week={m + timedelta(days=3)}", headers=works["director_headers"])
    assert response.status_code == 200, response.json
    report = response.json
    assert (report["title"], report["status"], report["week_start"], report["can_edit"]) == (
        "《每周电梯安全排查治理报告》", "new", m.isoformat(), True)
    f = report["figures"]
    assert (f["devices_in_use"], f["days_counted"], f["through"]) == (3, 7, (m + timedelta(days=6)).isoformat())
    assert (f["checks_expected"], f["checks_done"], f["checks_missed"], f["check_rate"]) == (19, 16, 3, 0.8421)
    assert [(d["expected"], d["done"]) for d in f["by_day"]] == [(2, 2), (2, 1), (3, 3), (3, 2), (3, 3), (3, 2),
                                                                 (3, 3)]
    assert [(x["equipment_id"], x["missed"], x["dates"]) for x in f["missed_by_device"]] == [
        (e2.id, 2, [(m + timedelta(days=1)).isoformat(), (m + timedelta(days=3)).isoformat()]),
        (e3.id, 1, [(m + timedelta(days=5)).isoformat()])]
    assert f["findings_opened"] == {"general": 2, "serious": 1, "major": 0, "total": 3}
    assert f["findings_closed"] == {"general": 1, "serious": 0, "major": 0, "total": 1}
    assert f["findings_open"]["total"] == 5
    assert [(o["finding_id"], o["days_overdue"]) for o in f["overdue"]] == [(late.id, 4), (closed_late.id, 2)]
    assert [h["equipment_id"] for h in f["hazard_stopped"]] == [e2.id]


def test_only_the_units_safety_director_saves_and_submits_the_weekly_report(client, works, make_person,
                                                                            auth_headers):
    week = f"kind_code=3000&week={monday(1)}"
    for who in ("officer_headers", "admin_headers", "principal_headers"):
        response = client.put(f"{URL}?{week}", json={"analysis": "本周无异常。"}, headers=works[who])
        assert (response.status_code, response.json["code"]) == (403, "not_safety_director"), who
    # A director by appointment alone may write for the kind appointed, not for another.
    deputy = make_person(works["unit"], "safety_officer", name="总监乙")
    appoint(works["unit"], deputy, "safety_director", "3000")
    headers = auth_headers(deputy)
    assert client.put(f"{URL}?{week}", json={"analysis": "草稿"}, headers=headers).status_code == 200
    response = client.put(f"{URL}?kind_code=1000&week={monday(1)}", json={"analysis": "草稿"}, headers=headers)
    assert (response.status_code, response.json["code"]) == (403, "not_safety_director")


def test_a_submitted_weekly_report_keeps_its_figures_and_cannot_be_submitted_twice(client, works):
    m = monday(1)
    e1, _ = works["elevators"]
    add_checks(e1, days(m, 3), works["officer"])
    query, headers = f"kind_code=3000&week={m}", works["director_headers"]
    response = client.post(f"{URL}/submit?{query}", json={}, headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "analysis_required")

    draft = client.put(f"{URL}?{query}", json={"analysis": "2号客梯连续漏检，已约谈安全员。"}, headers=headers)
    assert (draft.status_code, draft.json["status"], draft.json["figures"]["checks_done"]) == (200, "draft", 3)
    submitted = client.post(f"{URL}/submit?{query}", json={}, headers=headers)
    assert submitted.status_code == 200, submitted.json
    assert (submitted.json["status"], submitted.json["analysis"], submitted.json["director_name"]) == (
        "submitted", "2号客梯连续漏检，已约谈安全员。", "总监甲")
    assert submitted.json["submitted_at"] and submitted.json["can_edit"] is False

    add_check(e1, m + timedelta(days=4), works["officer"])  # a late record does not change the report
    again = client.get(f"{URL}?{query}", headers=works["officer_headers"])
    assert (again.json["status"], again.json["figures"]["checks_done"]) == ("submitted", 3)
    response = client.post(f"{URL}/submit?{query}", json={"analysis": "再交一次"}, headers=headers)
    assert (response.status_code, response.json["code"]) == (409, "report_already_submitted")
    assert client.put(f"{URL}?{query}", json={"analysis": "改"}, headers=headers).status_code == 409
    assert db.session.scalar(select(WeeklyReport.figures).where(WeeklyReport.unit_id == works["unit"].id)
                             )["checks_done"] == 3
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "weekly_report"))
    assert sorted(actions) == ["weekly_report.save", "weekly_report.submit"]


def test_the_week_defaults_to_this_week_and_a_week_not_started_or_a_variety_code_is_refused(client, works):
    headers = works["director_headers"]
    this_week = client.get(f"{URL}?kind_code=3000", headers=headers).json
    assert (this_week["week_start"], this_week["figures"]["through"]) == (monday().isoformat(),
                                                                         business_today().isoformat())
    response = client.get(f"{URL}?kind_code=3000&week={monday() + timedelta(days=7)}", headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "period_not_started")
    response = client.get(f"{URL}?kind_code=3110", headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "kind_code_invalid")
    response = client.get(f"{URL}?kind_code=3000&week=2026-13-01", headers=headers)
    assert response.status_code == 422 and "week" in response.json["details"]["fields"]


def test_a_county_regulator_reads_the_units_weekly_report_and_a_neighbour_county_cannot(client, works, regulator):
    query = f"kind_code=3000&week={monday(1)}&unit_id={works['unit'].id}"
    assert client.get(f"{URL}?{query}", headers=regulator("610113")).status_code == 200
    assert client.get(f"{URL}?{query}", headers=regulator("610103")).status_code == 404
    response = client.put(f"{URL}?kind_code=3000", json={"analysis": "x"}, headers=regulator("610113"))
    assert response.status_code == 403


# -- 月调度 -------------------------------------------------------------------------------------------------

def test_the_monthly_minutes_are_prefilled_with_the_months_figures_and_weekly_reports(client, works):
    first, last = previous_month()
    e1, e2 = works["elevators"]
    month_days = days(first, (last - first).days + 1)
    add_checks(e1, month_days, works["officer"])
    add_checks(e2, month_days[:-2], works["officer"])
    mondays = [d - timedelta(days=3) for d in month_days if d.weekday() == 3]  # weeks by their Thursday
    for week_start, status in zip(mondays, ("submitted", "submitted", "draft")):
        db.session.add(WeeklyReport(unit_id=works["unit"].id, region_code="610113", kind_code="3000",
                                    week_start=week_start, status=status))
    db.session.flush()

    response = client.get(f"{MONTHLY}?kind_code=3000&month={first:%Y-%m}", headers=works["principal_headers"])
    assert response.status_code == 200, response.json
    minutes = response.json
    assert (minutes["title"], minutes["month"], minutes["status"], minutes["can_submit"]) == (
        "《每月电梯安全调度会议纪要》", f"{first:%Y-%m}", "new", True)
    f = minutes["figures"]
    assert (f["checks_expected"], f["checks_done"], f["checks_missed"]) == (2 * len(month_days),
                                                                            2 * len(month_days) - 2, 2)
    weekly = f["weekly_reports"]
    due = [m for m in mondays if m + timedelta(days=6) < business_today()]
    assert [w["week_start"] for w in weekly["weeks"]] == [m.isoformat() for m in mondays]
    assert [w["status"] for w in weekly["weeks"]][:4] == ["submitted", "submitted", "draft", "missing"]
    assert (weekly["expected"], weekly["submitted"]) == (len(due), 2)
    assert f"应提交周排查报告 {len(due)} 份，已提交 2 份" in minutes["director_report"]
    assert "漏检 2 台次" in minutes["director_report"]


def test_a_unit_manager_drafts_the_minutes_and_only_the_principal_submits_them(client, works):
    today = business_today()
    month = f"kind_code=3000&month={today:%Y-%m}"
    attendees = [{"name": "厂长甲", "role": "主要负责人"}, {"name": "总监甲", "role": "安全总监"}]
    draft = client.put(f"{MONTHLY}?{month}", headers=works["admin_headers"],
                       json={"meeting_date": today.isoformat(), "attendees": attendees, "decisions": "更换2号客梯门锁。"})
    assert (draft.status_code, draft.json["status"], draft.json["can_submit"]) == (200, "draft", False)
    weeks = draft.json["figures"]["weekly_reports"]["weeks"]
    assert all(w["due"] == (w["week_end"] < today.isoformat()) for w in weeks)  # due once the week is over
    response = client.post(f"{MONTHLY}/submit?{month}", json={}, headers=works["admin_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_principal")
    response = client.put(f"{MONTHLY}?{month}", json={"decisions": "x"}, headers=works["officer_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_minutes_editor")
    response = client.put(f"{MONTHLY}?{month}", json={"meeting_date": (today + timedelta(days=40)).isoformat()},
                          headers=works["principal_headers"])
    assert (response.status_code, response.json["code"]) == (422, "meeting_date_invalid")

    response = client.post(f"{MONTHLY}/submit?{month}", json={}, headers=works["principal_headers"])
    assert (response.status_code, response.json["code"]) == (422, "minutes_incomplete")
    assert list(response.json["details"]["fields"]) == ["next_month_tasks"]
    done = client.post(f"{MONTHLY}/submit?{month}", json={"next_month_tasks": "完成年度检验申报。"},
                       headers=works["principal_headers"])
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["principal_name"], done.json["attendees"]) == (
        "submitted", "厂长甲", attendees)
    assert "日管控应检" in done.json["director_report"] and done.json["decisions"] == "更换2号客梯门锁。"
    again = client.post(f"{MONTHLY}/submit?{month}", json={}, headers=works["principal_headers"])
    assert (again.status_code, again.json["code"]) == (409, "minutes_already_submitted")


def test_a_principal_by_appointment_submits_and_a_bad_month_is_a_field_error(client, works, make_person,
                                                                            auth_headers):
    deputy = make_person(works["unit"], "risk_reporter", name="代理负责人")
    appoint(works["unit"], deputy, "principal", None)
    today = business_today()
    body = {"meeting_date": today.isoformat(), "attendees": [{"name": "代理负责人"}], "decisions": "无",
            "next_month_tasks": "无", "director_report": "本月运行平稳。"}
    response = client.post(f"{MONTHLY}/submit?kind_code=3000", json=body, headers=auth_headers(deputy))
    assert (response.status_code, response.json["director_report"]) == (200, "本月运行平稳。")
    response = client.get(f"{MONTHLY}?kind_code=3000&month=2026-13", headers=works["principal_headers"])
    assert response.status_code == 422 and "month" in response.json["details"]["fields"]
