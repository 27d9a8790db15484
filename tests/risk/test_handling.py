"""Level-by-level handling (guidance 二(五)): the county helps remove the hazard or reports up, the city
likewise and may consult its inspection agency, the province assesses and sends measures down;
any level sends back one level with a reason; one hazard reported twice is merged."""
from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from core.timeutil import business_today
from core.workdays import add_workdays
from models.notify import OutboxMessage
from models.risk import RiskReport
from services.risk import handling
from tests.risk.conftest import fresh, submit


def act(client, headers, report_id, action, **body):
    return client.post(f"/api/v1/risk/reports/{report_id}/{action}", json=body, headers=headers)


def new_report(client, point, **overrides) -> int:
    response = submit(client, point.reporter_headers, **overrides)
    assert response.status_code == 201, response.json
    return response.json["id"]


def messages(person_id: int, template: str) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_person_id == person_id, OutboxMessage.template == template,
        OutboxMessage.channel == "inbox").order_by(OutboxMessage.id)))


def path_of(client, headers, report_id) -> list[str]:
    response = client.get(f"/api/v1/risk/reports/{report_id}", headers=headers)
    assert response.status_code == 200, response.json
    return [e["action"] for e in response.json["events"]]


# -- "Done when" ----------------------------------------------------------------------------------

def test_a_report_goes_county_city_province_experts_and_back_to_the_county_and_the_reporter_sees_it_all(
        client, risk, app):
    reporter = risk.use.reporter_headers
    report_id = new_report(client, risk.use)
    assert client.get(f"/api/v1/risk/reports/{report_id}", headers=reporter).json["holder_region_code"] == "610113"

    # The county cannot remove the hazard alone and reports up.
    r = act(client, risk.county.headers, report_id, "escalate", reason="涉及电梯改造，需市局协调")
    assert r.status_code == 200, r.json
    assert (r.json["report"]["level"], r.json["report"]["holder_region_code"]) == ("city", "610100")
    assert r.json["allowed_actions"] == []  # the county no longer holds it

    # The city cannot either.
    r = act(client, risk.city.headers, report_id, "escalate", reason="同类问题全省多发，请省局研判")
    assert r.status_code == 200, r.json
    assert (r.json["report"]["level"], r.json["report"]["holder_region_code"]) == ("province", "610000")

    # The province risk centre assigns two experts; each gives an opinion.
    expert_ids = [e.id for e in risk.centre.experts]
    r = act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=expert_ids)
    assert r.status_code == 200, r.json
    assert r.json["report"]["status"] == "assessing"
    for headers, level in zip(risk.centre.expert_headers, ("serious", "general")):
        r = act(client, headers, report_id, "opinion", classification="电梯/使用管理", risk_level=level,
                opinion="梳齿板缺齿属严重隐患，应立即停用更换。")
        assert r.status_code == 200, r.json

    r = act(client, risk.centre.headers, report_id, "consolidate", classification="电梯/使用管理",
            risk_level="serious", measures="立即停用该扶梯，更换梳齿板；全市开展扶梯梳齿板专项排查。")
    assert r.status_code == 200, r.json
    r = act(client, risk.centre.headers, report_id, "send_measures", note="请属地指导企业落实")
    assert r.status_code == 200, r.json
    body = r.json["report"]
    assert (body["status"], body["level"], body["holder_region_code"]) == ("implementing", "county", "610113")
    implementing = add_workdays(business_today(), app.config["RISK_DEADLINE_WORKDAYS"]["implementing"])
    assert body["deadline"] == implementing.isoformat()
    assert "report_done" in client.get(f"/api/v1/risk/reports/{report_id}/handling",
                                       headers=risk.county.headers).json["allowed_actions"]

    # The county reports the measures carried out.
    r = act(client, risk.county.headers, report_id, "report_done", note="企业已停用并更换梳齿板，复查合格。")
    assert r.status_code == 200, r.json
    assert r.json["report"]["status"] == "closed" and r.json["report"]["deadline"] is None

    # The reporter saw every step, in order, and was told of each move.
    assert path_of(client, reporter, report_id) == [
        "submitted", "escalated", "escalated", "assessing", "consolidated", "measures_sent", "measures_done"]
    detail = client.get(f"/api/v1/risk/reports/{report_id}", headers=reporter).json
    assert [(e["to_level"], e["holder_region_code"]) for e in detail["events"]] == [
        ("county", "610113"), ("city", "610100"), ("province", "610000"), ("province", "610000"),
        ("province", "610000"), ("county", "610113"), ("county", "610113")]
    assert detail["status"] == "closed"
    moved = messages(risk.use.reporter_person.id, "risk_report_moved")
    assert len(moved) == 5  # escalated ×2, assessing, measures sent, done
    assert "办结" in moved[-1].body or "措施落实完毕" in moved[-1].body

    # A second county never saw it.
    other = risk.other_county.headers
    assert client.get(f"/api/v1/risk/reports/{report_id}", headers=other).status_code == 404
    listed = client.get("/api/v1/risk/reports", headers=other).json["items"]
    assert report_id not in [item["id"] for item in listed]
    assert act(client, other, report_id, "close", measures="x").status_code == 404
    assert messages(risk.other_county.staff.id, "risk_report_arrived") == []


# -- county ----------------------------------------------------------------------------------------

def test_county_closes_a_report_with_the_measures_taken(client, risk):
    report_id = new_report(client, risk.use)
    r = act(client, risk.county.headers, report_id, "close", measures="已督促企业更换梳齿板。")
    assert r.status_code == 200, r.json
    report = fresh(RiskReport, report_id)
    assert report.status == "closed" and report.closing_note == "已督促企业更换梳齿板。"
    assert report.closed_at is not None and report.deadline is None
    assert report.events[-1].action == "closed" and report.events[-1].note == "已督促企业更换梳齿板。"
    assert len(messages(risk.use.reporter_person.id, "risk_report_moved")) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "risk_report.close",
                                                       AuditEntry.entity_id == str(report_id)))
    assert entry.actor_person_id == risk.county.staff.id
    assert (entry.before["status"], entry.before["closing_note"]) == ("handling", None)
    assert (entry.after["status"], entry.after["closing_note"]) == ("closed", "已督促企业更换梳齿板。")


def test_closing_needs_the_measures_and_escalating_or_sending_back_needs_a_reason(client, risk):
    report_id = new_report(client, risk.use)
    for action, body, field in (("close", {}, "measures"), ("close", {"measures": "   "}, "measures"),
                                ("escalate", {}, "reason"), ("escalate", {"reason": " "}, "reason")):
        r = act(client, risk.county.headers, report_id, action, **body)
        assert r.status_code == 422, (action, body, r.json)
        assert field in r.json["details"]["fields"], r.json
    assert act(client, risk.county.headers, report_id, "escalate", reason="需市局协调").status_code == 200
    r = act(client, risk.city.headers, report_id, "send_back", reason="")
    assert r.status_code == 422 and "reason" in r.json["details"]["fields"]
    assert fresh(RiskReport, report_id).level == "city"


def test_county_cannot_close_report_escalated_to_city(client, risk):
    report_id = new_report(client, risk.use)
    assert act(client, risk.county.headers, report_id, "escalate", reason="需市局协调").status_code == 200
    r = act(client, risk.county.headers, report_id, "close", measures="已处理")
    assert r.status_code == 403 and r.json["code"] == "not_report_holder"
    assert r.json["details"]["holder_region_code"] == "610100"
    assert fresh(RiskReport, report_id).status == "handling"


def test_actions_outside_the_state_machine_are_refused_naming_status_level_and_action(client, risk):
    report_id = new_report(client, risk.use)
    for action, body in (("assign_experts", {"expert_person_ids": [risk.centre.experts[0].id]}),
                         ("consult_agency", {"agency_unit_id": risk.inspection.unit.id, "note": "请研判"}),
                         ("send_back", {"reason": "退回"}),  # the county has no level below
                         ("report_done", {"note": "已完成"}),
                         ("send_measures", {})):
        r = act(client, risk.county.headers, report_id, action, **body)
        assert r.status_code == 409, (action, r.json)
        assert r.json["code"] == "risk_transition_not_allowed"
        assert r.json["details"] == {"status": "handling", "level": "county", "action": action}
    assert act(client, risk.county.headers, report_id, "close", measures="已处理").status_code == 200
    r = act(client, risk.county.headers, report_id, "escalate", reason="再上报")
    assert r.status_code == 409 and r.json["details"] == {"status": "closed", "level": "county",
                                                          "action": "escalate"}


def test_only_the_holders_regulator_staff_act_not_the_reporter_or_the_province(client, risk):
    report_id = new_report(client, risk.use)
    for headers in (risk.use.reporter_headers, risk.use.director_headers, risk.province.headers,
                    risk.centre.headers):
        r = act(client, headers, report_id, "close", measures="已处理")
        assert r.status_code in (403, 404), r.json
        if r.status_code == 403:
            assert r.json["code"] == "not_report_holder"
    assert fresh(RiskReport, report_id).status == "handling"


# -- city ------------------------------------------------------------------------------------------

def test_city_sends_back_to_the_county_it_came_from_with_a_new_deadline(client, risk, app):
    report_id = new_report(client, risk.use)
    act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
    r = act(client, risk.city.headers, report_id, "send_back", reason="属县级职责范围，请县局处置")
    assert r.status_code == 200, r.json
    body = r.json["report"]
    assert (body["status"], body["level"], body["holder_region_code"]) == ("handling", "county", "610113")
    county_days = app.config["RISK_DEADLINE_WORKDAYS"]["county"]
    assert body["deadline"] == add_workdays(business_today(), county_days).isoformat()
    assert body["path"][-1]["action"] == "returned" and body["path"][-1]["note"] == "属县级职责范围，请县局处置"
    assert len(messages(risk.county.staff.id, "risk_report_arrived")) == 2  # submitted, then returned
    assert act(client, risk.county.headers, report_id, "close", measures="已处理").status_code == 200


def test_a_report_that_started_at_the_city_cannot_be_sent_below_it(client, risk):
    report_id = new_report(client, risk.supervision)  # the 西安 regulator's own point: starts at the city
    assert fresh(RiskReport, report_id).level == "city"
    r = act(client, risk.city.headers, report_id, "send_back", reason="请县局处置")
    assert r.status_code == 409 and r.json["code"] == "risk_transition_not_allowed"
    assert r.json["details"]["action"] == "send_back"


def test_hancheng_acts_as_a_city_and_escalates_straight_to_the_province_which_may_send_it_back(client, risk):
    report_id = new_report(client, risk.inspection)  # an agency in 韩城市
    report = fresh(RiskReport, report_id)
    assert (report.level, report.holder_region_code) == ("city", "610581")
    r = act(client, risk.hancheng.headers, report_id, "escalate", reason="需省局研判")
    assert r.status_code == 200, r.json
    assert (r.json["report"]["level"], r.json["report"]["holder_region_code"]) == ("province", "610000")
    r = act(client, risk.province.headers, report_id, "send_back", reason="请韩城市局先行研判")
    assert r.status_code == 200, r.json
    assert (r.json["report"]["level"], r.json["report"]["holder_region_code"]) == ("city", "610581")
    assert act(client, risk.hancheng.headers, report_id, "send_back", reason="x").status_code == 409


def test_city_consults_its_inspection_agency_which_gives_its_opinion(client, risk, make_unit, make_person,
                                                                    auth_headers):
    agency = make_unit("inspection", "610113", name="西安市特种设备检验检测院")
    inspector = make_person(agency, "inspector", name="检验院专家")
    inspector_headers = auth_headers(inspector)
    report_id = new_report(client, risk.use)
    act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
    deadline = fresh(RiskReport, report_id).deadline

    # Before being consulted the agency cannot see the report at all.
    r = act(client, inspector_headers, report_id, "agency_opinion", opinion="意见")
    assert r.status_code == 404

    # Only an agency of the city's area can be consulted.
    r = act(client, risk.city.headers, report_id, "consult_agency", agency_unit_id=risk.inspection.unit.id,
            note="请研判")
    assert r.status_code == 422 and "agency_unit_id" in r.json["details"]["fields"]
    r = act(client, risk.city.headers, report_id, "consult_agency", agency_unit_id=agency.id,
            note="请对梳齿板缺齿的风险提出处置意见")
    assert r.status_code == 200, r.json
    assert r.json["report"]["path"][-1]["action"] == "agency_consulted"
    assert "西安市特种设备检验检测院" in r.json["report"]["path"][-1]["note"]
    assert len(messages(inspector.id, "risk_agency_consulted")) == 1

    # The agency's staff see it and record their opinion; the city's deadline keeps running.
    view = client.get(f"/api/v1/risk/reports/{report_id}/handling", headers=inspector_headers)
    assert view.status_code == 200 and view.json["allowed_actions"] == ["agency_opinion"]
    r = act(client, inspector_headers, report_id, "agency_opinion", opinion="建议立即停用，更换梳齿板后检验。")
    assert r.status_code == 200, r.json
    report = fresh(RiskReport, report_id)
    assert [e.action for e in report.events][-2:] == ["agency_consulted", "agency_opinion"]
    assert report.events[-1].note == "「西安市特种设备检验检测院」意见：建议立即停用，更换梳齿板后检验。"
    assert report.deadline == deadline and (report.status, report.level) == ("handling", "city")

    # The agency cannot otherwise handle it; another agency cannot record an opinion.
    r = act(client, inspector_headers, report_id, "close", measures="已处理")
    assert r.status_code == 404
    other_agency = make_unit("inspection", "610113", name="另一检验机构")
    r = act(client, auth_headers(make_person(other_agency, "inspector")), report_id, "agency_opinion", opinion="x")
    assert r.status_code == 404
    # The city may record it for the agency too; then it closes the report.
    r = act(client, risk.city.headers, report_id, "agency_opinion", opinion="电话沟通：同意停用更换。")
    assert r.status_code == 200, r.json
    assert act(client, risk.city.headers, report_id, "close", measures="会同检验院指导企业更换").status_code == 200
    r = act(client, inspector_headers, report_id, "agency_opinion", opinion="补充意见")
    assert r.status_code == 409 and r.json["code"] == "risk_transition_not_allowed"


def test_the_city_cannot_record_an_opinion_of_an_agency_it_did_not_consult(client, risk):
    report_id = new_report(client, risk.use)
    act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
    r = act(client, risk.city.headers, report_id, "agency_opinion", opinion="意见")
    assert r.status_code == 409 and r.json["code"] == "risk_agency_not_consulted"


# -- province --------------------------------------------------------------------------------------

def test_province_closes_directly_or_sends_back_to_the_city_that_held_it(client, risk):
    first, second = new_report(client, risk.use), new_report(client, risk.use, title="另一隐患：限速器未校验")
    for report_id in (first, second):
        act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
        act(client, risk.city.headers, report_id, "escalate", reason="需省局研判")
    r = act(client, risk.province.headers, first, "close", measures="经研判已由企业整改完毕")
    assert r.status_code == 200 and r.json["report"]["status"] == "closed"
    r = act(client, risk.centre.headers, second, "send_back", reason="请市局商检验机构研判")
    assert r.status_code == 200, r.json
    assert (r.json["report"]["level"], r.json["report"]["holder_region_code"]) == ("city", "610100")
    r = act(client, risk.city.headers, second, "send_back", reason="请县局处置")
    assert (r.json["report"]["level"], r.json["report"]["holder_region_code"]) == ("county", "610113")


def test_a_city_regulator_is_not_the_province(client, risk):
    report_id = new_report(client, risk.use)
    act(client, risk.county.headers, report_id, "escalate", reason="需市局协调")
    act(client, risk.city.headers, report_id, "escalate", reason="需省局研判")
    r = act(client, risk.city.headers, report_id, "assign_experts", expert_person_ids=[risk.centre.experts[0].id])
    assert r.status_code == 403 and r.json["code"] == "not_report_holder"


# -- merge -----------------------------------------------------------------------------------------

def test_a_report_merged_into_another_ends_merged_and_is_handled_no_further(client, risk):
    primary = new_report(client, risk.use)
    duplicate = new_report(client, risk.production, title="商场扶梯梳齿板缺齿")
    r = act(client, risk.county.headers, duplicate, "merge", into_id=primary, note="同一扶梯")
    assert r.status_code == 200, r.json
    body = r.json["report"]
    assert body["status"] == "merged" and body["merged_into_id"] == primary and body["deadline"] is None
    assert r.json["allowed_actions"] == []
    assert act(client, risk.county.headers, duplicate, "close", measures="x").json["code"] == \
        "risk_transition_not_allowed"
    assert fresh(RiskReport, primary).events[-1].action == "merged_in"
    # The reporter of the duplicate is told where it went.
    assert f"风险信息 {primary}" in messages(risk.production.reporter_person.id, "risk_report_moved")[-1].body
    # Handling continues on the primary.
    assert act(client, risk.county.headers, primary, "close", measures="已更换").status_code == 200


def test_merge_needs_an_open_visible_other_report(client, risk):
    report_id = new_report(client, risk.use)
    closed = new_report(client, risk.use, title="已办结的信息")
    act(client, risk.county.headers, closed, "close", measures="已处理")
    r = act(client, risk.county.headers, report_id, "merge", into_id=closed)
    assert r.status_code == 409 and r.json["code"] == "risk_merge_target_closed"
    r = act(client, risk.county.headers, report_id, "merge", into_id=report_id)
    assert r.status_code == 422
    hancheng_report = new_report(client, risk.inspection)
    r = act(client, risk.county.headers, report_id, "merge", into_id=hancheng_report)
    assert r.status_code == 404  # the county cannot see 韩城's report
    assert fresh(RiskReport, report_id).status == "handling"


# -- the machine itself ------------------------------------------------------------------------------

def test_the_transition_table_never_moves_a_report_out_of_a_final_state_or_skips_a_level():
    for (status, level, action), t in handling.TRANSITIONS.items():
        assert status not in ("closed", "merged")
        if action == "escalate":
            assert ["county", "city", "province"].index(t.to_level) == ["county", "city", "province"].index(level) + 1
        if action == "send_back":
            assert ["county", "city", "province"].index(t.to_level) == ["county", "city", "province"].index(level) - 1
    assert ("handling", "county", "assign_experts") not in handling.TRANSITIONS
    assert ("handling", "county", "send_back") not in handling.TRANSITIONS


def test_an_unknown_report_or_a_huge_id_is_404_not_500(client, risk):
    assert act(client, risk.county.headers, 999999, "close", measures="x").status_code == 404
    assert act(client, risk.county.headers, 2**40, "close", measures="x").status_code == 404
    assert client.get(f"/api/v1/risk/reports/{2**40}/handling", headers=risk.county.headers).status_code == 404


def test_the_reporter_sees_the_risk_centre_assess_the_report_never_the_experts_names(client, risk):
    report_id = new_report(client, risk.use)
    for office in (risk.county, risk.city):
        assert act(client, office.headers, report_id, "escalate", reason="需上级研判").status_code == 200
    r = act(client, risk.centre.headers, report_id, "assign_experts",
            expert_person_ids=[risk.centre.experts[0].id], note="请尽快评估")
    assert r.status_code == 200, r.json
    more = act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[risk.centre.experts[1].id])
    assert more.status_code == 200, more.json

    detail = client.get(f"/api/v1/risk/reports/{report_id}", headers=risk.use.reporter_headers).json
    shown = str(detail) + "".join(m.body for m in messages(risk.use.reporter_person.id, "risk_report_moved"))
    for expert in risk.centre.experts:
        assert expert.name not in shown
    assessing = [e for e in detail["events"] if e["action"] == "assessing"]
    assert assessing and "陕西省特种设备风险监测及应急保障中心" in assessing[0]["note"]
    # The centre still sees whom it asked.
    assessment = client.get(f"/api/v1/risk/reports/{report_id}/assessment", headers=risk.centre.headers).json
    assert [a["expert_name"] for a in assessment["assignments"]] == [e.name for e in risk.centre.experts]
