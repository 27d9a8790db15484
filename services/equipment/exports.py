"""Equipment lists as .xlsx, written row by row (openpyxl write-only) with a row cap."""
from __future__ import annotations

import io

from flask import current_app
from openpyxl import Workbook
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from core import xlsx
from core.errors import RuleViolation
from core.extensions import db
from models.equipment import REGISTRATION_STATUSES, USE_STATUSES, Equipment
from services.equipment.records import inspection_state

INSPECTION_STATES = {"in_date": "在有效期内", "due_soon": "即将到期", "overdue": "已超期", "unknown": "未知"}

COLUMNS = (
    ("设备类别代码", lambda e: e.catalogue_code),
    ("设备类别", lambda e: e.catalogue.name),
    ("设备代码", lambda e: e.equipment_code),
    ("注册代码", lambda e: e.legacy_reg_code),
    ("使用登记证编号", lambda e: e.registration_cert_no),
    ("产品名称", lambda e: e.product_name),
    ("使用单位", lambda e: e.use_unit.name if e.use_unit else e.legacy_use_unit_name),
    ("维保单位", lambda e: e.maintenance_unit.name if e.maintenance_unit else None),
    ("设备地点", lambda e: e.address),
    ("行政区划代码", lambda e: e.region_code),
    ("使用状态", lambda e: USE_STATUSES.get(e.use_status)),
    ("注册状态", lambda e: REGISTRATION_STATUSES.get(e.registration_status)),
    ("上次检验日期", lambda e: e.last_inspection_date),
    ("检验结论", lambda e: e.last_inspection_conclusion),
    ("下次检验日期", lambda e: e.next_due_date),
    ("检验类型", lambda e: e.next_due_type),
    ("检验状态", lambda e: INSPECTION_STATES[inspection_state(e)]),
)


def equipment_xlsx(stmt: Select) -> io.BytesIO:
    """Write the statement's equipment to a workbook; refuse past EXPORT_MAX_ROWS."""
    limit = current_app.config["EXPORT_MAX_ROWS"]
    stmt = stmt.options(joinedload(Equipment.use_unit), joinedload(Equipment.maintenance_unit))
    rows = db.session.scalars(stmt.limit(limit + 1).execution_options(yield_per=1000))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("设备台账")
    sheet.append([title for title, _ in COLUMNS])
    for count, equipment in enumerate(rows, start=1):
        if count > limit:
            raise RuleViolation(f"一次最多导出 {limit} 条，请缩小筛选范围。", code="export_too_large")
        xlsx.append_row(sheet, [value(equipment) for _, value in COLUMNS])
    return io.BytesIO(xlsx.to_bytes(workbook))
