"""Regulators manage api clients: a province everywhere, a city in its subtree, a county not at all."""
from __future__ import annotations

from core.auth import Identity
from core.extensions import db
from core.scoping import scoped
from integration_api.client import FlaskOpenClient
from models.orgs import Unit
from services import clients
from sqlalchemy import select


def _create(client, headers, unit, scopes=("open:read",), name="检验系统"):
    return client.post("/api/v1/clients", json={"unit_id": unit.id, "name": name, "scopes": list(scopes)},
                       headers=headers)


def test_province_opens_a_client_and_sees_its_secret_once(client, regulator, make_unit):
    province = regulator("610000")
    agency = make_unit("inspection", "610302")

    created = _create(client, province, agency, ("inspection:write", "open:read"))

    assert created.status_code == 201, created.json
    body = created.json
    assert body["secret"].startswith("sk_") and body["key_id"].startswith("ak_")
    assert body["client"]["scopes"] == ["inspection:write", "open:read"]
    shown = client.get(f"/api/v1/clients/{body['client']['id']}", headers=province).json
    assert "secret" not in str(shown) and body["secret"] not in str(shown)
    assert [k["key_id"] for k in shown["keys"]] == [body["key_id"]]
    ping = FlaskOpenClient(client, body["key_id"], body["secret"]).get("/open/v1/ping")
    assert ping.status_code == 200


def test_city_manages_clients_only_in_its_subtree(client, regulator, make_unit):
    xian = regulator("610100")
    own = make_unit("inspection", "610113")
    elsewhere = make_unit("inspection", "610302")

    assert _create(client, xian, own).status_code == 201
    assert _create(client, xian, elsewhere).status_code == 404
    foreign = _create(client, regulator("610000"), elsewhere).json["client"]["id"]
    listed = client.get("/api/v1/clients", headers=xian).json
    assert [c["unit_id"] for c in listed["items"]] == [own.id]
    assert client.get(f"/api/v1/clients/{foreign}", headers=xian).status_code == 404
    assert client.post(f"/api/v1/clients/{foreign}/revoke", headers=xian).status_code == 404


def test_county_regulator_cannot_manage_clients(client, regulator, make_unit):
    county = regulator("610113")

    response = _create(client, county, make_unit("inspection", "610113"))

    assert response.status_code == 403
    assert response.json["code"] == "client_manager_required"
    assert client.get("/api/v1/clients", headers=county).status_code == 403


def test_enterprise_cannot_manage_clients(client, make_unit, make_person, auth_headers):
    agency = make_unit("inspection", "610113")
    headers = auth_headers(make_person(agency, "unit_admin"))

    assert _create(client, headers, agency).status_code == 403
    assert client.get("/api/v1/clients").status_code == 401


def test_scope_must_suit_the_unit_kind(client, regulator, make_unit):
    response = _create(client, regulator("610000"), make_unit("use", "610113"), ("filling:write",))

    assert response.status_code == 422
    assert response.json["code"] == "scope_not_for_unit"


def test_unit_not_approved_gets_no_client(client, regulator, make_unit):
    response = _create(client, regulator("610000"), make_unit("filling", "610113", status="pending"),
                       ("filling:write",))

    assert response.status_code == 409
    assert response.json["code"] == "unit_not_approved"


def test_rotation_keeps_both_keys_working_and_refuses_a_third(client, regulator, make_unit):
    province = regulator("610000")
    first = _create(client, province, make_unit("inspection", "610113")).json
    client_id = first["client"]["id"]

    second = client.post(f"/api/v1/clients/{client_id}/keys", headers=province)
    assert second.status_code == 201
    second = second.json
    for key_id, secret in ((first["key_id"], first["secret"]), (second["key_id"], second["secret"])):
        assert FlaskOpenClient(client, key_id, secret).get("/open/v1/ping").status_code == 200

    third = client.post(f"/api/v1/clients/{client_id}/keys", headers=province)
    assert third.status_code == 409
    assert third.json["code"] == "client_key_limit"

    revoked = client.post(f"/api/v1/clients/{client_id}/keys/{first['key_id']}/revoke", headers=province)
    assert revoked.status_code == 200
    assert {k["key_id"]: k["status"] for k in revoked.json["keys"]} == {
        first["key_id"]: "revoked", second["key_id"]: "active"}
    old = FlaskOpenClient(client, first["key_id"], first["secret"]).get("/open/v1/ping")
    assert old.json["code"] == "client_key_revoked"
    assert client.post(f"/api/v1/clients/{client_id}/keys", headers=province).status_code == 201


def test_revoking_a_client_stops_every_key(client, regulator, make_unit):
    province = regulator("610000")
    created = _create(client, province, make_unit("inspection", "610113")).json

    response = client.post(f"/api/v1/clients/{created['client']['id']}/revoke", headers=province)

    assert response.status_code == 200
    assert response.json["status"] == "revoked"
    ping = FlaskOpenClient(client, created["key_id"], created["secret"]).get("/open/v1/ping")
    assert ping.status_code == 403 and ping.json["code"] == "client_revoked"
    again = client.post(f"/api/v1/clients/{created['client']['id']}/keys", headers=province)
    assert again.json["code"] == "client_revoked"


def test_secret_is_stored_encrypted(make_api_client):
    issued = make_api_client()

    assert issued.secret not in issued.key.secret_encrypted
    assert clients.key_secret(issued.key) == issued.secret


# -- a machine caller is scoped like its unit ---------------------------------------

def _seen_units(identity: Identity) -> set[int]:
    return set(db.session.scalars(scoped(select(Unit.id), Unit, identity)))


def test_city_platform_client_sees_its_subtree_like_its_regulator(make_unit, make_api_client):
    inside, outside = make_unit("use", "610113"), make_unit("use", "610302")
    city = make_unit("regulator", "610100")
    identity = clients.identity_for_client(make_api_client(unit=city).client, None)

    seen = _seen_units(identity)

    assert inside.id in seen and city.id in seen and outside.id not in seen
    assert identity.is_machine and not identity.is_authenticated


def test_enterprise_client_sees_only_its_own_unit(make_unit, make_api_client):
    other = make_unit("use", "610113")
    issued = make_api_client("inspection")
    identity = clients.identity_for_client(issued.client, None)

    assert _seen_units(identity) == {issued.client.unit_id}
    assert other.id not in _seen_units(identity)


def test_public_identity_still_sees_nothing(make_unit):
    make_unit("use", "610113")

    assert _seen_units(Identity()) == set()
