"""An inspection agency acts under its 核准证 and its inspectors under their 检验人员证 (issue 17
item 15): an expired one is refused when the application is accepted or the agency is chosen."""
from datetime import timedelta

from core.extensions import db
from core.timeutil import business_today
from tests.inspection.conftest import days

URL = "/api/v1/inspection/applications"


def expire_certificate(person, days_from_today: int) -> None:
    [held] = [r for r in person.roles if r.role == "inspector"]
    held.certificate_expiry = business_today() + timedelta(days=days_from_today)
    db.session.flush()


def accept(client, headers, application_id):
    return client.post(f"{URL}/{application_id}/accept", json={"planned_date": days(7)}, headers=headers)


def test_an_inspector_with_an_expired_certificate_cannot_accept_an_application(client, agency, device, apply):
    application = apply(device().id).json
    expire_certificate(agency.inspector, -1)
    refused = accept(client, agency.headers, application["id"])
    assert (refused.status_code, refused.json["code"]) == (422, "certificate_expired")
    assert "检验人员证书" in refused.json["message"]
    expire_certificate(agency.inspector, 0)  # valid through its expiry date
    assert accept(client, agency.headers, application["id"]).status_code == 200


def test_an_agency_admin_without_an_inspector_role_accepts_without_a_personal_certificate(
        client, agency, device, apply, make_person, auth_headers):
    application = apply(device().id).json
    admin = auth_headers(make_person(agency.unit, "unit_admin"))
    assert accept(client, admin, application["id"]).status_code == 200


def test_an_agency_whose_approval_certificate_expired_is_refused(client, agency, device, apply):
    application = apply(device().id).json
    agency.unit.licence_expiry = business_today() - timedelta(days=1)
    db.session.flush()
    refused = accept(client, agency.headers, application["id"])
    assert (refused.status_code, refused.json["code"]) == (422, "licence_expired")
    assert "核准证" in refused.json["message"]
    chosen = apply(device().id)
    assert (chosen.status_code, chosen.json["code"]) == (422, "licence_expired")
    assert "agency_unit_id" in chosen.json["details"]["fields"]
