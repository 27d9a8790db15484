"""One code per device (一码通): the codes, and the bulk jobs that assign them and print labels."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow
from models.equipment import Equipment

CODE_STATUSES = {"active": "有效", "voided": "已作废"}
JOB_KINDS = {"assign": "批量赋码", "label_sheet": "标签打印"}
JOB_STATUSES = {"queued": "排队中", "running": "处理中", "done": "已完成", "failed": "失败"}


class EquipmentCode(db.Model):
    """A device's code; a lost or damaged label is voided and a new code issued."""

    __tablename__ = "equipment_codes"
    __table_args__ = (
        Index("uq_equipment_codes_active_equipment", "equipment_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by_person_id: Mapped[int | None] = mapped_column(Integer)
    void_reason: Mapped[str | None] = mapped_column(Text)

    equipment: Mapped[Equipment] = relationship()

    @classmethod
    def scope_region_expr(cls):
        return select(Equipment.region_code).where(Equipment.id == cls.equipment_id).scalar_subquery()

    @classmethod
    def scope_unit_expr(cls):
        return select(Equipment.use_unit_id).where(Equipment.id == cls.equipment_id).scalar_subquery()


class CodeJob(ScopedByColumns, TimestampMixin, db.Model):
    """A bulk assignment or label-sheet job for a unit or a region, with progress."""

    __tablename__ = "onecode_jobs"
    scope_unit_column = "requested_by_unit_id"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    requested_by_person_id: Mapped[int | None] = mapped_column(Integer)
    requested_by_unit_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
