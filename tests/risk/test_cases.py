"""Typical cases (典型案例): written from a closed report by a body that handled it, published by the
province or the centre to every regulator; drafts stay with their author; no reporter identity."""
from __future__ import annotations

import json

from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from tests.risk.fixtures_insights import insights  # noqa: F401  (a fixture)

CASE = {"title": "商场客梯门锁异常的处置", "summary": "县局接报后当日到场，督促维保单位更换门锁。",
        "lessons": "门锁部件应纳入每日检查。"}


def write(client, headers, report, **changes):
    return client.post("/api/v1/risk/cases", json={"report_id": report.id, **CASE, **changes}, headers=headers)


def titles(client, headers):
    response = client.get("/api/v1/risk/cases", headers=headers)
    assert response.status_code == 200, response.json
    return [c["title"] for c in response.json["items"]]


def test_the_county_that_closed_a_report_writes_a_case_and_the_province_publishes_it(client, insights):
    draft = write(client, insights["county_h"], insights["r1"])
    assert draft.status_code == 201, draft.json
    assert (draft.json["status"], draft.json["can_publish"], draft.json["written_by_me"]) == ("draft", False, True)
    assert draft.json["author_unit"] == "雁塔区局"
    # a draft stays with its author (and the province and the centre, who publish)
    assert titles(client, insights["beilin_h"]) == []
    assert titles(client, insights["city_h"]) == []
    assert titles(client, insights["centre_h"]) == [CASE["title"]]
    assert client.get(f"/api/v1/risk/cases/{draft.json['id']}", headers=insights["beilin_h"]).status_code == 404
    published = client.post(f"/api/v1/risk/cases/{draft.json['id']}/publish", headers=insights["province_h"])
    assert published.status_code == 200 and published.json["status"] == "published"
    for who in ("beilin_h", "hancheng_h", "city_h", "centre_h", "expert_h"):
        assert titles(client, insights[who]) == [CASE["title"]], who
    case = client.get(f"/api/v1/risk/cases/{draft.json['id']}", headers=insights["hancheng_h"]).json
    assert case["report"]["region_name"] == "雁塔区" and case["report"]["category"] == "电梯"
    assert case["report"]["hazard_level_label"] == "严重"
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "risk.case_publish"))


def test_a_case_shows_no_reporter_identity(client, insights):
    case = write(client, insights["county_h"], insights["r1"]).json
    text = json.dumps(case, ensure_ascii=False)
    assert "报送员甲" not in text and "雁塔演示商场" not in text
    assert not {"reporter", "reporter_id", "point_id", "reporter_unit_id"} & (set(case) | set(case["report"]))


def test_a_case_text_naming_the_reporter_is_refused(client, insights):
    response = write(client, insights["county_h"], insights["r1"], summary="报送员甲发现门锁异常。")
    assert (response.status_code, response.json["code"]) == (422, "case_names_reporter")
    assert "summary" in response.json["details"]["fields"]
    phone = insights["a"].person.phone
    response = write(client, insights["county_h"], insights["r1"], lessons=f"联系 {phone}")
    assert response.json["code"] == "case_names_reporter"


def test_only_a_closed_report_becomes_a_case_and_only_once(client, insights):
    response = write(client, insights["beilin_h"], insights["r4"])
    assert (response.status_code, response.json["code"]) == (409, "report_not_closed")
    assert write(client, insights["county_h"], insights["r1"]).status_code == 201
    again = write(client, insights["province_h"], insights["r1"], title="另一个")
    assert (again.status_code, again.json["code"]) == (409, "case_exists")


def test_who_may_write_a_case(client, insights):
    # a county out of the report's region: it does not even see the report
    response = write(client, insights["beilin_h"], insights["r1"])
    assert (response.status_code, response.json["code"]) == (404, "risk_report_not_found")
    # the city never held r1 (closed at the county) ...
    response = write(client, insights["city_h"], insights["r1"])
    assert (response.status_code, response.json["code"]) == (403, "case_author_forbidden")
    # ... but it held r2, escalated to it and closed there
    assert write(client, insights["city_h"], insights["r2"]).status_code == 201
    # the county held r2 first, so it could have written it up too; the centre writes any
    assert write(client, insights["centre_h"], insights["r3"]).status_code == 201
    # units, reporters and pure experts of other units read nothing and write nothing
    for headers in (insights["a_h"], insights["yanta_manager_h"]):
        assert write(client, headers, insights["r8"]).status_code == 403
        assert client.get("/api/v1/risk/cases", headers=headers).status_code == 403


def test_a_draft_is_edited_by_its_author_and_a_published_case_is_not(client, insights):
    case = write(client, insights["county_h"], insights["r1"]).json
    other = client.patch(f"/api/v1/risk/cases/{case['id']}", json={"title": "改"}, headers=insights["city_h"])
    assert other.status_code == 404  # a draft of someone else is not even visible
    edited = client.patch(f"/api/v1/risk/cases/{case['id']}", json={"lessons": "更新的启示。"},
                          headers=insights["county_h"])
    assert edited.status_code == 200 and edited.json["lessons"] == "更新的启示。"
    refused = client.post(f"/api/v1/risk/cases/{case['id']}/publish", headers=insights["county_h"])
    assert (refused.status_code, refused.json["code"]) == (403, "case_publish_forbidden")
    assert client.post(f"/api/v1/risk/cases/{case['id']}/publish", headers=insights["centre_h"]).status_code == 200
    late = client.patch(f"/api/v1/risk/cases/{case['id']}", json={"title": "改"}, headers=insights["county_h"])
    assert (late.status_code, late.json["code"]) == (409, "case_published")


def test_cases_are_filtered_by_status_and_keyword(client, insights):
    first = write(client, insights["county_h"], insights["r1"]).json
    write(client, insights["centre_h"], insights["r3"], title="起重机械检验周期", summary="省级研判。")
    client.post(f"/api/v1/risk/cases/{first['id']}/publish", headers=insights["province_h"])
    h = insights["province_h"]
    assert [c["title"] for c in client.get("/api/v1/risk/cases?status=draft", headers=h).json["items"]] == [
        "起重机械检验周期"]
    assert [c["title"] for c in client.get("/api/v1/risk/cases?q=客梯", headers=h).json["items"]] == [CASE["title"]]
