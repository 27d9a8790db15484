"""The registry of target types: what a code may point at.

A domain registers its target type once, at import of its `onecode` module:

    targets.register(targets.Target(
        type="cylinder", model=Cylinder,
        card_columns=(Cylinder.serial_no, FillingStation.name.label("station_name"), ...),
        card_joins=lambda stmt, on: stmt.outerjoin(Cylinder, on & (Cylinder.id == Code.target_id))
                                        .outerjoin(FillingStation, ...),
        public_card=lambda code, row: {"code": code, "serial_no": row.serial_no, ...},
        region_expr=lambda target_id: select(Cylinder.region_code).where(Cylinder.id == target_id)
                                      .scalar_subquery(),
        unit_expr=..., require_manager=..., require_assignable=...,
        watch={Cylinder: lambda c: c.id}))

`card_joins(stmt, on)` adds the target's tables to the one public-card statement as outer joins,
the first one conditioned on `on` (the code's target_type is this type): every registered type's
columns sit in one statement, so a cache miss is one query whatever the type.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select

from core.auth import Identity
from core.extensions import db
from models.onecode import register_scope, unregister_scope
from qr.render import LabelText


@dataclass(frozen=True)
class Target:
    """A target type and everything onecode needs to know about it."""

    type: str
    model: type  # the ORM class; its primary key is `id`, the code's target_id
    card_columns: tuple  # labelled columns the public card is built from
    card_joins: Callable[[Select, Any], Select]
    public_card: Callable[[str, Any], dict[str, Any]]  # (code, row of card_columns) -> the public card
    region_expr: Callable[[Any], Any]  # target_id column -> the target's region code (SQL)
    unit_expr: Callable[[Any], Any]  # target_id column -> the target's unit id (SQL)
    require_manager: Callable[[Identity, Any], None]  # raises Forbidden unless the caller may (re)issue codes
    require_assignable: Callable[[Any], None]  # raises RuleViolation when the target takes no new code
    # Models whose changes invalidate cached cards: class -> the target id an instance stands for,
    # or the ids of every target whose card shows it (a unit's name on its devices' cards); None
    # or empty when the change shows on no card. Called in the session's after_flush.
    watch: dict[type, Callable[[Any], int | Iterable[int] | None]] = field(default_factory=dict)
    # The labels of the active codes matching a WHERE clause on `Code`, in print order.
    label_rows: Callable[[Any], Iterator[LabelText]] | None = None


_TARGETS: dict[str, Target] = {}
_listeners: list[Callable[[], None]] = []


def register(target: Target) -> None:
    """Register (or replace) a target type; its scoping is handed to the `Code` model."""
    _TARGETS[target.type] = target
    register_scope(target.type, target.region_expr, target.unit_expr)
    for listener in _listeners:
        listener()


def unregister(target_type: str) -> None:
    """Forget a target type (tests register throw-away types)."""
    _TARGETS.pop(target_type, None)
    unregister_scope(target_type)
    for listener in _listeners:
        listener()


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` whenever the registry changes (what is built from it is built again)."""
    _listeners.append(listener)


def get(target_type: str) -> Target:
    """The registered target type; a code of an unregistered type is a programming error."""
    return _TARGETS[target_type]


def types() -> tuple[str, ...]:
    """The registered target type names."""
    return tuple(_TARGETS)


def all_targets() -> list[Target]:
    """The registered target types, in registration order."""
    return list(_TARGETS.values())


def load(target_type: str, target_id: int) -> Any:
    """The target's ORM object (None if it is gone)."""
    return db.session.get(get(target_type).model, target_id)
