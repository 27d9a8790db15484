"""Overdue inspections per region: what regulators see of devices past a due date.

A device is overdue when one of its series (`equipment_due_dates`: 定期检验, 自行检测, 年度检查,
外部检验, 内部检验) is due before today while it is in use (法 §40: it may not be used). A regulator
sees the devices of its supervision subtree (or of a region within it), a use unit its own
devices; the summary counts them per child region of the region asked for and per series.
Filters: region, catalogue code (a kind, category or variety, with what is under it), series
and days overdue. Everything is a few GROUP BY queries over the series and the device, by the
indexes on `equipment_due_dates.due_date` and `equipment(region_code, next_due_date)`.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import selectinload

from core import xlsx
from core.auth import Identity
from core.errors import Forbidden, RuleViolation
from core.extensions import db
from core.pagination import Page, paginate
from models.equipment import Equipment
from models.inspection import DUE_SERIES, EquipmentDueDate
from models.orgs import Region
from services.equipment import records
from services.orgs import regions


@dataclass(frozen=True)
class OverdueFilter:
    """What the caller narrows to; `days_min` / `days_max`: days past the due date (inclusive)."""

    region_code: str | None = None
    category: str | None = None
    series: str | None = None
    days_min: int | None = None
    days_max: int | None = None


def _scope(identity: Identity, region_code: str | None) -> tuple[ColumnElement[bool], Region | None]:
    """(the devices the caller may see, the region a summary groups under or None for a unit).

    Raises Forbidden `region_out_of_scope` for a region outside a regulator's subtree, Forbidden
    `overdue_forbidden` for the public and machine callers without a unit.
    """
    if identity.is_regulator or identity.is_ops:
        scope = regions.statistics_scope(identity, region_code)
        return scope.clause(Equipment.region_code), scope.root
    if identity.acts_for_unit and identity.unit_id is not None:
        clause = Equipment.use_unit_id == identity.unit_id
        if region_code:
            clause = and_(clause, Equipment.region_code.in_(sorted(regions.subtree_codes(region_code))))
        return clause, None
    raise Forbidden("请先登录。", code="overdue_forbidden")


def _series_clause(today: date, wanted: OverdueFilter) -> ColumnElement[bool]:
    due = EquipmentDueDate.due_date
    clause = due < today
    if wanted.series:
        clause = and_(clause, EquipmentDueDate.series == wanted.series)
    if wanted.days_min is not None:
        clause = and_(clause, due <= today - timedelta(days=wanted.days_min))
    if wanted.days_max is not None:
        clause = and_(clause, due >= today - timedelta(days=wanted.days_max))
    return clause


def _where(identity: Identity, today: date, wanted: OverdueFilter) -> tuple[ColumnElement[bool], Region | None]:
    scope, root = _scope(identity, wanted.region_code)
    clause = and_(scope, Equipment.use_status == "in_use", _series_clause(today, wanted))
    if wanted.category:
        clause = and_(clause, Equipment.catalogue_code.in_(records.catalogue_codes_under(wanted.category)))
    return clause, root


def _from_series(*columns: Any) -> Select:
    return select(*columns).select_from(EquipmentDueDate).join(Equipment, Equipment.id == EquipmentDueDate.equipment_id)


def overdue_devices(identity: Identity, today: date, wanted: OverdueFilter, page: int = 1,
                    page_size: int | None = None) -> Page:
    """One page of overdue devices in the caller's scope, the longest overdue first; each item
    has the device and its overdue series ({series, label, due_date, days_overdue, last_date,
    last_conclusion}). Series rows are loaded for the page at once."""
    where, _ = _where(identity, today, wanted)
    first = (_from_series(EquipmentDueDate.equipment_id, func.min(EquipmentDueDate.due_date).label("first_due"))
             .where(where).group_by(EquipmentDueDate.equipment_id).subquery())
    stmt = (select(Equipment, first.c.first_due).join(first, first.c.equipment_id == Equipment.id)
            .options(selectinload(Equipment.use_unit)).order_by(first.c.first_due, Equipment.id))
    found = paginate(stmt, page, page_size, scalars=False)
    ids = [row[0].id for row in found.items]
    by_device: dict[int, list[dict[str, Any]]] = {}
    if ids:
        rows = db.session.scalars(select(EquipmentDueDate).where(EquipmentDueDate.equipment_id.in_(ids),
                                                                 _series_clause(today, wanted))
                                  .order_by(EquipmentDueDate.equipment_id, EquipmentDueDate.due_date))
        for row in rows:
            by_device.setdefault(row.equipment_id, []).append(_series_item(row, today))
    found.items = [{"equipment": equipment, "first_due_date": first_due, "days_overdue": (today - first_due).days,
                    "overdue_series": by_device.get(equipment.id, [])} for equipment, first_due in found.items]
    return found


def _series_item(row: EquipmentDueDate, today: date) -> dict[str, Any]:
    return {"series": row.series, "label": DUE_SERIES.get(row.series, row.series), "due_date": row.due_date,
            "days_overdue": (today - row.due_date).days, "last_date": row.last_date,
            "last_conclusion": row.last_conclusion}


def _child_key(root: Region):
    """The child of `root` (in supervision) a device's region lies under; `root` itself for devices
    registered at the root's own code."""
    return case((Region.path == root.path, root.code), else_=func.substr(Region.path, len(root.path) + 2, 6))


def summary(identity: Identity, today: date, wanted: OverdueFilter) -> dict[str, Any]:
    """Overdue devices per child region of the region asked for (default the viewer's own) and
    per series: every child listed, zeros included. Regulators only (a unit has its list).

    A device with two overdue series counts once in `devices` and once in each series.
    Raises Forbidden `overdue_summary_forbidden` for anyone but a regulator or ops staff.
    """
    if not (identity.is_regulator or identity.is_ops):
        raise Forbidden("只有监管部门可以查看超期未检统计。", code="overdue_summary_forbidden")
    where, root = _where(identity, today, wanted)
    key = _child_key(root).label("key")
    joined = lambda *cols: _from_series(*cols).join(Region, Region.code == Equipment.region_code)  # noqa: E731
    per_series = db.session.execute(joined(key, EquipmentDueDate.series, func.count()).where(where)
                                    .group_by(key, EquipmentDueDate.series)).all()
    per_region = dict(db.session.execute(joined(key, func.count(func.distinct(Equipment.id))).where(where)
                                         .group_by(key)).all())
    children = list(db.session.execute(select(Region.code, Region.name)
                                       .where(Region.supervision_parent_code == root.code).order_by(Region.code)))
    if root.code in per_region:  # devices registered at the region's own code
        children.insert(0, (root.code, f"{root.name}（本级）"))
    counts: dict[str, dict[str, int]] = {}
    for region_code, series, count in per_series:
        counts.setdefault(region_code, {})[series] = int(count)
    blank = {key: 0 for key in DUE_SERIES}
    rows = [{"region_code": code, "region_name": name, "devices": int(per_region.get(code, 0)),
             "by_series": {**blank, **counts.get(code, {})}} for code, name in children]
    total = {key: sum(row["by_series"][key] for row in rows) for key in DUE_SERIES}
    return {"region_code": root.code, "region_name": root.name, "today": today,
            "series_labels": dict(DUE_SERIES), "devices": sum(row["devices"] for row in rows),
            "by_series": total, "rows": rows}


EXPORT_HEADER = ("设备代码", "使用登记证编号", "设备类别", "使用单位", "设备地址", "行政区划", "超期项目", "到期日期",
                 "超期天数", "上次检验日期", "上次检验结论")


def export_xlsx(identity: Identity, today: date, wanted: OverdueFilter) -> io.BytesIO:
    """The overdue list as .xlsx, one row per overdue series, the longest overdue first; refused
    past EXPORT_MAX_ROWS (RuleViolation `export_too_large`)."""
    where, _ = _where(identity, today, wanted)
    limit = current_app.config["EXPORT_MAX_ROWS"]
    stmt = (select(EquipmentDueDate, Equipment).join(Equipment, Equipment.id == EquipmentDueDate.equipment_id)
            .where(where).options(selectinload(Equipment.use_unit), selectinload(Equipment.region))
            .order_by(EquipmentDueDate.due_date, Equipment.id, EquipmentDueDate.series).limit(limit + 1))
    found = db.session.execute(stmt.execution_options(yield_per=1000))

    def rows() -> Iterator[list[Any]]:
        for count, (due, equipment) in enumerate(found, start=1):
            if count > limit:
                raise RuleViolation(f"一次最多导出 {limit} 条，请缩小筛选范围。", code="export_too_large")
            unit = equipment.use_unit.name if equipment.use_unit else equipment.legacy_use_unit_name
            yield [equipment.equipment_code or equipment.legacy_reg_code, equipment.registration_cert_no,
                   equipment.catalogue.name, unit, equipment.address, equipment.region.name,
                   DUE_SERIES.get(due.series, due.series), due.due_date, (today - due.due_date).days,
                   due.last_date, due.last_conclusion]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("超期未检设备")
    xlsx.write_table(sheet, EXPORT_HEADER, rows(), formats=[xlsx.TEXT_FORMAT, xlsx.TEXT_FORMAT] + [None] * 5
                     + [xlsx.DATE_FORMAT, None, xlsx.DATE_FORMAT, None])
    return io.BytesIO(xlsx.to_bytes(workbook))
