"""Import files that are small on the wire and huge once uncompressed ("zip bombs") are refused
early, with a 422 and a stable code, at upload and in the job, and the worker's memory stays
bounded while it refuses them.

The bombs are built here as the acceptance test found them: 1 MB of deflate holding 1 GB of blank
cells, and 0.5 MB holding 200 MB of shared strings. They are written without ever holding (or
deflating) the large part: one deflate block of repeated XML, flushed so that it stands on its own,
is repeated as often as needed, and only its CRC is computed over the full length.
"""
import io
import struct
import tracemalloc
import zlib

import pytest
from sqlalchemy import func, select

from core.extensions import db
from models.equipment import Equipment, EquipmentImport
from services.equipment import imports
from services.equipment.import_template import COLUMNS, header_text

MB = 1024 * 1024
# What parsing a refused bomb may allocate in the worker (Python heap, tracemalloc peak).
MEMORY_BOUND = 64 * MB
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


class _Part:
    """A zip member given as deflate pieces: (raw bytes, times repeated)."""

    def __init__(self, name: str, pieces: list[tuple[bytes, int]]) -> None:
        self.name = name.encode()
        compressed, size, crc = [], 0, 0
        for raw, times in pieces:
            block = zlib.compressobj(9, zlib.DEFLATED, -15)
            deflated = block.compress(raw) + block.flush(zlib.Z_FULL_FLUSH)
            compressed.append((deflated, times))
            size += len(raw) * times
            for _ in range(times):
                crc = zlib.crc32(raw, crc)
        compressed.append((b"\x03\x00", 1))  # the final, empty block
        self.compressed, self.size, self.crc = compressed, size, crc
        self.compressed_size = sum(len(d) * t for d, t in compressed)


def _zip(parts: list[_Part]) -> bytes:
    """A zip of deflated parts, written by hand (zipfile would deflate every byte of them)."""
    out, directory = io.BytesIO(), []
    for part in parts:
        offset = out.tell()
        out.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, part.crc,
                              part.compressed_size, part.size, len(part.name), 0) + part.name)
        for deflated, times in part.compressed:
            out.write(deflated * times)
        directory.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0x21, part.crc,
                                     part.compressed_size, part.size, len(part.name), 0, 0, 0, 0, 0, offset)
                         + part.name)
    start = out.tell()
    out.write(b"".join(directory))
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), out.tell() - start, start, 0))
    return out.getvalue()


def _header_row() -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{header_text(c)}</t></is></c>' for c in COLUMNS)
    return f'<row r="1">{cells}</row>'.encode()


def workbook(sheet_rows: list[tuple[bytes, int]], shared_strings: list[tuple[bytes, int]] | None = None,
             dimension: str = "A1:XFD1048576") -> bytes:
    """A workbook whose data sheet 设备清单 has the template's header row, then `sheet_rows`."""
    overrides = f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>' \
                f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{CT}.worksheet+xml"/>'
    relations = f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    parts = []
    if shared_strings is not None:
        overrides += f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CT}.sharedStrings+xml"/>'
        relations += f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        parts.append(_Part("xl/sharedStrings.xml", [(f'<sst xmlns="{MAIN}">'.encode(), 1), *shared_strings,
                                                    (b"</sst>", 1)]))
    parts += [
        _Part("[Content_Types].xml", [(
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'.encode(), 1)]),
        _Part("_rels/.rels", [(f'<Relationships xmlns="{PACKAGE_REL}"><Relationship Id="rId1" '
                               f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'.encode(), 1)]),
        _Part("xl/workbook.xml", [(f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                   '<sheet name="设备清单" sheetId="1" r:id="rId1"/></sheets></workbook>'.encode(), 1)]),
        _Part("xl/_rels/workbook.xml.rels", [(f'<Relationships xmlns="{PACKAGE_REL}">{relations}'
                                              '</Relationships>'.encode(), 1)]),
        _Part("xl/worksheets/sheet1.xml", [
            (f'<worksheet xmlns="{MAIN}"><dimension ref="{dimension}"/><sheetData>'.encode() + _header_row(), 1),
            *sheet_rows, (b"</sheetData></worksheet>", 1)]),
    ]
    return _zip(parts)


def blank_cells_bomb() -> bytes:
    """1 GB of blank cells (16,384 rows of 16,384 <c/>) in about 1 MB."""
    rows = (b"<row>" + b"<c/>" * 16384 + b"</row>") * 16
    return workbook([(rows, 1024)])


def shared_strings_bomb() -> bytes:
    """200 MB of shared strings (200,000 strings of 1,000 characters) in about 0.2 MB, used by one row."""
    strings = b"<si><t>" + b"x" * 1000 + b"</t></si>"
    block = strings * 1000
    row = b'<row r="2">' + b'<c t="s"><v>0</v></c>' * 3 + b"</row>"
    return workbook([(row, 1)], [(block, 200)], dimension="A1:U2")


def post(client, headers, data: bytes, dry_run: bool = True):
    """The upload, its multipart body encoded here: the test client spools bodies over 500 kB to a
    temporary file that it never closes (a ResourceWarning), which a real request does not do."""
    boundary = "bomb-boundary-7f3a"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\n'
            f'{"true" if dry_run else "false"}\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="import.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n').encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/api/v1/equipment/imports", headers=headers, data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def refused_within_bound(client, headers, data: bytes):
    """Upload `data`; the answer and the peak of what the request allocated meanwhile."""
    tracemalloc.start()
    try:
        response = post(client, headers, data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


@pytest.fixture
def admin(make_unit, make_person, auth_headers):
    unit = make_unit("use", "610113", name="演示雁塔物业有限公司")
    return auth_headers(make_person(unit, "unit_admin"))


def imports_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EquipmentImport))


def test_a_file_of_a_gigabyte_of_blank_cells_is_refused_before_it_is_read(client, admin):
    bomb = blank_cells_bomb()
    assert len(bomb) < 1.2 * MB
    response, peak = refused_within_bound(client, admin, bomb)
    assert (response.status_code, response.json["code"]) == (422, "import_file_too_large_uncompressed")
    assert "xl/worksheets/sheet1.xml" in response.json["message"] and "MB" in response.json["message"]
    assert peak < MEMORY_BOUND, f"peak {peak / MB:.0f} MB"
    assert imports_count() == 0


def test_a_file_of_200_mb_of_shared_strings_is_refused_before_it_is_read(client, admin):
    bomb = shared_strings_bomb()
    assert len(bomb) < 0.5 * MB
    response, peak = refused_within_bound(client, admin, bomb)
    assert (response.status_code, response.json["code"]) == (422, "import_file_too_large_uncompressed")
    assert "sharedStrings.xml" in response.json["message"]
    assert peak < MEMORY_BOUND, f"peak {peak / MB:.0f} MB"


def test_blank_cells_within_the_size_limits_stop_at_the_cell_cap(client, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_CELLS", 100_000)
    rows = b"<row>" + b"<c/>" * 1000 + b"</row>"
    response, peak = refused_within_bound(client, admin, workbook([(rows, 200)]))
    assert (response.status_code, response.json["code"]) == (422, "import_too_many_cells")
    assert "100,000" in response.json["message"]
    assert peak < MEMORY_BOUND


def test_too_many_shared_strings_are_refused(client, admin, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_SHARED_STRINGS", 1000)
    bomb = workbook([(b'<row r="2"><c t="s"><v>0</v></c></row>', 1)], [(b"<si><t>a</t></si>", 1001)])
    response = post(client, admin, bomb)
    assert (response.status_code, response.json["code"]) == (422, "import_too_many_shared_strings")


def test_an_overcompressed_sheet_is_refused(client, admin):
    rows = b"<row>" + b"<c/>" * 16384 + b"</row>"
    response = post(client, admin, workbook([(rows, 64)]))  # 4 MB of blank cells in a few kB
    assert (response.status_code, response.json["code"]) == (422, "import_file_overcompressed")


def test_a_streamed_workbook_reads_its_rows(client, admin):
    """The hand-written workbook itself is an ordinary file: its rows are read (and checked)."""
    strings = b"<si><t>3110</t></si><si><t>\xe5\x9c\xa8\xe7\x94\xa8</t></si>"
    row = b'<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="inlineStr"><is><t>311061001201700001</t></is></c></row>'
    body = post(client, admin, workbook([(row, 1)], [(strings, 1)], dimension="A1:U2")).json
    assert body["status"] == "rejected", body  # required columns are empty: errors by row and column
    assert body["total_rows"] == 1 and {e["row"] for e in body["errors"]} == {2}


def test_a_bomb_reaching_the_job_marks_the_import_failed_with_the_reason(client, admin, app, monkeypatch, run_jobs):
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 0)
    row = b'<row r="2"><c r="B2" t="inlineStr"><is><t>311061001201700001</t></is></c></row>'
    queued = post(client, admin, workbook([(row, 1)], dimension="A1:U2"))
    assert (queued.status_code, queued.json["status"]) == (202, "queued"), queued.json
    monkeypatch.setattr(imports, "read_file", lambda record: blank_cells_bomb())  # e.g. stored before the limits
    tracemalloc.start()
    try:
        run_jobs()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    failed = client.get(f"/api/v1/equipment/imports/{queued.json['id']}", headers=admin).json
    assert failed["status"] == "failed"
    assert "解压后过大" in failed["failure"]
    assert peak < MEMORY_BOUND
    assert db.session.scalar(select(func.count()).select_from(Equipment)) == 0
