"""The audit record: every change leaves an entry; the chain is append-only and tamper-evident."""
import pytest
from sqlalchemy import exc, select, text

from core.audit import AuditEntry
from core.extensions import db
from tests.orgs.test_registration import registration


@pytest.fixture
def approved_unit(client, regulator):
    """A unit registered and approved through the API; returns (unit id, reviewer headers)."""
    county = regulator("610113")
    unit_id = client.post("/api/v1/units/registrations", json=registration()).json["id"]
    assert client.post(f"/api/v1/units/{unit_id}/review", json={"action": "approve"},
                       headers=county).status_code == 200
    return unit_id, county


def entry_ids() -> list[int]:
    return list(db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def verify(app):
    db.session.expire_all()  # the command must read what is in the table, not this session's copies
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_registration_and_approval_leave_entries_with_before_after_and_actor(client, regulator, approved_unit):
    unit_id, county = approved_unit
    reviewer_id = client.get("/api/v1/me", headers=county).json["person"]["id"]
    response = client.get(f"/api/v1/audit?entity_type=unit&entity_id={unit_id}", headers=regulator("610000"))
    assert response.status_code == 200, response.json
    register, approve = reversed(response.json["items"])

    assert register["action"] == "unit.register"
    assert register["before"] is None
    assert register["after"]["status"] == "pending"
    assert register["actor_person_id"] is None  # anyone may register, without login

    assert approve["action"] == "unit.approve"
    assert (approve["before"]["status"], approve["after"]["status"]) == ("pending", "approved")
    assert approve["actor_person_id"] == reviewer_id
    assert approve["client"] == "pc"


def test_only_province_wide_staff_read_the_audit_record(client, approved_unit):
    _, county = approved_unit
    assert client.get("/api/v1/audit", headers=county).status_code == 403


def test_verify_says_the_untouched_chain_is_intact(app, approved_unit):
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output


@pytest.mark.parametrize("statement", [
    "UPDATE audit_entries SET action = 'unit.forged' WHERE id = :id",
    "DELETE FROM audit_entries WHERE id = :id",
])
def test_postgresql_refuses_to_change_or_remove_an_entry(approved_unit, statement):
    target = entry_ids()[-1]
    with pytest.raises(exc.DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(text(statement), {"id": target})
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.id == target)) == "unit.approve"


@pytest.fixture
def trigger_disabled():
    """Tampering as a superuser would; undone with the test's transaction."""
    db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only"))


def test_an_edited_entry_is_detected(app, approved_unit, trigger_disabled):
    target = entry_ids()[-2]
    db.session.execute(text("UPDATE audit_entries SET after = CAST(:after AS jsonb) WHERE id = :id"),
                       {"after": '{"status": "approved"}', "id": target})
    result = verify(app)
    assert result.exit_code == 1
    assert f"entry {target}:" in result.output


def test_a_deleted_entry_is_detected_at_the_entry_after_it(app, approved_unit, trigger_disabled):
    ids = entry_ids()
    assert len(ids) >= 3
    db.session.execute(text("DELETE FROM audit_entries WHERE id = :id"), {"id": ids[1]})
    result = verify(app)
    assert result.exit_code == 1
    assert f"entry {ids[2]}:" in result.output
