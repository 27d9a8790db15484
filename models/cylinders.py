"""Gas cylinders (the `cylinders` domain, domain.md §6): the gas table, cylinder models, filling
units' licences and registrations, the cylinders themselves (一瓶一码), and what stations send:
pre-fill check, filling record and post-fill check, one row per cylinder handled.

A cylinder is keyed by its code (`Cylinder.code`, the platform's one-code printed on its label,
also a row of `codes` with target type `cylinder`), with (manufacturer code, serial number,
manufacture year) unique as the second key (domain.md §6.6). The code is copied onto the
cylinder so that the scale's question ("may I fill it?") reads one row by one index.

`filling_records` is partitioned by month of `filled_at` on PostgreSQL (migration 0012 and
`services.cylinders.partitions`); SQLite (the quick start) keeps one table. A partitioned
table's unique keys must hold the partition key, so a station's record id is unique together
with its filling time; the ingest looks the id up first and answers a resend from the row.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow
from models.orgs import Unit

GAS_CATEGORIES = {"liquefied": "液化气体", "compressed": "压缩气体", "dissolved": "溶解气体",
                  "refrigerated": "低温液化气体"}
CYLINDER_STATES = {"in_use": "在用", "suspended": "停用", "scrapped": "报废", "awaiting_inspection": "待检"}
REGISTRATION_STATUSES = {"active": "有效", "cancelled": "已注销"}
CYLINDER_SOURCES = {"new": "新登记", "import": "补登记"}
FILLING_OUTCOMES = {"filled": "已充装", "refused": "拒绝充装"}
LICENCE_STATUSES = {"active": "有效", "revoked": "已吊销"}
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class Gas(db.Model):
    """A filling medium and the rules that differ per gas (domain.md §6.4, §6.7): its inspection
    interval, whether a cylinder is filled only by the unit it is registered to (固定充装单位,
    LPG), the residual pressure a cylinder must keep, the design life when the stamp says none.
    Rows are data (seeded by the migration, edited by the province), not constants."""

    __tablename__ = "gases"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)  # LPG, O2, N2, AR, CO2, C2H2, ...
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    inspection_interval_years: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    fixed_filling_unit: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    min_residual_pressure_mpa: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    design_life_years: Mapped[int | None] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    note: Mapped[str | None] = mapped_column(Text)


class CylinderModel(db.Model):
    """A cylinder model (型号, GB 5842 names LPG models by nominal volume: YSP35.5 ...) with its fill
    limits: the stamped maximum fill, the target net content and its tolerance (domain.md §6.1,
    §6.2; configurable rows), and an inspection interval where it differs from its gas's."""

    __tablename__ = "cylinder_models"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    gas_code: Mapped[str | None] = mapped_column(ForeignKey("gases.code"))  # None: a model for several gases
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    old_name: Mapped[str | None] = mapped_column(String(32))
    nominal_volume_l: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False)
    max_fill_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    target_net_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    tolerance_kg: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    inspection_interval_years: Mapped[int | None] = mapped_column(SmallInteger)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class FillingLicence(ScopedByColumns, TimestampMixin, db.Model):
    """A filling unit's 充装许可证: its number, the gases it may fill and its validity. The unit's
    `licence_no` / `licence_expiry` follow the active licence, so expiry reminders see it too."""

    __tablename__ = "filling_licences"
    __table_args__ = (Index("uq_filling_licences_active", "unit_id", unique=True,
                            postgresql_where=text("status = 'active'"),
                            sqlite_where=text("status = 'active'")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    licence_no: Mapped[str] = mapped_column(String(64), nullable=False)
    gas_codes: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    recorded_by_person_id: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[Unit] = relationship()


class CylinderRegistration(ScopedByColumns, TimestampMixin, db.Model):
    """A use registration of a filling unit's cylinders: one certificate for the unit's list
    (TSG 08: 气瓶 are registered per unit), which grows as the unit registers new cylinders."""

    __tablename__ = "cylinder_registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    certificate_no: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    registered_on: Mapped[date] = mapped_column(Date, nullable=False)
    registered_by_person_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()


class Cylinder(ScopedByColumns, TimestampMixin, db.Model):
    """One gas cylinder, registered to exactly one filling unit (its 产权 owner, which fills it).

    `scrap_date` is read from the stamp or tag, or computed from the manufacture date and the
    design life; filling is refused once today passes min(next inspection, scrap date)
    (domain.md §6.4). A scrapped cylinder's code is void forever."""

    __tablename__ = "cylinders"
    scope_unit_column = "unit_id"
    __table_args__ = (
        UniqueConstraint("manufacturer_code", "serial_no", "manufacture_year"),
        Index("ix_cylinders_unit_state", "unit_id", "state"),
        Index("ix_cylinders_region_next_inspection", "region_code", "next_inspection_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), nullable=False, unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("cylinder_registrations.id"))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    gas_code: Mapped[str] = mapped_column(ForeignKey("gases.code"), nullable=False)
    model_code: Mapped[str | None] = mapped_column(ForeignKey("cylinder_models.code"))
    manufacturer_code: Mapped[str] = mapped_column(String(16), nullable=False)
    manufacturer_name: Mapped[str | None] = mapped_column(String(128))
    serial_no: Mapped[str] = mapped_column(String(32), nullable=False)
    manufacture_year: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    manufacture_date: Mapped[date | None] = mapped_column(Date)
    nominal_volume_l: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    tare_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))  # stamped tare
    design_life_years: Mapped[int | None] = mapped_column(SmallInteger)
    scrap_date: Mapped[date | None] = mapped_column(Date)
    last_inspection_date: Mapped[date | None] = mapped_column(Date)
    next_inspection_date: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(24), nullable=False, default="in_use")
    # An electronic tag the cylinder already carried before its platform code (RFID, a maker's QR).
    tag_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    scrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()


class FillingRecord(db.Model):
    """One cylinder at a station's scale: the pre-fill check (§6.3, each item pass/fail), the
    filling (§6.5) or the refusal, and the post-fill check. Stored whatever it says: a record
    that breaks a rule is evidence, kept and marked `violation` with its codes.

    Partitioned by month of `filled_at` on PostgreSQL; kept FILLING_RETENTION_MONTHS."""

    __tablename__ = "filling_records"
    __table_args__ = (
        UniqueConstraint("unit_id", "station_record_id", "filled_at"),
        Index("ix_filling_records_cylinder", "cylinder_id", "filled_at"),
        {"postgresql_partition_by": "RANGE (filled_at)"},
    )

    # SQLite (the quick start) keeps `id` alone as the key: its rowid, so it counts up by itself.
    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True, autoincrement=True)
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, nullable=False)  # the station
    region_code: Mapped[str] = mapped_column(String(6), nullable=False)
    station_record_id: Mapped[str] = mapped_column(String(64), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # filled / refused
    cylinder_code: Mapped[str] = mapped_column(String(64), nullable=False)  # as the scale read it
    cylinder_id: Mapped[int | None] = mapped_column(Integer)  # None: no such cylinder (itself a violation)
    gas_code: Mapped[str | None] = mapped_column(String(16))
    scale_id: Mapped[str | None] = mapped_column(String(32))
    filler_certificate_no: Mapped[str | None] = mapped_column(String(64))
    filler_person_id: Mapped[int | None] = mapped_column(Integer)
    checker_certificate_no: Mapped[str | None] = mapped_column(String(64))
    tare_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    residual_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    gross_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    net_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    target_net_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    deviation_kg: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    precheck: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # item -> pass/fail
    precheck_passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    postcheck: Mapped[dict | None] = mapped_column(JSONType)
    postcheck_passed: Mapped[bool | None] = mapped_column(Boolean)
    violation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    violation_codes: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    client_id: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class FillRefusal(db.Model):
    """A "no" the platform gave a station's scale (`fill-check`): what a later filling of the same
    cylinder is judged against (filled although refused is a violation). Only refusals are
    written: the yes answers, the vast majority, cost no write."""

    __tablename__ = "fill_refusals"
    __table_args__ = (Index("ix_fill_refusals_cylinder_at", "cylinder_id", "at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    unit_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    cylinder_id: Mapped[int | None] = mapped_column(Integer)
    cylinder_code: Mapped[str] = mapped_column(String(64), nullable=False)
    reason_codes: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)


class FillingDailyStat(db.Model):
    """Per station and business day (Asia/Shanghai): fillings, refusals and violations, kept in
    step by the ingest (one upsert per batch) so that figures never scan the records."""

    __tablename__ = "filling_daily_stats"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(6), nullable=False, index=True)
    fillings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refusals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    violations: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    refusal_reasons: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # code -> count
    violation_reasons: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)


class CylinderImport(ScopedByColumns, TimestampMixin, db.Model):
    """A 补登记 import of a filling unit's existing cylinders from the registration data and the
    气瓶基本信息汇总表 (Excel): dry run first, then all or nothing, with row-level errors and
    progress, run as background work."""

    __tablename__ = "cylinder_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    file_id: Mapped[str] = mapped_column(ForeignKey("stored_files.id"), nullable=False)
    file_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="queued")
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    errors: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # [{row, field, code, message}]
    summary: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("cylinder_registrations.id"))
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
