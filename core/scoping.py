"""Scoping in one place: what an identity may see.

- a regulator: rows whose region lies in its supervision subtree;
- province-wide identities (the province regulator, ops staff): everything;
- everyone else logged in: their own unit's rows;
- a machine caller (integration_api): exactly as its unit's people would be (a regulator's
  client by region, any other unit's client its own unit's rows);
- the public: nothing here (public cards have their own endpoints).

Statistics count rows of a region subtree rather than rows one by one: `region_clause`
limits a region-code column to a set of codes (the services resolve which codes: the
regulator's subtree, or a region asked for within it, see `services.orgs.regions.statistics_scope`;
core knows no region table).

A scoped model names its region and unit with two class methods,
`scope_region_expr()` and `scope_unit_expr()`; every list and detail query
goes through `scoped()` / `get_in_scope()`. A model that two units see (an
inspection application: the applicant and the agency) may instead define
`scope_unit_clause(unit_id)`, returning the whole unit-side condition.
"""
from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, select, true

from core.auth import Identity
from core.errors import Forbidden, NotFound
from core.extensions import db

T = TypeVar("T")


class ScopedByColumns:
    """Mixin for a model scoped by two of its own columns: its region and its unit."""

    scope_region_column = "region_code"
    scope_unit_column = "unit_id"

    @classmethod
    def scope_region_expr(cls):
        return getattr(cls, cls.scope_region_column)

    @classmethod
    def scope_unit_expr(cls):
        return getattr(cls, cls.scope_unit_column)


def scope_clause(model: Any, identity: Identity) -> ColumnElement[bool]:
    """The WHERE clause that limits `model` to what `identity` may see."""
    if not identity.acts_for_unit:
        return false()
    if identity.is_regulator or identity.is_ops:
        return region_clause(model.scope_region_expr(), identity.region_codes)
    unit_clause = getattr(model, "scope_unit_clause", None)
    if unit_clause is not None:
        return unit_clause(identity.unit_id)
    return model.scope_unit_expr() == identity.unit_id


def region_clause(column: Any, codes: frozenset[str] | None) -> ColumnElement[bool]:
    """`column` (a region code) within `codes`; None means the whole province (no limit)."""
    if codes is None:
        return true()
    return column.in_(sorted(codes))


def scoped(stmt: Select, model: Any, identity: Identity) -> Select:
    return stmt.where(scope_clause(model, identity))


def get_in_scope(model: type[T], pk: Any, identity: Identity, message: str = "未找到该记录。") -> T:
    """Load one row the identity may see, or answer 404 (never 403: no hint that it exists)."""
    obj = db.session.scalar(select(model).where(model.id == pk, scope_clause(model, identity)))
    if obj is None:
        raise NotFound(message)
    return obj


def region_in_scope(region_code: str, identity: Identity) -> bool:
    """Whether a regulator's supervision subtree contains `region_code`."""
    if not (identity.is_regulator or identity.is_ops):
        return False
    return identity.region_codes is None or region_code in identity.region_codes


def require_region_in_scope(region_code: str, identity: Identity) -> None:
    """A statistic narrowed to a region: the region must lie in the regulator's subtree.

    Raises Forbidden `region_out_of_scope` (403: the region list is public, nothing is hidden).
    """
    if not region_in_scope(region_code, identity):
        raise Forbidden("只能查看本辖区的统计。", code="region_out_of_scope")
