"""What the platform takes in (陕西省 2024 notice, 陕市监发〔2024〕454号; domain.md §10).

Lifecycle business and inspection cover all special equipment except 公用管道 (8200) and 长输管道
(8100); lifecycle business covers the whole province except Xi'an's elevators, which Xi'an's own
system keeps. All three are settings: LIFECYCLE_EXCLUDED_CATEGORIES, INSPECTION_EXCLUDED_CATEGORIES
(catalogue codes; a 种类 or 类别 covers the codes under it) and LIFECYCLE_EXCLUDED_REGION_KINDS
(region -> codes, the region's whole subtree). A refusal is a 422 naming the reason.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from core.errors import InvalidInput
from models.equipment import Equipment
from services.equipment import catalogue
from services.orgs import regions

NOTICE = "陕市监发〔2024〕454号"


def covers(excluded: str, code: str | None) -> bool:
    """An excluded catalogue code covers itself and the codes under it (8200 covers 8210, 8220)."""
    if not code:
        return False
    stem = excluded.upper().rstrip("0")
    return code.upper().startswith(stem) if stem else False


def _excluded_code(codes: Iterable[str], code: str | None) -> str | None:
    return next((excluded for excluded in codes if covers(excluded, code)), None)


def _name(code: str) -> str:
    entry = catalogue.get_entry(code)
    return entry.name if entry else code


def require_lifecycle_scope(eq: Equipment, region_codes: Iterable[str | None] = ()) -> None:
    """Refuse lifecycle business (使用登记, 变更登记, 停用, 注销, 维保备案 …) on a device the platform
    does not take: an excluded category anywhere, or an excluded kind in an excluded region (where
    the device stands, or any region the business names, e.g. where it is moved to).
    Raises InvalidInput (422 `lifecycle_out_of_scope`)."""
    cfg = current_app.config
    excluded = _excluded_code(cfg["LIFECYCLE_EXCLUDED_CATEGORIES"], eq.catalogue_code)
    if excluded:
        raise InvalidInput(f"「{_name(excluded)}」的使用登记等全生命周期业务不在本平台办理（{NOTICE}），"
                           "请按原渠道办理。", code="lifecycle_out_of_scope",
                           details={"reason": "excluded_category", "catalogue_code": excluded})
    for region_code in dict.fromkeys([eq.region_code, *region_codes]):
        if not region_code:
            continue
        path = regions.get_region(region_code).path.split("/")
        for root, codes in cfg["LIFECYCLE_EXCLUDED_REGION_KINDS"].items():
            excluded = _excluded_code(codes, eq.catalogue_code) if root in path else None
            if excluded:
                raise InvalidInput(f"{regions.get_region(root).name}{_name(excluded)}的使用登记等全生命周期业务在"
                                   f"{regions.get_region(root).name}平台办理，本平台不受理（{NOTICE}）。",
                                   code="lifecycle_out_of_scope",
                                   details={"reason": "excluded_region", "region_code": root,
                                            "catalogue_code": excluded})


def inspection_excluded(code: str | None) -> str | None:
    """The excluded category (INSPECTION_EXCLUDED_CATEGORIES: 公用管道, 长输管道) covering `code`, if any."""
    return _excluded_code(current_app.config["INSPECTION_EXCLUDED_CATEGORIES"], code)


def require_inspection_scope(eq: Equipment) -> None:
    """Refuse an inspection application for an excluded category (422 `inspection_out_of_scope`)."""
    excluded = inspection_excluded(eq.catalogue_code)
    if excluded:
        raise InvalidInput(f"「{_name(excluded)}」的检验不在本平台办理（{NOTICE}），请直接联系检验机构。",
                           code="inspection_out_of_scope",
                           details={"reason": "excluded_category", "catalogue_code": excluded})
