"""One A4 document, laid out by ReportLab with the project's CJK font embedded as a subset.

A `Document` collects blocks top to bottom — a cover block, headings, paragraphs, tables, charts,
images — and `render()` returns the PDF: real text (pdftotext returns it), vector charts, on every
page a footer with the document's name and 「第 n 页 共 N 页」, and the title, author and subject in
the PDF's metadata. Tables break across pages with their header row repeated; cells wrap CJK text
at any character. The module knows documents only, not what they report.
"""
from __future__ import annotations

import io
from typing import Any, Sequence
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (CondPageBreak, Flowable, Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate,
                                Spacer, Table, TableStyle)

from core.documents import charts
from core.fonts import pdf_font

PLATFORM_NAME = "陕西省特种设备智慧监管平台"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text column, in points
MAX_CELL_CHARS = 600  # a cell longer than this is cut: a row must fit on one page
INK, MUTED, RULE = charts.INK, charts.MUTED, charts.RULE
ACCENT = colors.HexColor("#1f5fa5")
HEAD_FILL = colors.HexColor("#e7f0fa")
SIZES = {"title": 20, "subtitle": 13, "heading": 14, "subheading": 11.5, "body": 10, "small": 8.5, "cell": 8.5,
         "footer": 7.5}


def text_markup(value: Any) -> str:
    """Plain text as Paragraph markup: escaped, newlines kept, None as empty."""
    return escape("" if value is None else str(value)).replace("\n", "<br/>")


class _NumberedCanvas(Canvas):
    """A canvas that holds its pages until the end, so each footer can say how many there are."""

    footer_text = ""
    footer_font = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._footer(number, len(self._pages))
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        y = MARGIN - 8 * mm
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, y + 10, A4[0] - MARGIN, y + 10)
        self.setFont(self.footer_font, SIZES["footer"])
        self.setFillColor(MUTED)
        self.drawString(MARGIN, y, self.footer_text)
        self.drawRightString(A4[0] - MARGIN, y, f"第 {number} 页 共 {total} 页")


class Document:
    """An A4 document built block by block; `render()` gives the PDF bytes."""

    def __init__(self, title: str, font_path: str, *, footer: str | None = None, subject: str = "",
                 author: str = PLATFORM_NAME) -> None:
        self.title, self.footer, self.subject, self.author = title, footer or title, subject, author
        self.font = pdf_font(font_path)
        self.flowables: list[Flowable] = []
        self.styles = {name: ParagraphStyle(name, fontName=self.font, fontSize=size, leading=size * 1.5,
                                            textColor=INK, wordWrap="CJK") for name, size in SIZES.items()}
        self.styles["body"].spaceAfter = 4
        self.styles["small"].spaceAfter = 3
        self.styles["heading"].textColor = ACCENT
        self.styles["heading"].spaceBefore, self.styles["heading"].spaceAfter = 10, 6
        self.styles["subheading"].spaceBefore, self.styles["subheading"].spaceAfter = 6, 4
        self.styles["cell_head"] = ParagraphStyle("cell_head", parent=self.styles["cell"], textColor=ACCENT)

    # -- blocks ---------------------------------------------------------------------------------

    def cover(self, title: str, subtitle: str = "", lines: Sequence[str] = (), *, space_before: float = 0) -> None:
        """The centred opening: title, subtitle and a few muted lines (issuer, period, date)."""
        if space_before:
            self.flowables.append(Spacer(1, space_before))
        centred = {"alignment": TA_CENTER}
        self.flowables.append(Paragraph(text_markup(title), ParagraphStyle(
            "cover_title", parent=self.styles["title"], leading=SIZES["title"] * 1.4, spaceAfter=8, **centred)))
        if subtitle:
            self.flowables.append(Paragraph(text_markup(subtitle), ParagraphStyle(
                "cover_subtitle", parent=self.styles["subtitle"], spaceAfter=10, **centred)))
        for line in lines:
            self.flowables.append(Paragraph(text_markup(line), ParagraphStyle(
                "cover_line", parent=self.styles["body"], textColor=MUTED, **centred)))
        self.flowables.append(Spacer(1, 10))

    def heading(self, text: str, level: int = 1) -> None:
        """A heading (level 1, accent colour) or subheading (level 2), never alone at a page's foot."""
        # A page break when fewer than a few lines are left (not keepWithNext: that would carry a
        # long table whole to the next page).
        style = self.styles["heading" if level == 1 else "subheading"]
        self.flowables.append(CondPageBreak(style.fontSize * 7))
        self.flowables.append(Paragraph(text_markup(text), style))

    def paragraph(self, text: Any, kind: str = "body", *, muted: bool = False) -> None:
        """A paragraph of plain text (`kind` body or small), wrapped at any CJK character."""
        style = self.styles[kind]
        if muted:
            style = ParagraphStyle(f"{kind}_muted", parent=style, textColor=MUTED)
        self.flowables.append(Paragraph(text_markup(text), style))

    def fields(self, items: Sequence[tuple[str, Any]]) -> None:
        """Label：value lines (a record's particulars)."""
        for label, value in items:
            self.paragraph(f"{label}：{'' if value is None else value}")
        self.space(4)

    def table(self, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[Any]], *,
              empty: str = "无") -> None:
        """A table: `columns` as (title, relative width); the header repeats on every page, cells
        wrap; numbers shown as figures (None as a dash). No rows gives one row saying `empty`."""
        total = sum(w for _, w in columns)
        widths = [WIDTH * w / total for _, w in columns]
        cell, head = self.styles["cell"], self.styles["cell_head"]
        data = [[Paragraph(text_markup(title), head) for title, _ in columns]]
        for row in rows or [[empty] + [""] * (len(columns) - 1)]:
            data.append([Paragraph(text_markup(_cell(value)), cell) for value in row])
        table = Table(data, colWidths=widths, repeatRows=1, splitInRow=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ]))
        self.flowables.extend([table, Spacer(1, 8)])

    def bar_chart(self, title: str, items: Sequence[tuple[str, float]], **options: Any) -> None:
        """A horizontal bar chart (see `charts.bar_chart`)."""
        self.drawing(charts.bar_chart(self.font, WIDTH, title, items, **options))

    def column_chart(self, title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                     **options: Any) -> None:
        """Grouped columns (see `charts.column_chart`)."""
        self.drawing(charts.column_chart(self.font, WIDTH, title, categories, series, **options))

    def line_chart(self, title: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
                   **options: Any) -> None:
        """Lines over categories (see `charts.line_chart`)."""
        self.drawing(charts.line_chart(self.font, WIDTH, title, categories, series, **options))

    def drawing(self, drawing: Drawing) -> None:
        """A vector drawing, kept on one page."""
        self.flowables.append(KeepTogether([drawing, Spacer(1, 10)]))

    def image(self, data: bytes, width: float = WIDTH / 2) -> None:
        """A picture (JPEG or PNG bytes) `width` points wide, its proportions kept."""
        picture = Image(io.BytesIO(data))
        ratio = width / picture.imageWidth
        picture.drawWidth, picture.drawHeight = width, picture.imageHeight * ratio
        self.flowables.extend([picture, Spacer(1, 6)])

    def space(self, points: float) -> None:
        self.flowables.append(Spacer(1, points))

    def page_break(self) -> None:
        self.flowables.append(PageBreak())

    # -- output ---------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The PDF: A4, the font subset embedded, compressed page streams."""
        stream = io.BytesIO()
        template = SimpleDocTemplate(stream, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                     bottomMargin=MARGIN, title=self.title, author=self.author, subject=self.subject,
                                     creator=PLATFORM_NAME, pageCompression=1, initialFontName=self.font)
        canvas = type("FooterCanvas", (_NumberedCanvas,), {"footer_text": self.footer, "footer_font": self.font})
        template.build(list(self.flowables) or [Spacer(1, 1)], canvasmaker=canvas)
        return stream.getvalue()


def _cell(value: Any) -> str:
    text = charts.number(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS] + "…"
