"""Expert assessment at the province (guidance 二(五)): the centre assigns experts from the pool, each
classifies, rates and gives an opinion once, the centre consolidates them into mitigation measures
and sends them to the locality where the report started, which reports them done."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from core.workdays import add_workdays
from models.risk import ExpertAssignment, RiskReport
from tests.risk.conftest import fresh
from tests.risk.test_handling import act, messages, new_report


def to_province(client, risk, point=None) -> int:
    point = point or risk.use
    report_id = new_report(client, point)
    report = fresh(RiskReport, report_id)
    if report.level == "county":
        assert act(client, risk.county.headers, report_id, "escalate", reason="需市局协调").status_code == 200
    holder = risk.hancheng if fresh(RiskReport, report_id).holder_region_code == "610581" else risk.city
    assert act(client, holder.headers, report_id, "escalate", reason="需省局研判").status_code == 200
    return report_id


def set_specialties(person, *specialties: str) -> None:
    next(r for r in person.roles if r.role == "expert").specialties = list(specialties)
    db.session.flush()


def opinion(client, headers, report_id, **overrides):
    body = {"classification": "电梯/使用管理", "risk_level": "serious", "opinion": "应立即停用并更换梳齿板。"}
    body.update(overrides)
    return act(client, headers, report_id, "opinion", **body)


@pytest.fixture
def assessing(client, risk):
    """A report at the province with both centre experts assigned."""
    report_id = to_province(client, risk)
    r = act(client, risk.centre.headers, report_id, "assign_experts",
            expert_person_ids=[e.id for e in risk.centre.experts], note="请三个工作日内提出意见")
    assert r.status_code == 200, r.json
    return report_id


# -- the pool ----------------------------------------------------------------------------------------

def test_the_expert_pool_is_listed_by_specialty_for_the_province_only(client, risk, make_unit, make_person):
    agency = make_unit("inspection", "610113", name="省检验院")
    boiler = make_person(agency, "inspector", "expert", name="锅炉专家")
    set_specialties(boiler, "锅炉", "检验检测")
    set_specialties(risk.centre.experts[0], "电梯", "使用")
    for headers in (risk.province.headers, risk.centre.headers):
        r = client.get("/api/v1/risk/experts", headers=headers)
        assert r.status_code == 200, r.json
        assert {e["person_id"] for e in r.json} == {boiler.id, *(e.id for e in risk.centre.experts)}
    r = client.get("/api/v1/risk/experts", query_string={"specialty": "锅炉"}, headers=risk.province.headers)
    assert [e["name"] for e in r.json] == ["锅炉专家"] and r.json[0]["unit_name"] == "省检验院"
    for headers in (risk.city.headers, risk.county.headers, risk.centre.expert_headers[0], risk.use.reporter_headers):
        r = client.get("/api/v1/risk/experts", headers=headers)
        assert r.status_code == 403 and r.json["code"] == "not_province_body"


def test_experts_matching_the_reports_equipment_kind_or_area_come_first(client, risk, make_unit, make_person):
    agency = make_unit("inspection", "610113", name="省检验院")
    boiler = make_person(agency, "inspector", "expert", name="锅炉专家")
    set_specialties(boiler, "锅炉")
    elevator = make_person(agency, "inspector", "expert", name="电梯专家")
    set_specialties(elevator, "电梯")
    report_id = to_province(client, risk)
    fresh(RiskReport, report_id).catalogue_code = "3110"  # 曳引驱动乘客电梯, kind 3000 电梯
    db.session.flush()
    r = client.get("/api/v1/risk/experts", query_string={"report_id": report_id}, headers=risk.centre.headers)
    assert r.status_code == 200, r.json
    assert r.json[0]["name"] == "电梯专家" and r.json[0]["matches_report"] is True
    assert {e["name"]: e["matches_report"] for e in r.json}["锅炉专家"] is False


# -- assigning ---------------------------------------------------------------------------------------

def test_assigned_experts_are_told_and_see_only_the_reports_assigned_to_them(client, risk, assessing, app):
    report = fresh(RiskReport, assessing)
    assert (report.status, report.level) == ("assessing", "province")
    assert report.deadline == add_workdays(business_today(), app.config["RISK_DEADLINE_WORKDAYS"]["province"])
    assert report.events[-1].action == "assessing"
    assert report.events[-1].data["experts"] == [e.id for e in risk.centre.experts]  # kept for handlers only
    for expert in risk.centre.experts:
        assert len(messages(expert.id, "risk_expert_assigned")) == 1
    r = client.get(f"/api/v1/risk/reports/{assessing}", headers=risk.centre.expert_headers[0])
    assert r.status_code == 200
    r = client.get("/api/v1/risk/expert/assignments", headers=risk.centre.expert_headers[0])
    assert [(i["report"]["id"], i["assignment"]["submitted"]) for i in r.json["items"]] == [(assessing, False)]


def test_an_expert_outside_the_centre_sees_only_their_assignments(client, risk, make_unit, make_person,
                                                                  auth_headers):
    agency = make_unit("inspection", "610113", name="省检验院")
    outsider = make_person(agency, "inspector", "expert", name="检验院专家")
    headers = auth_headers(outsider)
    first, second = to_province(client, risk), to_province(client, risk)
    assert act(client, risk.centre.headers, first, "assign_experts", expert_person_ids=[outsider.id]).status_code == 200
    assert client.get(f"/api/v1/risk/reports/{first}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/risk/reports/{second}", headers=headers).status_code == 404
    assert opinion(client, headers, second).status_code == 404


def test_assigning_needs_experts_from_the_pool(client, risk):
    report_id = to_province(client, risk)
    r = act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[])
    assert r.status_code == 422 and "expert_person_ids" in r.json["details"]["fields"]
    r = act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[risk.county.staff.id])
    assert r.status_code == 422 and r.json["code"] == "risk_expert_invalid"
    assert fresh(RiskReport, report_id).status == "handling"


def test_more_experts_join_an_assessment_without_resetting_its_deadline(client, risk):
    report_id = to_province(client, risk)
    first, second = risk.centre.experts
    act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[first.id])
    deadline = fresh(RiskReport, report_id).deadline
    r = act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[first.id])
    assert r.status_code == 409 and r.json["code"] == "risk_experts_already_assigned"
    r = act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[first.id, second.id])
    assert r.status_code == 200, r.json
    report = fresh(RiskReport, report_id)
    assert report.deadline == deadline and report.events[-1].action == "experts_added"
    assert len(messages(first.id, "risk_expert_assigned")) == 1


# -- opinions ---------------------------------------------------------------------------------------

def test_an_expert_submits_once(client, risk, assessing):
    headers = risk.centre.expert_headers[0]
    r = opinion(client, headers, assessing)
    assert r.status_code == 200, r.json
    r = opinion(client, headers, assessing, opinion="改主意了")
    assert r.status_code == 409 and r.json["code"] == "risk_opinion_already_submitted"
    mine = client.get(f"/api/v1/risk/reports/{assessing}/assessment", headers=headers).json["assignments"]
    assert len(mine) == 1 and mine[0]["opinion"] == "应立即停用并更换梳齿板。" and mine[0]["risk_level_label"] == "严重"


def test_opinions_need_a_valid_risk_level_and_text(client, risk, assessing):
    headers = risk.centre.expert_headers[0]
    r = opinion(client, headers, assessing, risk_level="catastrophic")
    assert r.status_code == 422 and "risk_level" in r.json["details"]["fields"]
    r = opinion(client, headers, assessing, opinion="  ")
    assert r.status_code == 422 and "opinion" in r.json["details"]["fields"]


def test_someone_not_assigned_cannot_give_an_opinion(client, risk, make_person, auth_headers):
    report_id = to_province(client, risk)
    act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[risk.centre.experts[0].id])
    r = opinion(client, risk.centre.expert_headers[1], report_id)  # a centre expert who sees it, not assigned
    assert r.status_code == 403 and r.json["code"] == "not_assigned_expert"
    r = opinion(client, risk.province.headers, report_id)
    assert r.status_code == 403


def test_no_opinion_before_the_assessment_starts(client, risk):
    report_id = to_province(client, risk)
    r = opinion(client, risk.centre.expert_headers[0], report_id)
    assert r.status_code == 409 and r.json["details"] == {"status": "handling", "level": "province",
                                                          "action": "submit_opinion"}


def test_the_province_sees_every_opinion_an_expert_only_their_own(client, risk, assessing):
    for headers in risk.centre.expert_headers:
        assert opinion(client, headers, assessing).status_code == 200
    r = client.get(f"/api/v1/risk/reports/{assessing}/assessment", headers=risk.centre.headers)
    assert len(r.json["assignments"]) == 2 and all(a["submitted"] for a in r.json["assignments"])
    r = client.get(f"/api/v1/risk/reports/{assessing}/assessment", headers=risk.centre.expert_headers[1])
    assert [a["expert_person_id"] for a in r.json["assignments"]] == [risk.centre.experts[1].id]


# -- consolidation and measures ----------------------------------------------------------------------

def test_consolidation_needs_at_least_one_opinion(client, risk, assessing):
    body = {"classification": "电梯/使用管理", "risk_level": "serious", "measures": "停用更换"}
    r = act(client, risk.centre.headers, assessing, "consolidate", **body)
    assert r.status_code == 409 and r.json["code"] == "risk_no_expert_opinion"
    opinion(client, risk.centre.expert_headers[0], assessing)
    r = act(client, risk.centre.headers, assessing, "consolidate", **{**body, "measures": ""})
    assert r.status_code == 422 and "measures" in r.json["details"]["fields"]
    r = act(client, risk.centre.expert_headers[0], assessing, "consolidate", **body)
    assert r.status_code == 403  # an expert gives an opinion; the centre decides
    r = act(client, risk.province.headers, assessing, "consolidate", **body)
    assert r.status_code == 200, r.json
    report = fresh(RiskReport, assessing)
    assert (report.classification, report.risk_level, report.measures) == ("电梯/使用管理", "serious", "停用更换")
    assert report.status == "assessing" and report.events[-1].action == "consolidated"


def test_measures_cannot_be_sent_before_they_are_consolidated(client, risk, assessing):
    r = act(client, risk.centre.headers, assessing, "send_measures")
    assert r.status_code == 409 and r.json["code"] == "risk_measures_not_consolidated"
    assert fresh(RiskReport, assessing).status == "assessing"


def test_measures_go_back_to_hancheng_for_a_report_that_started_there(client, risk, app):
    report_id = to_province(client, risk, risk.inspection)
    act(client, risk.centre.headers, report_id, "assign_experts", expert_person_ids=[risk.centre.experts[0].id])
    opinion(client, risk.centre.expert_headers[0], report_id, risk_level="major")
    act(client, risk.centre.headers, report_id, "consolidate", classification="检验检测", risk_level="major",
        measures="组织专项检验")
    r = act(client, risk.centre.headers, report_id, "send_measures")
    assert r.status_code == 200, r.json
    body = r.json["report"]
    assert (body["status"], body["level"], body["holder_region_code"]) == ("implementing", "city", "610581")
    assert body["deadline"] == add_workdays(business_today(),
                                            app.config["RISK_DEADLINE_WORKDAYS"]["implementing"]).isoformat()
    assert "组织专项检验" in body["path"][-1]["note"]
    arrived = messages(risk.hancheng.staff.id, "risk_report_arrived")
    assert len(arrived) == 2 and "下发措施" in arrived[-1].body  # on submission, then with the measures
    # Only the locality reports them done, and says what was done.
    r = act(client, risk.province.headers, report_id, "report_done", note="已完成")
    assert r.status_code == 403 and r.json["code"] == "not_report_holder"
    r = act(client, risk.hancheng.headers, report_id, "report_done", note=" ")
    assert r.status_code == 422 and "note" in r.json["details"]["fields"]
    assert act(client, risk.hancheng.headers, report_id, "report_done", note="专项检验完成").status_code == 200
    assert fresh(RiskReport, report_id).closing_note == "专项检验完成"


def test_an_expert_cannot_submit_after_the_measures_went_down(client, risk, assessing):
    opinion(client, risk.centre.expert_headers[0], assessing)
    act(client, risk.centre.headers, assessing, "consolidate", classification="电梯", risk_level="general",
        measures="更换")
    act(client, risk.centre.headers, assessing, "send_measures")
    r = opinion(client, risk.centre.expert_headers[1], assessing)
    assert r.status_code == 409
    assert fresh(RiskReport, assessing).status == "implementing"
    assert fresh(RiskReport, assessing).events[-1].action == "measures_sent"
    unanswered = db.session.scalar(select(ExpertAssignment).where(
        ExpertAssignment.report_id == assessing, ExpertAssignment.expert_person_id == risk.centre.experts[1].id))
    assert unanswered.submitted_at is None and unanswered.opinion is None


def test_an_assessment_sent_back_starts_afresh_when_the_report_returns(client, risk, assessing):
    opinion(client, risk.centre.expert_headers[0], assessing)
    body = {"classification": "电梯/使用管理", "risk_level": "serious", "measures": "停用更换"}
    assert act(client, risk.province.headers, assessing, "consolidate", **body).status_code == 200
    r = act(client, risk.province.headers, assessing, "send_back", reason="请市局补充现场核查材料")
    assert r.status_code == 200, r.json
    report = fresh(RiskReport, assessing)
    assert (report.classification, report.risk_level, report.measures) == (None, None, None)

    assert act(client, risk.city.headers, assessing, "escalate", reason="材料已补充").status_code == 200
    r = act(client, risk.centre.headers, assessing, "assign_experts",
            expert_person_ids=[e.id for e in risk.centre.experts])
    assert r.status_code == 200, r.json  # the same experts, asked again
    assert act(client, risk.centre.headers, assessing, "send_measures").json["code"] == "risk_measures_not_consolidated"
    again = opinion(client, risk.centre.expert_headers[0], assessing, opinion="核查后维持原意见。")
    assert again.status_code == 200, again.json
