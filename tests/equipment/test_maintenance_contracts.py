"""电梯维保合同备案 (domain.md §5.3): the elevator's maintenance unit comes from the filed contract."""
import pytest

from tests.equipment.test_applications import (add_elevator, applied, apply, city, days, decide,  # noqa: F401
                                               registered_elevator, yanta)


@pytest.fixture
def maintainer(make_unit):
    return make_unit("production", "610113", name="演示电梯维保公司", production_scopes=["maintenance"])


def contract(unit_id, **overrides):
    return {"maintenance_unit_id": unit_id, "contract_no": "WB-2026-001", "signed_on": days(-2),
            "start_date": days(-1), "end_date": days(364), **overrides}


def contracts_of(client, headers, equipment_id):
    response = client.get(f"/api/v1/equipment/{equipment_id}/maintenance-contracts", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_maintenance_filing_sets_the_elevators_maintenance_unit(client, yanta, city, maintainer):
    equipment = registered_elevator(client, yanta.headers, city)
    response = apply(client, yanta.headers, equipment["id"], "maintenance_filing", contract(maintainer.id))
    assert response.status_code == 201, response.json
    assert (response.json["form"]["interval_days"], response.json["form"]["mode"]) == (15, "fixed")
    decide(client, city, response.json["id"])
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert (record["maintenance_unit_id"], record["maintenance_unit_name"]) == (maintainer.id, "演示电梯维保公司")
    [filed] = contracts_of(client, yanta.headers, equipment["id"])
    assert (filed["status"], filed["in_force"], filed["mode_label"], filed["application_id"]) == (
        "filed", True, "固定周期", response.json["id"])
    assert contracts_of(client, city, equipment["id"]) == [filed]


def test_a_new_contract_ends_the_overlapping_one(client, yanta, city, maintainer, make_unit):
    other = make_unit("production", "610113", name="另一家维保公司", production_scopes=["maintenance"])
    equipment = registered_elevator(client, yanta.headers, city)
    decide(client, city, applied(apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                                       contract(maintainer.id))))
    decide(client, city, applied(apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                                       contract(other.id, contract_no="WB-2026-002", mode="on_demand",
                                                interval_days=30, start_date=days(0)))))
    new, old = contracts_of(client, yanta.headers, equipment["id"])
    assert (new["maintenance_unit_id"], new["status"], new["interval_days"]) == (other.id, "filed", 30)
    assert (old["maintenance_unit_id"], old["status"], old["in_force"]) == (maintainer.id, "ended", False)
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert record["maintenance_unit_id"] == other.id


def test_scrapping_ends_the_contract_and_clears_the_maintenance_unit(client, yanta, city, maintainer):
    equipment = registered_elevator(client, yanta.headers, city)
    decide(client, city, applied(apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                                       contract(maintainer.id))))
    decide(client, city, applied(apply(client, yanta.headers, equipment["id"], "scrapping", {"reason": "报废"})))
    assert [c["status"] for c in contracts_of(client, yanta.headers, equipment["id"])] == ["ended"]
    record = client.get(f"/api/v1/equipment/{equipment['id']}", headers=yanta.headers).json
    assert record["maintenance_unit_id"] is None


def test_maintenance_filing_is_for_elevators_only(client, yanta, maintainer, make_equipment):
    boiler = make_equipment(yanta.unit, "1100", registration_status="registered", use_status="in_use")
    response = apply(client, yanta.headers, boiler.id, "maintenance_filing", contract(maintainer.id))
    assert (response.status_code, response.json["code"]) == (422, "not_an_elevator")


def test_the_maintenance_unit_must_hold_an_elevator_maintenance_licence(client, yanta, make_unit):
    installer = make_unit("production", "610113", production_scopes=["installation"])
    equipment = add_elevator(client, yanta.headers)
    for unit_id in (installer.id, yanta.unit.id):
        response = apply(client, yanta.headers, equipment["id"], "maintenance_filing", contract(unit_id))
        assert (response.status_code, response.json["code"]) == (422, "maintenance_unit_invalid")


def test_the_contract_period_must_end_after_it_starts(client, yanta, maintainer):
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                     contract(maintainer.id, start_date=days(10), end_date=days(10)))
    assert (response.status_code, response.json["code"]) == (422, "contract_period_invalid")
    assert "end_date" in response.json["details"]["fields"]["form"]


def test_fixed_cycle_maintenance_is_at_least_every_15_days(client, yanta, maintainer):
    equipment = add_elevator(client, yanta.headers)
    too_long = apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                     contract(maintainer.id, interval_days=20))
    assert (too_long.status_code, too_long.json["code"]) == (422, "maintenance_interval_too_long")
    zero = apply(client, yanta.headers, equipment["id"], "maintenance_filing", contract(maintainer.id, interval_days=0))
    assert zero.status_code == 422 and "interval_days" in zero.json["details"]["fields"]["form"]


def test_a_missing_contract_field_is_named(client, yanta, maintainer):
    equipment = add_elevator(client, yanta.headers)
    body = contract(maintainer.id)
    del body["signed_on"]
    response = apply(client, yanta.headers, equipment["id"], "maintenance_filing", body)
    assert response.status_code == 422
    assert list(response.json["details"]["fields"]["form"]) == ["signed_on"]


def test_a_contract_filed_after_the_deadline_is_flagged_late(client, app, monkeypatch, yanta, maintainer):
    monkeypatch.setitem(app.config, "MAINTENANCE_FILING_DEADLINE_DAYS", 7)
    equipment = add_elevator(client, yanta.headers)
    response = apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                     contract(maintainer.id, signed_on=days(-10)))
    assert response.json["late_days"] == 3


def test_a_maintenance_unit_whose_licence_expired_cannot_be_filed(client, yanta, city, maintainer):
    from datetime import timedelta

    from core.extensions import db
    from core.timeutil import business_today

    equipment = registered_elevator(client, yanta.headers, city)
    maintainer.licence_expiry = business_today() - timedelta(days=1)
    db.session.flush()
    response = apply(client, yanta.headers, equipment["id"], "maintenance_filing", contract(maintainer.id))
    assert (response.status_code, response.json["code"]) == (422, "licence_expired")
    assert "maintenance_unit_id" in response.json["details"]["fields"]
    maintainer.licence_expiry = business_today()
    db.session.flush()
    assert apply(client, yanta.headers, equipment["id"], "maintenance_filing",
                 contract(maintainer.id)).status_code == 201
