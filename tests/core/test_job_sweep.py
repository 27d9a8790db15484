"""Nothing accepted is lost: work whose job was never enqueued (Redis down at the commit) or was
lost (a dead worker) is enqueued again by the sweep, and a job run twice does its work once."""
from __future__ import annotations

import zlib
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from rq import Queue
from rq.job import Job, JobStatus
from sqlalchemy import func, select, text, update

from core.audit import AuditEntry
from core.extensions import db
from core.redis import get_redis
from core.storage import StoredFile
from core.timeutil import utcnow
from jobs.maintenance import sweep_lost_jobs
from models.equipment import Equipment, EquipmentImport
from models.onecode import Code, CodeJob
from models.risk import PeriodicRiskReport, RiskReport
from services.risk import media
from tests.core.test_jobs import queued
from tests.equipment.test_imports import elevator, fill, template, upload, yanta  # noqa: F401  (fixtures)
from tests.onecode.conftest import site  # noqa: F401  (a fixture)
from tests.risk.conftest import jpeg_with_gps, make_complete_person, make_point, risk  # noqa: F401
from tests.risk.conftest import submit
from tests.risk.conftest import upload as upload_photo

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


@contextmanager
def redis_down(app, monkeypatch):
    """Requests in the block commit while Redis cannot be reached; it is back afterwards."""
    redis_url = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", DEAD_REDIS)
    try:
        yield
    finally:
        monkeypatch.setitem(app.config, "REDIS_URL", redis_url)


def age(model, row_id, app, extra_seconds: int = 60) -> None:
    """Make a row look older than the sweep's grace period (instead of sleeping)."""
    past = utcnow() - timedelta(seconds=app.config["JOB_SWEEP_GRACE_SECONDS"] + extra_seconds)
    db.session.execute(update(model).where(model.id == row_id).values(created_at=past, updated_at=past))


@contextmanager
def claimed_elsewhere(kind: str, row_id: int):
    """Another worker's transaction holding the row's claim (`core.work.advisory_claim`)."""
    namespace = zlib.crc32(kind.encode()) & 0x7FFFFFFF
    with db.engine.connect() as other:
        other.execute(text("SELECT pg_advisory_lock(:n, :i)"), {"n": namespace, "i": row_id})
        try:
            yield
        finally:
            other.execute(text("SELECT pg_advisory_unlock(:n, :i)"), {"n": namespace, "i": row_id})
            other.commit()


def job_ids() -> set[str]:
    return {job.id for name in ("default", "reports") for job in Queue(name, connection=get_redis()).get_jobs()}


def import_status(import_id: int) -> str:
    db.session.expire_all()
    return db.session.get(EquipmentImport, import_id).status


# -- equipment imports ---------------------------------------------------------------------------

def test_an_import_accepted_while_redis_was_down_is_processed_by_the_sweep(
        client, yanta, template, app, monkeypatch, run_jobs):
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 0)
    with redis_down(app, monkeypatch):
        accepted = upload(client, yanta["admin"], fill(template, [elevator(1), elevator(2)]))
    assert (accepted.status_code, accepted.json["status"]) == (202, "queued")
    import_id = accepted.json["id"]
    assert queued() == []  # the enqueue after commit was lost

    assert sweep_lost_jobs() == 0  # within the grace period: its job may still be on the way
    age(EquipmentImport, import_id, app)
    assert sweep_lost_jobs() == 1
    assert job_ids() == {f"equipment-import-{import_id}-check"}
    run_jobs()
    assert import_status(import_id) == "checked"
    assert sweep_lost_jobs() == 0


def test_the_sweep_does_not_enqueue_work_already_queued(client, yanta, template, app, monkeypatch, run_jobs):
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 0)
    import_id = upload(client, yanta["admin"], fill(template, [elevator(1)])).json["id"]
    age(EquipmentImport, import_id, app)  # workers are slow today: the job is still waiting in rq
    assert queued() == [("jobs.equipment.process_import", (import_id,))]

    assert sweep_lost_jobs() == 0
    assert queued() == [("jobs.equipment.process_import", (import_id,))]
    run_jobs()
    assert import_status(import_id) == "checked"


def test_a_job_run_twice_processes_its_row_once(client, yanta, template, app, monkeypatch):
    from jobs.equipment import process_import

    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 0)
    import_id = upload(client, yanta["admin"], fill(template, [elevator(1), elevator(2)]), dry_run=False).json["id"]
    process_import(import_id)
    process_import(import_id)  # delivered again: a lost enqueue re-enqueued, rq re-running a job
    assert import_status(import_id) == "imported"
    assert db.session.scalar(select(func.count()).select_from(Equipment)
                             .where(Equipment.use_unit_id == yanta["unit"].id)) == 2
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "equipment.import")) == 1


def test_a_run_while_another_holds_the_import_does_nothing(client, yanta, template, app, monkeypatch):
    from jobs.equipment import process_import

    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 0)
    import_id = upload(client, yanta["admin"], fill(template, [elevator(1)]), dry_run=False).json["id"]
    with claimed_elsewhere("equipment_import", import_id):
        process_import(import_id)
    assert import_status(import_id) == "queued"  # left to the run that holds it (or, if it dies, the sweep)
    assert db.session.scalar(select(func.count()).select_from(Equipment)
                             .where(Equipment.use_unit_id == yanta["unit"].id)) == 0


# -- one-code bulk jobs ----------------------------------------------------------------------------

def test_a_code_job_lost_while_redis_was_down_runs_once_through_the_sweep(
        client, site, app, monkeypatch, make_equipment, run_jobs):
    from jobs.onecode import run_assign_job

    for _ in range(2):
        make_equipment(site["unit"], "3310", use_status="in_use")
    with redis_down(app, monkeypatch):
        accepted = client.post("/api/v1/onecode/jobs", json={"kind": "assign"}, headers=site["admin_headers"])
    assert accepted.status_code == 202, accepted.json
    job_id = accepted.json["id"]
    age(CodeJob, job_id, app)
    assert sweep_lost_jobs() == 1
    assert job_ids() == {f"onecode-job-{job_id}"}
    run_jobs()
    done = client.get(f"/api/v1/onecode/jobs/{job_id}", headers=site["admin_headers"]).json
    assert (done["status"], done["total"], done["processed"]) == ("done", 2, 2)

    run_assign_job(job_id)  # a second delivery finds the job done and issues nothing
    db.session.expire_all()
    assert db.session.get(CodeJob, job_id).status == "done"
    assert db.session.scalar(select(func.count()).select_from(Code)) == 3  # the elevator's and two
    assert sweep_lost_jobs() == 0


# -- risk-report thumbnails ------------------------------------------------------------------------

def test_thumbnails_of_a_report_submitted_while_redis_was_down_are_made_by_the_sweep(
        client, risk, app, monkeypatch, run_jobs):
    photo_id = upload_photo(client, risk.use.reporter_headers, jpeg_with_gps())
    with redis_down(app, monkeypatch):
        submitted = submit(client, risk.use.reporter_headers, photo_ids=[photo_id])
    assert submitted.status_code == 201, submitted.json
    report_id = submitted.json["id"]
    assert media.find_thumbnail(photo_id) is None

    age(RiskReport, report_id, app)
    assert sweep_lost_jobs() == 1
    assert job_ids() == {f"risk-thumbnails-{report_id}"}
    assert sweep_lost_jobs() == 0  # its job is queued: not enqueued again
    run_jobs()
    assert media.find_thumbnail(photo_id) is not None
    assert sweep_lost_jobs() == 0


def test_a_thumbnail_run_while_another_holds_the_report_makes_nothing(client, risk, app, monkeypatch):
    from jobs.risk import make_thumbnails

    photo_id = upload_photo(client, risk.use.reporter_headers, jpeg_with_gps())
    with redis_down(app, monkeypatch):
        report_id = submit(client, risk.use.reporter_headers, photo_ids=[photo_id]).json["id"]
    with claimed_elsewhere("risk_thumbnails", report_id):
        assert make_thumbnails(report_id) == 0
    assert make_thumbnails(report_id) == 1
    assert make_thumbnails(report_id) == 0
    assert db.session.scalar(select(func.count()).select_from(StoredFile)
                             .where(StoredFile.id == media.thumbnail_id(photo_id))) == 1


# -- periodic risk-assessment reports -------------------------------------------------------------

@pytest.fixture
def september_report():
    row = PeriodicRiskReport(period_type="month", period_start=date(2026, 9, 1), period_end=date(2026, 9, 30),
                             status="queued", statistics={})
    db.session.add(row)
    db.session.flush()
    return row.id


def test_a_periodic_report_whose_job_ran_while_another_held_it_is_made_by_the_sweep(
        app, september_report, run_jobs):
    from jobs.risk import generate_periodic_report
    from services.risk import periodic

    report_id = september_report
    Queue("reports", connection=get_redis()).enqueue(generate_periodic_report, report_id,
                                                     job_id=periodic.job_id(report_id))
    age(PeriodicRiskReport, report_id, app)
    with claimed_elsewhere("risk_periodic_report", report_id):
        run_jobs()  # the job finds the report held by another run (which then dies) and makes nothing
    db.session.expire_all()
    assert db.session.get(PeriodicRiskReport, report_id).status == "queued"
    finished = Job.fetch(periodic.job_id(report_id), connection=get_redis())
    assert finished.get_status() == JobStatus.FINISHED

    assert sweep_lost_jobs() == 1  # over, and the row still waits: enqueued again
    run_jobs()
    db.session.expire_all()
    row = db.session.get(PeriodicRiskReport, report_id)
    assert row.status == "done" and row.pdf_file_id is not None
    assert sweep_lost_jobs() == 0


def test_a_periodic_report_generated_twice_is_made_once(app, september_report):
    from jobs.risk import generate_periodic_report

    generate_periodic_report(september_report)
    db.session.expire_all()
    first = db.session.get(PeriodicRiskReport, september_report).pdf_file_id
    generate_periodic_report(september_report)
    db.session.expire_all()
    assert db.session.get(PeriodicRiskReport, september_report).pdf_file_id == first


def test_without_redis_the_sweep_does_nothing(app, monkeypatch, september_report):
    age(PeriodicRiskReport, september_report, app)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    assert sweep_lost_jobs() == 0
    assert db.session.get(PeriodicRiskReport, september_report).status == "queued"


def test_a_code_job_whose_worker_died_mid_run_is_taken_over_by_the_sweep(
        client, site, app, monkeypatch, make_equipment, run_jobs):
    from jobs.onecode import run_assign_job

    make_equipment(site["unit"], "3310", use_status="in_use")
    with redis_down(app, monkeypatch):
        job_id = client.post("/api/v1/onecode/jobs", json={"kind": "assign"}, headers=site["admin_headers"]).json["id"]
    db.session.execute(update(CodeJob).where(CodeJob.id == job_id).values(status="running"))
    run_assign_job(job_id)  # the dead run's progress is recent: another run does not take it over
    db.session.expire_all()
    assert (db.session.get(CodeJob, job_id).status, db.session.get(CodeJob, job_id).processed) == ("running", 0)

    age(CodeJob, job_id, app)  # no progress for longer than the grace period
    assert sweep_lost_jobs() == 1
    run_jobs()
    done = client.get(f"/api/v1/onecode/jobs/{job_id}", headers=site["admin_headers"]).json
    assert (done["status"], done["total"], done["processed"]) == ("done", 1, 1)
    assert sweep_lost_jobs() == 0


def test_work_whose_job_a_dead_worker_left_started_is_enqueued_again_for_every_kind(
        app, september_report, run_jobs):
    from jobs.risk import generate_periodic_report
    from services.risk import periodic
    from tests.notify.test_dead_worker import taken_by_a_worker

    report_id = september_report
    job_id = periodic.job_id(report_id)
    Queue("reports", connection=get_redis()).enqueue(generate_periodic_report, report_id, job_id=job_id)
    age(PeriodicRiskReport, report_id, app)
    worker = taken_by_a_worker(job_id, "killed-report-worker")
    assert sweep_lost_jobs() == 0  # its worker is alive: the run is left to it

    get_redis().delete(worker.key)  # killed: its key expired with no heartbeat
    assert sweep_lost_jobs() == 1
    run_jobs()
    db.session.expire_all()
    assert db.session.get(PeriodicRiskReport, report_id).status == "done"
    assert Job.fetch(job_id, connection=get_redis()).get_status() == JobStatus.FINISHED
    assert sweep_lost_jobs() == 0


def test_a_job_id_taken_meanwhile_is_logged_not_swallowed(app, september_report, caplog, monkeypatch):
    from rq.exceptions import DuplicateJobError

    import jobs.maintenance as maintenance

    age(PeriodicRiskReport, september_report, app)

    class Taken:
        def enqueue(self, *args, **kwargs):
            raise DuplicateJobError("taken")

    monkeypatch.setattr(maintenance, "get_queue", lambda name: Taken())
    assert sweep_lost_jobs() == 0
    assert any("appeared meanwhile" in record.getMessage() and record.levelname == "WARNING"
               for record in caplog.records)
