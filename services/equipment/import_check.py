"""Checking an import file, pass 1: each row on its own.

`RowChecker` reads a row's cells and checks them against the catalogue, the
regions and the importer, from lookups loaded once (no query per row). Pass 2,
matching rows to the platform's records, is `import_plan`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.extensions import db
from core.idcodes import uscc_problem
from core.timeutil import business_today
from models.equipment import CatalogueEntry
from models.orgs import Region
from services.equipment import codes
from services.equipment.import_cells import READERS, CellError
from services.equipment.import_template import BY_KEY, COLUMNS

ISSUE_LIMIT = 1000  # errors and warnings kept per import; the totals are always exact
NOT_IN_FUTURE = ("manufacture_date", "put_into_use_date", "last_inspection_date")


@dataclass(frozen=True)
class Importer:
    """Who imports, as plain values (a job rebuilds it from the import's summary).

    A use unit imports its own equipment (`uscc` is its own code); a regulator
    imports records anywhere in `region_codes` (None: the whole province)."""

    unit_id: int
    person_id: int | None
    is_regulator: bool
    region_codes: frozenset[str] | None = None
    uscc: str | None = None
    client: str = "pc"

    def as_dict(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "person_id": self.person_id, "is_regulator": self.is_regulator,
                "region_codes": sorted(self.region_codes) if self.region_codes is not None else None,
                "uscc": self.uscc, "client": self.client}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Importer":
        codes_ = data.get("region_codes")
        return cls(data["unit_id"], data.get("person_id"), data["is_regulator"],
                   frozenset(codes_) if codes_ is not None else None, data.get("uscc"), data.get("client", "pc"))


@dataclass
class Report:
    """Errors and warnings by row and column, capped in storage, counted exactly."""

    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0

    def error(self, row: int, key: str, code: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ISSUE_LIMIT:
            self.errors.append({"row": row, "column": BY_KEY[key].header, "code": code, "message": message})

    def warn(self, row: int, key: str, code: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < ISSUE_LIMIT:
            self.warnings.append({"row": row, "column": BY_KEY[key].header, "code": code, "message": message})


@dataclass(slots=True)
class Row:
    """One data row: its Excel number, its values as equipment fields, its use unit as
    written, and (after pass 2) what importing it does."""

    number: int
    values: dict[str, Any]
    uscc: str | None
    unit_name: str | None
    ok: bool = True
    action: str = "error"
    equipment_id: int | None = None


class RowChecker:
    """Pass 1: each row on its own, against lookups loaded once."""

    def __init__(self, importer: Importer, report: Report) -> None:
        self.importer = importer
        self.report = report
        self.today = business_today()
        self.catalogue = {e.code: e for e in db.session.execute(select(
            CatalogueEntry.code, CatalogueEntry.name, CatalogueEntry.level, CatalogueEntry.registrable,
            CatalogueEntry.retired, CatalogueEntry.kind_code))}
        self.regions = set(db.session.scalars(select(Region.code)))

    def _error(self, row: Row, key: str, code: str, message: str) -> None:
        row.ok = False
        self.report.error(row.number, key, code, message)

    def check(self, number: int, raw: dict[str, Any]) -> Row:
        """Read and check one row's cells; problems go to the report by row and column."""
        values: dict[str, Any] = {}
        failed: set[str] = set()
        row = Row(number, values, None, None)
        for key, value in raw.items():
            try:
                values[key] = READERS[key](value)
            except CellError as problem:
                failed.add(key)
                self._error(row, key, problem.code, problem.message)
        for column in COLUMNS:
            if column.required and column.key not in values and column.key not in failed:
                self._error(row, column.key, "required", f"「{column.header}」为必填项。")
        if not failed.intersection(("equipment_code", "legacy_reg_code")) and not (
                values.get("equipment_code") or values.get("legacy_reg_code")):
            self._error(row, "equipment_code", "code_required", "设备代码与注册代码至少填写一项。")
        row.uscc = values.pop("use_unit_uscc", None)
        row.unit_name = values.pop("use_unit_name", None)
        self._catalogue(row)
        self._region(row)
        self._use_unit(row, "use_unit_uscc" in failed)
        self._dates(row)
        return row

    def _catalogue(self, row: Row) -> None:
        code = row.values.get("catalogue_code")
        if code is None:
            return
        entry = self.catalogue.get(code)
        if entry is None:
            self._error(row, "catalogue_code", "catalogue_code_unknown", f"设备类别代码 {code} 不在《特种设备目录》中。")
            return
        if entry.retired:
            self.report.warn(row.number, "catalogue_code", "catalogue_code_retired",
                             f"设备类别代码 {code} 已不在现行《特种设备目录》中，按原代码导入并标注，请核实类别。")
        elif entry.level == "kind" and entry.kind_code not in ("7000", "F000"):
            self._error(row, "catalogue_code", "catalogue_code_too_broad", "请填写具体的类别或品种代码，不能只填种类。")
            return
        elif not entry.registrable:
            self._error(row, "catalogue_code", "catalogue_code_not_registrable",
                        f"「{entry.code} {entry.name}」不作为在用设备登记。")
            return
        values = row.values
        for key, parts in (("equipment_code", (values.get("equipment_code"), None, None)),
                           ("legacy_reg_code", (None, values.get("legacy_reg_code"), None)),
                           ("registration_cert_no", (None, None, values.get("registration_cert_no")))):
            for message in codes.warnings_for(code, *parts, retired=False):
                self.report.warn(row.number, key, "code_format_warning", message)

    def _region(self, row: Row) -> None:
        code = row.values.get("region_code")
        if code is None:
            return
        if code not in self.regions:
            self._error(row, "region_code", "region_unknown", f"行政区划代码 {code} 不存在（应为陕西省的区划代码）。")
        elif self.importer.is_regulator and self.importer.region_codes is not None \
                and code not in self.importer.region_codes:
            self._error(row, "region_code", "region_out_of_scope", f"行政区划代码 {code} 不在本部门的监管范围内。")

    def _use_unit(self, row: Row, unreadable: bool) -> None:
        if row.uscc:
            problem = uscc_problem(row.uscc)
            if problem:
                self._error(row, "use_unit_uscc", "uscc_invalid", problem)
                row.uscc = None
                return
        if self.importer.is_regulator:
            if not row.uscc and not row.unit_name and not unreadable:
                self._error(row, "use_unit_name", "use_unit_required", "请填写使用单位统一社会信用代码或使用单位名称。")
        elif row.uscc and row.uscc != self.importer.uscc:
            self._error(row, "use_unit_uscc", "use_unit_not_own",
                        "只能导入本单位的设备：统一社会信用代码应为本单位的，或留空。")

    def _dates(self, row: Row) -> None:
        values = row.values
        for key in NOT_IN_FUTURE:
            if values.get(key) and values[key] > self.today:
                self._error(row, key, "date_in_future", f"「{BY_KEY[key].header}」不能晚于今天。")
        last, due = values.get("last_inspection_date"), values.get("next_due_date")
        if last and due and due < last:
            self._error(row, "next_due_date", "due_before_last_inspection", "下次检验日期不能早于上次检验日期。")
        made, used = values.get("manufacture_date"), values.get("put_into_use_date")
        if made and used and used < made:
            self.report.warn(row.number, "put_into_use_date", "put_into_use_before_manufacture",
                             "投入使用日期早于制造日期，请核对。")
        if values.get("registration_status") == "registered" and not values.get("registration_cert_no"):
            self.report.warn(row.number, "registration_cert_no", "cert_no_missing", "在册设备未填写使用登记证编号。")

