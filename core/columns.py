"""Column helpers shared by every model."""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, JSON, String, Text
from sqlalchemy.types import TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow

# JSONB on PostgreSQL, plain JSON elsewhere (SQLite in the quick start).
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """A moment in time, stored in UTC and always read back with its zone.

    PostgreSQL's `timestamptz` keeps the zone; SQLite (the quick start) stores `DateTime(timezone=True)`
    as text without one and returns naive datetimes, which the API would print without an offset.
    Values are converted to UTC when written and naive ones read back are UTC. The column is still
    `DateTime(timezone=True)` in the database, so this needs no migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, nullable=False
    )


class StepColumns:
    """One step on an application's path (a state machine's transition): who moved it, from what
    to what, and why. The model adds its id and the foreign key to what moved."""

    action: Mapped[str] = mapped_column(String(16), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ExternalIdColumns:
    """A record a machine caller sends with its own id (integration_api): unique per sending unit,
    so a resent record is found again instead of inserted twice. `external_hash` is the SHA-256 of
    the content last applied (`content_hash`): equal content answers `unchanged`. A model adds
    `UniqueConstraint("source_unit_id", "external_id")` to its table args."""

    source_unit_id: Mapped[int | None] = mapped_column(Integer)
    external_id: Mapped[str | None] = mapped_column(String(64))
    external_hash: Mapped[str | None] = mapped_column(String(64))


def content_hash(data: dict) -> str:
    """A stable hash of a record's content (keys sorted), to tell a resend from a change."""
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()
