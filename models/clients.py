"""Machine callers of the open API (/open/v1): api clients and their signing keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.columns import JSONType, TimestampMixin, UTCDateTime
from core.extensions import db
from models.orgs import Unit

# What a client may be allowed to do, and which unit kinds may hold it (None: any kind).
SCOPES: dict[str, str] = {
    "open:read": "读取开放数据",
    "inspection:read": "读取报检申请和受检设备信息",
    "inspection:write": "受理、安排报检申请，上传检验检测结果和报告",
    "filling:write": "上传充装记录",
}
SCOPE_UNIT_KINDS: dict[str, frozenset[str] | None] = {
    "open:read": None,
    "inspection:read": frozenset({"inspection"}),
    "inspection:write": frozenset({"inspection"}),
    "filling:write": frozenset({"filling"}),
}

CLIENT_STATUSES = {"active": "启用", "revoked": "已停用"}
KEY_STATUSES = {"active": "有效", "revoked": "已吊销"}
MAX_ACTIVE_KEYS = 2  # the old and the new key during a rotation


class ApiClient(TimestampMixin, db.Model):
    """A system that calls /open/v1 on behalf of one unit (an agency, a filling station, a city
    platform), with the scopes it was granted."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), nullable=False, index=True)
    scopes: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    # Requests per minute for this client; None: OPEN_RATE_LIMIT_PER_MINUTE.
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship(lazy="joined")
    keys: Mapped[list["ApiClientKey"]] = relationship(back_populates="client", order_by="ApiClientKey.id")

    @classmethod
    def scope_region_expr(cls):
        return select(Unit.region_code).where(Unit.id == cls.unit_id).scalar_subquery()

    @classmethod
    def scope_unit_expr(cls):
        return cls.unit_id


class ApiClientKey(db.Model):
    """A signing key: the public `key_id` sent with each request and its secret, kept encrypted
    with a key derived from SECRET_KEY (the server needs the secret itself to check an HMAC)."""

    __tablename__ = "api_client_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), nullable=False, index=True)
    key_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    client: Mapped[ApiClient] = relationship(back_populates="keys", lazy="joined")
