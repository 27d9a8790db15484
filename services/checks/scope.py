"""Which devices the "two regulations" cover (Order 74): in use, under market supervision, and
of a kind registered per device. One rule for the officer's day list, submissions, appointments,
figures, reminders and records."""
from __future__ import annotations

from sqlalchemy import and_

from models.equipment import CatalogueEntry, Equipment

# Kinds outside the daily check: 压力管道元件 (7000) and 安全附件 (F000) are components, not equipment
# in use; 常压容器 (R000) lies outside the catalogue.
EXCLUDED_KINDS = ("7000", "F000", "R000")


def covered_clause():
    """SQL: the device is under the daily check (the query must join CatalogueEntry)."""
    return and_(Equipment.use_status == "in_use", Equipment.jurisdiction == "market",
                CatalogueEntry.kind_code.notin_(EXCLUDED_KINDS))


def is_covered(equipment: Equipment) -> bool:
    """The same rule for one loaded device."""
    return (equipment.use_status == "in_use" and equipment.jurisdiction == "market"
            and equipment.catalogue.kind_code not in EXCLUDED_KINDS)
