"""One way to do background work (`core.work`): every kind of work is declared in the registry with
its job, queue and timeout, is swept after Redis was down, reports progress on its row and in its rq
job, and records a failure once."""
from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date, timedelta

import pytest
from rq.job import Job
from sqlalchemy import func, select, update

import jobs
import services
from core import tx, work
from core.extensions import db
from core.redis import QUEUE_NAMES, get_redis
from core.timeutil import utcnow
from jobs.maintenance import sweep_lost_jobs
from models.equipment import EquipmentImport
from models.notify import OutboxMessage
from models.onecode import Code, CodeJob
from models.risk import PeriodicRiskReport, RiskReport
from tests.core.test_job_sweep import redis_down
from tests.equipment.test_imports import elevator, fill, template, upload, yanta  # noqa: F401  (fixtures)
from tests.onecode.conftest import site  # noqa: F401  (a fixture)
from tests.risk.conftest import jpeg_with_gps, make_complete_person, make_point, risk  # noqa: F401
from tests.risk.conftest import submit
from tests.risk.conftest import upload as upload_photo


def _import_every_service_module() -> None:
    """So that a kind declared in any service module is in the registry, loaded or not by the app."""
    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)


_import_every_service_module()
jobs.load()
KINDS = work.registered()


def test_every_kind_of_work_has_an_importable_job_a_queue_a_timeout_and_a_waiting_finder(app):
    assert {kind.name for kind in KINDS} >= {"equipment_import", "onecode_assign", "onecode_label_sheet",
                                             "risk_thumbnails", "risk_periodic_report", "notify_delivery"}
    assert work.unbound() == []
    for kind in KINDS:
        function = kind.job_function()
        module = importlib.import_module(function.__module__)
        assert function.__module__.startswith("jobs.") and getattr(module, function.__qualname__) is function, kind
        assert kind.queue in QUEUE_NAMES, kind
        assert isinstance(kind.timeout(), int) and 0 < kind.timeout() <= 3600, kind
        assert kind.waiting(utcnow()) == [], kind  # an empty database waits for nothing
        assert re.fullmatch(r"[A-Za-z0-9_-]+", kind.job_id(1)), kind


def test_a_job_is_enqueued_by_its_function_never_by_a_name():
    with pytest.raises(TypeError):
        tx.enqueue_after_commit("jobs.notify.deliver_message", 1, queue="notify")


# -- the sweep picks up every kind after Redis was down ---------------------------------------------
# Each kind of work needs here a way to record one row of it, as its users do. A kind added to the
# registry without one fails `test_the_sweep_picks_up_each_kind_of_work_after_redis_was_down`.

def _import(request, client):
    request.getfixturevalue("monkeypatch").setitem(request.getfixturevalue("app").config, "IMPORT_INLINE_MAX_ROWS", 0)
    yanta, template = request.getfixturevalue("yanta"), request.getfixturevalue("template")
    response = upload(client, yanta["admin"], fill(template, [elevator(1)]))
    assert response.status_code == 202, response.json
    return EquipmentImport, response.json["id"]


def _code_job(kind: str):
    def record(request, client):
        site = request.getfixturevalue("site")
        response = client.post("/api/v1/onecode/jobs", json={"kind": kind}, headers=site["admin_headers"])
        assert response.status_code == 202, response.json
        return CodeJob, response.json["id"]
    return record


def _thumbnails(request, client):
    reporter = request.getfixturevalue("risk").use.reporter_headers
    photo_id = upload_photo(client, reporter, jpeg_with_gps())
    response = submit(client, reporter, photo_ids=[photo_id])
    assert response.status_code == 201, response.json
    return RiskReport, response.json["id"]


def _periodic_report(request, client):
    from services.risk.periodic import PERIODIC_REPORT_WORK

    row = PeriodicRiskReport(period_type="month", period_start=date(2026, 9, 1), period_end=date(2026, 9, 30),
                             status="queued", statistics={})
    db.session.add(row)
    db.session.flush()
    PERIODIC_REPORT_WORK.request(row.id)
    tx.commit()
    return PeriodicRiskReport, row.id


def _message(request, client):
    from services import notify

    person = request.getfixturevalue("make_person")(request.getfixturevalue("make_unit")("use", "610113"),
                                                    "unit_admin")
    message = notify.queue_message(person.id, "reminder", "提醒", "请完成本周排查。")
    tx.commit()
    return OutboxMessage, message.id


RECORD = {
    "equipment_import": _import,
    "onecode_assign": _code_job("assign"),
    "onecode_label_sheet": _code_job("label_sheet"),
    "risk_thumbnails": _thumbnails,
    "risk_periodic_report": _periodic_report,
    "notify_delivery": _message,
}


def _age(model, row_id: int, seconds: int) -> None:
    past = utcnow() - timedelta(seconds=seconds)
    values = {name: past for name in ("created_at", "updated_at") if name in model.__table__.c}
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    tx.commit()


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_the_sweep_picks_up_each_kind_of_work_after_redis_was_down(kind, request, client, app, monkeypatch, run_jobs):
    assert kind.name in RECORD, f"no way to record a row of {kind.name} in this test"
    with redis_down(app, monkeypatch):
        model, row_id = RECORD[kind.name](request, client)
    assert kind.job_id(row_id) not in {job.id for job in _jobs()}  # its enqueue after commit was lost
    assert row_id not in kind.waiting(utcnow() - timedelta(seconds=app.config["JOB_SWEEP_GRACE_SECONDS"]))

    _age(model, row_id, app.config["JOB_SWEEP_GRACE_SECONDS"] + 60)
    assert row_id in kind.waiting(utcnow() - timedelta(seconds=app.config["JOB_SWEEP_GRACE_SECONDS"]))
    assert sweep_lost_jobs() >= 1
    job = Job.fetch(kind.job_id(row_id), connection=get_redis())
    assert (job.func_name, job.args, job.origin, job.timeout) == (
        f"{kind.job_function().__module__}.{kind.job_function().__name__}", (row_id,), kind.queue, kind.timeout())
    assert sweep_lost_jobs() == 0  # its job is queued: not enqueued again

    run_jobs()
    db.session.expire_all()
    assert row_id not in kind.waiting(utcnow())  # done
    assert sweep_lost_jobs() == 0


def _jobs() -> list[Job]:
    from rq import Queue

    return [job for name in QUEUE_NAMES for job in Queue(name, connection=get_redis()).get_jobs()]


# -- progress, one way: the row and the rq job's meta -------------------------------------------------

def test_a_code_jobs_progress_is_on_its_row_and_in_its_rq_job(client, site, make_equipment, monkeypatch, run_jobs):
    from services.equipment import code_jobs as batches

    monkeypatch.setattr(batches, "CHUNK", 1)
    for _ in range(2):
        make_equipment(site["unit"], "3310", use_status="in_use")
    job_id = client.post("/api/v1/onecode/jobs", json={"kind": "assign"}, headers=site["admin_headers"]).json["id"]
    run_jobs()
    shown = client.get(f"/api/v1/onecode/jobs/{job_id}", headers=site["admin_headers"]).json
    assert (shown["status"], shown["total"], shown["processed"]) == ("done", 2, 2)
    assert Job.fetch(f"onecode-job-{job_id}", connection=get_redis()).meta["progress"] == {"processed": 2}


def test_codes_assigned_before_a_failing_chunk_stay_assigned(client, site, make_equipment, monkeypatch):
    from jobs.onecode import run_assign_job
    from services.equipment import code_jobs as batches

    monkeypatch.setattr(batches, "CHUNK", 1)
    devices = [make_equipment(site["unit"], "3310", use_status="in_use").id for _ in range(2)]
    job_id = client.post("/api/v1/onecode/jobs", json={"kind": "assign"}, headers=site["admin_headers"]).json["id"]
    original, calls = batches.assign.assign_many, []

    def second_chunk_fails(ids, person_id):
        calls.append(ids)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return original(ids, person_id)

    monkeypatch.setattr(batches.assign, "assign_many", second_chunk_fails)
    with pytest.raises(RuntimeError):
        run_assign_job(job_id)
    db.session.expire_all()
    row = db.session.get(CodeJob, job_id)
    assert (row.status, row.processed, row.error) == ("failed", 1, "处理失败，请稍后重试或联系运维。")
    coded = db.session.scalar(select(func.count()).select_from(Code)
                              .where(Code.target_type == "equipment", Code.target_id.in_(devices)))
    assert coded == 1  # the first chunk's code was committed with its progress


# -- the one wrapper: failure recorded once ---------------------------------------------------------

@pytest.fixture
def october_report():
    row = PeriodicRiskReport(period_type="month", period_start=date(2026, 10, 1), period_end=date(2026, 10, 31),
                             status="queued", statistics={})
    db.session.add(row)
    tx.commit()
    return row.id


def _spy_fail(monkeypatch, kind) -> list:
    calls, original = [], kind.fail

    def fail(row_id, message):
        calls.append((row_id, message))
        original(row_id, message)

    monkeypatch.setattr(kind, "fail", fail)
    return calls


def test_a_job_that_crashes_is_marked_failed_once_with_a_generic_message_and_re_raised(monkeypatch, october_report):
    from jobs.risk import generate_periodic_report
    from services.risk import periodic

    calls = _spy_fail(monkeypatch, periodic.PERIODIC_REPORT_WORK)
    monkeypatch.setattr(periodic.periodic_pdf, "render", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        generate_periodic_report(october_report)
    assert calls == [(october_report, "报告生成失败，请稍后重试或联系运维。")]
    db.session.expire_all()
    row = db.session.get(PeriodicRiskReport, october_report)
    assert (row.status, row.error, row.pdf_file_id) == ("failed", "报告生成失败，请稍后重试或联系运维。", None)


def test_a_job_refused_for_a_reason_the_user_can_act_on_records_that_reason_once(monkeypatch, october_report):
    from core.errors import InvalidInput
    from jobs.risk import generate_periodic_report
    from services.risk import periodic

    def refuse(*args):
        raise InvalidInput("本期没有可统计的数据。", code="nothing_to_report")

    calls = _spy_fail(monkeypatch, periodic.PERIODIC_REPORT_WORK)
    monkeypatch.setattr(periodic.periodic_pdf, "render", refuse)
    generate_periodic_report(october_report)  # not re-raised: the row says why
    assert calls == [(october_report, "本期没有可统计的数据。")]
    db.session.expire_all()
    assert db.session.get(PeriodicRiskReport, october_report).status == "failed"


def test_a_failure_is_mirrored_in_the_rq_job(app, october_report, monkeypatch, run_jobs):
    from rq import Queue

    from jobs.risk import generate_periodic_report
    from services.risk import periodic

    monkeypatch.setattr(periodic.periodic_pdf, "render", lambda *args: 1 / 0)
    Queue("reports", connection=get_redis()).enqueue(generate_periodic_report, october_report,
                                                     job_id=periodic.job_id(october_report))
    with pytest.raises(AssertionError):  # run_jobs fails the test on a failed job: this one must fail
        run_jobs()
    job = Job.fetch(periodic.job_id(october_report), connection=get_redis())
    assert job.meta["error"] == "报告生成失败，请稍后重试或联系运维。"


def test_without_redis_requested_work_runs_in_process_at_commit(client, site, make_equipment, app, monkeypatch):
    make_equipment(site["unit"], "3310", use_status="in_use")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    accepted = client.post("/api/v1/onecode/jobs", json={"kind": "assign"}, headers=site["admin_headers"])
    assert accepted.status_code == 202, accepted.json
    shown = client.get(f"/api/v1/onecode/jobs/{accepted.json['id']}", headers=site["admin_headers"]).json
    assert (shown["status"], shown["total"], shown["processed"]) == ("done", 1, 1)
