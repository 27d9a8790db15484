"""Certificates and licences that expire (issue 17 item 15): reminders before expiry to the holder
and the unit's admins, once per stage; an expired certificate or licence refused where required."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today
from jobs import orgs as org_jobs
from models.notify import OutboxMessage
from services.orgs import expiry

TODAY = date(2026, 6, 1)


def inbox(template: str) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return list(db.session.execute(
        select(OutboxMessage.recipient_person_id, OutboxMessage.title, OutboxMessage.body)
        .where(OutboxMessage.template == template, OutboxMessage.channel == "inbox").order_by(OutboxMessage.id)))


@pytest.fixture
def unit(make_unit):
    return make_unit("use", "610113")


@pytest.fixture
def admin(unit, make_person):
    return make_person(unit, "unit_admin")


def with_certificate(person, expiry_date, role="operator"):
    [held] = [r for r in person.roles if r.role == role]
    held.certificate_expiry = expiry_date
    db.session.flush()
    return person


def test_certificate_reminder_goes_to_holder_and_unit_admins_at_the_lead_time_once(unit, admin, make_person):
    operator = with_certificate(make_person(unit, "operator", name="王作业"), TODAY + timedelta(days=30))
    assert expiry.certificates_expiring(TODAY - timedelta(days=1)) == 0  # 31 days before: not yet
    assert expiry.certificates_expiring(TODAY) == 2
    sent = inbox("certificate_expiry")
    assert sorted(p for p, _, _ in sent) == sorted([operator.id, admin.id])
    assert all(title == "证书即将到期" and "王作业的作业人员证书" in body and "还有 30 天" in body
               for _, title, body in sent)
    assert expiry.certificates_expiring(TODAY) == 0  # a second run sends nothing
    assert expiry.certificates_expiring(TODAY + timedelta(days=10)) == 0  # nor a later day in the window
    assert len(inbox("certificate_expiry")) == 2


def test_certificate_reminder_again_on_expiry_through_the_daily_job(app, unit, admin, make_person):
    due = TODAY + timedelta(days=30)
    operator = with_certificate(make_person(unit, "operator"), due)
    assert org_jobs.remind_expiring_certificates(TODAY.isoformat()) == 2
    assert org_jobs.remind_expiring_certificates(due.isoformat()) == 2
    assert org_jobs.remind_expiring_certificates(due.isoformat()) == 0
    expired = [(p, body) for p, title, body in inbox("certificate_expiry") if title == "证书已到期"]
    assert sorted(p for p, _ in expired) == sorted([operator.id, admin.id])
    assert "今天" in expired[0][1]
    # A renewed certificate (a new expiry date) is watched afresh.
    with_certificate(operator, due + timedelta(days=365 * 4))
    assert org_jobs.remind_expiring_certificates(due.isoformat()) == 0
    assert org_jobs.remind_expiring_certificates((due + timedelta(days=365 * 4 - 30)).isoformat()) == 2


def test_certificate_lead_time_is_a_setting(app, unit, admin, make_person):
    with_certificate(make_person(unit, "operator"), TODAY + timedelta(days=50))
    assert expiry.certificates_expiring(TODAY) == 0
    app.config["CERTIFICATE_EXPIRY_LEAD_DAYS"] = 60
    try:
        assert expiry.certificates_expiring(TODAY) == 2
    finally:
        app.config["CERTIFICATE_EXPIRY_LEAD_DAYS"] = 30


def test_licence_reminder_goes_to_unit_admins_and_at_expiry_to_the_regulator(make_unit, make_person):
    producer = make_unit("production", "610113", production_scopes=["manufacture"], licence_no="TS2161001-2026",
                         licence_expiry=TODAY + timedelta(days=20))
    producer_admin = make_person(producer, "unit_admin")
    county = make_person(make_unit("regulator", "610113"), "regulator_staff")
    assert expiry.licences_expiring(TODAY) == 1
    [(person_id, title, body)] = inbox("licence_expiry")
    assert (person_id, title) == (producer_admin.id, "生产许可证即将到期")
    assert "TS2161001-2026" in body
    assert expiry.licences_expiring(TODAY) == 0
    assert expiry.licences_expiring(TODAY + timedelta(days=21)) == 2
    assert sorted(p for p, t, _ in inbox("licence_expiry") if t == "生产许可证已到期") == sorted(
        [producer_admin.id, county.id])
    assert expiry.licences_expiring(TODAY + timedelta(days=22)) == 0


# -- refused where required -----------------------------------------------------------------------

def role_body(expiry_date):
    return {"name": "李作业", "phone": "13912345670",
            "roles": [{"role": "operator", "certificate_type": "T 电梯作业", "certificate_no": "T-1",
                       "certificate_expiry": expiry_date.isoformat()}]}


def test_assigning_an_operator_with_an_expired_certificate_is_refused(client, unit, admin, auth_headers):
    headers = auth_headers(admin)
    yesterday = business_today() - timedelta(days=1)
    response = client.post(f"/api/v1/units/{unit.id}/people", json=role_body(yesterday), headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "certificate_expired")
    assert "已于" in response.json["message"] and "roles" in response.json["details"]["fields"]
    valid = client.post(f"/api/v1/units/{unit.id}/people", json=role_body(business_today()), headers=headers)
    assert valid.status_code == 201, valid.json
    assert valid.json["roles"][0]["certificate_expired"] is False
    # Changing the certificate to an expired one is refused too; other edits keep it.
    person_id = valid.json["id"]
    changed = client.patch(f"/api/v1/people/{person_id}", json={"roles": role_body(yesterday)["roles"]},
                           headers=headers)
    assert (changed.status_code, changed.json["code"]) == (422, "certificate_expired")


def test_a_licence_expiry_already_past_is_refused_in_unit_maintenance(client, make_unit, make_person, auth_headers):
    producer = make_unit("production", "610113", production_scopes=["manufacture"])
    headers = auth_headers(make_person(producer, "unit_admin"))
    past = (business_today() - timedelta(days=1)).isoformat()
    response = client.patch(f"/api/v1/units/{producer.id}", json={"licence_expiry": past}, headers=headers)
    assert (response.status_code, response.json["code"]) == (422, "licence_expired")
    future = (business_today() + timedelta(days=365)).isoformat()
    updated = client.patch(f"/api/v1/units/{producer.id}", json={"licence_expiry": future}, headers=headers)
    assert updated.status_code == 200, updated.json
    assert (updated.json["licence_expiry"], updated.json["licence_expired"]) == (future, False)
