"""One safety-finding record for every problem found anywhere, traced to its source and its fix."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from models.equipment import Equipment

# 一般 / 严重 事故隐患 (Order 74); 重大 per GB 45067-2024.
SEVERITIES = {"general": "一般", "serious": "严重", "major": "重大"}
FINDING_STATUSES = {"open": "待整改", "closed": "已整改"}


class Finding(ScopedByColumns, TimestampMixin, db.Model):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_type: Mapped[str] = mapped_column(String(24), nullable=False)  # daily_check, ...
    source_id: Mapped[int] = mapped_column(Integer, nullable=False)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    severity: Mapped[str] = mapped_column(String(16), nullable=False)
    item_key: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, nullable=False)
    photo_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open", index=True)
    deadline: Mapped[date | None] = mapped_column(Date)
    # What was done at once: fixed on the spot, or the maintenance unit notified.
    immediate_action: Mapped[str | None] = mapped_column(String(24))
    reported_by_person_id: Mapped[int | None] = mapped_column(Integer)
    closed_by_person_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closing_note: Mapped[str | None] = mapped_column(Text)
    closing_evidence_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)

    equipment: Mapped[Equipment | None] = relationship()
