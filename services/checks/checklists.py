"""The 安全风险管控清单: the items a 安全员 checks every day (Order 74, 日管控).

The platform ships a default list per equipment kind (and for 2300 气瓶充装), loaded with
migration 0005 with no unit; a unit adapts its own copy. The list for a device is the one
for its catalogue category (e.g. 2300 for cylinders) if such a list exists, the unit's own
before the platform's, else the one for its kind (first character + "000").
"""
from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import or_, select

from core import audit
from core.auth import Identity
from core.errors import Forbidden, InvalidInput, NotFound
from core.extensions import db
from models.checks import PRODUCTION_CODE, Checklist
from models.equipment import CatalogueEntry, Equipment
from models.orgs import Unit

MANAGER_ROLES = ("unit_admin", "principal", "safety_director")
CHECKLIST_UNIT_KINDS = ("use", "filling")
# Order 73: a production unit keeps one production-quality list (kind_code PROD, see `production`).
PRODUCTION_MANAGER_ROLES = ("unit_admin", "principal", "quality_safety_director")
MAX_ITEMS = 50
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def snapshot(checklist: Checklist) -> dict[str, Any]:
    return {"unit_id": checklist.unit_id, "kind_code": checklist.kind_code, "name": checklist.name,
            "items": checklist.items}


def category_code(catalogue_code: str) -> str:
    """The 类别 of a catalogue code: its first two characters (2310 → 2300, 4D00 → 4D00)."""
    return catalogue_code[:2].upper() + "00"


def kind_code_of(catalogue_code: str) -> str:
    """The 种类 of a catalogue code: its first character + "000" (3110 → 3000)."""
    return catalogue_code[:1].upper() + "000"


def candidate_codes(catalogue_code: str) -> list[str]:
    """The list codes that may apply to a device, most specific first."""
    return list(dict.fromkeys((category_code(catalogue_code), kind_code_of(catalogue_code))))


def _lookup(unit_id: int | None, codes: list[str]) -> dict[tuple[int | None, str], Checklist]:
    owner = Checklist.unit_id.is_(None) if unit_id is None else or_(Checklist.unit_id.is_(None),
                                                                    Checklist.unit_id == unit_id)
    rows = db.session.scalars(select(Checklist).where(owner, Checklist.kind_code.in_(codes)))
    return {(c.unit_id, c.kind_code): c for c in rows}


def effective(unit_id: int | None, code: str) -> Checklist | None:
    """The unit's own list for `code`, else the platform default, else None."""
    found = _lookup(unit_id, [code.upper()])
    return found.get((unit_id, code.upper())) or found.get((None, code.upper()))


def for_catalogue_code(unit_id: int | None, catalogue_code: str) -> Checklist | None:
    """The list a device of `catalogue_code` in `unit_id` is checked against."""
    return for_many(unit_id, {catalogue_code})[catalogue_code]


def for_equipment(equipment: Equipment) -> Checklist | None:
    return for_catalogue_code(equipment.use_unit_id, equipment.catalogue_code)


def for_many(unit_id: int, catalogue_codes: set[str]) -> dict[str, Checklist | None]:
    """The list per catalogue code, for a page of devices (one query)."""
    codes = sorted({c for cat in catalogue_codes for c in candidate_codes(cat)})
    found = _lookup(unit_id, codes)

    def pick(cat: str) -> Checklist | None:
        for code in candidate_codes(cat):
            checklist = found.get((unit_id, code)) or found.get((None, code))
            if checklist is not None:
                return checklist
        return None

    return {cat: pick(cat) for cat in catalogue_codes}


def require_checklist(unit_id: int | None, code: str) -> Checklist:
    checklist = effective(unit_id, code)
    if checklist is None:
        raise NotFound("该设备种类暂无安全风险管控清单。", code="checklist_not_found")
    return checklist


def _is_production(unit_id: int | None) -> bool:
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    return unit is not None and unit.kind == "production"


def list_effective(unit_id: int | None) -> list[Checklist]:
    """Every list that applies to the unit: its own, and the defaults it has not adapted
    (a production unit: its production-quality list; any other unit: the equipment lists)."""
    production = _is_production(unit_id)
    codes = [c for c in db.session.scalars(select(Checklist.kind_code).distinct())
             if (c == PRODUCTION_CODE) == production]
    found = _lookup(unit_id, codes)
    by_code: dict[str, Checklist] = {}
    for (owner, code), checklist in found.items():
        if owner is not None or code not in by_code:
            by_code[code] = checklist
    return [by_code[c] for c in sorted(by_code)]


def require_manager(identity: Identity, unit: Unit) -> None:
    """The unit's admin, principal or 安全总监, of an approved use or filling unit; of a
    production unit, its admin, principal or 质量安全总监."""
    if unit.kind == "production":
        if (identity.unit_id != unit.id or identity.unit_status != "approved"
                or not identity.has_role(*PRODUCTION_MANAGER_ROLES)):
            raise Forbidden("只有生产单位的管理员、主要负责人或质量安全总监可以调整质量安全风险管控清单。",
                            code="not_checklist_manager")
        return
    if (identity.unit_id != unit.id or identity.unit_status != "approved"
            or unit.kind not in CHECKLIST_UNIT_KINDS or not identity.has_role(*MANAGER_ROLES)):
        raise Forbidden("只有使用单位的管理员、主要负责人或安全总监可以调整安全风险管控清单。",
                        code="not_checklist_manager")


def _require_list_code(code: str) -> str:
    """A catalogue kind or category a list can be kept for (e.g. 3000, 2300)."""
    entry = db.session.get(CatalogueEntry, code.strip().upper())
    if entry is None or entry.level not in ("kind", "category") or entry.retired:
        raise InvalidInput.field("kind_code", "请选择《特种设备目录》中的设备种类或类别。", code="kind_code_invalid")
    return entry.code


def _clean_items(items: list[dict], previous: list[dict]) -> list[dict]:
    """Trim the texts, keep given keys, reuse the key of an unchanged text, generate the rest."""
    if not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput.field("items", f"清单应有 1 到 {MAX_ITEMS} 项。", code="checklist_items_count")
    by_text = {i["text"]: i["key"] for i in previous}
    given = [i.get("key") for i in items if i.get("key")]
    if len(given) != len(set(given)):
        raise InvalidInput.field("items", "清单项的编号重复。", code="checklist_key_duplicate")
    used = set(given)
    cleaned = []
    for item in items:
        text = item["text"].strip()
        if not text:
            raise InvalidInput.field("items", "清单项内容不能为空。", code="checklist_text_required")
        key = item.get("key") or by_text.get(text)
        if key is None or (key in used and not item.get("key")):
            key = "u" + secrets.token_hex(4)
        if not KEY_PATTERN.match(key):
            raise InvalidInput.field("items", "清单项编号只能由字母、数字、_ 和 - 组成，且不超过 32 位。",
                                     code="checklist_key_invalid")
        used.add(key)
        cleaned.append({"key": key, "text": text})
    return cleaned


def save_unit_checklist(identity: Identity, unit: Unit, code: str, items: list[dict],
                        name: str | None = None) -> Checklist:
    """A unit adapts its own list for a kind or category (Order 74: the unit draws up its 清单).

    Raises Forbidden (not a manager of the unit) and InvalidInput (code, item count, keys).
    """
    require_manager(identity, unit)
    if unit.kind == "production" or code.strip().upper() == PRODUCTION_CODE:
        if unit.kind != "production" or code.strip().upper() != PRODUCTION_CODE:
            raise InvalidInput.field("kind_code", "生产单位只维护生产质量安全风险管控清单（PROD）。",
                                     code="kind_code_invalid")
        code = PRODUCTION_CODE
    else:
        code = _require_list_code(code)
    own = db.session.scalar(select(Checklist).where(Checklist.unit_id == unit.id, Checklist.kind_code == code))
    base = own or effective(None, code)
    cleaned = _clean_items(items, (base.items if base else []))
    before = snapshot(own) if own else None
    if own is None:
        entry = db.session.get(CatalogueEntry, code)
        default_name = base.name if base else f"{entry.name}安全风险管控清单"
        own = Checklist(unit_id=unit.id, kind_code=code, name=name or default_name, items=cleaned)
        db.session.add(own)
    else:
        own.items = cleaned
        if name:
            own.name = name
    db.session.flush()
    audit.record(identity.audit_context(), "checklist.save", "checklist", own.id, before, snapshot(own))
    return own

