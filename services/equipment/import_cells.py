"""Reading the cells of an import file: what openpyxl hands back (text, numbers, dates)
turned into the values of an equipment record, or a Chinese reason why not.

Excel turns what looks like a number into one: a 20-digit 注册代码 typed into a
General cell keeps only 15 significant digits, and 6E40 becomes 6×10⁴⁰. Codes are
therefore read as text; a long code stored as a floating-point number is refused
(its last digits are gone), a short catalogue code is recovered.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from flask import current_app
from openpyxl.utils.datetime import from_excel

from core.errors import InvalidInput
from models.equipment import DUE_TYPES, REGISTRATION_STATUSES, USE_STATUSES
from services.equipment import codes
from services.equipment.import_template import DATA_SHEET, FIRST_DATA_ROW, NO, YES
from services.equipment.import_workbook import Limits, Workbook

# Legacy numeric codes of EQP_USE_STA / EQP_REG_STA (domain.md §2.5), accepted besides the labels.
LEGACY_USE_CODES = dict(zip("123456789", USE_STATUSES))
LEGACY_REGISTRATION_CODES = {"0": "unregistered", "1": "registered", "3": "cancelled"}
_FULL_TO_HALF = str.maketrans("（）　", "() ")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
EXCEL_SERIAL_MAX = 2958465  # 9999-12-31


class CellError(ValueError):
    """A cell that cannot be read; `code` is stable, the message is for the user."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# -- the workbook ---------------------------------------------------------------------

@contextmanager
def open_sheet(data: bytes) -> Iterator[Workbook]:
    """The uploaded workbook, its data sheet ready to stream (`import_workbook`), closed afterwards.

    The file is refused before anything of it is read when it would be too large once
    uncompressed (the import limits in the settings). Files saved by Excel or WPS carry
    extensions openpyxl does not read and warns about; those warnings say nothing about
    the data, so they are silenced while it reads the workbook's small parts.
    """
    limits = Limits.from_config(current_app.config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = Workbook(data, limits, DATA_SHEET)
        except InvalidInput:
            raise
        except Exception as exc:  # openpyxl and zipfile raise many kinds for a damaged file
            raise InvalidInput("无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏。", code="import_file_unreadable",
                               details={"fields": {"file": ["文件无法读取。"]}}) from exc
    try:
        yield workbook
    finally:
        workbook.close()


def header_values(sheet: Workbook) -> tuple:
    """The header row (row 1), up to IMPORT_MAX_COLUMNS columns."""
    width = sheet.limits.columns
    for number, values in _guarded(sheet.rows(width)):
        if number > 1:
            break
        if number == 1:
            return tuple(values.get(position) for position in range(width))
    return ()


def count_data_rows(sheet: Workbook, positions: dict[str, int]) -> int:
    """Rows below the header that hold a value in a column of the template (streamed once)."""
    return sum(1 for _ in iter_rows(sheet, positions))


def iter_rows(sheet: Workbook, positions: dict[str, int]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(Excel row number, {column key: raw value}) for every row below the header that
    holds anything; blank rows are skipped, columns the template does not have are not read."""
    width = max(positions.values(), default=-1) + 1
    for number, values in _guarded(sheet.rows(width)):
        if number < FIRST_DATA_ROW:
            continue
        raw = {}
        for key, position in positions.items():
            value = values.get(position)
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
            if value is not None:
                raw[key] = value
        if raw:
            yield number, raw


def _guarded(rows: Iterator[tuple[int, dict[int, Any]]]) -> Iterator[tuple[int, dict[int, Any]]]:
    try:
        yield from rows
    except InvalidInput:
        raise
    except Exception as exc:  # a damaged sheet fails somewhere inside the parser
        raise InvalidInput("读取 Excel 文件时出错，文件可能已损坏，请另存为 .xlsx 后重试。", code="import_file_unreadable",
                           details={"fields": {"file": ["文件无法读取。"]}}) from exc


# -- cells ------------------------------------------------------------------------------

def text(value: Any, max_length: int) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = " ".join(str(value).split())
    if len(result) > max_length:
        raise CellError("too_long", f"内容过长，不能超过 {max_length} 个字。")
    return result


def long_code(value: Any) -> str:
    """A code of many characters (设备代码, 注册代码, 统一社会信用代码) as upper-case text."""
    if isinstance(value, float):
        raise CellError("stored_as_number", "该单元格被 Excel 存成了数字，长代码末尾几位已丢失；"
                                            "请把该列设为文本格式后重新填写。")
    if isinstance(value, (datetime, date)):
        raise CellError("not_a_code", "应为代码，不是日期。")
    return "".join(str(value).split()).upper()


def catalogue_code(value: Any) -> str:
    """The 4-character catalogue code; a drop-down value 「3110 曳引驱动乘客电梯」 gives 3110."""
    if isinstance(value, float):
        if value.is_integer() and value < 10000:
            value = int(value)
        else:  # 6E40 typed into a General cell
            mantissa, _, exponent = f"{value:.0E}".partition("E")
            value = f"{mantissa}E{int(exponent)}"
    code = str(value).strip().split()[0].upper() if str(value).strip() else ""
    if not re.fullmatch(r"[0-9A-Z]{4}", code):
        raise CellError("catalogue_code_invalid", "设备类别代码应为 4 位字母或数字，如 3110、4D00。")
    return code


def region_code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    code = str(value).strip().split()[0] if str(value).strip() else ""
    if not re.fullmatch(r"\d{6}", code):
        raise CellError("region_code_invalid", "行政区划代码应为 6 位数字，如 610113。")
    return code


def equipment_code(value: Any) -> str:
    code = long_code(value)
    if not codes.EQUIPMENT_CODE.match(code):
        raise CellError("equipment_code_invalid", "设备代码应为 18 到 20 位字母或数字。")
    return code


def legacy_reg_code(value: Any) -> str:
    code = long_code(value)
    if not codes.LEGACY_REG_CODE.match(code):
        raise CellError("legacy_reg_code_invalid", "注册代码应为 20 位字母或数字。")
    return code


def cert_no(value: Any) -> str:
    result = codes.clean_cert_no(text(value, 64))
    if len(result) > 32:
        raise CellError("too_long", "使用登记证编号不能超过 32 个字符。")
    return result


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().upper()
    if word in (YES, "Y", "YES", "1", "TRUE"):
        return True
    if word in (NO, "N", "NO", "0", "FALSE"):
        return False
    raise CellError("yes_no_invalid", f"应填写「{YES}」或「{NO}」。")


def _status(value: Any, labels: dict[str, str], legacy: dict[str, str], title: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    word = "".join(str(value).translate(_FULL_TO_HALF).split())
    for key, label in labels.items():
        if word in (key, "".join(label.translate(_FULL_TO_HALF).split())):
            return key
    if word in legacy:
        return legacy[word]
    raise CellError(f"{title}_invalid", "取值应为以下之一：" + "、".join(labels.values()) + "。")


def use_status(value: Any) -> str:
    return _status(value, USE_STATUSES, LEGACY_USE_CODES, "use_status")


def registration_status(value: Any) -> str:
    return _status(value, REGISTRATION_STATUSES, LEGACY_REGISTRATION_CODES, "registration_status")


def due_type(value: Any) -> str:
    word = "".join(str(value).split())
    if word not in DUE_TYPES:
        raise CellError("due_type_invalid", "取值应为以下之一：" + "、".join(DUE_TYPES) + "。")
    return word


def a_date(value: Any) -> date:
    """A date from a date cell, an Excel serial number, or text such as 2017-08-01."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, int) and 19000101 <= value <= 99991231:
            value = str(value)
        elif 1 <= value <= EXCEL_SERIAL_MAX:
            return from_excel(value).date()
    word = str(value).strip().split()[0] if str(value).strip() else ""
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(word, fmt).date()
        except ValueError:
            continue
        if parsed.year >= 1900:
            return parsed
    raise CellError("date_invalid", "日期格式不正确，应为 YYYY-MM-DD，如 2017-08-01。")


# Column key -> reader of a non-empty cell.
READERS = {
    "catalogue_code": catalogue_code,
    "equipment_code": equipment_code,
    "legacy_reg_code": legacy_reg_code,
    "registration_cert_no": cert_no,
    "product_name": lambda v: text(v, 128),
    "model_spec": lambda v: text(v, 128),
    "manufacturer_name": lambda v: text(v, 128),
    "product_serial_no": lambda v: text(v, 64),
    "use_unit_uscc": long_code,
    "use_unit_name": lambda v: text(v, 128),
    "address": lambda v: text(v, 256),
    "region_code": region_code,
    "public_place": yes_no,
    "use_status": use_status,
    "registration_status": registration_status,
    "put_into_use_date": a_date,
    "manufacture_date": a_date,
    "last_inspection_date": a_date,
    "last_inspection_conclusion": lambda v: text(v, 32),
    "next_due_date": a_date,
    "next_due_type": due_type,
}
