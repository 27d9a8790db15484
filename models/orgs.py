"""Regions, units, people, roles and accounts (the `orgs` domain)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, select, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow

REGION_LEVELS = {"province": "省", "city": "市", "county": "县（区）"}

UNIT_KINDS = {
    "use": "使用单位",
    "production": "生产单位",
    "filling": "充装单位",
    "inspection": "检验检测机构",
    "regulator": "监管部门",
    "risk_center": "风险监测及应急保障中心",
}

# What a production unit is licensed for; elevator maintenance is a repair licence.
PRODUCTION_SCOPES = {
    "design": "设计",
    "manufacture": "制造",
    "installation": "安装",
    "alteration": "改造",
    "repair": "修理",
    "maintenance": "电梯维保",
}

UNIT_STATUSES = {"pending": "待审核", "approved": "已通过", "returned": "已退回", "disabled": "已停用"}

ROLES = {
    "unit_admin": "单位管理员",
    "principal": "主要负责人",
    "quality_safety_director": "质量安全总监",
    "quality_safety_officer": "质量安全员",
    "safety_director": "安全总监",
    "safety_officer": "安全员",
    "operator": "作业人员",
    "inspector": "检验人员",
    "tester": "检测人员",
    "qa_staff": "质量保证体系人员",
    "risk_reporter": "信息报送员",
    "regulator_staff": "监管人员",
    "expert": "专家",
    "ops": "运维人员",
}

_ENTERPRISE = frozenset({"use", "production", "filling", "inspection"})
_ALL = frozenset(UNIT_KINDS)

# Which unit kinds a role can be held in.
ROLE_UNIT_KINDS: dict[str, frozenset[str]] = {
    "unit_admin": _ALL,
    "principal": _ALL,
    "quality_safety_director": frozenset({"production", "filling"}),
    "quality_safety_officer": frozenset({"production", "filling"}),
    "safety_director": frozenset({"use", "filling"}),
    "safety_officer": frozenset({"use", "filling"}),
    "operator": _ENTERPRISE,
    "inspector": frozenset({"inspection"}),
    "tester": frozenset({"inspection"}),
    "qa_staff": frozenset({"production", "filling", "inspection"}),
    "risk_reporter": _ALL,
    "regulator_staff": frozenset({"regulator"}),
    "expert": frozenset({"regulator", "risk_center", "inspection"}),
    "ops": frozenset({"risk_center"}),
}

# Roles that carry a certificate (作业人员证, 检验/检测人员证).
CERTIFIED_ROLES = frozenset({"operator", "inspector", "tester"})


class Region(db.Model):
    """A GB/T 2260 division placed in the *supervision* hierarchy.

    韩城市 and 杨凌示范区 are county codes that report straight to the
    province, as cities do; `path` follows supervision, not the code prefix.
    """

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    admin_parent_code: Mapped[str | None] = mapped_column(String(6))
    supervision_parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    path: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    treat_as_city: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    plate_letter: Mapped[str | None] = mapped_column(String(2))
    office_name: Mapped[str | None] = mapped_column(String(128))
    office_address: Mapped[str | None] = mapped_column(String(256))
    office_phone: Mapped[str | None] = mapped_column(String(64))
    office_hours: Mapped[str | None] = mapped_column(String(128))
    office_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def supervision_level(self) -> str:
        """The level the region acts at: 韩城 and 杨凌 act as cities."""
        return "city" if self.treat_as_city else self.level


class Unit(ScopedByColumns, TimestampMixin, db.Model):
    """An enterprise, agency or regulator registered on the platform (单位)."""

    __tablename__ = "units"
    scope_unit_column = "id"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), nullable=False, index=True)
    production_scopes: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    owner_id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), nullable=False, index=True)
    address: Mapped[str | None] = mapped_column(String(256))
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(128))
    postal_code: Mapped[str | None] = mapped_column(String(6))
    licence_no: Mapped[str | None] = mapped_column(String(64))
    licence_expiry: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending", index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_person_id: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    control_level: Mapped[str | None] = mapped_column(String(8))

    region: Mapped[Region] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return UNIT_STATUSES.get(self.status, self.status)


class Person(TimestampMixin, db.Model):
    """Someone working for a unit (or a regulator, or as an expert)."""

    __tablename__ = "persons"
    __table_args__ = (
        # One active person per ID number: a person holds roles in one unit.
        Index("uq_persons_active_id_number", "id_number", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    title: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    roles: Mapped[list["PersonRole"]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonRole.role"
    )

    @property
    def role_codes(self) -> list[str]:
        return [r.role for r in self.roles]

    @classmethod
    def scope_region_expr(cls):
        return select(Unit.region_code).where(Unit.id == cls.unit_id).scalar_subquery()

    @classmethod
    def scope_unit_expr(cls):
        return cls.unit_id


class PersonRole(db.Model):
    """A role a person holds in their unit, with a certificate where the role needs one."""

    __tablename__ = "person_roles"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    certificate_type: Mapped[str | None] = mapped_column(String(64))
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    certificate_expiry: Mapped[date | None] = mapped_column(Date)
    specialties: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)

    person: Mapped[Person] = relationship(back_populates="roles")


class Account(TimestampMixin, db.Model):
    """How a person logs in: a WeChat openid, a username and password, or both."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, unique=True)
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()


class AuthSession(db.Model):
    """A signed token's server side: it expires and can be revoked."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    client: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))


class Invitation(db.Model):
    """A one-time code that binds a WeChat account to a person."""

    __tablename__ = "invitations"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False, index=True)
    issued_by_person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WeChatSession(db.Model):
    """The latest session key WeChat gave for an openid; it never leaves the server."""

    __tablename__ = "wechat_sessions"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_key: Mapped[str] = mapped_column(String(64), nullable=False)
    unionid: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow,
                                                 nullable=False)
