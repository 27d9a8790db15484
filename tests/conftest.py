"""Fixtures against the real engines: PostgreSQL (schema built once by migrating)
and Redis; each test runs in a transaction that is rolled back; WeChat is the
local fake; any connection to a non-loopback host fails the test."""
from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import orm

from app import create_app
from core.config import Config
from core.extensions import db
from fake_wechat import FakeWeChatServer

# A database of this run's own, so two runs on one machine do not drop each other's.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL",
                                   f"postgresql://postgres@127.0.0.1:5432/platform_test_{os.getpid()}")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# -- no network beyond loopback ---------------------------------------------------

def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # a unix socket path
        return True
    host = address[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guarded_connect(self, address):
    if not _is_loopback(address):
        raise AssertionError(f"tests may not reach {address!r}: only loopback is allowed")
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_loopback(address):
        raise AssertionError(f"tests may not reach {address!r}: only loopback is allowed")
    return _real_connect_ex(self, address)


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect_ex


# -- engines ------------------------------------------------------------------------

def _admin_execute(url: str, *statements: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(drivername="postgresql+psycopg", database="postgres"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for statement in statements:
            conn.execute(sa.text(statement.format(db=target.database)))
    admin.dispose()


@pytest.fixture(scope="session")
def fake_wechat() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as server:
        yield server


@pytest.fixture(scope="session")
def app(fake_wechat, tmp_path_factory):
    _admin_execute(TEST_DATABASE_URL, 'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', 'CREATE DATABASE "{db}"')
    Redis.from_url(TEST_REDIS_URL).flushdb()
    config = Config(
        SQLALCHEMY_DATABASE_URI=TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1),
        REDIS_URL=TEST_REDIS_URL,
        SECRET_KEY="test-secret",
        TESTING=True,
        WECHAT_API_BASE_URL=fake_wechat.base_url,
        WECOM_API_BASE_URL=fake_wechat.wecom_base_url,
        WECHAT_TIMEOUT_SECONDS=2.0,
        UPLOAD_DIR=str(tmp_path_factory.mktemp("uploads")),
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    app = create_app(config)
    with app.app_context():
        upgrade(revision="heads")
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()
    _admin_execute(TEST_DATABASE_URL, 'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@pytest.fixture(autouse=True)
def _transaction(request, app) -> Iterator[None]:
    """Every test in one outer transaction, rolled back at the end.

    Sessions (one per app context, as in production) join it through
    savepoints, so the commit at the edge of each request really runs.
    """
    if "no_db" in request.keywords:
        yield
        return
    ctx = app.app_context()
    ctx.push()
    connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    factory = orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    db.session = orm.scoped_session(factory, scopefunc=original.registry.scopefunc)
    try:
        yield
    finally:
        db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()
        ctx.pop()
    Redis.from_url(TEST_REDIS_URL).flushdb()


class RequestContextClient(FlaskClient):
    """Each request in its own app context, as in production (own `g`, own session),
    even though the test itself holds an app context for its factories."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # read file responses whole, so their files are closed
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = RequestContextClient
    return app.test_client()


@pytest.fixture
def fake(fake_wechat) -> Iterator[FakeWeChatServer]:
    fake_wechat.reset()
    yield fake_wechat
    fake_wechat.reset()


# -- factories ------------------------------------------------------------------------

@pytest.fixture
def make_unit():
    """Create a unit directly: `make_unit(kind="use", region_code="610113", status="approved")`."""
    from models.orgs import Unit
    from services.demo import demo_uscc

    counter = iter(range(1, 10**6))

    def make(kind: str = "use", region_code: str = "610113", status: str = "approved",
             name: str | None = None, **fields) -> Unit:
        n = next(counter)
        uscc = None if kind in ("regulator", "risk_center") else demo_uscc(region_code, f"T{n:05d}")
        unit = Unit(kind=kind, region_code=region_code, status=status, name=name or f"测试单位{n}",
                    uscc=fields.pop("uscc", uscc), production_scopes=fields.pop("production_scopes", []), **fields)
        db.session.add(unit)
        db.session.flush()
        return unit

    return make


@pytest.fixture
def make_person():
    """Create a person with roles: `make_person(unit, "safety_officer", phone=...)`."""
    from services.orgs import people

    counter = iter(range(1, 10**6))

    def make(unit, *roles: str, **fields):
        n = next(counter)
        data = {"name": fields.pop("name", f"测试人员{n}"), "phone": fields.pop("phone", f"1370000{n:04d}"),
                "roles": [{"role": r, "certificate_no": "CERT-1"} for r in roles], **fields}
        return people.add_person_record(unit, data)

    return make


@pytest.fixture
def auth_headers():
    """Bearer headers for a person: `auth_headers(person, client="pc")`."""
    from services.orgs import accounts

    def headers(person, client: str = "pc") -> dict[str, str]:
        account = accounts.account_for(person)
        login = accounts.open_session(person, account, client, "127.0.0.1")
        db.session.flush()
        return {"Authorization": f"Bearer {login.token}"}

    return headers


@pytest.fixture
def regulator(make_unit, make_person, auth_headers):
    """Headers of regulator staff at a region: `regulator("610113")`."""

    def make(region_code: str):
        unit = make_unit("regulator", region_code, name=f"{region_code}监管部门")
        return auth_headers(make_person(unit, "regulator_staff", "unit_admin"))

    return make


@pytest.fixture
def demo():
    """The demo data, loaded inside the test's transaction."""
    from services import demo as demo_data

    demo_data.load()
    return demo_data


@pytest.fixture
def run_jobs(app):
    """Run every queued rq job in this process (a burst worker); fail on a failed job."""
    from rq import Queue
    from rq.registry import FailedJobRegistry

    from core.redis import QUEUE_NAMES, get_redis
    from jobs.commands import make_worker_class

    def run() -> None:
        connection = get_redis()
        queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
        make_worker_class()(queues, connection=connection).work(burst=True)
        for queue in queues:
            registry = FailedJobRegistry(queue=queue)
            failed = [queue.fetch_job(job_id) for job_id in registry.get_job_ids()]
            assert not failed, [job.latest_result().exc_string for job in failed if job]

    return run


@pytest.fixture
def make_equipment():
    """Create equipment directly: `make_equipment(unit, "3110", use_status="in_use", next_due_date=...)`."""
    from models.equipment import Equipment

    counter = iter(range(1, 10**6))

    def make(unit, catalogue_code: str = "3110", **fields) -> Equipment:
        n = next(counter)
        values = {"region_code": unit.region_code, "address": f"测试地址{n}号",
                  "equipment_code": f"{catalogue_code}61001{2020}{n:05d}", "use_status": "not_in_use",
                  "registration_status": "unregistered", **fields}
        equipment = Equipment(catalogue_code=catalogue_code, use_unit_id=unit.id, **values)
        db.session.add(equipment)
        db.session.flush()
        return equipment

    return make
