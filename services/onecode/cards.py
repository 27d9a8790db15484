"""The public card on a cache miss: one SQL statement finds the code, its target and everything
the target's public card shows, whatever the target's type.

The statement is assembled from the registered target types (each adds its tables as outer
joins conditioned on the code's type, and its columns under its own prefix), built once per
registry change: the hot path only binds the code.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, bindparam, select

from core.extensions import db
from models.onecode import Code
from services.onecode import targets


@dataclass(frozen=True)
class Found:
    """A code's state: `ok` with its target and public card, `voided` with its target, or `unknown`
    (no such code, or its target is gone or of a type no longer registered)."""

    state: str
    target_type: str | None = None
    target_id: int | None = None
    card: dict[str, Any] | None = None


_built: dict[str, Any] = {}


def _prefix(target_type: str) -> str:
    return f"{target_type}__"


def _statement() -> tuple[Select, dict[str, list[str]]]:
    """The one card statement and, per target type, its column names."""
    if "stmt" not in _built:
        columns: list[Any] = [Code.status.label("code_status"), Code.target_type, Code.target_id]
        names: dict[str, list[str]] = {}
        stmt = select(Code).select_from(Code)  # columns set below; joins need a FROM first
        for target in targets.all_targets():
            prefix = _prefix(target.type)
            stmt = target.card_joins(stmt, Code.target_type == target.type)
            own = [target.model.id.label(prefix + "id"), *(c.label(prefix + c.key) for c in target.card_columns)]
            names[target.type] = [c.key for c in target.card_columns]
            columns += own
        _built["stmt"] = stmt.with_only_columns(*columns, maintain_column_froms=False).where(
            Code.code == bindparam("code"))
        _built["names"] = names
    return _built["stmt"], _built["names"]


targets.on_change(_built.clear)


def load(code: str) -> Found:
    """The code's state and, for an active code, its public card (one query)."""
    stmt, names = _statement()
    row = db.session.execute(stmt, {"code": code}).first()
    if row is None or row.target_type not in names:
        return Found("unknown")
    fields = row._mapping
    prefix = _prefix(row.target_type)
    if fields[prefix + "id"] is None:
        return Found("unknown")
    if row.code_status != "active":
        return Found("voided", row.target_type, row.target_id)
    values = SimpleNamespace(**{name: fields[prefix + name] for name in names[row.target_type]})
    return Found("ok", row.target_type, row.target_id, targets.get(row.target_type).public_card(code, values))
