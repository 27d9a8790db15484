"""Spreadsheets handed out keep what users typed as text, never as a formula."""
import io

from openpyxl import Workbook, load_workbook

from core import xlsx


def test_a_note_that_looks_like_a_formula_stays_text_in_an_ordinary_sheet():
    workbook = Workbook()
    workbook.active.append(["备注", "=1+1"])
    cell = load_workbook(io.BytesIO(xlsx.to_bytes(workbook))).active["B1"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_a_note_that_looks_like_a_formula_stays_text_in_a_streamed_sheet():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    xlsx.append_row(sheet, ["备注", "=1+1", 3])
    cells = list(load_workbook(io.BytesIO(xlsx.to_bytes(workbook))).active.iter_rows())[0]
    assert [(c.value, c.data_type) for c in cells] == [("备注", "s"), ("=1+1", "s"), (3, "n")]
