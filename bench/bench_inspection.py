"""Inspection result ingest benchmark (issue 12, item 8).

On a copy of the one-code benchmark's 1,000,000 devices (`bench/inspection_data.py`), an approved
provincial institute with its client key sends results through `POST /open/v1/inspection/results`,
signed by the reference client (`integration_api.client.OpenClient`), to gunicorn
(`--no-control-socket -w 2`, sync workers): BENCH_INSPECTION_BATCHES batches of
BENCH_INSPECTION_BATCH_SIZE results (default 40 x 500), each result for a different device, from
BENCH_INSPECTION_THREADS client threads (default 3), after one unmeasured warm-up batch per
thread. Every result has its full effects (due dates per series, last inspection, the card cache,
the audit entry); BENCH_INSPECTION_FAILING of them (default 5 %) are 不合格 / 不符合要求 with two
problems each (two findings, the code red, the unit and regulator told).

Side by side in the same run: the same rows inserted by plain SQLAlchemy Core executemany
(`conn.execute(table.insert(), rows)`, one commit per batch, the same threads) into
`bench_plain_results`, a copy of `inspection_results` with its indexes and constraints; the ratio
is the endpoint's rate over the plain insert's. Then the first measured batches are sent again:
the upsert by report number answers every record `unchanged`.

Figures: results per second, p50 and p99 per batch, the plain insert's rows per second and p99,
their ratio, the resend's p50; the gunicorn workers' CPU per batch and the app's own time per batch
(its access log). When the goal (>= 3,000 results/s and p99 < 1 s per 500-result batch) is missed,
or with BENCH_INSPECTION_PROFILE=1, two more batches run in-process: one alone, timed, and one
under cProfile with its SQL statements counted and timed; the top of the profile is printed:
where the time goes.

Settings: BENCH_INSPECTION_DEVICES (default 1,000,000; e.g. 50000 for a quick run),
BENCH_INSPECTION_BATCHES, BENCH_INSPECTION_BATCH_SIZE, BENCH_INSPECTION_THREADS,
BENCH_INSPECTION_FAILING, BENCH_INSPECTION_PROFILE (auto / 1 / 0), BENCH_INSPECTION_REDIS_URL
(default redis://127.0.0.1:6379/10). Databases `platform_bench_onecode` (made or reused) and
`platform_bench_inspection` (copied afresh each run).
"""
from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import requests
import sqlalchemy as sa

from bench import inspection_data as data
from bench.bench_onecode import Server, free_port, gunicorn_command, machine, stop_server, wait_ready

ROOT = Path(__file__).resolve().parent.parent
DEVICES = int(os.environ.get("BENCH_INSPECTION_DEVICES", "1000000"))
BATCHES = int(os.environ.get("BENCH_INSPECTION_BATCHES", "40"))
BATCH_SIZE = int(os.environ.get("BENCH_INSPECTION_BATCH_SIZE", "500"))
THREADS = int(os.environ.get("BENCH_INSPECTION_THREADS", "3"))
FAILING = float(os.environ.get("BENCH_INSPECTION_FAILING", "0.05"))
PROFILE = os.environ.get("BENCH_INSPECTION_PROFILE", "auto")
RESEND_BATCHES = min(BATCHES, 2 * THREADS)
GOAL_RATE = 3000  # results/s
GOAL_P99_S = 1.0  # per 500-result batch
PATH = "/open/v1/inspection/results"


def figure(name: str, value: float, unit: str) -> None:
    print(f"figure {name} {value:g} {unit}", flush=True)


def note(message: str) -> None:
    print(f"# {message}", flush=True)


@dataclass
class Batch:
    records: list[dict]
    devices: list[data.Device]


@dataclass
class Run:
    seconds: float
    latencies: list[float]
    statuses: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def p(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def make_batches(devices: list[data.Device], first_serial: int, today: date) -> list[Batch]:
    """Consecutive batches of BATCH_SIZE results; every 1/FAILING-th result fails."""
    every = round(1 / FAILING) if FAILING > 0 else 0
    batches = []
    for start in range(0, len(devices), BATCH_SIZE):
        chunk = devices[start:start + BATCH_SIZE]
        records = [data.result_record(device, first_serial + start + i,
                                      bool(every) and (first_serial + start + i) % every == every // 2, today)
                   for i, device in enumerate(chunk)]
        batches.append(Batch(records, chunk))
    return batches


def drive(batches: list[Batch], send) -> Run:
    """`send(batch)` -> (status counts, problem or None) from THREADS threads, each batch timed."""
    queue = list(enumerate(batches))
    lock = threading.Lock()
    run = Run(0.0, [])

    def work() -> None:
        sender = send()
        while True:
            with lock:
                if not queue:
                    return
                _, batch = queue.pop(0)
            started = time.perf_counter()
            counts, problem = sender(batch)
            elapsed = time.perf_counter() - started
            with lock:
                run.latencies.append(elapsed)
                for status, count in counts.items():
                    run.statuses[status] = run.statuses.get(status, 0) + count
                if problem:
                    run.problems.append(problem)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - began
    return run


def api_sender(base: str, key_id: str, secret: str):
    from integration_api.client import OpenClient

    def make():
        caller = OpenClient(base, key_id, secret, timeout=120)

        def send(batch: Batch):
            response = caller.post(PATH, json={"records": batch.records})
            if response.status_code != 200:
                return {}, f"HTTP {response.status_code}: {response.text[:300]}"
            answer = response.json()
            errors = [r for r in answer["results"] if r["status"] == "error"]
            problem = f"{len(errors)} rows refused, e.g. {errors[0]['error']}" if errors else None
            return answer["counts"], problem

        return send

    return make


def plain_sender(agency_id: int):
    engine = sa.create_engine(data.SQLALCHEMY_URL, pool_size=THREADS, max_overflow=0)
    table = sa.Table(data.PLAIN_TABLE, sa.MetaData(), autoload_with=engine)

    def make():
        def send(batch: Batch):
            now = datetime.now(timezone.utc)
            rows = [data.plain_row(r, d, agency_id, now) for r, d in zip(batch.records, batch.devices)]
            with engine.connect() as conn:
                conn.execute(table.insert(), rows)
                conn.commit()
            return {"inserted": len(rows)}, None

        return send

    return make, engine


def start_gunicorn(workdir: Path) -> Server:
    port = free_port()
    env = {**os.environ, "APP_ENV": "development", "ENV_FILE": "-", "DATABASE_URL": data.DSN,
           "REDIS_URL": data.REDIS_URL, "SECRET_KEY": data.SECRET_KEY, "OPEN_RATE_LIMIT_PER_MINUTE": "0",
           "OPEN_BATCH_MAX_RECORDS": str(max(BATCH_SIZE, 500)), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    log_path = workdir / "gunicorn.log"
    process = subprocess.Popen([*gunicorn_command(port, "wsgi:app"), "--timeout", "120"], cwd=ROOT, env=env,
                               stdin=subprocess.DEVNULL, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    return Server("inspection", port, process, log_path)


def report(name: str, run: Run, results: int) -> float:
    rate = results / run.seconds
    figure(f"{name}_per_second", round(rate), "results/s")
    figure(f"{name}_batch_p50_ms", round(run.p(0.5) * 1000, 1), "ms")
    figure(f"{name}_batch_p99_ms", round(run.p(0.99) * 1000, 1), "ms")
    note(f"  {name}: {results:,} rows in {len(run.latencies)} batches, {run.seconds:.1f} s, statuses {run.statuses}"
         + (f"; PROBLEMS: {run.problems[:3]}" if run.problems else ""))
    return rate


def server_durations(server: Server) -> list[float]:
    """The app's own duration (ms) of each answered results batch, in the order they finished."""
    durations = []
    for line in server.log_path.read_text(errors="replace").splitlines():
        if PATH in line and '"status": 200' in line:
            try:
                durations.append(json.loads(line)["duration_ms"])
            except (ValueError, KeyError):
                continue
    return durations


def profile_batch(batches: list[Batch], key_id: str, secret: str) -> None:
    """One batch in-process alone (timed), then another under cProfile with the SQL statements
    counted and timed: where the time goes."""
    from sqlalchemy import event

    from app import create_app
    from core.extensions import db
    from integration_api.client import FlaskOpenClient

    app = create_app(data.app_config(OPEN_BATCH_MAX_RECORDS=max(BATCH_SIZE, 500)))
    statements: dict[str, list[float]] = {}
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info.setdefault("started", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            elapsed = time.perf_counter() - conn.info["started"].pop()
            words = " ".join(statement.split()[:6])
            statements.setdefault(words[:90] + (" [many]" if executemany else ""), []).append(elapsed)

    api = FlaskOpenClient(app.test_client(), key_id, secret)
    started = time.perf_counter()
    response = api.post(PATH, json={"records": batches[0].records})
    note(f"in-process, alone, no profiler: one batch of {len(batches[0].records)} in "
         f"{(time.perf_counter() - started) * 1000:.0f} ms (HTTP {response.status_code})")
    statements.clear()
    batch = batches[1]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    response = api.post(PATH, json={"records": batch.records})
    profiler.disable()
    elapsed = time.perf_counter() - started
    note(f"profile: one batch of {len(batch.records)} in-process in {elapsed * 1000:.0f} ms "
         f"(HTTP {response.status_code}, counts {response.get_json().get('counts')}); "
         f"{sum(len(v) for v in statements.values())} SQL statements, "
         f"{sum(sum(v) for v in statements.values()) * 1000:.0f} ms waiting on PostgreSQL")
    for words, times in sorted(statements.items(), key=lambda item: -sum(item[1]))[:15]:
        note(f"  sql {len(times):5d} x {sum(times) * 1000:7.1f} ms  {words}")
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(r"(services|integration_api|core|models)/", 30)
    stats.sort_stats("tottime").print_stats(25)
    for line in text.getvalue().splitlines():
        if line.strip():
            note(f"  {line}")
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    note(machine())
    info = data.ensure_database(DEVICES)
    note(f"data: {info.devices:,} devices ({'reused' if info.reused else 'generated'} in {info.seconds:.1f} s, "
         f"copied in {info.copy_seconds:.1f} s)")
    key_id, secret, agency_id = data.prepare_agency()
    today = date.today()
    warmup, measured = THREADS, BATCHES
    devices = data.sample_devices((warmup + measured + 2) * BATCH_SIZE)
    batches = make_batches(devices, 1, today)
    warm_batches, run_batches, spares = batches[:warmup], batches[warmup:warmup + measured], batches[-2:]
    results = sum(len(b.records) for b in run_batches)
    failing = sum(1 for b in run_batches for r in b.records if r.get("problems"))
    note(f"{measured} batches of {BATCH_SIZE} ({results:,} results, {failing:,} failing with 2 problems each) "
         f"from {THREADS} threads; {warmup} warm-up batches first")

    workdir = Path(tempfile.mkdtemp(prefix="bench-inspection-"))
    server = start_gunicorn(workdir)
    try:
        wait_ready(server, "/healthz")
        warm = drive(warm_batches, api_sender(server.url().rstrip("/"), key_id, secret))
        if warm.problems:
            tail = "\n".join(line[:1500] for line in server.log_tail(12).splitlines())
            raise RuntimeError(f"warm-up refused: {warm.problems[:3]}\n{tail}")
        cpu = server.worker_cpu_seconds()
        api_run = drive(run_batches, api_sender(server.url().rstrip("/"), key_id, secret))
        worker_cpu = server.worker_cpu_seconds() - cpu
        resend = drive(run_batches[:RESEND_BATCHES], api_sender(server.url().rstrip("/"), key_id, secret))
    finally:
        stop_server(server)
    served = server_durations(server)[warmup:warmup + measured]
    make_plain, engine = plain_sender(agency_id)
    try:
        drive(warm_batches, make_plain)
        plain_run = drive(run_batches, make_plain)
    finally:
        engine.dispose()

    rate = report("inspection_results", api_run, results)
    figure("inspection_worker_cpu_per_batch_ms", round(worker_cpu * 1000 / max(1, measured), 1), "ms")
    if served:
        figure("inspection_server_batch_p50_ms", round(statistics.median(served), 1), "ms")
        note(f"  server side (access log): p50 {statistics.median(served):.0f} ms, max {max(served):.0f} ms per batch; "
             f"the rest of a client's latency is waiting for a free worker ({THREADS} threads, 2 workers)")
    figure("inspection_resend_batch_p50_ms", round(resend.p(0.5) * 1000, 1), "ms")
    note(f"  resend of {RESEND_BATCHES} batches: statuses {resend.statuses} (all unchanged expected)")
    plain_rate = report("plain_executemany_rows", plain_run, results)
    figure("inspection_vs_plain_ratio", round(rate / plain_rate, 3), "ratio")
    after = data.effects(agency_id)
    note(f"effects: {after}; expected {results + warmup * BATCH_SIZE:,} results, of them "
         f"{sum(1 for b in warm_batches + run_batches for r in b.records if r.get('problems')):,} forbidding use")
    p99 = api_run.p(0.99)
    met = rate >= GOAL_RATE and p99 < GOAL_P99_S and not api_run.problems
    note(f"goal >= {GOAL_RATE:,} results/s and p99 < {GOAL_P99_S:g} s per {BATCH_SIZE}-result batch: "
         f"{rate:,.0f} results/s, p99 {p99:.2f} s -- {'met' if met else 'NOT met'}")
    if PROFILE == "1" or (PROFILE == "auto" and not met):
        profile_batch(spares, key_id, secret)
    note(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
