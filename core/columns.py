"""Column helpers shared by every model."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, JSON
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow

# JSONB on PostgreSQL, plain JSON elsewhere (SQLite in the quick start).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow, nullable=False
    )
