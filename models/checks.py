"""The two regulations (两个规定, SAMR Orders 73 and 74 of 2023): appointments, risk-control
lists, daily checks (日管控), weekly reports (周排查) and monthly scheduling (月调度)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow
from models.equipment import Equipment
from models.orgs import Person

APPOINTMENT_ROLES = {
    "principal": "主要负责人",
    "safety_director": "安全总监",
    "safety_officer": "安全员",
    "quality_safety_director": "质量安全总监",
    "quality_safety_officer": "质量安全员",
}
ITEM_RESULTS = {"normal": "正常", "abnormal": "异常"}
REPORT_STATUSES = {"draft": "草稿", "submitted": "已提交"}
# Order 73 (production units): the kind_code of their checklist, weekly reports and monthly minutes.
# Not a catalogue code: a production unit's records are about its production quality, not a kind of device.
PRODUCTION_CODE = "PROD"
PRODUCTION_NAME = "生产质量"


class Appointment(db.Model):
    """Who holds a two-regulations post, for which equipment kind, from when to when.

    An ended appointment keeps its dates: the record of changes regulators inspect.
    """

    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    kind_code: Mapped[str | None] = mapped_column(String(4))  # equipment kind, e.g. 3000; None for 主要负责人
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date | None] = mapped_column(Date)
    appointed_by_person_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    person: Mapped[Person] = relationship()


class Checklist(TimestampMixin, db.Model):
    """A 安全风险管控清单 for one equipment kind: the platform's default (unit_id empty) or a unit's own."""

    __tablename__ = "checklists"
    __table_args__ = (UniqueConstraint("unit_id", "kind_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    kind_code: Mapped[str] = mapped_column(String(4), nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    items: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # [{"key", "text"}]


class DailyCheck(ScopedByColumns, db.Model):
    """One daily check (日管控): the Asia/Shanghai day, each item's answer, the submission time.

    Its subject: for a use unit (Order 74) one device (《每日XX安全检查记录》, with the scan time as
    proof of presence); for a production unit (Order 73) no device, one record per 质量安全员 per
    day of the unit's production-quality checklist (《每日质量安全检查记录》).
    """

    __tablename__ = "daily_checks"
    __table_args__ = (UniqueConstraint("equipment_id", "check_date"),
                      Index("uq_daily_checks_production_officer_day", "officer_person_id", "check_date",
                            unique=True, postgresql_where=text("equipment_id IS NULL"),
                            sqlite_where=text("equipment_id IS NULL")))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    officer_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    check_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    checklist_id: Mapped[int | None] = mapped_column(ForeignKey("checklists.id"))
    results: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    abnormal_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    zero_risk: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)  # 零风险
    note: Mapped[str | None] = mapped_column(Text)

    equipment: Mapped[Equipment | None] = relationship()


class WeeklyReport(ScopedByColumns, TimestampMixin, db.Model):
    """《每周XX安全排查治理报告》 by the 安全总监: pre-filled with the week's figures, plus analysis."""

    __tablename__ = "weekly_reports"
    __table_args__ = (UniqueConstraint("unit_id", "kind_code", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    kind_code: Mapped[str] = mapped_column(String(4), nullable=False)
    week_start: Mapped[date] = mapped_column(Date, nullable=False)  # Monday, Asia/Shanghai
    director_person_id: Mapped[int | None] = mapped_column(Integer)
    figures: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    analysis: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MonthlyMinutes(ScopedByColumns, TimestampMixin, db.Model):
    """《每月XX安全调度会议纪要》 by the 主要负责人."""

    __tablename__ = "monthly_minutes"
    __table_args__ = (UniqueConstraint("unit_id", "kind_code", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    kind_code: Mapped[str] = mapped_column(String(4), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)  # the first day of the month
    meeting_date: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    figures: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    director_report: Mapped[str | None] = mapped_column(Text)
    decisions: Mapped[str | None] = mapped_column(Text)
    next_month_tasks: Mapped[str | None] = mapped_column(Text)
    principal_person_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
