"""Printable A4 label sheets as PDF: vector pages laid out like the label image (`qr.render`).

Each label is drawn, not pictured: its border, its QR as filled rectangles (one per run of dark
modules), its text in the project's CJK font, embedded as a subset, so a sheet's codes and
certificate numbers can be searched and copied and print sharp at any resolution. Measured against
the former bilevel page images (CCITT G4), same labels, run side by side on a loaded 2-core machine
(`bench/bench_documents.py`): 1,000 labels 375 KB instead of 2,928 KB, 4.0 s instead of 8.0 s;
10,000 labels 3.6 MB instead of 30 MB, 36-62 s instead of 64-72 s (two rounds): no page is rasterised.
ReportLab holds the pages' compressed streams until the end (about 0.4 MB per 1,000 labels), then
writes the file.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import BinaryIO

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from core.fonts import pdf_font
from qr.render import LABEL_SIZE, MASK_PATTERN, QR_PIXELS, LabelText, _version_for

DPI = 200  # the label's layout is in pixels at this resolution (`qr.render.LABEL_SIZE`)
PT = 72 / DPI  # one layout pixel in points
A4_POINTS = A4
PAGE_PIXELS = (round(A4[0] / PT), round(A4[1] / PT))  # 1654 x 2339
COLUMNS, ROWS = 2, 6
LABELS_PER_PAGE = COLUMNS * ROWS
GAP = 24
CAPTIONS = ("类别", "登记证", "使用单位")
CREATOR = "陕西省特种设备智慧监管平台"


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text cut with '…' to `width` points (a long unit name must not run off the label)."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _qr_runs(data: str) -> tuple[int, str]:
    """The QR's size in modules and its dark modules as PDF rectangles in module units (integers:
    quick to write and exact), same version, mask and quiet zone as the label image."""
    code = qrcode.QRCode(version=_version_for(len(data.encode())), error_correction=ERROR_CORRECT_M, border=2,
                         mask_pattern=MASK_PATTERN)
    code.add_data(data)
    code.make(fit=False)
    matrix = code.get_matrix()
    n, runs = len(matrix), []
    for r, row in enumerate(matrix):
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.append(f"{start} {n - 1 - r} {c - start} 1 re")
            else:
                c += 1
    return n, " ".join(runs) + " f"


def _label(canvas: Canvas, font: str, label: LabelText, x0: float, top: float) -> None:
    """One label whose top-left corner is at (x0, top) points."""
    def at(px: float, py: float, height_px: float = 0) -> tuple[float, float]:  # layout pixels -> points
        return x0 + px * PT, top - (py + height_px) * PT

    canvas.setLineWidth(2 * PT)
    canvas.rect(x0 + PT, top - (LABEL_SIZE[1] - 1) * PT, (LABEL_SIZE[0] - 2) * PT, (LABEL_SIZE[1] - 2) * PT)
    modules, runs = _qr_runs(label.url)
    qr_px = QR_PIXELS - QR_PIXELS % modules  # whole pixels per module, as the image scales it
    canvas.saveState()
    scale = qr_px * PT / modules
    canvas.transform(scale, 0, 0, scale, *at(10, (LABEL_SIZE[1] - 30 - qr_px) // 2, qr_px))
    canvas.addLiteral(runs)
    canvas.restoreState()
    canvas.setFont(font, 18 * PT)
    canvas.drawCentredString(*at(10 + qr_px / 2, LABEL_SIZE[1] - 34, 18),
                             _fit(label.code, font, 18 * PT, QR_PIXELS * PT))
    x, width = QR_PIXELS + 24, (LABEL_SIZE[0] - QR_PIXELS - 34) * PT
    canvas.setFont(font, 26 * PT)
    canvas.drawString(*at(x, 22, 24), "特种设备一码通")
    values = (label.category, label.cert_no or "未登记", label.use_unit or "—")
    for i, (caption, value) in enumerate(zip(CAPTIONS, values)):
        canvas.setFont(font, 18 * PT)
        canvas.drawString(*at(x, 72 + 58 * i, 17), caption)
        canvas.setFont(font, 22 * PT)
        canvas.drawString(*at(x, 94 + 58 * i, 21), _fit(value, font, 22 * PT, width))
    if label.rescue_phone:
        canvas.setFont(font, 26 * PT)
        canvas.drawString(*at(x, 72 + 58 * 3 + 4, 24), _fit(f"困人救援 {label.rescue_phone}", font, 26 * PT, width))


def write_sheet_pdf(labels: Iterable[LabelText], font_path: str, fp: BinaryIO,
                    progress: Callable[[int], None] | None = None) -> int:
    """Write the labels as an A4 PDF to `fp`, COLUMNS x ROWS centred per page; returns the number of pages.

    `progress(labels_done)` is called after every page."""
    font = pdf_font(font_path)
    canvas = Canvas(fp, pagesize=A4, pageCompression=1, initialFontName=font)
    canvas.setTitle("特种设备一码通标签")
    canvas.setCreator(CREATOR)
    grid_w = COLUMNS * LABEL_SIZE[0] + (COLUMNS - 1) * GAP
    grid_h = ROWS * LABEL_SIZE[1] + (ROWS - 1) * GAP
    left, top = (PAGE_PIXELS[0] - grid_w) // 2, (PAGE_PIXELS[1] - grid_h) // 2
    labels = list(labels) if progress else labels
    done = slot = pages = 0
    for label in labels:
        row, col = divmod(slot, COLUMNS)
        _label(canvas, font, label, (left + col * (LABEL_SIZE[0] + GAP)) * PT,
               A4[1] - (top + row * (LABEL_SIZE[1] + GAP)) * PT)
        slot, done = slot + 1, done + 1
        if slot == LABELS_PER_PAGE:
            canvas.showPage()
            slot, pages = 0, pages + 1
            if progress:
                progress(done)
    if slot or not pages:
        canvas.showPage()
        pages += 1
        if progress:
            progress(done)
    canvas.save()
    return pages
