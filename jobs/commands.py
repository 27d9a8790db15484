"""Command-line entry points (`flask ...`). Each commands commits once, at its end."""
from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core import tx
from core.audit import AuditContext, verify_chain
from core.extensions import db
from core.logs import bound_request_id
from core.redis import QUEUE_NAMES, get_redis

log = logging.getLogger(__name__)

CLI_CONTEXT = AuditContext(None, None, "cli")
REDIS_LOST = (RedisConnectionError, RedisTimeoutError)


def run_reconnecting(life: Callable[[], bool], what: str, sleep: Callable[[float], None] | None = None) -> None:
    """Run `life` (one worker or scheduler, made afresh each time) until it ends because it was
    asked to (it returns True: a stop signal, a burst worker with nothing left).

    When Redis goes away the process does not exit: a life that raises a Redis connection or
    timeout error, or returns False (rq's worker quits on those by itself), is started again
    after a wait of REDIS_RECONNECT_BASE_SECONDS doubling up to REDIS_RECONNECT_MAX_SECONDS, each
    attempt logged. A life that lasted longer than the longest wait starts the count again.
    """
    base = current_app.config["REDIS_RECONNECT_BASE_SECONDS"]
    longest = current_app.config["REDIS_RECONNECT_MAX_SECONDS"]
    attempt = 0
    while True:
        started = time.monotonic()
        try:
            if life():
                return
            problem = "it stopped on its own (Redis lost?)"
        except REDIS_LOST as error:
            problem = f"Redis is unreachable: {error}"
        if time.monotonic() - started > longest:
            attempt = 0
        wait = min(base * 2 ** attempt, longest)
        attempt += 1
        log.warning("%s: %s; reconnecting in %s s (attempt %d)", what, problem, wait, attempt)
        _default_signals()  # the dead life's handlers talk to Redis: a stop while waiting just ends
        (sleep or time.sleep)(wait)


def _default_signals() -> None:
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread: nothing was installed there either
        pass


def make_worker_class():
    """An rq SimpleWorker that runs every job inside the app context, its log lines carrying the
    request id of the request that enqueued it (core.logs), and ends its session."""
    from rq import SimpleWorker

    app = current_app._get_current_object()

    class AppWorker(SimpleWorker):
        stop_asked = False  # a warm or cold shutdown was requested (a signal, rq's stop command)

        def request_stop(self, signum, frame):
            self.stop_asked = True
            return super().request_stop(signum, frame)

        def perform_job(self, job, queue, execution):
            with app.app_context(), bound_request_id(job.meta.get("request_id"), job.id):
                try:
                    return super().perform_job(job, queue, execution)
                finally:
                    tx.rollback()  # whatever a failed job left uncommitted: its files are deleted too
                    db.session.remove()

    return AppWorker


@click.command("worker")
@click.option("--queues", "-q", multiple=True, default=QUEUE_NAMES, show_default=True)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker_command(queues: tuple[str, ...], burst: bool) -> None:
    """Run an rq worker (with the scheduler for delayed jobs) inside the app; when Redis goes away
    it waits and reconnects (`run_reconnecting`) until it is stopped."""
    from rq import Queue

    connection = get_redis()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set; without it jobs run in-process.")
    worker_class = make_worker_class()

    def life() -> bool:
        worker = worker_class([Queue(q, connection=connection) for q in queues], connection=connection)
        worker.work(burst=burst, with_scheduler=True)
        return burst or worker.stop_asked

    run_reconnecting(life, "rq worker")


@click.command("cron")
def cron_command() -> None:
    """Enqueue the periodic jobs of `jobs/schedule.py` on time (a worker runs them); when Redis
    goes away it waits and reconnects (`run_reconnecting`) until it is stopped."""
    from rq.cron import CronScheduler

    from jobs.schedule import SCHEDULE

    connection = get_redis()
    if connection is None:
        raise click.ClickException("REDIS_URL is not set.")

    def life() -> bool:
        scheduler = CronScheduler(connection=connection)
        for item in SCHEDULE:
            scheduler.register(item.function, item.queue, cron=item.cron, job_timeout=item.timeout)
        scheduler.start()  # returns when stopped (a signal); raises when Redis is lost
        return True

    run_reconnecting(life, "rq cron scheduler")


@click.command("demo-data")
def demo_data_command() -> None:
    """Load the demo units, people and WeChat bindings (idempotent)."""
    from services import demo

    created = demo.load()
    tx.commit()
    click.echo(f"demo data ready ({created} new records)")


audit_cli = AppGroup("audit", help="The audit record.")


@audit_cli.command("verify")
def audit_verify_command() -> None:
    """Check the hash chain; exit 1 and list entries that were changed, removed or inserted."""
    problems = list(verify_chain())
    for problem in problems:
        click.echo(f"entry {problem.entry_id}: {problem.problem}")
    if problems:
        sys.exit(1)
    click.echo("audit chain intact")


orgs_cli = AppGroup("orgs", help="Units and accounts.")


@orgs_cli.command("create-regulator")
@click.option("--region", "region_code", required=True, help="Region code, e.g. 610000.")
@click.option("--name", required=True)
@click.option("--admin-name", required=True)
@click.option("--admin-phone", required=True)
@click.option("--username", required=True)
@click.password_option()
def create_regulator_command(region_code, name, admin_name, admin_phone, username, password) -> None:
    """Open a regulator unit with its first admin (regulators do not self-register)."""
    from services.orgs import accounts, people, units

    unit = units.create_unit(CLI_CONTEXT, {"kind": "regulator", "name": name, "region_code": region_code})
    person = people.add_person_record(unit, {"name": admin_name, "phone": admin_phone,
                                             "roles": [{"role": "unit_admin"}, {"role": "regulator_staff"}]})
    accounts.create_password_account(person, username, password)
    tx.commit()
    click.echo(f"regulator unit {unit.id} created; admin {username}")


def register_commands(app: Flask) -> None:
    for command in (worker_command, cron_command, demo_data_command, audit_cli, orgs_cli):
        app.cli.add_command(command)
