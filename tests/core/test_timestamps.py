"""Every timestamp the API sends carries its zone, on PostgreSQL and on the quick start's SQLite."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import DateTime

from app import create_app
from core.columns import UTCDateTime
from core.config import Config
from core.extensions import db

ZONED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def test_every_zoned_timestamp_column_reads_back_with_its_zone():
    loose = [f"{table.name}.{column.name}" for table in db.metadata.tables.values() for column in table.columns
             if isinstance(column.type, DateTime) and column.type.timezone]
    assert loose == [], "use core.columns.UTCDateTime for timestamps"
    assert any(isinstance(column.type, UTCDateTime) for column in db.metadata.tables["units"].columns)


@pytest.mark.no_db
def test_quick_start_sqlite_lists_and_polls_timestamps_with_their_zone(tmp_path):
    from models.orgs import Region, Unit

    app = create_app(Config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'quick.sqlite3'}", REDIS_URL=None,
                            SECRET_KEY="test-secret", TESTING=True, UPLOAD_DIR=str(tmp_path / "uploads")))
    shanghai = timezone(timedelta(hours=8))
    try:
        with app.app_context():
            upgrade(revision="heads")
            region = db.session.get(Region, "610113")
            region.office_name = "雁塔区市场监督管理局"
            written = datetime(2026, 12, 1, 21, 44, 8, 427044, tzinfo=shanghai)
            region.office_updated_at = written
            db.session.add(Unit(kind="regulator", region_code="610113", status="approved", name="雁塔区局",
                                production_scopes=[]))
            db.session.commit()
            db.session.remove()

            offices = app.test_client().get("/api/v1/offices")
            assert offices.status_code == 200
            [yanta] = [o for o in offices.json if o["region_code"] == "610113"]
            assert ZONED.match(yanta["office_updated_at"]), yanta["office_updated_at"]
            # The moment is kept, whatever zone it was written in.
            assert datetime.fromisoformat(yanta["office_updated_at"]) == written

            unit = db.session.scalar(db.select(Unit).where(Unit.name == "雁塔区局"))
            assert unit.created_at.utcoffset() == timedelta(0)
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
