"""Equipment: the 2014 catalogue, equipment records and their lifecycle business
(the `equipment` domain). Facts: domain.md §1-§3 and §5.3."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, StepColumns, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from models.orgs import Region, Unit

# 使用状态 (a legacy provincial platform's EQP_USE_STA, domain.md §2.5).
USE_STATUSES = {
    "not_in_use": "未投入使用",
    "in_use": "在用",
    "suspended": "停用",
    "scrapped": "报废",
    "dismantled": "拆除",
    "moved_out": "迁出",
    "junk": "垃圾数据",
    "removed": "删除（移除监察）",
    "in_use_unregistered": "在用未注册",
}
# No longer standing in use under its registration (TSG 08-2017 §2.5: 报废, 拆除, 迁出, ...).
GONE_STATUSES = ("scrapped", "dismantled", "removed", "junk", "moved_out")
# 注册状态 (EQP_REG_STA).
REGISTRATION_STATUSES = {"unregistered": "待注册", "registered": "在册", "cancelled": "注销登记"}

DUE_TYPES = ("定期检验", "自行检测", "年度检查", "外部检验", "内部检验")


class CatalogueEntry(db.Model):
    """One code of the 2014 special-equipment catalogue (CHAR(4), letters allowed).

    Retired and non-standard legacy codes are kept with `retired` so imports
    accept and flag them; 7000 and F000 codes are not registrable.
    """

    __tablename__ = "catalogue_entries"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)  # kind / category / variety
    parent_code: Mapped[str | None] = mapped_column(String(4))
    kind_code: Mapped[str] = mapped_column(String(4), nullable=False, index=True)
    registrable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    retired: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    cert_symbol: Mapped[str | None] = mapped_column(String(1))
    registration_basis: Mapped[str | None] = mapped_column(String(8))  # device (按台套) / unit (按单位)


class Equipment(ScopedByColumns, TimestampMixin, db.Model):
    """A piece of special equipment: its identifiers, units, place, status and inspection dates."""

    __tablename__ = "equipment"
    scope_unit_column = "use_unit_id"
    __table_args__ = (
        Index("ix_equipment_use_unit_status", "use_unit_id", "use_status"),
        Index("ix_equipment_region_due", "region_code", "next_due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalogue_code: Mapped[str] = mapped_column(ForeignKey("catalogue_entries.code"), nullable=False, index=True)
    # 设备代码 (18/19) or, for old equipment, whatever the legacy record holds; unique where present.
    equipment_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    legacy_reg_code: Mapped[str | None] = mapped_column(String(32), index=True)  # 注册代码 (20)
    registration_cert_no: Mapped[str | None] = mapped_column(String(32), index=True)  # 使用登记证编号
    product_serial_no: Mapped[str | None] = mapped_column(String(64))
    product_name: Mapped[str | None] = mapped_column(String(128))
    model_spec: Mapped[str | None] = mapped_column(String(128))
    manufacturer_name: Mapped[str | None] = mapped_column(String(128))

    use_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    legacy_use_unit_name: Mapped[str | None] = mapped_column(String(128))
    property_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    maintenance_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    installer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    address: Mapped[str | None] = mapped_column(String(256))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    public_place: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)  # 公众聚集场所
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    # Cranes and vehicles on building sites are the housing authorities' (domain.md §3.2).
    jurisdiction: Mapped[str] = mapped_column(String(16), nullable=False, default="market")

    use_status: Mapped[str] = mapped_column(String(24), nullable=False, default="not_in_use", index=True)
    registration_status: Mapped[str] = mapped_column(String(16), nullable=False, default="unregistered")
    safety_officer_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    # Stopped at once for a serious hazard (Order 74); only the 安全总监 restores it.
    hazard_stopped: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    manufacture_date: Mapped[date | None] = mapped_column(Date)
    design_life_years: Mapped[int | None] = mapped_column(Integer)
    put_into_use_date: Mapped[date | None] = mapped_column(Date)
    suspended_on: Mapped[date | None] = mapped_column(Date)

    last_inspection_date: Mapped[date | None] = mapped_column(Date)
    last_inspection_conclusion: Mapped[str | None] = mapped_column(String(32))
    next_due_date: Mapped[date | None] = mapped_column(Date, index=True)
    next_due_type: Mapped[str | None] = mapped_column(String(16))
    last_inspection_grade: Mapped[int | None] = mapped_column(SmallInteger)  # 安全状况等级
    # A result that forbids use (不合格, 不符合要求, grade 5): the code is red until a passing
    # 复检 or later inspection of that type clears it (the inspection domain sets it).
    failed_inspection_result_id: Mapped[int | None] = mapped_column(Integer)
    # 安装 (or 改造) 监督检验合格日期: where an elevator's year list starts (TSG T7001-2023).
    supervision_passed_on: Mapped[date | None] = mapped_column(Date)
    # The report number of that 监督检验: what a use registration of a newly installed device cites.
    supervision_report_no: Mapped[str | None] = mapped_column(String(64))

    source: Mapped[str] = mapped_column(String(16), nullable=False, default="new")  # new / import / claim
    created_by_unit_id: Mapped[int | None] = mapped_column(Integer)

    catalogue: Mapped[CatalogueEntry] = relationship(lazy="joined")
    use_unit: Mapped[Unit | None] = relationship(foreign_keys=[use_unit_id])
    maintenance_unit: Mapped[Unit | None] = relationship(foreign_keys=[maintenance_unit_id])
    region: Mapped[Region] = relationship()


APPLICATION_KINDS = {
    "construction_notice": "施工告知",
    "use_registration": "使用登记",
    "change_registration": "变更登记",
    "suspension": "停用",
    "resumption": "启用",
    "cancellation": "注销",
    "scrapping": "报废",
    "maintenance_filing": "电梯维保合同备案",
}
CHANGE_TYPES = {
    "alteration": "改造",
    "relocation": "移装（同一登记机关）",
    "relocation_out": "移装（跨登记机关，迁出）",
    "unit_change": "单位变更",
    "rename": "使用单位更名",
    "continued_use": "达到设计使用年限继续使用",
}
APPLICATION_STATUSES = {
    "draft": "草稿",
    "submitted": "已提交",
    "accepted": "已受理",
    "returned": "退回补正",
    "approved": "已批准",
    "refused": "不予批准",
    "withdrawn": "已撤回",
}


class Application(ScopedByColumns, TimestampMixin, db.Model):
    """A lifecycle application on one piece of equipment, reviewed by the registration office."""

    __tablename__ = "equipment_applications"
    scope_unit_column = "applicant_unit_id"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False, index=True)
    change_type: Mapped[str | None] = mapped_column(String(24))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False, index=True)
    applicant_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    # The equipment's region at submission; scoping of the review follows it.
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    office_region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="draft", index=True)
    form: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    documents: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    note: Mapped[str | None] = mapped_column(Text)  # the applicant's
    decision_note: Mapped[str | None] = mapped_column(Text)  # the office's reason
    late_days: Mapped[int | None] = mapped_column(Integer)  # past a 30-day time limit by this much
    certificate_no: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    due_date: Mapped[date | None] = mapped_column(Date)  # the office's turnaround
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_person_id: Mapped[int | None] = mapped_column(Integer)

    equipment: Mapped[Equipment] = relationship()
    applicant_unit: Mapped[Unit] = relationship()
    events: Mapped[list["ApplicationEvent"]] = relationship(order_by="ApplicationEvent.id",
                                                            cascade="all, delete-orphan")


class ApplicationEvent(StepColumns, db.Model):
    """One step on an application's path: who moved it, from what to what, and why."""

    __tablename__ = "equipment_application_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("equipment_applications.id", ondelete="CASCADE"),
                                                nullable=False, index=True)


class CertificateSequence(db.Model):
    """The last serial issued per registration-office letter and year (使用登记证编号)."""

    __tablename__ = "certificate_sequences"
    __table_args__ = (UniqueConstraint("office_letter", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_letter: Mapped[str] = mapped_column(String(2), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    last_serial: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class MaintenanceContract(TimestampMixin, db.Model):
    """An elevator maintenance contract filed on the platform (维保合同备案, domain.md §5.3)."""

    __tablename__ = "maintenance_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False, index=True)
    use_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False)
    maintenance_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    contract_no: Mapped[str | None] = mapped_column(String(64))
    signed_on: Mapped[date | None] = mapped_column(Date)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    interval_days: Mapped[int] = mapped_column(Integer, nullable=False, default=15)
    mode: Mapped[str] = mapped_column(String(16), nullable=False, default="fixed")  # fixed / on_demand
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="filed")  # filed / ended
    application_id: Mapped[int | None] = mapped_column(ForeignKey("equipment_applications.id"))

    maintenance_unit: Mapped[Unit] = relationship(foreign_keys=[maintenance_unit_id])


CLAIM_STATUSES = {"pending": "待确认", "confirmed": "已确认", "refused": "已驳回"}


class EquipmentClaim(ScopedByColumns, TimestampMixin, db.Model):
    """A use unit claiming a historical record (认领), confirmed by the regulator."""

    __tablename__ = "equipment_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id"), nullable=False, index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    decided_by_person_id: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    equipment: Mapped[Equipment] = relationship()
    unit: Mapped[Unit] = relationship()


IMPORT_STATUSES = {
    "queued": "排队中", "checking": "校验中", "checked": "校验完成", "importing": "导入中",
    "imported": "已导入", "rejected": "有错误，未导入", "failed": "处理失败",
}


class EquipmentImport(ScopedByColumns, TimestampMixin, db.Model):
    """One uploaded .xlsx of historical equipment: a dry run first, then an all-or-nothing import."""

    __tablename__ = "equipment_imports"

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
    errors: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    summary: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
