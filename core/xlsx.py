"""Spreadsheets the platform hands out (.xlsx): what users typed stays text.

openpyxl stores any text starting with "=" as a formula, which the reader's spreadsheet would run:
a user's note "=HYPERLINK(...)" must stay a note. The platform writes no formulas of its own, so
every such cell is written as text: `to_bytes` fixes a workbook's sheets before saving, and a
write-only (streamed) sheet, which cannot be revisited, gets its rows through `append_row`.
Control characters, which openpyxl refuses, never get in: input schemas refuse them.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


def _formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def append_row(sheet: WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append a row to a write-only sheet, text that looks like a formula kept as text."""
    row = []
    for value in values:
        if _formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        row.append(value)
    sheet.append(row)


def to_bytes(workbook: Workbook) -> bytes:
    """The workbook as .xlsx bytes, every formula cell of its (ordinary) sheets turned into text."""
    if not workbook.write_only:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
