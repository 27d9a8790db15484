"""Jobs run only after commit; the outbox delivers every message, even when an enqueue was lost."""
import pytest
from rq import Queue
from sqlalchemy import func, select

from core import tx
from core.extensions import db
from core.redis import QUEUE_NAMES, get_redis
from models.notify import OutboxMessage
from services import notify
from tests.orgs.test_registration import registration


def queued() -> list[tuple[str, tuple]]:
    """Every job waiting in rq, as (function, args)."""
    return [(job.func_name, job.args)
            for name in QUEUE_NAMES for job in Queue(name, connection=get_redis()).get_jobs()]


def statuses() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


@pytest.fixture
def recipient(make_unit, make_person):
    return make_person(make_unit("regulator", "610113"), "regulator_staff")


def test_a_job_scheduled_in_a_rolled_back_transaction_is_never_enqueued():
    from jobs.notify import deliver_message

    tx.enqueue_after_commit(deliver_message, 41, queue="notify")
    tx.rollback()
    tx.commit()
    assert queued() == []


def test_a_job_scheduled_in_a_committed_transaction_is_enqueued_once_with_its_args():
    from jobs.notify import deliver_message

    tx.enqueue_after_commit(deliver_message, 42, queue="notify")
    assert queued() == []  # nothing reaches rq before the commit
    tx.commit()
    tx.commit()
    assert queued() == [("jobs.notify.deliver_message", (42,))]


def test_a_registration_refused_after_its_message_was_scheduled_sends_nothing(client, regulator):
    regulator("610113")  # so the registration schedules a message to a reviewer
    response = client.post("/api/v1/units/registrations", json=registration(bind_ticket="forged-ticket"))
    assert (response.status_code, response.json["code"]) == (401, "bind_ticket_invalid")
    assert queued() == []
    assert statuses() == []


def test_the_message_of_a_registration_is_delivered_by_the_worker(client, regulator, run_jobs):
    county = regulator("610113")
    client.post("/api/v1/units/registrations", json=registration())
    assert statuses() == ["pending"]
    assert client.get("/api/v1/me/messages", headers=county).json["items"] == []
    run_jobs()
    assert statuses() == ["sent"]
    inbox = client.get("/api/v1/me/messages", headers=county).json["items"]
    assert [m["template"] for m in inbox] == ["unit_registration_submitted"]


def test_the_sweep_enqueues_a_pending_message_whose_first_enqueue_was_lost(recipient, run_jobs):
    from jobs.notify import sweep_outbox

    db.session.add(OutboxMessage(channel="inbox", recipient_person_id=recipient.id, template="reminder",
                                 title="提醒", body="请完成本周排查。", status="pending"))
    db.session.flush()
    run_jobs()
    assert statuses() == ["pending"]  # nothing was enqueued for it

    assert sweep_outbox() == 1
    run_jobs()
    assert statuses() == ["sent"]
    assert sweep_outbox() == 0


def test_a_reminder_with_a_dedupe_key_is_recorded_once(recipient):
    def remind():
        return notify.queue_message(recipient.id, "weekly_report_due", "周排查提醒", "请提交本周排查报告。",
                                    dedupe_key=f"weekly:{recipient.id}:2026-W48")

    assert remind() is not None
    assert remind() is None
    tx.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert len(queued()) == 1


def test_without_redis_a_committed_job_runs_in_process_at_once(client, app, regulator, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    county = regulator("610113")
    assert client.post("/api/v1/units/registrations", json=registration()).status_code == 201
    assert statuses() == ["sent"]
    inbox = client.get("/api/v1/me/messages", headers=county).json["items"]
    assert [m["template"] for m in inbox] == ["unit_registration_submitted"]
