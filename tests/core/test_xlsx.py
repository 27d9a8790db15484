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


def test_widths_count_chinese_characters_double_and_are_capped():
    assert xlsx.text_width("设备代码") == 8 and xlsx.text_width("AB12") == 4
    assert xlsx.column_widths(["名称", "备注"], [["西安市雁塔区", "很" * 200]]) == [14.0, float(xlsx.MAX_WIDTH)]


def test_a_streamed_table_is_styled_measured_and_keeps_formula_like_text_as_text():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("清单")
    written = xlsx.write_table(sheet, ["编号", "设备地点"], iter([[1, "西安市雁塔区演示路 1 号"], [2, "=1+1"]]))
    assert written == 2
    sheet = load_workbook(io.BytesIO(xlsx.to_bytes(workbook)))["清单"]
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", "A1:B3")
    assert sheet["A1"].font.b and sheet["A1"].fill.fill_type == "solid"
    assert sheet.column_dimensions["B"].width == xlsx.text_width("西安市雁塔区演示路 1 号") + 2
    assert (sheet["B3"].value, sheet["B3"].data_type) == ("=1+1", "s")
