"""The inspection benchmark's database and records.

`ensure_database(n)` reuses the one-code benchmark's generator (`bench/onecode_data.py`: `n`
devices over the catalogue and the regions, loaded with COPY, kept between runs as
`platform_bench_onecode`; loaded afresh when a migration edited in place left it without a
column), copies it once to `platform_bench_inspection_base` and gives every device with a recorded
due date its category's series (`equipment_due_dates`, ~1.7 million rows, analysed: a platform in
service has them), then copies that base to `platform_bench_inspection` for the run (`CREATE
DATABASE ... TEMPLATE ... STRATEGY FILE_COPY`, seconds), so every run writes its results to a
fresh copy and the one-code benchmark's data stays untouched.

`prepare_agency()` adds, through the app and its services, a provincial inspection institute
with its 核准证 in date, an approved scope (业务开通) covering every kind, every inspection type
and the whole province, and an api client (inspection:read, inspection:write; no rate limit).
`sample_devices()` draws inspectable devices (in use, registered, not excluded from inspection,
not a cylinder); `result_record()` makes a record in the shape of the agreed interface (the JSON
of POST /open/v1/inspection/results), with the §3.3 vocabulary of the device's category
(`services.inspection.conclusions`); a failing one carries problems (findings, red code,
messages). `plain_row()` is the same result as a bare `inspection_results` row, for the
executemany comparison into `bench_plain_results` (LIKE inspection_results INCLUDING ALL).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import psycopg

from bench import onecode_data

DB_NAME = "platform_bench_inspection"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
SQLALCHEMY_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
# The one-code data with the due-date series added, kept between runs; each run copies it afresh.
BASE_NAME = "platform_bench_inspection_base"
BASE_DSN = f"postgresql://postgres@127.0.0.1:5432/{BASE_NAME}"
# Its own Redis db (nonces, rate-limit counters, card cache): not the one-code (13) or open (12) benchmark's.
REDIS_URL = os.environ.get("BENCH_INSPECTION_REDIS_URL", "redis://127.0.0.1:6379/10")
SECRET_KEY = "bench-inspection-secret"
AGENCY_NAME = "陕西省特种设备检验检测研究院（基准）"
AGENCY_USCC = "12610000MB2954131T"
PLAIN_TABLE = "bench_plain_results"
# What the approval covers: every kind, pipes only as 8300 工业管道 (8100 长输 and 8200 公用 are not inspected here).
KINDS = ("1000", "2000", "3000", "4000", "5000", "6000", "8300", "9000")
# The inspection type a device's periodic result has, per inspection family (conclusions.family).
RESULT_TYPE = {"elevator": "periodic", "crane": "periodic", "vehicle": "periodic", "ride": "periodic",
               "ropeway": "periodic", "boiler": "external", "vessel": "periodic", "pipe": "periodic"}
INSPECTORS = ["张检验", "李检测"]


log = onecode_data.log


@dataclass
class DataInfo:
    devices: int
    reused: bool
    seconds: float
    copy_seconds: float


@dataclass(frozen=True)
class Device:
    id: int
    code: str
    catalogue_code: str
    use_unit_id: int
    region_code: str


def app_config(**extra):
    from core.config import Config

    return Config(SQLALCHEMY_DATABASE_URI=SQLALCHEMY_URL, REDIS_URL=REDIS_URL, APP_ENV="development",
                  SECRET_KEY=SECRET_KEY, OPEN_RATE_LIMIT_PER_MINUTE=0, **extra)


def _missing_columns(dsn_url: str) -> list[str]:
    """Columns the models declare that the database lacks: a migration edited in place (0011 during
    this issue) does not run again on a reused database, which then needs loading afresh."""
    import sqlalchemy as sa

    from app import create_app
    from core.extensions import db

    app = create_app(app_config())
    with app.app_context():
        metadata = db.metadata
    engine = sa.create_engine(dsn_url)
    try:
        inspector = sa.inspect(engine)
        missing = []
        for table in metadata.sorted_tables:
            if not inspector.has_table(table.name):
                missing.append(table.name)
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{column.name}" for column in table.columns if column.name not in present]
        return missing
    finally:
        engine.dispose()


def _copy(source: str, target: str) -> float:
    """`target` afresh as a file copy of `source` (which may have no other session)."""
    started = time.perf_counter()
    with psycopg.connect(onecode_data.ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    return time.perf_counter() - started


def _database_oid(name: str) -> int | None:
    with psycopg.connect(onecode_data.ADMIN_DSN, autocommit=True) as admin:
        row = admin.execute("SELECT oid FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row[0] if row else None


def _base_made_from() -> int | None:
    """The one-code database (its oid) the base was made from, None when there is no usable base."""
    if _database_oid(BASE_NAME) is None:
        return None
    try:
        with psycopg.connect(BASE_DSN) as conn:
            return conn.execute("SELECT source_oid FROM bench_base").fetchone()[0]
    except (psycopg.Error, TypeError):
        return None


def ensure_database(n: int) -> DataInfo:
    """`n` devices in the one-code benchmark's database (made or reused), their due-date series
    added once in a base copy (`platform_bench_inspection_base`, kept while the one-code database
    is the same), and the base copied afresh to ours for this run."""
    source = onecode_data.ensure_database(n)
    missing = _missing_columns(onecode_data.SQLALCHEMY_URL)
    if missing:
        log(f"{onecode_data.DB_NAME} lacks {', '.join(missing[:5])}: loading it afresh")
        with psycopg.connect(onecode_data.ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{onecode_data.DB_NAME}" WITH (FORCE)')
        source = onecode_data.ensure_database(n)
    source_oid = _database_oid(onecode_data.DB_NAME)
    if _base_made_from() != source_oid:
        seconds = _copy(onecode_data.DB_NAME, BASE_NAME)
        started = time.perf_counter()
        rows = _series_rows(BASE_DSN)
        with psycopg.connect(BASE_DSN, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_base (source_oid bigint NOT NULL)")
            conn.execute("INSERT INTO bench_base VALUES (%s)", (source_oid,))
        log(f"base: {onecode_data.DB_NAME} copied in {seconds:.1f} s, {rows:,} due-date series rows added in "
            f"{time.perf_counter() - started:.1f} s")
    else:
        log(f"reusing {BASE_NAME} (made from the same {onecode_data.DB_NAME})")
    copied = _copy(BASE_NAME, DB_NAME)
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")
        conn.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE inspection_results INCLUDING ALL)")
    log(f"copied {BASE_NAME} to {DB_NAME} in {copied:.1f} s")
    return DataInfo(source.devices, source.reused, source.seconds, copied)


def _series_rows(dsn: str) -> int:
    """Every device with a recorded due date gets its category's series (services.inspection.due_dates
    .series_of), as a platform in service has them: the first series the recorded date and the last
    inspection, a second one (self-test, annual check, internal inspection) half a period earlier.
    One INSERT .. SELECT, then ANALYZE: the ingest runs against a table of realistic size and statistics."""
    from services.inspection.due_dates import series_of

    with psycopg.connect(dsn) as conn:
        codes = [row[0] for row in conn.execute("SELECT DISTINCT catalogue_code FROM equipment").fetchall()]
        pairs = [(code, series, rank) for code in codes for rank, series in enumerate(series_of(code))]
        if not pairs:
            return 0
        conn.execute("CREATE TEMP TABLE bench_series (catalogue_code text, series text, rank int)")
        with conn.cursor().copy("COPY bench_series FROM STDIN") as copy:
            for pair in pairs:
                copy.write_row(pair)
        inserted = conn.execute(
            """INSERT INTO equipment_due_dates (equipment_id, series, due_date, last_date, last_conclusion)
               SELECT e.id, s.series,
                      CASE WHEN s.rank = 0 THEN e.next_due_date
                           ELSE e.next_due_date - ((e.next_due_date - e.last_inspection_date) / 2) END,
                      e.last_inspection_date, e.last_inspection_conclusion
                 FROM equipment e JOIN bench_series s ON s.catalogue_code = e.catalogue_code
                WHERE e.next_due_date IS NOT NULL""").rowcount
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) equipment_due_dates")
    return inserted


def _people() -> tuple[int, int]:
    """Whom a failing result tells: an admin and a 安全总监 per use unit, and a regulator with its
    staff in every region (the one-code data has units but no people)."""
    from sqlalchemy import select

    from core.extensions import db
    from models.orgs import Region, Unit
    from services.orgs import people

    use_units = list(db.session.scalars(select(Unit).where(Unit.kind == "use").order_by(Unit.id)))
    for unit in use_units:
        people.add_person_record(unit, {"name": f"管理员{unit.id}", "phone": f"139{unit.id:08d}",
                                        "roles": [{"role": "unit_admin"}]})
        people.add_person_record(unit, {"name": f"安全总监{unit.id}", "phone": f"138{unit.id:08d}",
                                        "roles": [{"role": "safety_director"}]})
    regions = list(db.session.scalars(select(Region).order_by(Region.code)))
    for region in regions:
        unit = Unit(kind="regulator", status="approved", region_code=region.code,
                    name=f"{region.name}市场监督管理局（基准）")
        db.session.add(unit)
        db.session.flush()
        people.add_person_record(unit, {"name": f"{region.name}监管员", "phone": f"137{int(region.code):08d}",
                                        "roles": [{"role": "regulator_staff"}, {"role": "unit_admin"}]})
    return len(use_units), len(regions)


def prepare_agency() -> tuple[str, str, int]:
    """The benchmark agency, its approved scope and its client, and the people results tell:
    (key_id, secret, agency unit id)."""
    from app import create_app
    from core import tx
    from core.audit import AuditContext
    from core.extensions import db
    from models.inspection import INSPECTION_TYPES, AgencyApproval
    from models.orgs import Unit
    from services import clients

    app = create_app(app_config())
    with app.app_context():
        units, regulators = _people()
        log(f"people: an admin and a 安全总监 in each of {units} use units, a regulator in each of {regulators} regions")
        today = date.today()
        agency = Unit(kind="inspection", status="approved", region_code="610000", name=AGENCY_NAME, uscc=AGENCY_USCC,
                      address="西安市高新区基准路 1 号", licence_no="TS7110000-2031", licence_expiry=date(2031, 12, 31))
        db.session.add(agency)
        db.session.flush()
        db.session.add(AgencyApproval(unit_id=agency.id, region_code="610000", licence_no="TS7110000-2031",
                                      valid_from=today - timedelta(days=30), valid_until=date(2031, 12, 31),
                                      categories=list(KINDS), inspection_types=list(INSPECTION_TYPES),
                                      region_codes=[], status="approved", decided_at=datetime.now(timezone.utc)))
        issued = clients.create_client(AuditContext(None, None, "bench"), agency, "基准检验业务系统",
                                       ["inspection:read", "inspection:write"], rate_limit_per_minute=0)
        tx.commit()
        key = (issued.key.key_id, issued.secret, agency.id)
        db.session.remove()
        db.engine.dispose()
    return key


def _excluded_patterns() -> list[str]:
    """LIKE patterns of what takes no result here: INSPECTION_EXCLUDED_CATEGORIES and cylinders (2300)."""
    codes = [*app_config().INSPECTION_EXCLUDED_CATEGORIES, "2300"]
    return [code.upper().rstrip("0") + "%" for code in codes if code.strip("0")]


def sample_devices(count: int) -> list[Device]:
    """`count` distinct inspectable devices at random over the whole table."""
    patterns = _excluded_patterns()
    with psycopg.connect(DSN) as conn:
        rows = conn.execute(
            "SELECT id, equipment_code, catalogue_code, use_unit_id, region_code FROM equipment "
            "WHERE use_status = 'in_use' AND registration_status = 'registered' AND equipment_code IS NOT NULL "
            "AND NOT (catalogue_code LIKE ANY(%s)) ORDER BY random() LIMIT %s", (patterns, count)).fetchall()
    if len(rows) < count:
        raise RuntimeError(f"only {len(rows)} inspectable devices in {DB_NAME}; need {count}")
    return [Device(*row) for row in rows]


def result_record(device: Device, serial: int, failing: bool, today: date) -> dict[str, Any]:
    """One result in the shape of POST /open/v1/inspection/results; a failing one has two problems."""
    from services.inspection import conclusions

    family = conclusions.family(device.catalogue_code)
    kind = RESULT_TYPE[family]
    words = conclusions.allowed(device.catalogue_code, kind)
    grades = conclusions.grade_range(device.catalogue_code, kind)
    if failing:
        conclusion = "不合格" if "不合格" in words else "不符合要求"
        grade = grades[1] if grades else None
    else:
        conclusion = "合格" if "合格" in words else "符合要求"
        grade = 2 if grades else None
    assert conclusion in words, (device.catalogue_code, kind, conclusion)
    inspected = today - timedelta(days=serial % 20)
    record = {"report_no": f"BENCH-{serial:07d}", "equipment_code": device.code, "inspection_type": kind,
              "conclusion": conclusion, "safety_grade": grade, "inspection_date": inspected.isoformat(),
              "report_date": today.isoformat(), "inspector_names": INSPECTORS}
    if failing:
        record["problems"] = [
            {"description": "安全保护装置动作不可靠，需调整后复检", "severity": "serious",
             "deadline": (today + timedelta(days=15)).isoformat(), "item_key": "8.1"},
            {"description": "技术资料不全，需补齐维护保养记录", "severity": "general"}]
    return record


def plain_row(record: dict[str, Any], device: Device, agency_id: int, now: datetime) -> dict[str, Any]:
    """The same result as a bare inspection_results row (no effects: the executemany comparison)."""
    problems = record.get("problems", [])
    return {"agency_unit_id": agency_id, "report_no": record["report_no"], "equipment_id": device.id,
            "use_unit_id": device.use_unit_id, "region_code": device.region_code,
            "inspection_type": record["inspection_type"], "work_type": None, "conclusion": record["conclusion"],
            "safety_grade": record["safety_grade"], "forbids_use": bool(problems),
            "inspection_date": date.fromisoformat(record["inspection_date"]),
            "report_date": date.fromisoformat(record["report_date"]), "next_due": {},
            "inspector_names": record["inspector_names"], "problem_count": len(problems),
            "content_hash": hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest(),
            "created_at": now, "updated_at": now}


def effects(agency_id: int) -> dict[str, int]:
    """What the ingest left behind, for the log: results, red devices, findings, messages, due rows."""
    with psycopg.connect(DSN) as conn:
        return dict(zip(("results", "forbidding", "red_devices", "findings", "due_rows", "outbox", "audit"),
                        conn.execute(
            """SELECT (SELECT count(*) FROM inspection_results WHERE agency_unit_id = %(a)s),
                      (SELECT count(*) FROM inspection_results WHERE agency_unit_id = %(a)s AND forbids_use),
                      (SELECT count(*) FROM equipment WHERE failed_inspection_result_id IS NOT NULL),
                      (SELECT count(*) FROM findings WHERE source_type = 'inspection'),
                      (SELECT count(*) FROM equipment_due_dates),
                      (SELECT count(*) FROM outbox_messages),
                      (SELECT count(*) FROM audit_entries)""", {"a": agency_id}).fetchone()))
