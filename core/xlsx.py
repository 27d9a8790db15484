"""Spreadsheets the platform hands out (.xlsx): one look for every table, and what users typed stays text.

Every table sheet looks the same (`style_table` for ordinary sheets, `write_table` for streamed,
write-only ones): a bold header on a fill with borders, the header row frozen, an autofilter over the
data, and column widths from the header and the content (a CJK character counts double; capped).
A streamed sheet is written row by row and cannot be revisited, so `write_table` measures the first
`WIDTH_SAMPLE` rows before writing anything; memory stays flat however many rows follow.

openpyxl stores any text starting with "=" as a formula, which the reader's spreadsheet would run:
a user's note "=HYPERLINK(...)" must stay a note. The platform writes no formulas of its own, so
every such cell is written as text: `to_bytes` fixes a workbook's sheets before saving, and a
write-only (streamed) sheet gets its rows through `append_row`.
Control characters, which openpyxl refuses, never get in: input schemas refuse them.
"""
from __future__ import annotations

import io
import unicodedata
from copy import copy
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="9BB7D4")
HEADER_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
TITLE_FONT = Font(bold=True, size=14)
WRAP = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
MIN_WIDTH, MAX_WIDTH = 8, 50
WIDTH_SAMPLE = 200  # rows of a streamed table measured for its column widths


def text_width(value: Any) -> int:
    """How many character cells the value takes in a spreadsheet column: wide (CJK) characters count 2."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    text = str(value)
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def column_widths(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> list[float]:
    """Widths for the columns: the widest of header and cells plus a margin, between MIN_WIDTH and MAX_WIDTH."""
    widths = [text_width(value) for value in header]
    for row in rows:
        for index, value in enumerate(row):
            if index < len(widths):
                widths[index] = max(widths[index], text_width(value))
    return [float(min(max(width + 2, MIN_WIDTH), MAX_WIDTH)) for width in widths]


def _style_header_cell(cell: Any, font: Font | None = None) -> None:
    cell.font = font or HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = HEADER_BORDER
    cell.alignment = HEADER_ALIGNMENT


def style_header(cells: Iterable[Any], fonts: Sequence[Font | None] | None = None) -> None:
    """Give header cells the platform's look (bold on a fill, bordered, centred, wrapped)."""
    for index, cell in enumerate(cells):
        _style_header_cell(cell, fonts[index] if fonts and index < len(fonts) else None)


def style_table(sheet: Worksheet, header_row: int = 1, widths: Sequence[float] | None = None,
                fonts: Sequence[Font | None] | None = None) -> None:
    """Give an ordinary sheet's table (header at `header_row`, data below it to the last row) the
    platform's look: styled header, panes frozen below it, autofilter, widths (measured unless given).
    `fonts` overrides the header font per column (e.g. required columns of a template)."""
    last_column = max(sheet.max_column, 1)
    header = [sheet.cell(header_row, column) for column in range(1, last_column + 1)]
    style_header(header, fonts)
    if widths is None:
        body = sheet.iter_rows(min_row=header_row + 1, max_col=last_column, values_only=True)
        widths = column_widths([c.value for c in header], body)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    last_row = max(sheet.max_row, header_row)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(last_column)}{last_row}"


def style_cover(sheet: Worksheet, widths: Sequence[float] = (34, 60)) -> None:
    """A sheet of notes (title in A1, then label / value lines): title font, wrapped text, widths."""
    sheet["A1"].font = TITLE_FONT
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.alignment.horizontal is None:  # header cells keep their centring
                cell.alignment = WRAP
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _text_safe(sheet: WriteOnlyWorksheet, value: Any, style: Any = None) -> Any:
    """The value, or a cell where it needs one: formula-like text kept as text, a date shown as a date,
    a column's style (a StyleArray made once by `_column_styles`) copied on."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
    elif style is not None:
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, date) and not isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    else:
        return value
    if style is not None:
        cell._style = copy(style)
    return cell


def _column_styles(sheet: WriteOnlyWorksheet, formats: Sequence[str | None] | None) -> list[Any]:
    styles = []
    for number_format in formats or ():
        if number_format is None:
            styles.append(None)
            continue
        cell = WriteOnlyCell(sheet)
        cell.number_format = number_format
        styles.append(cell._style)
    return styles


def append_row(sheet: WriteOnlyWorksheet, values: Iterable[Any], styles: Sequence[Any] = ()) -> None:
    """Append a row to a write-only sheet, text that looks like a formula kept as text (`styles`: see
    `write_table`'s formats)."""
    if not styles:
        sheet.append([_text_safe(sheet, value) for value in values])
        return
    sheet.append([_text_safe(sheet, value, styles[index] if index < len(styles) else None)
                  for index, value in enumerate(values)])


def write_table(sheet: WriteOnlyWorksheet, header: Sequence[str], rows: Iterable[Sequence[Any]],
                widths: Sequence[float | None] | None = None,
                fonts: Sequence[Font | None] | None = None, formats: Sequence[str | None] | None = None) -> int:
    """Stream a table into a write-only sheet with the platform's look (see `style_table`);
    widths are measured on the first WIDTH_SAMPLE rows where not given, `formats` are per-column
    number formats (e.g. TEXT_FORMAT for codes, so a code retyped in Excel stays text). Returns the rows
    written."""
    rows = iter(rows)
    sample = list(islice(rows, WIDTH_SAMPLE))
    measured = column_widths(header, sample)
    for index, width in enumerate(measured, start=1):
        given = widths[index - 1] if widths and index <= len(widths) else None
        sheet.column_dimensions[get_column_letter(index)].width = given or width
    sheet.freeze_panes = "A2"
    cells = []
    for index, title in enumerate(header):
        cell = WriteOnlyCell(sheet, value=title)
        _style_header_cell(cell, fonts[index] if fonts and index < len(fonts) else None)
        cells.append(cell)
    sheet.append(cells)
    count, styles = 0, _column_styles(sheet, formats)
    for row in sample:
        append_row(sheet, row, styles)
        count += 1
    for row in rows:
        append_row(sheet, row, styles)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{count + 1}"
    return count


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
