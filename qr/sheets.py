"""Printable A4 label sheets as PDF, written page by page.

Each page is bilevel and stored CCITT Group 4 (what fax and print shops
handle well; 17x smaller than greyscale JPEG). The PDF is streamed to the
file one page at a time, so 10,000 labels need the memory of one page.
"""
from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from PIL import Image

from qr.render import LABEL_SIZE, LabelText, label_image

DPI = 200
A4_POINTS = (595.28, 841.89)
PAGE_PIXELS = (round(A4_POINTS[0] / 72 * DPI), round(A4_POINTS[1] / 72 * DPI))  # 1654 x 2339
COLUMNS, ROWS = 2, 6
LABELS_PER_PAGE = COLUMNS * ROWS


def _pages(labels: Iterable[LabelText], font_path: str) -> Iterator[Image.Image]:
    """Labels laid out COLUMNS x ROWS, centred on bilevel A4 pages."""
    gap = 24
    grid_w = COLUMNS * LABEL_SIZE[0] + (COLUMNS - 1) * gap
    grid_h = ROWS * LABEL_SIZE[1] + (ROWS - 1) * gap
    left, top = (PAGE_PIXELS[0] - grid_w) // 2, (PAGE_PIXELS[1] - grid_h) // 2
    page, slot = None, 0
    for label in labels:
        if page is None:
            page, slot = Image.new("L", PAGE_PIXELS, 255), 0
        row, col = divmod(slot, COLUMNS)
        page.paste(label_image(label, font_path),
                   (left + col * (LABEL_SIZE[0] + gap), top + row * (LABEL_SIZE[1] + gap)))
        slot += 1
        if slot == LABELS_PER_PAGE:
            yield page.point(lambda v: 255 if v > 150 else 0, mode="1")
            page = None
    if page is not None:
        yield page.point(lambda v: 255 if v > 150 else 0, mode="1")


def _g4(page: Image.Image) -> bytes:
    """The page's CCITT G4 data: Pillow's single-strip TIFF, header cut (as Pillow's PDF writer does)."""
    stream = io.BytesIO()
    width, height = page.size
    page.save(stream, "TIFF", compression="group4", strip_size=math.ceil(width / 8) * height)
    return stream.getvalue()[8:]


class _PdfWriter:
    """The few PDF objects a sheet needs: catalog, page tree, and per page an image, contents, page."""

    def __init__(self, fp: BinaryIO) -> None:
        self.fp = fp
        self.offsets: dict[int, int] = {}
        self.pages: list[int] = []
        self.next_id = 3  # 1: catalog, 2: page tree
        self.start = fp.tell()
        fp.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")

    def _object(self, number: int, body: bytes, stream: bytes | None = None) -> None:
        self.offsets[number] = self.fp.tell() - self.start
        self.fp.write(b"%d 0 obj\n" % number + body)
        if stream is not None:
            self.fp.write(b"\nstream\n" + stream + b"\nendstream")
        self.fp.write(b"\nendobj\n")

    def _ids(self, count: int) -> list[int]:
        ids = list(range(self.next_id, self.next_id + count))
        self.next_id += count
        return ids

    def add_page(self, page: Image.Image) -> None:
        image_id, contents_id, page_id = self._ids(3)
        width, height = page.size
        data = _g4(page)
        self._object(image_id, b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                               b"/BitsPerComponent 1 /Filter [/CCITTFaxDecode] /DecodeParms [<< /K -1 /BlackIs1 true "
                               b"/Columns %d /Rows %d >>] /Length %d >>" % (width, height, width, height, len(data)),
                     data)
        contents = b"q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q" % A4_POINTS
        self._object(contents_id, b"<< /Length %d >>" % len(contents), contents)
        self._object(page_id, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R "
                              b"/Resources << /ProcSet [/PDF /ImageB] /XObject << /Im0 %d 0 R >> >> >>"
                     % (*A4_POINTS, contents_id, image_id))
        self.pages.append(page_id)

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % p for p in self.pages)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self.pages)))
        xref = self.fp.tell() - self.start
        self.fp.write(b"xref\n0 %d\n0000000000 65535 f \n" % self.next_id)
        for number in range(1, self.next_id):
            self.fp.write(b"%010d 00000 n \n" % self.offsets[number])
        self.fp.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (self.next_id, xref))


def write_sheet_pdf(labels: Iterable[LabelText], font_path: str, fp: BinaryIO,
                    progress=None) -> int:
    """Write the labels as an A4 PDF to `fp`; returns the number of pages.

    `progress(labels_done)` is called after every page.
    """
    writer = _PdfWriter(fp)
    done = 0
    labels = list(labels) if progress else labels
    for page in _pages(labels, font_path):
        writer.add_page(page)
        done += LABELS_PER_PAGE
        if progress:
            progress(min(done, len(labels)))
    writer.close()
    return len(writer.pages)
