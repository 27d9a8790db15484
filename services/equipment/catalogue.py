"""The 2014 catalogue (domain.md §1): codes are CHAR(4) with letters; 7000 and F000
are not registrable; retired legacy codes are accepted on import and flagged."""
from __future__ import annotations

from sqlalchemy import select

from core.errors import InvalidInput
from core.extensions import db
from models.equipment import CatalogueEntry


def get_entry(code: str | None) -> CatalogueEntry | None:
    return db.session.get(CatalogueEntry, code.strip().upper()) if code else None


def require_registrable(code: str | None, field: str = "catalogue_code") -> CatalogueEntry:
    """A catalogue code that new equipment may carry: known, not retired, registrable."""
    entry = get_entry(code)
    if entry is None:
        raise InvalidInput.field(field, "设备类别代码不在《特种设备目录》中。", code="catalogue_code_unknown")
    if entry.level == "kind" and not entry.retired and entry.kind_code not in ("7000", "F000"):
        raise InvalidInput.field(field, "请选择具体的类别或品种，不能只选种类。", code="catalogue_code_too_broad")
    if entry.retired or not entry.registrable:
        raise InvalidInput.field(field, f"「{entry.code} {entry.name}」不能作为在用设备登记。",
                                 code="catalogue_code_not_registrable")
    return entry


def list_entries(include_retired: bool = False) -> list[CatalogueEntry]:
    stmt = select(CatalogueEntry).order_by(CatalogueEntry.code)
    if not include_retired:
        stmt = stmt.where(CatalogueEntry.retired.is_(False))
    return list(db.session.scalars(stmt))


def is_elevator(entry: CatalogueEntry) -> bool:
    return entry.kind_code == "3000"


def kind_name(entry: CatalogueEntry) -> str:
    kind = db.session.get(CatalogueEntry, entry.kind_code)
    return kind.name if kind else entry.name
