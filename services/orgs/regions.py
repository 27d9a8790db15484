"""Regions in the supervision hierarchy and their offices' public contacts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, select

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound
from core.extensions import db
from core.scoping import region_clause, require_region_in_scope
from core.timeutil import utcnow
from models.orgs import Region

OFFICE_FIELDS = ("office_name", "office_address", "office_phone", "office_hours")


def get_region(code: str) -> Region:
    region = db.session.get(Region, code)
    if region is None:
        raise NotFound("未找到该行政区划。", code="region_not_found")
    return region


def require_region(code: str, field: str = "region_code") -> Region:
    """A region for input validation: an unknown code is a field error."""
    region = db.session.get(Region, code) if code else None
    if region is None:
        raise InvalidInput.field(field, "行政区划代码不存在（应为陕西省的区划代码）。", code="region_unknown")
    return region


def list_regions(parent_code: str | None = None) -> list[Region]:
    """Regions ordered by code; with `parent_code`, its direct children in supervision."""
    stmt = select(Region).order_by(Region.code)
    if parent_code is not None:
        stmt = stmt.where(Region.supervision_parent_code == parent_code)
    return list(db.session.scalars(stmt))


def subtree_codes(code: str) -> frozenset[str]:
    """The region and every region below it in the *supervision* hierarchy."""
    region = get_region(code)
    rows = db.session.scalars(select(Region.code).where(Region.path.startswith(region.path)))
    return frozenset(rows)


def lineage(code: str) -> frozenset[str]:
    """The region and every region above it in the *supervision* hierarchy (read from its path:
    one look-up, from the session when already loaded). `x in lineage(code)` is `code in
    subtree_codes(x)` without reading the subtree."""
    return frozenset(part for part in get_region(code).path.split("/") if part)


def province_root() -> Region:
    """The top of the supervision hierarchy (陕西省)."""
    return db.session.scalar(select(Region).where(Region.supervision_parent_code.is_(None)).order_by(Region.code)
                             .limit(1))


@dataclass(frozen=True)
class RegionScope:
    """What a statistic counts: the regions of `root`'s supervision subtree (`codes`; None is the
    whole province). Groupings by region show `root`'s children."""

    root: Region
    codes: frozenset[str] | None

    def clause(self, column: Any) -> ColumnElement[bool]:
        """`column` (a region code) within the scope."""
        return region_clause(column, self.codes)


def statistics_scope(identity: Identity, region_code: str | None = None, *,
                     province_wide: bool = False) -> RegionScope:
    """The region subtree a statistic covers, for every statistic alike.

    Without `region_code`: the viewer's own subtree (the province for the province regulator, ops
    staff and, with `province_wide`, a body the caller lets see the whole province such as the
    risk centre). With it: that region's subtree, which must lie in the viewer's — 韩城 and 杨凌
    are under the province, not under 渭南 or 咸阳 (supervision paths, not administrative ones).
    Whether the viewer may see statistics at all is the caller's rule.

    Raises Forbidden `region_out_of_scope` for a region outside the viewer's subtree, NotFound
    `region_not_found` for an unknown code the viewer's scope would contain.
    """
    whole = province_wide or identity.region_codes is None
    if region_code is None:
        if whole:
            return RegionScope(province_root(), None)
        root = get_region(identity.region_code) if identity.region_code else province_root()
        return RegionScope(root, identity.region_codes)
    if not province_wide:
        require_region_in_scope(region_code, identity)
    root = get_region(region_code)
    return RegionScope(root, None if root.supervision_parent_code is None else subtree_codes(root.code))


def open_data_scope(identity: Identity, region_code: str | None = None) -> RegionScope:
    """The regions a machine caller of the open read API (`open:read`) may read public data of.

    A regulator's system reads its own supervision subtree (a region asked for must lie in it,
    else Forbidden `region_out_of_scope`); any other government system (12345 hotline, statistics)
    reads the whole province's public data, or the subtree of the region it asks for. Raises
    NotFound `region_not_found` for an unknown region.
    """
    return statistics_scope(identity, region_code, province_wide=not identity.is_regulator)


def update_office(identity: Identity, code: str, changes: dict) -> Region:
    """Maintain a region office's public contact (办事机构联系方式).

    Only a regulator whose supervision subtree contains the region may do it.
    """
    region = get_region(code)
    if not identity.is_regulator or (identity.region_codes is not None and code not in identity.region_codes):
        raise Forbidden("只有该地区或上级监管部门可以维护办事机构联系方式。")
    before = {f: getattr(region, f) for f in OFFICE_FIELDS}
    for name in OFFICE_FIELDS:
        if name in changes:
            setattr(region, name, changes[name])
    region.office_updated_at = utcnow()
    db.session.flush()
    audit.record(identity.audit_context(), "region.office_update", "region", code, before,
                 {f: getattr(region, f) for f in OFFICE_FIELDS})
    return region
