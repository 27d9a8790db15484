"""The .xlsx template for importing historical equipment (「历史设备」导入): its columns, the
header row a file must carry, and the downloadable workbook with its drop-downs.

Columns are found by their Chinese header, not their position, so a user may reorder
or drop optional columns. A leading `*` marks a required column and `△` the pair of
which one must be filled (设备代码 / 注册代码); both marks are ignored when reading.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask import current_app
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core import xlsx
from core.errors import InvalidInput
from models.equipment import DUE_TYPES, REGISTRATION_STATUSES, USE_STATUSES
from services.equipment import catalogue
from services.orgs import regions

DATA_SHEET = "设备清单"
HELP_SHEET = "填写说明"
LISTS_SHEET = "代码表"
REQUIRED_MARK = "*"
EITHER_MARK = "△"
YES, NO = "是", "否"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    note: str
    required: bool = False
    either: bool = False  # one of the 「△」 columns must be filled
    width: int = 16
    text: bool = False  # kept as text in Excel (long codes would lose digits as numbers)
    date: bool = False
    choices: str | None = None  # which list of the 代码表 sheet feeds its drop-down


COLUMNS: tuple[Column, ...] = (
    Column("catalogue_code", "设备类别代码", "《特种设备目录》的类别或品种代码，可从下拉框选择，如 3110；"
           "已移出目录的旧代码（如 4B00）可以导入，但会被标注。", required=True, width=26, text=True,
           choices="catalogue"),
    Column("equipment_code", "设备代码", "18 位（制造单位编制）或 19 位（登记机关编制）设备代码。", either=True,
           width=24, text=True),
    Column("legacy_reg_code", "注册代码", "旧的 20 位注册代码。设备代码与注册代码至少填写一项。", either=True,
           width=24, text=True),
    Column("registration_cert_no", "使用登记证编号", "如 梯11陕A00001(17)。", width=20, text=True),
    Column("product_name", "产品名称", "如 曳引驱动乘客电梯。", width=20),
    Column("model_spec", "规格型号", "", width=14),
    Column("manufacturer_name", "制造单位", "", width=24),
    Column("product_serial_no", "出厂编号", "", width=16, text=True),
    Column("use_unit_uscc", "使用单位统一社会信用代码", "使用单位自行导入时可留空（即本单位）；监管部门导入时，"
           "平台上已注册的单位将直接关联，未注册的单位请同时填写使用单位名称，设备可由其日后认领。",
           width=24, text=True),
    Column("use_unit_name", "使用单位名称", "", width=26),
    Column("address", "设备地点", "设备所在的详细地址。", required=True, width=30),
    Column("region_code", "行政区划代码", "设备所在县（区）的 6 位行政区划代码，可从下拉框选择。", required=True,
           width=20, text=True, choices="regions"),
    Column("public_place", "是否公众聚集场所", "是 / 否，留空视为否。", width=10, choices="yes_no"),
    Column("use_status", "使用状态", "从下拉框选择，如 在用。", required=True, width=14, choices="use_statuses"),
    Column("registration_status", "注册状态", "从下拉框选择，如 在册。", required=True, width=12,
           choices="registration_statuses"),
    Column("put_into_use_date", "投入使用日期", "日期，如 2017-08-01。", width=14, date=True),
    Column("manufacture_date", "制造日期", "日期，如 2016-05-01。", width=14, date=True),
    Column("last_inspection_date", "上次检验日期", "日期。", width=14, date=True),
    Column("last_inspection_conclusion", "检验结论", "如 合格、符合要求。", width=12),
    Column("next_due_date", "下次检验日期", "日期。", width=14, date=True),
    Column("next_due_type", "检验类型", "下次检验的类型，从下拉框选择，如 定期检验。", width=12, choices="due_types"),
)
BY_KEY = {c.key: c for c in COLUMNS}
BY_HEADER = {c.header: c for c in COLUMNS}
HEADER_ROW = 1
FIRST_DATA_ROW = 2


def header_text(column: Column) -> str:
    """The header as written in the template, with its mark."""
    return (REQUIRED_MARK if column.required else EITHER_MARK if column.either else "") + column.header


def _clean_header(value: object) -> str:
    return "".join(str(value or "").split()).lstrip(REQUIRED_MARK + EITHER_MARK + "＊")


def map_headers(values: tuple) -> dict[str, int]:
    """Column key -> 0-based position, from a file's header row.

    Raises `InvalidInput` (import_template_mismatch) when a required column is
    missing or a header appears twice: the file is not (a copy of) the template.
    """
    positions: dict[str, int] = {}
    doubled = []
    for position, value in enumerate(values):
        column = BY_HEADER.get(_clean_header(value))
        if column is None:
            continue
        if column.key in positions:
            doubled.append(column.header)
        positions[column.key] = position
    missing = [c.header for c in COLUMNS if c.required and c.key not in positions]
    problems = []
    if missing:
        problems.append("缺少必填列：" + "、".join(missing))
    if doubled:
        problems.append("列重复：" + "、".join(doubled))
    if not any(c.key in positions for c in COLUMNS if c.either):
        problems.append("缺少「设备代码」或「注册代码」列")
    if problems:
        raise InvalidInput("文件的表头与导入模板不一致：" + "；".join(problems) + "。请下载最新模板填写。",
                           code="import_template_mismatch", details={"fields": {"file": problems}})
    return positions


def choice_lists() -> dict[str, list[str]]:
    """The drop-down values, by list name (catalogue codes with their names)."""
    entries = [e for e in catalogue.list_entries() if e.registrable and e.level != "kind"]
    return {
        "catalogue": [f"{e.code} {e.name}" for e in entries],
        "regions": [f"{r.code} {r.name}" for r in regions.list_regions()],
        "use_statuses": list(USE_STATUSES.values()),
        "registration_statuses": list(REGISTRATION_STATUSES.values()),
        "yes_no": [YES, NO],
        "due_types": list(DUE_TYPES),
    }


LIST_TITLES = {"catalogue": "设备类别代码", "regions": "行政区划代码", "use_statuses": "使用状态",
               "registration_statuses": "注册状态", "yes_no": "是否", "due_types": "检验类型"}

INSTRUCTIONS = (
    "1. 在「设备清单」工作表填写，每台设备一行，第 1 行表头不要修改；列的顺序可以调整，非必填列可以删除。",
    "2. 带 * 的列必须填写；带 △ 的「设备代码」「注册代码」至少填写一项，平台据此识别设备。",
    "3. 设备类别代码、行政区划代码、使用状态、注册状态、是否公众聚集场所、检验类型请从下拉框选择，"
    "可选值见「代码表」工作表。",
    "4. 代码类的列已设为文本格式，请勿改为数字，否则长代码末尾几位会丢失。",
    "5. 日期填写为 2017-08-01 这样的格式。",
    "6. 上传后平台先做试导入（校验），逐行列出错误（行号、列名、原因）和将新增、更新、不变的设备数；"
    "确认无误后再正式导入。任何一行有错误，整个文件都不会导入。",
    "7. 同一文件重复导入不会产生重复设备：已导入且内容相同的设备计为「不变」；留空的单元格不会清除平台上已有的信息。",
    "8. 已移出现行目录的旧类别代码（如 4B00）可以导入，会被标注提醒核实。",
)


def _lists_sheet(workbook: Workbook, lists: dict[str, list[str]]) -> dict[str, str]:
    """Write each list in its own column of the 代码表 sheet; list name -> range formula."""
    sheet = workbook.create_sheet(LISTS_SHEET)
    formulas = {}
    for index, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index, value=LIST_TITLES[name])
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
        formulas[name] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    xlsx.style_table(sheet, widths=[34 if name in ("catalogue", "regions") else 16 for name in lists])
    return formulas


REQUIRED_FONT = Font(bold=True, color="C00000")


def header_fonts() -> tuple[Font | None, ...]:
    """Each column's header font: required (and 「△」) columns in red, the others the platform's."""
    return tuple(REQUIRED_FONT if (c.required or c.either) else None for c in COLUMNS)


def _data_sheet(sheet, formulas: dict[str, str], last_row: int) -> None:
    sheet.title = DATA_SHEET
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=HEADER_ROW, column=index, value=header_text(column))
        if column.note:
            cell.comment = Comment(column.note, "平台")
        dimension = sheet.column_dimensions[letter]
        if column.text:
            dimension.number_format = "@"
        elif column.date:
            dimension.number_format = "yyyy-mm-dd"
        if column.choices:
            validation = DataValidation(type="list", formula1=formulas[column.choices], allow_blank=True,
                                        errorStyle="warning", showErrorMessage=True,
                                        errorTitle="不在可选范围内", error="请从下拉框选择；确需填写其他值可点“是”继续。")
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
            sheet.add_data_validation(validation)
    xlsx.style_table(sheet, HEADER_ROW, widths=[c.width for c in COLUMNS], fonts=header_fonts())
    sheet.row_dimensions[HEADER_ROW].height = 32


def _help_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(HELP_SHEET)
    sheet.append(["历史设备导入模板填写说明"])
    for line in INSTRUCTIONS:
        sheet.append([line])
    sheet.append([])
    sheet.append(["列名", "说明"])
    for column in COLUMNS:
        mark = "必填" if column.required else "与另一 △ 列至少填一项" if column.either else "选填"
        sheet.append([header_text(column), f"（{mark}）{column.note}"])
    xlsx.style_cover(sheet, widths=(26, 100))


def template_xlsx() -> io.BytesIO:
    """Build the import template: the data sheet with marked headers, comments, text and date
    formats and drop-downs fed by the 代码表 sheet (catalogue codes with names, regions,
    statuses by their Chinese labels, 是/否, inspection types), and the instructions."""
    workbook = Workbook()
    formulas = _lists_sheet(workbook, choice_lists())
    _data_sheet(workbook.active, formulas, current_app.config["IMPORT_MAX_ROWS"] + FIRST_DATA_ROW - 1)
    _help_sheet(workbook)
    workbook.move_sheet(HELP_SHEET, offset=-1)  # data, instructions, lists
    return io.BytesIO(xlsx.to_bytes(workbook))
