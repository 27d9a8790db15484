"""Reading an uploaded .xlsx within fixed bounds of memory and time.

An .xlsx is a zip of XML parts, and a small file can hold a huge one: 1 MB of
deflated blank cells is 1 GB of XML, 0.5 MB of repeated text is 200 MB of shared
strings. Nothing of a part is therefore read before the zip's directory has been
checked (`check_archive`: the uncompressed size of each part against the import
settings, and its compression ratio), and the parts that may be large are read as a
stream, never as a tree:

- the shared strings by expat, counted and capped (IMPORT_MAX_SHARED_STRINGS);
- the data sheet by expat, row by row, keeping only the cells of the columns the
  import reads; every row and cell element counts against IMPORT_MAX_CELLS, so a
  sheet's claimed dimension (untrusted) pads nothing, and blank cells cost time
  only up to that cap; a cell's text is kept up to Excel's own 32,767 characters.

openpyxl still reads the small parts (content types, workbook, relationships,
styles for the date formats), each one bounded by IMPORT_MAX_PART_BYTES.
Every refusal is an `InvalidInput` (422) with a stable code and a Chinese message.
"""
from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.constants import SHARED_STRINGS

from core.errors import InvalidInput

MB = 1024 * 1024
CHUNK = 64 * 1024
CELL_TEXT_MAX = 32767  # Excel's own limit on a cell's characters
RATIO_FLOOR = MB  # parts smaller than this are not judged by their compression ratio
XML_SUFFIXES = (".xml", ".rels", ".vml")
WORKSHEET_REL = "/worksheet"


@dataclass(frozen=True)
class Limits:
    """The bounds of one import file, from the settings."""

    sheet_bytes: int
    shared_strings_bytes: int
    part_bytes: int
    compression_ratio: int
    cells: int
    shared_strings: int
    parts: int
    columns: int

    @classmethod
    def from_config(cls, config: Any) -> "Limits":
        return cls(config["IMPORT_MAX_SHEET_BYTES"], config["IMPORT_MAX_SHARED_STRINGS_BYTES"],
                   config["IMPORT_MAX_PART_BYTES"], config["IMPORT_MAX_COMPRESSION_RATIO"], config["IMPORT_MAX_CELLS"],
                   config["IMPORT_MAX_SHARED_STRINGS"], config["IMPORT_MAX_PARTS"], config["IMPORT_MAX_COLUMNS"])

    def for_part(self, name: str) -> int | None:
        """The uncompressed bytes allowed for the part `name`; None for a part never read (images)."""
        lowered = name.lower()
        if not lowered.endswith(XML_SUFFIXES):
            return None
        if lowered.startswith("xl/worksheets/") and "/_rels/" not in lowered:
            return self.sheet_bytes
        if lowered.rsplit("/", 1)[-1] == "sharedstrings.xml":
            return self.shared_strings_bytes
        return self.part_bytes


def _refuse(code: str, message: str, **details: Any) -> InvalidInput:
    return InvalidInput(message, code=code, details={"fields": {"file": [message]}, **details})


def _unreadable() -> InvalidInput:
    return _refuse("import_file_unreadable", "无法读取该 Excel 文件，请确认是 .xlsx 格式且未损坏。")


def _megabytes(size: int) -> str:
    return f"{size / MB:,.1f} MB"


# -- the zip directory ---------------------------------------------------------------------

def _entry_count(data: bytes) -> int | None:
    """Entries in the zip's end-of-central-directory record (zip64 too), read before the
    directory itself is; None when the record is not found (zipfile then refuses the file)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
    if end < 0 or end + 22 > len(data):
        return None
    entries = struct.unpack_from("<H", data, end + 10)[0]
    if entries != 0xFFFF or end < 20 or data[end - 20:end - 16] != b"PK\x06\x07":
        return entries
    offset = struct.unpack_from("<Q", data, end - 12)[0]
    if data[offset:offset + 4] != b"PK\x06\x06" or offset + 40 > len(data):
        return None
    return struct.unpack_from("<Q", data, offset + 32)[0]


def check_archive(data: bytes, limits: Limits) -> None:
    """Refuse a file whose parts would be too large once uncompressed, before any is read.

    The sizes come from the zip's directory; zipfile never inflates a part beyond the size
    stated there (a part that claims less than it holds fails its CRC check), so checking
    them bounds what every later read can produce.
    Raises InvalidInput: import_file_too_large_uncompressed, import_file_overcompressed,
    import_file_unreadable.
    """
    entries = _entry_count(data)
    if entries is not None and entries > limits.parts:
        raise _refuse("import_file_too_large_uncompressed",
                      f"文件内含 {entries} 个部件，超过 {limits.parts} 个的上限，不是按导入模板填写的表格。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _unreadable() from exc
    for info in infos:
        limit = limits.for_part(info.filename)
        if limit is None:
            continue
        if info.file_size > limit:
            raise _refuse("import_file_too_large_uncompressed",
                          f"文件解压后过大：其中「{info.filename}」有 {_megabytes(info.file_size)}，超过 "
                          f"{_megabytes(limit)} 的上限。表格可能含有大量空白或只设置了格式的单元格，请只保留有数据的行"
                          "和模板的列，另存后重新上传；数据确实较多时请拆分为几个文件。",
                          part=info.filename, size=info.file_size, limit=limit)
        if info.file_size > RATIO_FLOOR and info.file_size > limits.compression_ratio * max(info.compress_size, 1):
            raise _refuse("import_file_overcompressed",
                          f"文件中的「{info.filename}」压缩比异常（{_megabytes(info.compress_size)} 解压为 "
                          f"{_megabytes(info.file_size)}），通常是含有大量空白单元格；请删除多余的行和列，另存后重新上传。",
                          part=info.filename, size=info.file_size, compressed=info.compress_size)


# -- streaming XML ---------------------------------------------------------------------------

def _parse(source: Any, parser: Any) -> None:
    """Feed `source` (a binary file) to an expat parser in chunks."""
    while True:
        chunk = source.read(CHUNK)
        parser.Parse(chunk, not chunk)
        if not chunk:
            return


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


class _StringTable:
    """sharedStrings.xml by expat: each <si>'s text (its <t>, not the phonetic <rPh>), counted."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.strings: list[str] = []
        self.parts: list[str] = []
        self.length = 0
        self.in_t = False
        self.phonetic = 0

    def start(self, name: str, attrs: dict) -> None:
        tag = _local(name)
        if tag == "si":
            if len(self.strings) >= self.limit:
                raise _refuse("import_too_many_shared_strings",
                              f"文件中的文字条目超过 {self.limit:,} 条的上限，请只保留模板的列和有数据的行，"
                              "或拆分为几个文件后重新上传。", limit=self.limit)
            self.parts, self.length = [], 0
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and not self.phonetic:
            self.in_t = True

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag == "t":
            self.in_t = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "si":
            self.strings.append("".join(self.parts))

    def text(self, data: str) -> None:
        if self.in_t and self.length < CELL_TEXT_MAX:
            self.parts.append(data[:CELL_TEXT_MAX - self.length])
            self.length += len(data)


def read_strings(source: Any, limit: int) -> list[str]:
    """The shared strings of a workbook, at most `limit` of them (else import_too_many_shared_strings)."""
    table = _StringTable(limit)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler, parser.EndElementHandler = table.start, table.end
    parser.CharacterDataHandler = table.text
    _parse(source, parser)
    return table.strings


class _Enough(Exception):
    """Stops a parse once the rows wanted are read."""


class _SheetRows:
    """A worksheet's <sheetData> by expat: (row number, {0-based column: value}) for each row,
    keeping only the columns below `width`."""

    def __init__(self, book: "Workbook", width: int) -> None:
        self.book, self.width = book, width
        self.ready: list[tuple[int, dict[int, Any]]] = []
        self.elements = 0
        self.row = 0
        self.column = 0
        self.values: dict[int, Any] = {}
        self.cell: tuple[int, str, str | None] | None = None
        self.parts: list[str] = []
        self.length = 0
        self.collect = False
        self.phonetic = 0
        self.in_inline = False

    def _count(self) -> None:
        self.elements += 1
        if self.elements > self.book.limits.cells:
            raise _refuse("import_too_many_cells",
                          f"文件的单元格超过 {self.book.limits.cells:,} 个的上限，可能含有大量空白或只设置了格式的单元格；"
                          "请只保留有数据的行和模板的列，另存后重新上传。", limit=self.book.limits.cells)

    def start(self, name: str, attrs: dict) -> None:
        tag = _local(name)
        if tag == "c":
            self._count()
            ref = attrs.get("r")
            letters = ref.rstrip("0123456789") if ref else ""
            self.column = column_index_from_string(letters) if letters else self.column + 1
            self.cell = (self.column, attrs.get("t", "n"), attrs.get("s")) if self.column <= self.width else None
            self.parts, self.length, self.in_inline = [], 0, False
        elif self.cell is None:
            if tag == "row":
                self._count()
                number = attrs.get("r")
                self.row = int(float(number)) if number else self.row + 1
                self.column, self.values = 0, {}
        elif tag == "v":
            self.collect = True
        elif tag == "is":
            self.in_inline = True
        elif tag == "rPh":
            self.phonetic += 1
        elif tag == "t" and self.in_inline and not self.phonetic:
            self.collect = True

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "t"):
            self.collect = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "c":
            if self.cell is not None:
                value = self.book.value(self.cell, "".join(self.parts), self.in_inline)
                if value is not None:
                    self.values[self.cell[0] - 1] = value
            self.cell = None
        elif tag == "row":
            self.ready.append((self.row, self.values))
            self.values = {}
        elif tag == "sheetData":
            raise _Enough

    def text(self, data: str) -> None:
        if self.collect and self.length < CELL_TEXT_MAX:
            self.parts.append(data[:CELL_TEXT_MAX - self.length])
            self.length += len(data)


class Workbook:
    """An uploaded workbook opened within `limits`: its shared strings, date styles and the
    path of its data sheet; rows are streamed from the sheet on demand (`rows`)."""

    def __init__(self, data: bytes, limits: Limits, sheet_name: str) -> None:
        check_archive(data, limits)
        self.limits = limits
        reader = ExcelReader(io.BytesIO(data), read_only=True, keep_vba=False, data_only=True, keep_links=False)
        self.archive = reader.archive
        try:
            reader.read_manifest()
            strings = reader.package.find(SHARED_STRINGS)
            self.strings: list[str] = []
            if strings is not None:
                with self.archive.open(strings.PartName.lstrip("/")) as source:
                    self.strings = read_strings(source, limits.shared_strings)
            reader.read_workbook()
            apply_stylesheet(self.archive, reader.wb)
            self.epoch = reader.wb.epoch
            self.date_styles = set(reader.wb._date_formats)
            self.duration_styles = set(reader.wb._timedelta_formats)
            sheets = [(sheet.name, rel.target.lstrip("/")) for sheet, rel in reader.parser.find_sheets()
                      if rel.Type.endswith(WORKSHEET_REL)]
        except BaseException:
            self.archive.close()
            raise
        if not sheets:
            self.archive.close()
            raise _unreadable()
        self.sheet_path = dict(sheets).get(sheet_name, sheets[0][1])

    def close(self) -> None:
        self.archive.close()

    def rows(self, width: int) -> Iterator[tuple[int, dict[int, Any]]]:
        """(Excel row number, {0-based column: value}) for every row of the data sheet, in the
        order of the file, cells beyond `width` columns left out. Values are what openpyxl gives
        in read-only, data-only mode: text, int, float, bool, datetime (by the cell's style)."""
        handler = _SheetRows(self, width)
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler = handler.start, handler.end
        parser.CharacterDataHandler = handler.text
        with self.archive.open(self.sheet_path) as source:
            while True:
                chunk = source.read(CHUNK)
                try:
                    parser.Parse(chunk, not chunk)
                except _Enough:
                    chunk = b""
                yield from handler.ready
                handler.ready.clear()
                if not chunk:
                    return

    def value(self, cell: tuple[int, str, str | None], text: str, inline: bool) -> Any:
        """A cell's value from its type (`t`), style (`s`) and text, as openpyxl reads it."""
        _, kind, style = cell
        if inline or kind == "inlineStr":
            return text if inline else None
        if not text:
            return None
        if kind == "n":
            number: Any = float(text) if any(c in text for c in ".Ee") else int(text)
            if style and int(style) in self.date_styles:
                try:
                    return from_excel(number, self.epoch, timedelta=int(style) in self.duration_styles)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(text)]
        if kind == "b":
            return bool(int(text))
        if kind == "d":
            value: datetime = from_ISO8601(text)
            return value
        return text  # str (a formula's text result), e (an error such as #N/A)
