"""Scanning: one answer per code, shaped by who scans; voided and mistyped codes answered clearly."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from core.extensions import db
from core.timeutil import business_today
from models.equipment import Equipment
from qr.codes import check_char

PUBLIC_FIELDS = {"code", "category_code", "category", "registration_cert_no", "use_unit_name", "address",
                 "maintenance_unit_name", "maintenance_unit_phone", "last_inspection_date",
                 "last_inspection_conclusion", "next_due_date", "next_due_type", "status_colour", "status_text",
                 "rescue_phone", "actions"}


def test_the_public_card_answers_without_login_and_carries_no_personal_data(client, site):
    response = client.get(f"/api/v1/scan/{site['code']}")
    assert response.status_code == 200, response.json
    assert response.json["audience"] == "public"
    card = response.json["card"]
    assert set(card) == PUBLIC_FIELDS
    assert card["category"] == "曳引驱动乘客电梯"
    assert card["registration_cert_no"] == "梯11陕A00042(24)"
    assert card["maintenance_unit_phone"] == "029-88886666"
    assert (card["status_colour"], card["rescue_phone"]) == ("green", "96333")
    text = response.get_data(as_text=True)
    assert "13911112222" not in text and "11010519491231002X" not in text
    assert "equipment_id" not in text


@pytest.mark.parametrize("change,colour", [
    ({"next_due_date": business_today() + timedelta(days=10)}, "yellow"),
    ({"next_due_date": business_today() - timedelta(days=1)}, "red"),
    ({"use_status": "suspended"}, "red"),
    ({"next_due_date": None}, "yellow"),
    ({"hazard_stopped": True}, "red"),
])
def test_the_status_colour_follows_inspection_and_use_status(client, site, change, colour):
    db.session.execute(update(Equipment).where(Equipment.id == site["elevator"].id).values(**change))
    assert client.get(f"/api/v1/scan/{site['code']}").json["card"]["status_colour"] == colour


def test_only_elevators_show_the_96333_line(client, site, make_equipment):
    from services.equipment.onecode import active_code, assign_many

    boiler = make_equipment(site["unit"], "1200", use_status="in_use")
    assign_many([boiler.id], None)
    card = client.get(f"/api/v1/scan/{active_code(boiler.id).code}").json["card"]
    assert card["rescue_phone"] is None


def test_a_mistyped_code_is_caught_before_any_lookup(client, site):
    code = site["code"]
    typo = code[:3] + ("A" if code[3] != "A" else "B") + code[4:]
    response = client.get(f"/api/v1/scan/{typo}")
    assert (response.status_code, response.json["code"]) == (400, "code_malformed")


def test_a_well_formed_unknown_code_is_404(client, site):
    body = "ZZZZZZZZZ"
    response = client.get(f"/api/v1/scan/{body}{check_char(body)}")
    assert (response.status_code, response.json["code"]) == (404, "code_not_found")


def test_each_audience_gets_its_own_view(client, site, make_person, make_unit, auth_headers, regulator):
    code = site["code"]
    reporter = auth_headers(make_person(make_unit("use", "610113"), "risk_reporter"))
    as_reporter = client.get(f"/api/v1/scan/{code}", headers=reporter).json
    assert as_reporter["audience"] == "reporter"
    assert "report_risk" in as_reporter["actions"] and as_reporter["equipment_id"] == site["elevator"].id

    as_officer = client.get(f"/api/v1/scan/{code}", headers=site["officer_headers"]).json
    assert as_officer["audience"] == "unit"
    assert as_officer["safety_officer_person_id"] == site["officer"].id

    as_county = client.get(f"/api/v1/scan/{code}", headers=regulator("610113")).json
    assert as_county["audience"] == "regulator"
    assert as_county["equipment"]["equipment_code"] == site["elevator"].equipment_code
    assert "history" in as_county

    as_neighbour = client.get(f"/api/v1/scan/{code}", headers=regulator("610103")).json
    assert as_neighbour["audience"] == "public"
    assert "equipment" not in as_neighbour


def test_a_voided_code_says_so_and_the_new_one_works(client, site):
    old = site["code"]
    client.get(f"/api/v1/scan/{old}")  # cached before it is voided
    response = client.post(f"/api/v1/onecode/codes/{old}/void", json={"reason": "标签损坏"},
                           headers=site["admin_headers"])
    assert response.status_code == 200, response.json
    new = response.json["code"]
    assert new != old
    voided = client.get(f"/api/v1/scan/{old}")
    assert (voided.status_code, voided.json["code"], voided.json["message"]) == (410, "code_voided", "此码已作废。")
    assert client.get(f"/api/v1/scan/{new}").json["card"]["code"] == new
    codes = client.get(f"/api/v1/equipment/{site['elevator'].id}/codes", headers=site["admin_headers"]).json
    assert [(c["code"], c["status"]) for c in codes] == [(old, "voided"), (new, "active")]


def test_voiding_needs_a_reason_and_a_manager(client, site):
    assert client.post(f"/api/v1/onecode/codes/{site['code']}/void", json={"reason": " "},
                       headers=site["admin_headers"]).json["code"] == "reason_required"
    response = client.post(f"/api/v1/onecode/codes/{site['code']}/void", json={"reason": "遗失"},
                           headers=site["officer_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_code_manager")


def test_a_change_to_the_device_reaches_the_cached_card(client, site):
    assert client.get(f"/api/v1/scan/{site['code']}").json["card"]["use_unit_name"] == "演示扫码商场"
    db.session.get(Equipment, site["elevator"].id).use_status = "suspended"
    from core import tx
    tx.commit()
    assert client.get(f"/api/v1/scan/{site['code']}").json["card"]["status_colour"] == "red"


def test_a_change_to_the_maintainers_phone_reaches_the_cached_cards_of_its_devices(client, site):
    from core import tx
    from models.orgs import Unit

    assert client.get(f"/api/v1/scan/{site['code']}").json["card"]["maintenance_unit_phone"] == "029-88886666"
    db.session.get(Unit, site["elevator"].maintenance_unit_id).contact_phone = "029-88887777"
    tx.commit()
    assert client.get(f"/api/v1/scan/{site['code']}").json["card"]["maintenance_unit_phone"] == "029-88887777"


def test_public_scans_are_rate_limited_per_client(client, site, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_RATE_LIMIT_PER_MINUTE", 3)
    statuses = [client.get(f"/api/v1/scan/{site['code']}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(f"/c/{site['code']}")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) <= 60


def test_behind_a_proxy_the_limit_counts_the_forwarded_client(site, app, monkeypatch):
    from werkzeug.middleware.proxy_fix import ProxyFix

    monkeypatch.setitem(app.config, "PUBLIC_RATE_LIMIT_PER_MINUTE", 2)
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1))
    client = app.test_client()
    url = f"/api/v1/scan/{site['code']}"
    first = [client.get(url, headers={"X-Forwarded-For": "198.51.100.1"}).status_code for _ in range(3)]
    other = client.get(url, headers={"X-Forwarded-For": "198.51.100.2"}).status_code
    assert (first, other) == ([200, 200, 429], 200)


@pytest.fixture
def agency_with_application(client, site, make_unit, make_person, auth_headers):
    """An inspection agency and the use unit's pending periodic-inspection application to it."""
    from tests.inspection.conftest import approve_scope

    agency = make_unit("inspection", "610100", name="扫码测试检验院")
    approve_scope(agency)
    inspector_headers = auth_headers(make_person(agency, "inspector"))
    body = {"equipment_id": site["elevator"].id, "agency_unit_id": agency.id, "inspection_type": "periodic",
            "requested_date": (business_today() + timedelta(days=20)).isoformat(),
            "contact_name": "王五", "contact_phone": "13900001111"}
    response = client.post("/api/v1/inspection/applications", json=body, headers=site["admin_headers"])
    assert response.status_code == 201, response.json
    return {"unit": agency, "headers": inspector_headers, "application_id": response.json["id"]}


def test_an_agency_with_a_pending_application_sees_that_application(client, site, agency_with_application):
    answer = client.get(f"/api/v1/scan/{site['code']}", headers=agency_with_application["headers"]).json
    assert answer["audience"] == "agency"
    assert answer["application"]["id"] == agency_with_application["application_id"]
    assert (answer["application"]["status"], answer["application"]["applicant_unit_name"]) == (
        "submitted", "演示扫码商场")
    assert answer["application"]["contact_phone"] == "13900001111"  # the agency needs it to arrange the visit
    assert answer["equipment"]["id"] == site["elevator"].id
    assert "view_application" in answer["actions"]
    assert "history" not in answer


def test_an_agency_without_a_pending_application_sees_the_public_card(client, site, agency_with_application,
                                                                       make_unit, make_person, auth_headers):
    other = auth_headers(make_person(make_unit("inspection", "610113", name="另一检验机构"), "inspector"))
    answer = client.get(f"/api/v1/scan/{site['code']}", headers=other).json
    assert answer["audience"] == "public" and "application" not in answer

    refused = client.post(f"/api/v1/inspection/applications/{agency_with_application['application_id']}/refuse",
                          json={"reason": "本月检验计划已满"}, headers=agency_with_application["headers"])
    assert refused.status_code == 200, refused.json
    answer = client.get(f"/api/v1/scan/{site['code']}", headers=agency_with_application["headers"]).json
    assert answer["audience"] == "public"


def test_with_redis_down_the_public_scan_answers_from_the_database(client, site, app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setitem(app.config, "PUBLIC_RATE_LIMIT_PER_MINUTE", 1)
    answers = [client.get(f"/api/v1/scan/{site['code']}") for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]  # no cache and no limit, but an answer
    assert answers[1].json["card"]["code"] == site["code"]
    page = client.get(f"/c/{site['code']}")
    assert page.status_code == 200 and "在检验有效期内" in page.get_data(as_text=True)
