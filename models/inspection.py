"""Periodic inspection (the `inspection` domain): applications from use units to inspection
agencies (报检). Facts: domain.md §3. Results, reports and due dates come in a later slice."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, or_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import StepColumns, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow
from models.equipment import DUE_TYPES, Equipment
from models.orgs import Unit

# The inspection types are the vocabulary of Equipment.next_due_type (domain.md §3.3): elevators
# and boilers have two interleaved schedules. Keys are stored; the labels are DUE_TYPES, in order.
INSPECTION_TYPES: dict[str, str] = dict(zip(("periodic", "self_test", "annual", "external", "internal"), DUE_TYPES))
INSPECTION_TYPE_BY_LABEL: dict[str, str] = {label: key for key, label in INSPECTION_TYPES.items()}

INSPECTION_APPLICATION_STATUSES = {
    "submitted": "已提交",
    "accepted": "已受理",
    "refused": "已拒绝",
    "withdrawn": "已撤回",
}
# Waiting for the agency (submitted) or for the planned inspection (accepted).
PENDING_STATUSES = ("submitted", "accepted")
_PENDING_SQL = "status IN ('submitted', 'accepted')"


class InspectionApplication(ScopedByColumns, TimestampMixin, db.Model):
    """A use unit's request to an inspection agency to inspect one device (条例 §28)."""

    __tablename__ = "inspection_applications"
    __table_args__ = (
        # At most one pending application per device and inspection type.
        Index("uq_inspection_applications_pending", "equipment_id", "inspection_type", unique=True,
              postgresql_where=text(_PENDING_SQL), sqlite_where=text(_PENDING_SQL)),
        Index("ix_inspection_applications_agency_status", "agency_unit_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False, index=True)
    applicant_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    agency_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    # The device's region at submission; regulators see the application by it.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    inspection_type: Mapped[str] = mapped_column(String(16), nullable=False)
    requested_date: Mapped[date] = mapped_column(Date, nullable=False)
    planned_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="submitted", index=True)
    # Applied less than a month before the validity expires (条例 §28): a warning, never a refusal.
    late: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    contact_name: Mapped[str] = mapped_column(String(64), nullable=False)
    contact_phone: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)  # the applicant's
    decision_note: Mapped[str | None] = mapped_column(Text)  # the agency's (a refusal's reason)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_person_id: Mapped[int | None] = mapped_column(Integer)

    equipment: Mapped[Equipment] = relationship()
    applicant_unit: Mapped[Unit] = relationship(foreign_keys=[applicant_unit_id])
    agency_unit: Mapped[Unit] = relationship(foreign_keys=[agency_unit_id])
    events: Mapped[list["InspectionApplicationEvent"]] = relationship(
        order_by="InspectionApplicationEvent.id", cascade="all, delete-orphan")

    @classmethod
    def scope_unit_clause(cls, unit_id: int | None):
        """Both parties see it: the applicant and the agency it is addressed to."""
        return or_(cls.applicant_unit_id == unit_id, cls.agency_unit_id == unit_id)

    @property
    def pending(self) -> bool:
        return self.status in PENDING_STATUSES


class InspectionApplicationEvent(StepColumns, db.Model):
    """One step on an inspection application's path: who moved it, from what to what, and why."""

    __tablename__ = "inspection_application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("inspection_applications.id", ondelete="CASCADE"),
                                                nullable=False, index=True)
