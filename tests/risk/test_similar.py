"""Similar reports (issue 5 item 6): candidates by device and by text, so one hazard reported ten
times is handled once through `merge`."""
from __future__ import annotations

from datetime import timedelta

from core.extensions import db
from core.timeutil import utcnow
from models.risk import RiskReport
from services.risk.similar import bigrams, jaccard
from tests.risk.conftest import fresh
from tests.risk.test_handling import act, new_report


def similar(client, headers, report_id):
    return client.get(f"/api/v1/risk/reports/{report_id}/similar", headers=headers)


def test_character_bigrams_ignore_spaces_and_punctuation():
    assert bigrams("电梯 困人！") == {"电梯", "梯困", "困人"}
    assert bigrams("梯") == {"梯"} and bigrams(" ，") == frozenset()
    assert jaccard(bigrams("电梯困人"), bigrams("电梯困人")) == 1.0
    assert jaccard(bigrams("电梯困人"), bigrams("锅炉爆管")) == 0.0
    assert jaccard(frozenset(), bigrams("电梯")) == 0.0
    assert 0 < jaccard(bigrams("扶梯梳齿板缺齿"), bigrams("商场扶梯梳齿板多处缺齿")) < 1


def test_the_same_device_comes_first_then_similar_text_and_nothing_unrelated_closed_or_out_of_area(client, risk):
    about_mall = dict(equipment_code_scan=risk.mall.code)
    report_id = new_report(client, risk.use, title="商场扶梯梳齿板缺齿", **about_mall)
    same_device = new_report(client, risk.production, title="限速器校验过期", body="限速器超过校验周期未校验。",
                             **about_mall)
    same_text = new_report(client, risk.use, title="商场扶梯梳齿板缺齿严重",
                           body="商场扶梯梳齿板多处缺齿，存在夹脚风险。")
    unrelated = new_report(client, risk.use, title="锅炉水位计损坏", body="锅炉房水位计玻璃破裂，无法观察水位。")
    closed = new_report(client, risk.use, title="商场扶梯梳齿板缺齿")
    act(client, risk.county.headers, closed, "close", measures="已更换")
    elsewhere = new_report(client, risk.inspection, title="商场扶梯梳齿板缺齿")  # 韩城: another area
    old = new_report(client, risk.use, title="商场扶梯梳齿板缺齿")
    fresh(RiskReport, old).submitted_at = utcnow() - timedelta(days=400)
    db.session.flush()

    r = similar(client, risk.county.headers, report_id)
    assert r.status_code == 200, r.json
    ids = [c["report"]["id"] for c in r.json]
    assert ids == [same_device, same_text]
    assert r.json[0]["same_equipment"] is True and r.json[1]["same_equipment"] is False
    assert r.json[1]["score"] >= 0.4 and r.json[0]["score"] < r.json[1]["score"]
    assert not {unrelated, closed, elsewhere, old, report_id} & set(ids)


def test_the_city_finds_similar_reports_of_its_counties(client, risk):
    at_city = new_report(client, risk.use, title="扶梯梳齿板缺齿")
    act(client, risk.county.headers, at_city, "escalate", reason="需市局协调")
    at_county = new_report(client, risk.production, title="扶梯梳齿板缺齿夹脚")
    r = similar(client, risk.city.headers, at_city)
    assert [c["report"]["id"] for c in r.json] == [at_county]
    assert r.json[0]["report"]["holder_region_code"] == "610113"


def test_only_those_who_handle_reports_get_suggestions(client, risk):
    report_id = new_report(client, risk.use)
    r = similar(client, risk.use.reporter_headers, report_id)
    assert r.status_code == 403 and r.json["code"] == "not_regulator"
    assert similar(client, risk.other_county.headers, report_id).status_code == 404


def test_one_hazard_reported_ten_times_is_handled_once(client, risk):
    titles = ["商场扶梯梳齿板缺齿", "扶梯梳齿板缺了好几个齿", "商场1号扶梯梳齿板缺齿", "扶梯梳齿板损坏缺齿",
              "商场扶梯梳齿缺齿夹脚", "扶梯入口梳齿板缺齿", "商场扶梯梳齿板断齿", "扶梯梳齿板缺齿未修",
              "商场扶梯梳齿板多处缺齿", "扶梯梳齿板缺齿有夹脚风险"]
    ids = [new_report(client, risk.use, title=t, body=f"{t}，建议尽快更换梳齿板。") for t in titles]
    primary, *duplicates = ids
    r = similar(client, risk.county.headers, primary)
    assert sorted(c["report"]["id"] for c in r.json) == sorted(duplicates)
    assert all(c["score"] >= 0.1 for c in r.json)
    for candidate in r.json:
        merged = act(client, risk.county.headers, candidate["report"]["id"], "merge", into_id=primary)
        assert merged.status_code == 200, merged.json
    assert similar(client, risk.county.headers, primary).json == []
    assert act(client, risk.county.headers, primary, "close", measures="已督促企业更换梳齿板").status_code == 200
    db.session.expire_all()
    reports = [db.session.get(RiskReport, i) for i in ids]
    assert [r.status for r in reports] == ["closed"] + ["merged"] * 9
    assert {r.merged_into_id for r in reports[1:]} == {primary}
    assert [e.action for e in reports[0].events].count("merged_in") == 9
