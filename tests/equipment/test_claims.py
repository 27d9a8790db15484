"""Claims of historical equipment (认领): by code plus certificate number, confirmed by the
regulator of the equipment's region; a record that already has a use unit is refused."""
import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.extensions import db
from models.equipment import Equipment
from models.notify import OutboxMessage
from tests.equipment.test_imports import elevator, fill, upload

CODE = "311061001201700001"
REG_CODE = "31106101132017080001"
CERT = "梯11陕A00001(17)"


@pytest.fixture
def historical():
    """A record imported from the offline ledger, its use unit not yet on the platform."""
    equipment = Equipment(catalogue_code="3110", equipment_code=CODE, legacy_reg_code=REG_CODE,
                          registration_cert_no=CERT, region_code="610113", address="西安市雁塔区演示路 1 号",
                          use_status="in_use", registration_status="registered", source="import",
                          legacy_use_unit_name="演示老物业公司")
    db.session.add(equipment)
    db.session.flush()
    return equipment


@pytest.fixture
def claimant(make_unit, make_person, auth_headers):
    unit = make_unit("use", "610113", name="演示新物业有限公司")
    admin = make_person(unit, "unit_admin")
    return {"unit": unit, "admin": admin, "headers": auth_headers(admin)}


@pytest.fixture
def rival(make_unit, make_person, auth_headers):
    unit = make_unit("use", "610113", name="演示另一物业有限公司")
    return {"unit": unit, "headers": auth_headers(make_person(unit, "unit_admin"))}


def claim(client, headers, **body):
    body = {"equipment_code": CODE, "registration_cert_no": CERT, **body}
    return client.post("/api/v1/equipment/claims", json={k: v for k, v in body.items() if v is not None},
                       headers=headers)


def test_a_claim_confirmed_by_the_county_puts_the_equipment_in_the_units_list(client, historical, claimant,
                                                                               regulator, run_jobs):
    county = regulator("610113")
    submitted = claim(client, claimant["headers"])
    assert submitted.status_code == 201, submitted.json
    assert (submitted.json["status"], submitted.json["region_code"]) == ("pending", "610113")
    assert submitted.json["equipment"]["legacy_use_unit_name"] == "演示老物业公司"
    assert client.get("/api/v1/equipment", headers=claimant["headers"]).json["total"] == 0

    pending = client.get("/api/v1/equipment/claims?status=pending", headers=county).json
    assert [c["id"] for c in pending["items"]] == [submitted.json["id"]]
    confirmed = client.post(f"/api/v1/equipment/claims/{submitted.json['id']}/confirm", json={}, headers=county)
    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == "confirmed"

    listed = client.get("/api/v1/equipment", headers=claimant["headers"]).json
    assert [e["id"] for e in listed["items"]] == [historical.id]
    assert client.get(f"/api/v1/equipment/{historical.id}", headers=claimant["headers"]).json["source"] == "import"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "equipment_claim.confirm"))
    assert (entry.before["use_unit_id"], entry.after["use_unit_id"]) == (None, claimant["unit"].id)
    run_jobs()
    told = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient_person_id == claimant["admin"].id)).all()
    assert [m.template for m in told] == ["equipment_claim_confirmed"]


def test_a_claim_by_registration_code_accepts_either_bracket_width(client, historical, claimant):
    response = claim(client, claimant["headers"], equipment_code=None, legacy_reg_code=REG_CODE,
                     registration_cert_no="梯11陕A00001（17）")
    assert response.status_code == 201, response.json
    assert response.json["equipment_id"] == historical.id


def test_a_wrong_certificate_number_or_code_is_not_found_without_saying_which(client, historical, claimant):
    wrong_cert = claim(client, claimant["headers"], registration_cert_no="梯11陕A00002(17)")
    wrong_code = claim(client, claimant["headers"], equipment_code="311061001201700009")
    assert (wrong_cert.status_code, wrong_cert.json["code"]) == (404, "claim_record_not_found")
    assert wrong_code.json == wrong_cert.json


def test_a_claim_needs_a_code(client, historical, claimant):
    response = claim(client, claimant["headers"], equipment_code=None)
    assert response.status_code == 422
    assert "equipment_code" in response.json["details"]["fields"]


def test_a_record_claimed_by_another_unit_is_refused(client, historical, claimant, rival, regulator):
    first = claim(client, rival["headers"])
    assert first.status_code == 201
    pending = claim(client, claimant["headers"])
    assert (pending.status_code, pending.json["code"]) == (409, "equipment_already_claimed")

    client.post(f"/api/v1/equipment/claims/{first.json['id']}/confirm", json={}, headers=regulator("610113"))
    after = claim(client, claimant["headers"])
    assert (after.status_code, after.json["code"]) == (409, "equipment_already_claimed")


def test_the_same_unit_cannot_claim_twice(client, historical, claimant):
    assert claim(client, claimant["headers"]).status_code == 201
    again = claim(client, claimant["headers"])
    assert (again.status_code, again.json["code"]) == (409, "claim_already_pending")


def test_a_neighbour_county_cannot_see_or_confirm_the_claim(client, historical, claimant, regulator):
    claim_id = claim(client, claimant["headers"]).json["id"]
    neighbour = regulator("610112")
    response = client.post(f"/api/v1/equipment/claims/{claim_id}/confirm", json={}, headers=neighbour)
    assert response.status_code == 404
    assert client.get("/api/v1/equipment/claims", headers=neighbour).json["total"] == 0
    assert db.session.get(Equipment, historical.id).use_unit_id is None


def test_the_claimant_cannot_confirm_its_own_claim(client, historical, claimant):
    claim_id = claim(client, claimant["headers"]).json["id"]
    response = client.post(f"/api/v1/equipment/claims/{claim_id}/confirm", json={}, headers=claimant["headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_claim_reviewer")


def test_a_refusal_needs_a_reason_and_leaves_the_record_claimable(client, historical, claimant, rival, regulator):
    county = regulator("610113")
    claim_id = claim(client, claimant["headers"]).json["id"]
    no_reason = client.post(f"/api/v1/equipment/claims/{claim_id}/refuse", json={}, headers=county)
    assert (no_reason.status_code, no_reason.json["code"]) == (422, "reason_required")
    refused = client.post(f"/api/v1/equipment/claims/{claim_id}/refuse", json={"note": "登记证复印件不清晰"},
                          headers=county)
    assert (refused.status_code, refused.json["status"]) == (200, "refused")
    again = client.post(f"/api/v1/equipment/claims/{claim_id}/confirm", json={}, headers=county)
    assert (again.status_code, again.json["code"]) == (409, "claim_not_pending")
    assert db.session.get(Equipment, historical.id).use_unit_id is None
    assert claim(client, rival["headers"]).status_code == 201


def test_equipment_imported_by_the_county_for_an_unregistered_unit_can_be_claimed(client, claimant, regulator):
    """End to end: the county imports the offline ledger, the unit claims its elevator."""
    county = regulator("610113")
    template = client.get("/api/v1/equipment/import-template.xlsx", headers=county).data
    row = elevator(1, 使用单位名称="演示老物业公司")
    imported = upload(client, county, fill(template, [row]), dry_run=False)
    assert imported.json["status"] == "imported", imported.json["errors"]
    submitted = claim(client, claimant["headers"], registration_cert_no=row["使用登记证编号"])
    assert submitted.status_code == 201, submitted.json
    client.post(f"/api/v1/equipment/claims/{submitted.json['id']}/confirm", json={}, headers=county)
    assert client.get("/api/v1/equipment", headers=claimant["headers"]).json["total"] == 1
