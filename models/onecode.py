"""One code per target (一码通): the codes, and the bulk jobs that assign them and print labels.

A code points at a typed target (`target_type`, `target_id`): a device ('equipment') today, a gas
cylinder tomorrow. The models know no target: each domain registers, through
`services.onecode.targets.register`, how a target of its type is scoped (`register_scope`).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, case, literal, text
from sqlalchemy.orm import Mapped, mapped_column

from core.columns import TimestampMixin, UTCDateTime
from core.extensions import db
from core.scoping import ScopedByColumns
from core.timeutil import utcnow

CODE_STATUSES = {"active": "有效", "voided": "已作废"}
JOB_KINDS = {"assign": "批量赋码", "label_sheet": "标签打印"}
JOB_STATUSES = {"queued": "排队中", "running": "处理中", "done": "已完成", "failed": "失败"}

# target type -> (region expression, unit expression), each given the code's target_id column.
ScopeExpr = Callable[[Any], Any]
_SCOPES: dict[str, tuple[ScopeExpr, ScopeExpr]] = {}


def register_scope(target_type: str, region_expr: ScopeExpr, unit_expr: ScopeExpr) -> None:
    """How a code of this target type is scoped: its target's region and use unit, as SQL
    expressions over `Code.target_id` (called by the target's registration)."""
    _SCOPES[target_type] = (region_expr, unit_expr)


def unregister_scope(target_type: str) -> None:
    _SCOPES.pop(target_type, None)


class Code(db.Model):
    """A target's code; a lost or damaged label is voided and a new code issued."""

    __tablename__ = "codes"
    __table_args__ = (
        Index("uq_codes_active_target", "target_type", "target_id", unique=True,
              postgresql_where=text("status = 'active'"), sqlite_where=text("status = 'active'")),
        Index("ix_codes_target", "target_type", "target_id"),
    )

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_type: Mapped[str] = mapped_column(String(32), nullable=False)
    target_id: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    created_by_person_id: Mapped[int | None] = mapped_column(Integer)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    voided_by_person_id: Mapped[int | None] = mapped_column(Integer)
    void_reason: Mapped[str | None] = mapped_column(Text)

    @classmethod
    def _scope_expr(cls, which: int):
        if not _SCOPES:
            return literal(None, String)
        return case({target_type: exprs[which](cls.target_id) for target_type, exprs in _SCOPES.items()},
                    value=cls.target_type, else_=None)

    @classmethod
    def scope_region_expr(cls):
        return cls._scope_expr(0)

    @classmethod
    def scope_unit_expr(cls):
        return cls._scope_expr(1)


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
