"""The open read API (/open/v1, scope open:read): Open311-style services and requests, devices'
public cards; cursor pages; region scoping; public fields only."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from models.orgs import Person, Unit
from models.risk import MonitoringPoint, RiskReport

ENDPOINTS = ("/open/v1/services", "/open/v1/requests", "/open/v1/equipment")


def walk(api, path: str, **params) -> list[dict]:
    """Every item of a cursor-paged list, following next_cursor to the end."""
    items, cursor, pages = [], None, 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, params=query)
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor = response.json.get("next_cursor")
        pages += 1
        assert pages < 1000
        if cursor is None:
            return items


def test_signed_request_lists_services_with_chinese_names(make_api_client, signed):
    response = signed(make_api_client()).get("/open/v1/services")

    assert response.status_code == 200, response.json
    services = {s["service_code"]: s for s in response.json["items"]}
    assert services["hazard"]["service_name"] == "风险隐患"
    assert {"key": "use", "name": "使用"} in services["hazard"]["areas"]


def test_open_read_needs_the_open_read_scope(make_api_client, signed):
    api = signed(make_api_client("inspection", ("inspection:write",)))

    for path in ENDPOINTS:
        response = api.get(path)
        assert response.status_code == 403, path
        assert response.json["code"] == "scope_missing"


def test_unsigned_request_is_refused(client):
    assert client.get("/open/v1/requests").status_code == 401


def test_requests_carry_public_fields_only(demo, make_api_client, signed):
    items = walk(signed(make_api_client()), "/open/v1/requests")

    assert len(items) == db.session.query(RiskReport).count()
    assert set(items[0]) == {
        "service_request_id", "service_code", "service_name", "area", "area_name", "status", "status_name",
        "level", "level_name", "region_code", "region_name", "holder_region_code", "holder_region_name",
        "category_code", "category_name", "merged_into_id", "requested_datetime", "updated_datetime",
        "closed_datetime"}
    closed = [i for i in items if i["status"] == "closed"]
    assert closed and all(i["status_name"] == "已办结" and i["closed_datetime"] for i in closed)


def test_cursor_walks_every_report_once_in_small_pages(demo, make_api_client, signed):
    api = signed(make_api_client())
    everything = walk(api, "/open/v1/requests", limit=100)

    paged = walk(api, "/open/v1/requests", limit=3)

    assert [i["service_request_id"] for i in paged] == [i["service_request_id"] for i in everything]
    assert len({i["service_request_id"] for i in paged}) == len(paged) == len(everything) > 3


def test_reports_sharing_an_update_time_are_neither_skipped_nor_repeated(demo, make_api_client, signed):
    reports = list(db.session.scalars(select(RiskReport)))
    same = reports[0].updated_at
    db.session.execute(RiskReport.__table__.update().values(updated_at=same))

    paged = walk(signed(make_api_client()), "/open/v1/requests", limit=2)

    assert sorted(i["service_request_id"] for i in paged) == sorted(r.id for r in reports)


def test_requests_filter_by_status_kind_and_update_time(demo, make_api_client, signed):
    api = signed(make_api_client())

    closed = walk(api, "/open/v1/requests", status="closed")
    hazards = walk(api, "/open/v1/requests", service_code="hazard")
    future = walk(api, "/open/v1/requests", updated_since="2100-01-01T00:00:00+08:00")

    expected_closed = db.session.query(RiskReport).filter_by(status="closed").count()
    assert len(closed) == expected_closed > 0 and {i["status"] for i in closed} == {"closed"}
    assert hazards and {i["service_code"] for i in hazards} == {"hazard"}
    assert future == []


def test_a_regulator_system_reads_its_own_subtree_only(demo, make_unit, make_api_client, signed):
    api = signed(make_api_client(unit=make_unit("regulator", "610113")))

    own = walk(api, "/open/v1/requests")
    outside = api.get("/open/v1/requests", params={"region": "610581"})  # 韩城, under the province

    assert own and {i["region_code"] for i in own} == {"610113"}
    assert outside.status_code == 403 and outside.json["code"] == "region_out_of_scope"


def test_another_government_system_reads_the_province_or_a_region_it_asks_for(demo, make_api_client, signed):
    api = signed(make_api_client("inspection"))

    everything = walk(api, "/open/v1/requests")
    hancheng = walk(api, "/open/v1/requests", region="610581")

    assert {"610113", "610581"} <= {i["region_code"] for i in everything}
    assert hancheng and {i["region_code"] for i in hancheng} == {"610581"}


def test_a_malformed_or_forged_cursor_is_a_400(demo, make_api_client, signed):
    api = signed(make_api_client())
    first = api.get("/open/v1/equipment", params={"limit": 1}).json["next_cursor"]

    for bad in ("not-a-cursor", first[:-2] + "xx"):
        response = api.get("/open/v1/requests", params={"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json["code"] == "cursor_invalid"
    # a device cursor is not a report cursor
    response = api.get("/open/v1/requests", params={"cursor": first})
    assert response.status_code == 400 and response.json["code"] == "cursor_invalid"


def test_equipment_pages_show_the_public_card_and_inspection_status(make_unit, make_equipment, make_api_client,
                                                                     signed):
    unit = make_unit("use", "610113", name="开放数据测试商场")
    today = business_today()
    late = make_equipment(unit, "3110", use_status="in_use", next_due_date=today - timedelta(days=3))
    fine = [make_equipment(unit, "3110", use_status="in_use", next_due_date=today + timedelta(days=200))
            for _ in range(4)]
    make_equipment(unit, "3110", use_status="junk")
    api = signed(make_api_client())

    items = walk(api, "/open/v1/equipment", region="610113", limit=2)
    overdue = walk(api, "/open/v1/equipment", region="610113", overdue="true")

    ours = [i for i in items if i["use_unit_name"] == "开放数据测试商场"]
    assert [i["id"] for i in ours] == [late.id] + [e.id for e in fine]
    assert len({i["id"] for i in items}) == len(items)
    assert ours[0]["overdue"] is True and ours[0]["status_colour"] == "red"
    assert ours[1]["overdue"] is False and ours[1]["status_colour"] == "green"
    assert ours[1]["category"] and ours[1]["rescue_phone"]
    assert late.id in {i["id"] for i in overdue} and not {e.id for e in fine} & {i["id"] for i in overdue}


def test_open_read_answers_never_carry_a_persons_or_reporters_identity(demo, make_api_client, make_unit, signed):
    """Every answer of every open read endpoint, every page, for a province-wide caller and a
    regulator's: no demo person's name, phone or ID number, no reporting unit, no report text."""
    people = list(db.session.scalars(select(Person)))
    secrets = {value for p in people for value in (p.name, p.phone, p.id_number) if value}
    reporter_units = set(db.session.scalars(
        select(Unit.name).join(MonitoringPoint, MonitoringPoint.unit_id == Unit.id)))
    reports = list(db.session.scalars(select(RiskReport)))
    report_text = {r.title for r in reports} | {r.body for r in reports} | {r.place for r in reports if r.place}
    assert len(people) > 10 and reporter_units and reports
    callers = [signed(make_api_client("inspection")), signed(make_api_client(unit=make_unit("regulator", "610113")))]

    answers = []
    for api in callers:
        for path in ENDPOINTS:
            answers.append((path, json.dumps(walk(api, path, limit=2), ensure_ascii=False)))

    for path, text in answers:
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, (path, leaked)
        if path == "/open/v1/requests":
            assert not [u for u in reporter_units if u in text], path
            assert not [t for t in report_text if t in text], path
    assert any('"service_request_id"' in text for _, text in answers)
    assert any('"status_colour"' in text for _, text in answers)


def test_open_api_document_describes_the_open_read_endpoints_with_examples(client):
    spec = client.get("/open/v1/openapi.json").json

    for path in ENDPOINTS:
        operation = spec["paths"][path]["get"]
        assert operation["summary"] and operation["description"]
        assert operation["responses"]["200"]["content"]["application/json"]["example"]["items"]
    names = {p["name"] for p in spec["paths"]["/open/v1/requests"]["get"]["parameters"]}
    assert {"cursor", "limit", "region", "status", "updated_since", "start_date", "end_date"} <= names
