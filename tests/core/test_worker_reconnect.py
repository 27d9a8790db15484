"""`flask worker` and `flask cron` do not exit when Redis goes away: they wait, with a growing
back-off logged at each attempt, and reconnect; they end only when asked to stop."""
from __future__ import annotations

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

import jobs.commands as commands


@pytest.fixture
def waits(monkeypatch):
    """The back-off waits, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(commands.time, "sleep", slept.append)
    return slept


def scripted_worker_class(lives: list):
    """A worker class whose successive `work()` calls follow `lives`: an exception to raise,
    "quit" (rq's worker leaving its loop on its own) or "stop" (a stop was asked)."""
    started: list[str] = []

    class ScriptedWorker:
        def __init__(self, queues, connection):
            self.stop_asked = False

        def work(self, burst=False, with_scheduler=False):
            life = lives.pop(0)
            started.append(life if isinstance(life, str) else type(life).__name__)
            if isinstance(life, Exception):
                raise life
            self.stop_asked = life == "stop"
            return True

    return ScriptedWorker, started


def test_the_worker_reconnects_with_back_off_when_redis_goes_away_instead_of_exiting(
        app, monkeypatch, waits, caplog):
    worker_class, started = scripted_worker_class(
        [RedisConnectionError("Connection refused"), RedisTimeoutError("Timeout"), "quit", "stop"])
    monkeypatch.setattr(commands, "make_worker_class", lambda: worker_class)
    caplog.set_level(logging.WARNING, logger="jobs.commands")

    result = app.test_cli_runner().invoke(args=["worker"])
    assert result.exit_code == 0, result.output
    assert started == ["ConnectionError", "TimeoutError", "quit", "stop"]
    assert waits == [1, 2, 4]  # REDIS_RECONNECT_BASE_SECONDS, doubling
    attempts = [r.getMessage() for r in caplog.records if "reconnecting" in r.getMessage()]
    assert len(attempts) == 3 and "attempt 1" in attempts[0] and "Connection refused" in attempts[0]


def test_the_worker_back_off_is_capped(app, monkeypatch, waits):
    monkeypatch.setitem(app.config, "REDIS_RECONNECT_MAX_SECONDS", 3)
    worker_class, _ = scripted_worker_class([RedisConnectionError("down")] * 4 + ["stop"])
    monkeypatch.setattr(commands, "make_worker_class", lambda: worker_class)
    assert app.test_cli_runner().invoke(args=["worker"]).exit_code == 0
    assert waits == [1, 2, 3, 3]


def test_a_burst_worker_ends_when_the_queues_are_empty(app, monkeypatch, waits):
    worker_class, started = scripted_worker_class(["quit"])
    monkeypatch.setattr(commands, "make_worker_class", lambda: worker_class)
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert started == ["quit"] and waits == []


def test_cron_reconnects_with_back_off_when_redis_goes_away_instead_of_exiting(app, monkeypatch, waits, caplog):
    import rq.cron

    lives = [RedisConnectionError("Connection refused"), RedisConnectionError("Connection refused"), "stop"]
    schedulers: list = []

    class ScriptedScheduler:
        def __init__(self, connection):
            self.registered = []
            schedulers.append(self)

        def register(self, function, queue, **options):
            self.registered.append(function)

        def start(self):
            life = lives.pop(0)
            if isinstance(life, Exception):
                raise life

    monkeypatch.setattr(rq.cron, "CronScheduler", ScriptedScheduler)
    caplog.set_level(logging.WARNING, logger="jobs.commands")
    result = app.test_cli_runner().invoke(args=["cron"])
    assert result.exit_code == 0, result.output
    assert len(schedulers) == 3 and all(s.registered for s in schedulers)  # each life registers the schedule
    assert waits == [1, 2]
    assert sum("rq cron scheduler" in r.getMessage() for r in caplog.records) == 2
