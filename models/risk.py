"""Risk monitoring (风险监测机制, the province's 2025 guidance): monitoring points, reporters,
risk reports handled level by level, expert assessment, periodic reports, typical cases and
recognition (the `risk` domain)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow
from models.orgs import Person, Unit

# The four kinds of point (guidance 二(一)).
POINT_TYPES = {
    "supervision": "特种设备安全监察机构",
    "inspection": "特种设备检验检测机构",
    "use": "特种设备使用单位（一级、二级管控单位）",
    "production": "特种设备生产和充装单位",
}
AREAS = {"supervision": "行政监管", "management": "安全管理", "production": "生产", "use": "使用",
         "maintenance": "维护保养", "inspection": "检验检测"}
REPORT_KINDS = {"problem": "问题", "hazard": "风险隐患", "suggestion": "意见建议", "difficulty": "困难",
                "analysis": "分析论证", "planning": "规划"}
HAZARD_LEVELS = {"general": "一般", "serious": "严重", "major": "重大"}
LEVELS = {"county": "县级", "city": "市级", "province": "省级"}
REPORT_STATUSES = {
    "handling": "处置中",        # held by the county, city or province body
    "assessing": "专家评估中",    # at the province, experts assigned
    "implementing": "措施落实中",  # measures sent down; the locality reports them done
    "closed": "已办结",
    "merged": "已合并",          # linked to another report about the same hazard
}


class MonitoringPoint(ScopedByColumns, TimestampMixin, db.Model):
    """A unit designated as a 风险监测点 by a regulator of its region."""

    __tablename__ = "risk_points"
    __table_args__ = (
        Index("uq_risk_points_active_unit", "unit_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    point_type: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    manager_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False)
    designated_by_person_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")  # active / revoked

    unit: Mapped[Unit] = relationship()
    manager: Mapped[Person] = relationship()


class Reporter(TimestampMixin, db.Model):
    """A 信息报送员 designated by a point (or an expert designated by a city or county bureau)."""

    __tablename__ = "risk_reporters"
    __table_args__ = (UniqueConstraint("point_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("risk_points.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    is_expert: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    designated_by_person_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")

    point: Mapped[MonitoringPoint] = relationship()
    person: Mapped[Person] = relationship()


class RiskReport(ScopedByColumns, TimestampMixin, db.Model):
    """A piece of risk information, and where it is on its way county → city → province."""

    __tablename__ = "risk_reports"
    scope_unit_column = "reporter_unit_id"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("risk_points.id"), nullable=False, index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("risk_reporters.id"), nullable=False, index=True)
    reporter_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    area: Mapped[str] = mapped_column(String(16), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    catalogue_code: Mapped[str | None] = mapped_column(String(4))
    place: Mapped[str | None] = mapped_column(String(256))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    suggested_level: Mapped[str | None] = mapped_column(String(16))
    photo_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    document_ids: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    not_emergency_confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    status: Mapped[str] = mapped_column(String(16), nullable=False, default="handling", index=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False, default="county", index=True)
    holder_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closing_note: Mapped[str | None] = mapped_column(Text)  # the measures taken
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("risk_reports.id"))

    # Inside the unit: the (quality) safety director records what the unit did.
    unit_action: Mapped[str | None] = mapped_column(Text)
    unit_action_by_person_id: Mapped[int | None] = mapped_column(Integer)
    unit_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # The province's assessment, consolidated from the experts' opinions.
    classification: Mapped[str | None] = mapped_column(String(64))
    risk_level: Mapped[str | None] = mapped_column(String(16))
    measures: Mapped[str | None] = mapped_column(Text)

    reporter: Mapped[Reporter] = relationship()
    events: Mapped[list["RiskReportEvent"]] = relationship(order_by="RiskReportEvent.id",
                                                           cascade="all, delete-orphan")


class RiskReportEvent(db.Model):
    """One step on a report's visible path: who moved it where, and why."""

    __tablename__ = "risk_report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("risk_reports.id", ondelete="CASCADE"), nullable=False,
                                           index=True)
    action: Mapped[str] = mapped_column(String(24), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    from_level: Mapped[str | None] = mapped_column(String(16))
    to_level: Mapped[str] = mapped_column(String(16), nullable=False)
    holder_region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    deadline: Mapped[date | None] = mapped_column(Date)
    actor_person_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # e.g. the consulted agency
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class ExpertAssignment(TimestampMixin, db.Model):
    """An expert asked by the province risk centre to assess a report, and their opinion."""

    __tablename__ = "risk_expert_assignments"
    __table_args__ = (UniqueConstraint("report_id", "expert_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("risk_reports.id"), nullable=False, index=True)
    expert_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    assigned_by_person_id: Mapped[int | None] = mapped_column(Integer)
    classification: Mapped[str | None] = mapped_column(String(64))
    risk_level: Mapped[str | None] = mapped_column(String(16))
    opinion: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReportRating(TimestampMixin, db.Model):
    """An expert's rating of a report's quality and whether it was adopted; points accrue from it."""

    __tablename__ = "risk_report_ratings"
    __table_args__ = (UniqueConstraint("report_id", "rated_by_person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("risk_reports.id"), nullable=False, index=True)
    rated_by_person_id: Mapped[int] = mapped_column(Integer, nullable=False)
    quality: Mapped[int] = mapped_column(Integer, nullable=False)  # 1..5
    adopted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class TypicalCase(TimestampMixin, db.Model):
    """A handled report written up as a 典型案例 and published to all regulators."""

    __tablename__ = "risk_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("risk_reports.id"), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False)
    lessons: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")  # draft / published
    written_by_person_id: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PeriodicRiskReport(TimestampMixin, db.Model):
    """A month's or quarter's risk-assessment report, generated by a scheduled job."""

    __tablename__ = "risk_periodic_reports"
    __table_args__ = (UniqueConstraint("period_type", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_type: Mapped[str] = mapped_column(String(16), nullable=False)  # month / quarter
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    statistics: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    pdf_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))
    xlsx_file_id: Mapped[str | None] = mapped_column(ForeignKey("stored_files.id"))
    error: Mapped[str | None] = mapped_column(Text)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
