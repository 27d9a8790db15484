"""Inspection (the `inspection` domain, domain.md §3): agencies' approved scope (业务开通),
applications to agencies (报检) and their planning, results with their reports, and each
device's due dates per inspection series."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, Text,
                        UniqueConstraint, or_, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, StepColumns, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow
from models.equipment import DUE_TYPES, Equipment
from models.orgs import Unit

# The due-date series are the vocabulary of Equipment.next_due_type (domain.md §3.3): elevators
# and boilers have two interleaved schedules. Keys are stored; the labels are DUE_TYPES, in order.
DUE_SERIES: dict[str, str] = dict(zip(("periodic", "self_test", "annual", "external", "internal"), DUE_TYPES))
# Every kind of inspection an application asks for (the notice: 监督检验, 定期（首）检验, 电梯检测):
# the due series plus 监督检验 (installation, alteration, major repair) and 首次检验 (which starts
# the periodic series).
INSPECTION_TYPES: dict[str, str] = {"supervision": "监督检验", "first": "首次检验", **DUE_SERIES}
INSPECTION_TYPE_BY_LABEL: dict[str, str] = {label: key for key, label in INSPECTION_TYPES.items()}
# 监督检验 follows a production unit's work on the device (TSG 08 §2; TSG T7001 for elevators).
SUPERVISION_WORKS = {"installation": "安装", "alteration": "改造", "major_repair": "重大修理"}

INSPECTION_APPLICATION_STATUSES = {
    "submitted": "已提交",
    "accepted": "已受理",
    "planned": "已安排",
    "completed": "已出结果",
    "refused": "已拒绝",
    "withdrawn": "已撤回",
}
# Waiting for the agency (submitted), its plan (accepted) or the planned inspection (planned).
PENDING_STATUSES = ("submitted", "accepted", "planned")
_PENDING_SQL = "status IN ('submitted', 'accepted', 'planned')"

# 业务开通: an agency's declared approval, decided by the province (or city, by setting).
AGENCY_APPROVAL_STATUSES = {
    "submitted": "待审核",
    "approved": "已开通",
    "refused": "未通过",
    "revoked": "已撤销",
    "superseded": "已被新申报替代",
}


class InspectionApplication(ScopedByColumns, TimestampMixin, db.Model):
    """A use unit's request to an inspection agency to inspect one device (条例 §28)."""

    __tablename__ = "inspection_applications"
    __table_args__ = (
        # At most one pending application per device and inspection type.
        Index("uq_inspection_applications_pending", "equipment_id", "inspection_type", unique=True,
              postgresql_where=text(_PENDING_SQL), sqlite_where=text(_PENDING_SQL)),
        Index("ix_inspection_applications_agency_status", "agency_unit_id", "status"),
        Index("ix_inspection_applications_agency_feed", "agency_unit_id", "feed_seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False, index=True)
    applicant_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    agency_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    # The device's region at submission; regulators see the application by it.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    inspection_type: Mapped[str] = mapped_column(String(16), nullable=False)
    # 监督检验: the production unit's work (SUPERVISION_WORKS); None for other types.
    work_type: Mapped[str | None] = mapped_column(String(16))
    # A 复检 asks again after a failed result, whose findings it closes when it passes.
    reinspection_of_result_id: Mapped[int | None] = mapped_column(Integer)  # an inspection_results id
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
    # Planning (domain.md §3.1, limits configurable): planned within INSPECTION_PLAN_WORKDAYS of
    # acceptance (`plan_due_on`), the report within INSPECTION_REPORT_WORKDAYS of the planned
    # inspection (`report_due_on`). Lateness is read from these dates, never stored as a flag.
    inspector_person_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    planned_by_person_id: Mapped[int | None] = mapped_column(Integer)
    plan_due_on: Mapped[date | None] = mapped_column(Date)
    report_due_on: Mapped[date | None] = mapped_column(Date)
    result_id: Mapped[int | None] = mapped_column(Integer)  # the inspection_results row that completed it
    # The agency's change feed (/open/v1/inspection/applications?since=): every change takes the
    # next value under a per-agency lock held to commit, so feed order is commit order.
    feed_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0,
                                          server_default="0")

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


class AgencyApproval(ScopedByColumns, TimestampMixin, db.Model):
    """业务开通: what an inspection agency declares it is approved for (its 核准证, the catalogue
    categories and inspection types, the regions it serves), decided by the province or city.

    At most one approval per agency is `approved` at a time; a newly approved declaration
    supersedes the previous one. Applications can only be addressed within an approved scope
    that is in date (`valid_until`). Scoped like other rows: the agency sees its own, regulators
    those of agencies in their region subtree."""

    __tablename__ = "agency_approvals"
    __table_args__ = (
        Index("uq_agency_approvals_approved", "unit_id", unique=True,
              postgresql_where=text("status = 'approved'"), sqlite_where=text("status = 'approved'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    licence_no: Mapped[str] = mapped_column(String(64), nullable=False)  # 核准证编号
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    # Catalogue codes (a kind such as "3000" covers its categories and varieties).
    categories: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    inspection_types: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # Region codes served (each with its subtree); empty: the whole province.
    region_codes: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="submitted", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    decision_note: Mapped[str | None] = mapped_column(Text)
    submitted_by_person_id: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    decided_by_person_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()


class InspectionResult(ScopedByColumns, TimestampMixin, db.Model):
    """An agency's result for one device: conclusion (domain.md §3.3), dates, report number and
    file, and the problems found (findings, source `inspection`). Unique per agency by report
    number: the agency's machine upserts by it."""

    __tablename__ = "inspection_results"
    scope_unit_column = "use_unit_id"
    __table_args__ = (
        UniqueConstraint("agency_unit_id", "report_no"),
        Index("ix_inspection_results_equipment_date", "equipment_id", "inspection_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    report_no: Mapped[str] = mapped_column(String(64), nullable=False)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_applications.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False)
    # The device's use unit and region when the result was recorded: who sees it.
    use_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    inspection_type: Mapped[str] = mapped_column(String(16), nullable=False)
    work_type: Mapped[str | None] = mapped_column(String(16))
    # The conclusion in the words of the report (合格, 不符合要求, ...), from its category's vocabulary.
    conclusion: Mapped[str] = mapped_column(String(16), nullable=False)
    safety_grade: Mapped[int | None] = mapped_column(SmallInteger)  # 安全状况等级: vessels 1-5, pipes 1-4
    # The result forbids use (不合格, 不符合要求, grade 5): the device's code is red until a pass.
    forbids_use: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    inspection_date: Mapped[date] = mapped_column(Date, nullable=False)
    report_date: Mapped[date | None] = mapped_column(Date)
    reinspection_of_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_results.id"))
    # The next due dates this result set, per series ({"periodic": "2027-05-01", ...}).
    next_due: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    inspector_names: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    problem_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    report_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the content last applied (core.columns.content_hash): a resend answers `unchanged`.
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_by_person_id: Mapped[int | None] = mapped_column(Integer)
    recorded_by_client_id: Mapped[int | None] = mapped_column(Integer)

    equipment: Mapped[Equipment] = relationship()
    agency_unit: Mapped[Unit] = relationship(foreign_keys=[agency_unit_id])

    @classmethod
    def scope_unit_clause(cls, unit_id: int | None):
        """The device's use unit and the agency that wrote it."""
        return or_(cls.use_unit_id == unit_id, cls.agency_unit_id == unit_id)


class EquipmentDueDate(db.Model):
    """One inspection series of a device (domain.md §3.2-3.3): elevators (定期检验 / 自行检测) and
    boilers (外部 / 内部) have two; vessels and pipes a 定期检验 plus a 年度检查. The device's own
    `next_due_date` / `next_due_type` are the earliest of its series (what the card shows)."""

    __tablename__ = "equipment_due_dates"
    __table_args__ = (
        Index("ix_equipment_due_dates_due", "due_date"),
        # The daily reminder's scan: series not reminded yet (reminded_for is cleared with each new date).
        Index("ix_equipment_due_dates_unreminded", "due_date", postgresql_where=text("reminded_for IS NULL"),
              sqlite_where=text("reminded_for IS NULL")),
    )

    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True)
    series: Mapped[str] = mapped_column(String(16), primary_key=True)  # a key of DUE_SERIES
    due_date: Mapped[date | None] = mapped_column(Date)
    last_date: Mapped[date | None] = mapped_column(Date)
    last_conclusion: Mapped[str | None] = mapped_column(String(16))
    last_result_id: Mapped[int | None] = mapped_column(Integer)
    # The last reminder sent for this due date (the unit is told once a month before it).
    reminded_for: Mapped[date | None] = mapped_column(Date)
