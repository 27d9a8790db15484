"""The periodic jobs: all listed in one schedule that rq's cron accepts, each safe to run twice."""
import importlib
from datetime import timedelta

from croniter import croniter
from rq import Queue
from rq.cron import CronScheduler

from core import tx
from core.redis import get_redis
from core.timeutil import business_today
from jobs.schedule import SCHEDULE
from tests.notify.conftest import rows

# The notify domain's jobs and the foundation's; other domains add theirs to the same schedule.
EXPECTED = {
    "jobs.notify.sweep_outbox", "jobs.notify.alert_delivery_failures", "jobs.notify.send_daily_digest",
    "jobs.notify.remind_inspections_due", "jobs.maintenance.purge_idempotency_keys",
    "jobs.maintenance.sweep_lost_jobs",
}


def _func(path):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def digests(fake):
    return [c["json"]["markdown"]["content"] for c in fake.calls("webhook/send")
            if "平台运维日报" in c["json"]["markdown"]["content"]]


def test_the_schedule_lists_every_periodic_job_and_rq_cron_takes_them_all():
    funcs = [item.func for item in SCHEDULE]
    assert EXPECTED <= set(funcs)
    assert len(funcs) == len(set(funcs))
    scheduler = CronScheduler(connection=get_redis())
    for item in SCHEDULE:  # what `flask cron` does
        assert croniter.is_valid(item.cron), item
        assert item.queue in ("default", "notify", "reports")
        assert _func(item.func) is item.function  # module level: the worker finds it by its path
        assert 0 < item.timeout <= 3600, item
        scheduler.register(item.function, item.queue, cron=item.cron, job_timeout=item.timeout)
    assert sorted(job.func_name for job in scheduler.get_jobs()) == sorted(funcs)
    assert {job.func_name: job.job_options["job_timeout"] for job in scheduler.get_jobs()} == {
        item.func: item.timeout for item in SCHEDULE}
    assert all(job.next_enqueue_time is not None for job in scheduler.get_jobs())


def test_every_periodic_job_run_twice_by_the_worker_sends_the_digest_once(
        fake, run_jobs, make_unit, make_person):
    make_person(make_unit("use", "610113", status="pending"), "unit_admin")
    for _ in range(2):
        for item in SCHEDULE:
            Queue(item.queue, connection=get_redis()).enqueue(item.func)
        run_jobs()
        run_jobs()  # and whatever the sweep enqueued
    sent = digests(fake)
    assert len(sent) == 1
    assert "待审核单位：1" in sent[0]
    assert f"平台运维日报 {business_today().isoformat()}" in sent[0]


def test_a_double_run_of_the_digest_queues_it_once():
    from jobs.notify import send_daily_digest

    assert send_daily_digest() is True
    assert send_daily_digest() is False
    assert [m.template for m in rows()] == ["ops_daily_digest"]


def test_inspection_reminders_go_to_the_unit_once_a_week(make_unit, make_person, make_equipment, run_jobs):
    from jobs.notify import remind_inspections_due

    unit = make_unit("use", "610113")
    admin = make_person(unit, "unit_admin")
    make_person(unit, "safety_officer")  # not a recipient
    today = business_today()
    make_equipment(unit, use_status="in_use", next_due_date=today - timedelta(days=3))
    make_equipment(unit, use_status="in_use", next_due_date=today + timedelta(days=10))
    make_equipment(unit, use_status="in_use", next_due_date=today + timedelta(days=200))
    make_equipment(unit, use_status="suspended", next_due_date=today - timedelta(days=3))
    tx.commit()

    assert remind_inspections_due() == 1
    assert remind_inspections_due() == 0
    run_jobs()
    (message,) = rows()
    assert (message.recipient_person_id, message.status) == (admin.id, "sent")
    assert "1 台在用设备已超过检验有效期、1 台将在 30 日内到期" in message.body
