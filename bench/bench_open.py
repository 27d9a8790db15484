"""Benchmark: signed machine requests (`GET /open/v1/ping`) through the reference client.

gunicorn (`--no-control-socket -w 2`, sync) serves the app on a database of its own
(`platform_bench_open`, migrated afresh) and Redis db 12; BENCH_OPEN_THREADS callers (default 8),
each an `integration_api.client.OpenClient` with its own keep-alive session, sign and send pings for
BENCH_OPEN_SECONDS (default 10). The same callers then send unsigned `GET /healthz` (one database
round trip, no signing, no audit) for comparison. Each signed ping is checked (HMAC, nonce in Redis,
client and unit loaded) and audited (one hash-chained audit entry, committed), so the audit chain's
lock is the likely ceiling. The load generator runs on the same two cores: figures are rough.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa
from flask_migrate import upgrade
from redis import Redis

from bench.bench_onecode import Server, free_port, gunicorn_command, stop_server
from core import tx
from app import create_app
from core.audit import AuditContext
from core.config import Config
from core.extensions import db
from integration_api.client import OpenClient
from models.orgs import Unit
from services import clients

ROOT = Path(__file__).resolve().parent.parent
DSN = os.environ.get("BENCH_OPEN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/platform_bench_open")
REDIS_URL = "redis://127.0.0.1:6379/12"
SECONDS = float(os.environ.get("BENCH_OPEN_SECONDS", "10"))
THREADS = int(os.environ.get("BENCH_OPEN_THREADS", "8"))
SECRET = "bench-open-secret"


def figure(name: str, value: float, unit: str) -> None:
    print(f"figure {name} {value:.2f} {unit}", flush=True)


def _prepare() -> tuple[str, str]:
    url = sa.engine.make_url(DSN.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    Redis.from_url(REDIS_URL).flushdb()
    app = create_app(Config(SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False),
                            REDIS_URL=REDIS_URL, SECRET_KEY=SECRET, APP_ENV="development"))
    with app.app_context():
        upgrade(revision="heads")
        unit = Unit(kind="inspection", status="approved", region_code="610113", name="基准检验机构",
                    uscc="91610113MA6TXXXX0X")
        db.session.add(unit)
        db.session.flush()
        issued = clients.create_client(AuditContext(None, None, "bench"), unit, "基准系统", ["open:read"],
                                       rate_limit_per_minute=0)
        tx.commit()
        key = (issued.key.key_id, issued.secret)
        db.engine.dispose()
    return key


def _load(send, seconds: float) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def run() -> None:
        mine, bad = [], 0
        session_send = send()
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            status = session_send()
            mine.append(time.perf_counter() - start)
            bad += status != 200
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, latencies, failures[0]


def _report(name: str, elapsed: float, latencies: list[float], failures: int) -> None:
    latencies.sort()
    figure(f"{name}_requests_per_second", len(latencies) / elapsed, "req/s")
    figure(f"{name}_p50", statistics.median(latencies) * 1000, "ms")
    figure(f"{name}_p99", latencies[int(len(latencies) * 0.99) - 1] * 1000, "ms")
    figure(f"{name}_failures", failures, "requests")


def main() -> None:
    key_id, secret = _prepare()
    port = free_port()
    env = {**os.environ, "APP_ENV": "development", "ENV_FILE": "-", "DATABASE_URL": DSN, "REDIS_URL": REDIS_URL,
           "SECRET_KEY": SECRET}
    workdir = Path(tempfile.mkdtemp(prefix="bench-open-"))
    log_path = workdir / "gunicorn.log"
    import subprocess

    process = subprocess.Popen(gunicorn_command(port, "wsgi:app"), cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                               stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    server = Server("open", port, process, log_path)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"gunicorn did not answer:\n{server.log_tail()}")

        def signed():
            caller = OpenClient(base, key_id, secret)
            return lambda: caller.get("/open/v1/ping").status_code

        def unsigned():
            session = requests.Session()
            return lambda: session.get(base + "/healthz", timeout=10).status_code

        _report("open_signed_ping", *_load(signed, SECONDS))
        _report("healthz_unsigned", *_load(unsigned, SECONDS))
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
