"""Equipment lists as .xlsx, written row by row (openpyxl write-only) with a row cap.

The export is a filled-in import template: the template's columns first, with the same headers,
in the same order, on the same data sheet, each value in the form the importer reads (codes as
text, dates, status labels, 是/否), so a list can be exported, corrected and imported back. A few
read-only columns follow (the importer ignores headers it does not know).
"""
from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from core import xlsx
from core.errors import RuleViolation
from core.extensions import db
from models.equipment import REGISTRATION_STATUSES, USE_STATUSES, Equipment
from services.equipment import import_template
from services.equipment.import_template import NO, YES
from services.equipment.records import inspection_state

INSPECTION_STATES = {"in_date": "在有效期内", "due_soon": "即将到期", "overdue": "已超期", "unknown": "未知"}

# Template column key -> the value of a record, as the importer reads it.
TEMPLATE_VALUES: dict[str, Callable[[Equipment], Any]] = {
    "catalogue_code": lambda e: e.catalogue_code,
    "equipment_code": lambda e: e.equipment_code,
    "legacy_reg_code": lambda e: e.legacy_reg_code,
    "registration_cert_no": lambda e: e.registration_cert_no,
    "product_name": lambda e: e.product_name,
    "model_spec": lambda e: e.model_spec,
    "manufacturer_name": lambda e: e.manufacturer_name,
    "product_serial_no": lambda e: e.product_serial_no,
    "use_unit_uscc": lambda e: e.use_unit.uscc if e.use_unit else None,
    "use_unit_name": lambda e: e.use_unit.name if e.use_unit else e.legacy_use_unit_name,
    "address": lambda e: e.address,
    "region_code": lambda e: e.region_code,
    "public_place": lambda e: YES if e.public_place else NO,
    "use_status": lambda e: USE_STATUSES.get(e.use_status),
    "registration_status": lambda e: REGISTRATION_STATUSES.get(e.registration_status),
    "put_into_use_date": lambda e: e.put_into_use_date,
    "manufacture_date": lambda e: e.manufacture_date,
    "last_inspection_date": lambda e: e.last_inspection_date,
    "last_inspection_conclusion": lambda e: e.last_inspection_conclusion,
    "next_due_date": lambda e: e.next_due_date,
    "next_due_type": lambda e: e.next_due_type,
}
# Shown for reading only, after the template's columns.
EXTRA_COLUMNS: tuple[tuple[str, Callable[[Equipment], Any]], ...] = (
    ("设备类别名称", lambda e: e.catalogue.name),
    ("维保单位", lambda e: e.maintenance_unit.name if e.maintenance_unit else None),
    ("检验状态", lambda e: INSPECTION_STATES[inspection_state(e)]),
)
COLUMNS: tuple[tuple[str, Callable[[Equipment], Any]], ...] = tuple(
    (import_template.header_text(c), TEMPLATE_VALUES[c.key]) for c in import_template.COLUMNS) + EXTRA_COLUMNS


def equipment_xlsx(stmt: Select) -> io.BytesIO:
    """Write the statement's equipment to a workbook laid out as the import template; refuse past
    EXPORT_MAX_ROWS."""
    limit = current_app.config["EXPORT_MAX_ROWS"]
    stmt = stmt.options(joinedload(Equipment.use_unit), joinedload(Equipment.maintenance_unit))
    records = db.session.scalars(stmt.limit(limit + 1).execution_options(yield_per=1000))

    def rows() -> Iterator[list[Any]]:
        for count, equipment in enumerate(records, start=1):
            if count > limit:
                raise RuleViolation(f"一次最多导出 {limit} 条，请缩小筛选范围。", code="export_too_large")
            yield [value(equipment) for _, value in COLUMNS]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(import_template.DATA_SHEET)
    xlsx.write_table(sheet, [title for title, _ in COLUMNS], rows(),
                     fonts=import_template.header_fonts() + (None,) * len(EXTRA_COLUMNS),
                     formats=[xlsx.TEXT_FORMAT if c.text else None for c in import_template.COLUMNS])
    return io.BytesIO(xlsx.to_bytes(workbook))
