"""Devices for other government systems (the open read API, scope `open:read`): each device's
public card, the same one a passer-by sees when scanning its code (`onecode.public_card`), and its
inspection status, listed by region.

Nothing beyond the public card: no person (safety officer, unit staff), no ID or personal phone;
the only phones are the maintenance unit's public contact and the rescue line the card shows.
Keyset-paged on the device id (no OFFSET: a page costs the same at the millionth device).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from core import cursor
from core.auth import Identity
from core.extensions import db
from core.timeutil import business_today
from models.equipment import USE_STATUSES, CatalogueEntry, Equipment
from models.onecode import Code
from models.orgs import Region
from services.equipment.onecode import CARD_COLUMNS, TARGET, join_card_units, public_card
from services.orgs.regions import open_data_scope

CURSOR_KIND = "equipment"
HIDDEN_STATUSES = ("junk", "removed")  # 垃圾数据, 移除监察: records, not devices anyone can meet


@dataclass(frozen=True)
class EquipmentFilters:
    """What a caller narrows the list to; every field optional."""

    region_code: str | None = None
    kind_code: str | None = None  # 设备种类, e.g. 3000 电梯
    use_status: str | None = None
    overdue: bool | None = None
    updated_since: datetime | None = None


def list_public_equipment(identity: Identity, filters: EquipmentFilters, after: str | None,
                          limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of devices' public cards with their inspection status, by device id, and the
    cursor of the next page (None on the last).

    Overdue (TSG 08: no use past the due date): in use and the next inspection due before today
    (Asia/Shanghai). Raises InvalidCursor (400), Forbidden `region_out_of_scope`, NotFound
    `region_not_found`.
    """
    key = cursor.decode(CURSOR_KIND, after, 1)
    if key is not None and (not isinstance(key[0], int) or isinstance(key[0], bool)):
        raise cursor.InvalidCursor()
    scope = open_data_scope(identity, filters.region_code)
    today = business_today()
    stmt = join_card_units(
        select(Equipment.id, Equipment.region_code, Region.name.label("region_name"), Equipment.updated_at,
               Code.code, *CARD_COLUMNS)
        .join(Region, Region.code == Equipment.region_code)
        .join(CatalogueEntry, CatalogueEntry.code == Equipment.catalogue_code))
    stmt = (stmt.outerjoin(Code, and_(Code.target_type == TARGET, Code.target_id == Equipment.id,
                                      Code.status == "active"))
            .where(scope.clause(Equipment.region_code), Equipment.use_status.notin_(HIDDEN_STATUSES)))
    if filters.kind_code is not None:
        stmt = stmt.where(CatalogueEntry.kind_code == filters.kind_code)
    if filters.use_status is not None:
        stmt = stmt.where(Equipment.use_status == filters.use_status)
    if filters.overdue is not None:
        overdue = and_(Equipment.use_status == "in_use", Equipment.next_due_date < today)
        stmt = stmt.where(overdue if filters.overdue else ~overdue)
    if filters.updated_since is not None:
        stmt = stmt.where(Equipment.updated_at >= filters.updated_since)
    if key is not None:
        stmt = stmt.where(Equipment.id > key[0])
    rows = db.session.execute(stmt.order_by(Equipment.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    following = cursor.encode(CURSOR_KIND, [rows[-1].id]) if more and rows else None
    return [_public(row, today) for row in rows], following


def _public(row: Any, today) -> dict[str, Any]:
    card = public_card(row.code, row)
    card.pop("actions", None)  # the scan page's buttons, not data
    overdue = row.use_status == "in_use" and row.next_due_date is not None and row.next_due_date < today
    return {"id": row.id, "region_code": row.region_code, "region_name": row.region_name,
            "use_status": row.use_status, "use_status_name": USE_STATUSES.get(row.use_status, row.use_status),
            "overdue": overdue, "updated_at": row.updated_at, **card}
