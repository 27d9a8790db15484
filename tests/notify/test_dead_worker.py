"""A message is never stuck: when the rq worker dies in the middle of a delivery, rq keeps the job
`started` forever; the sweep sees that its worker is gone, deletes the job and enqueues the
delivery again, which sends the message once. A message that still cannot be delivered ends
`failed`, listed for ops and alerted."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import delete, update

from core import tx
from core.extensions import db
from core.redis import get_redis
from core.timeutil import utcnow
from jobs.maintenance import sweep_work
from jobs.notify import sweep_outbox
from models.notify import OutboxMessage
from services import notify
from services.notify.outbox import DELIVERY_WORK, delivery_job_id

ROBOT_PATH = "wecom/cgi-bin/webhook/send"


def ops_message(title: str = "测试推送") -> int:
    message = notify.queue_ops_group("ops_test", title, "> 运维群消息")
    tx.commit()
    return message.id


def taken_by_a_worker(job_id: str, name: str) -> SimpleWorker:
    """What an rq worker does when it takes a job (then it is killed mid-run): the job leaves the
    queue, gets an execution in the started registry and the status `started` under the worker."""
    connection = get_redis()
    job = Job.fetch(job_id, connection=connection)
    queue = Queue(job.origin, connection=connection)
    worker = SimpleWorker([queue], connection=connection, name=name)
    worker.register_birth()
    queue.remove(job)
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    assert Job.fetch(job_id, connection=connection).get_status() == JobStatus.STARTED
    return worker


def status(message_id: int) -> str:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id).status


def robot_posts(fake, title: str) -> list:
    return [call for call in fake.calls(ROBOT_PATH) if title in call["json"]["markdown"]["content"]]


def test_a_delivery_whose_worker_died_is_sent_once_by_the_sweep(app, fake, run_jobs):
    message_id = ops_message()
    job_id = delivery_job_id(message_id)
    worker = taken_by_a_worker(job_id, "killed-worker")
    get_redis().delete(worker.key)  # SIGKILLed: no more heartbeats, its key expires

    assert sweep_outbox() == 1
    assert Job.fetch(job_id, connection=get_redis()).get_status() == JobStatus.QUEUED
    run_jobs()
    assert status(message_id) == "sent"
    assert len(robot_posts(fake, "测试推送")) == 1
    assert Job.fetch(job_id, connection=get_redis()).get_status() == JobStatus.FINISHED
    assert sweep_outbox() == 0
    assert len(robot_posts(fake, "测试推送")) == 1


def test_a_started_delivery_is_dead_once_its_execution_expires_even_before_the_worker_key(app, fake, run_jobs):
    message_id = ops_message()
    job_id = delivery_job_id(message_id)
    taken_by_a_worker(job_id, "hung-worker")  # its key still there, but the run is past its expiry

    assert sweep_work([DELIVERY_WORK], grace_seconds=0) == 0  # now: a live run, left alone
    later = utcnow() + timedelta(seconds=app.config["NOTIFY_DELIVERY_JOB_TIMEOUT"] + 61)
    assert sweep_work([DELIVERY_WORK], grace_seconds=0, now=later) == 1
    run_jobs()
    assert status(message_id) == "sent"
    assert len(robot_posts(fake, "测试推送")) == 1


def test_a_delivery_started_by_a_live_worker_is_left_to_it(app, fake):
    message_id = ops_message()
    job_id = delivery_job_id(message_id)
    taken_by_a_worker(job_id, "busy-worker")

    assert sweep_outbox() == 0
    assert Job.fetch(job_id, connection=get_redis()).get_status() == JobStatus.STARTED
    assert status(message_id) == "pending"
    assert fake.calls(ROBOT_PATH) == []


def test_a_message_undelivered_past_the_give_up_limit_fails_is_listed_for_ops_and_alerted(
        client, app, fake, run_jobs, make_unit, make_person, auth_headers):
    message_id = ops_message("总是失败的消息")
    taken_by_a_worker(delivery_job_id(message_id), "alive-but-stuck")  # every run dies: nothing is recorded
    past = utcnow() - timedelta(seconds=app.config["NOTIFY_GIVE_UP_SECONDS"] + 60)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(created_at=past))
    tx.commit()

    sweep_outbox()
    assert status(message_id) == "failed"
    assert "仍未送达" in db.session.get(OutboxMessage, message_id).last_error
    run_jobs()
    alert = robot_posts(fake, "消息长时间未送达告警")
    assert len(alert) == 1 and f"消息编号：{message_id}" in alert[0]["json"]["markdown"]["content"]
    sweep_outbox()
    run_jobs()
    assert len(robot_posts(fake, "消息长时间未送达告警")) == 1  # once

    ops = auth_headers(make_person(make_unit("risk_center", "610000"), "ops"))
    failed = client.get("/api/v1/ops/messages?status=failed", headers=ops).json["items"]
    assert [m["id"] for m in failed] == [message_id]
    retried = client.post(f"/api/v1/ops/messages/{message_id}/retry", headers=ops)
    assert retried.json["status"] == "pending"
    sweep_outbox()  # the retry is due from now: not given up again at once
    assert status(message_id) == "pending"


@pytest.mark.no_db
def test_a_worker_killed_mid_delivery_leaves_a_message_the_sweep_sends_once(app, fake, tmp_path, run_jobs):
    """The real thing: a worker process takes the delivery, hangs in the WeChat call and is SIGKILLed;
    the message is committed for real (this test is outside the rolled-back transaction)."""
    marker = tmp_path / "sending"
    with app.app_context():
        message_id = ops_message("被中断的投递")
    try:
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.notify.killed_worker", app.config["SQLALCHEMY_DATABASE_URI"],
             app.config["REDIS_URL"], app.config["WECOM_API_BASE_URL"], str(marker)],
            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not marker.exists():
                assert worker.poll() is None and time.monotonic() < deadline, "the worker never took the job"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()

        with app.app_context():
            job_id = delivery_job_id(message_id)
            assert Job.fetch(job_id, connection=get_redis()).get_status() == JobStatus.STARTED  # forever, in rq
            assert status(message_id) == "pending"  # its transaction died with it
            assert sweep_outbox() == 0  # its worker's key is still there: it may be alive
            # Once its key and heartbeat have expired (timeout + 60 s) the sweep sees it dead:
            later = utcnow() + timedelta(seconds=app.config["NOTIFY_DELIVERY_JOB_TIMEOUT"]
                                         + app.config["JOB_STALE_HEARTBEAT_SECONDS"] + 61)
            assert sweep_work([DELIVERY_WORK], grace_seconds=0, now=later) == 1
            run_jobs()
            assert status(message_id) == "sent"
            assert len(robot_posts(fake, "被中断的投递")) == 1
            assert Job.fetch(job_id, connection=get_redis()).get_status() == JobStatus.FINISHED
            assert sweep_outbox() == 0
    finally:
        with app.app_context():
            db.session.execute(delete(OutboxMessage).where(OutboxMessage.id == message_id))
            tx.commit()
            db.session.remove()
        Redis.from_url(app.config["REDIS_URL"]).flushdb()
