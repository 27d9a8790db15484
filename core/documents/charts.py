"""Vector charts for documents, drawn with ReportLab graphics (shapes, not pictures).

Each function returns a `Drawing` the width of the text column: a horizontal bar chart, grouped
columns and a line chart, labelled in the document's font. Axes count in whole steps of 1, 2 or
5 × 10^n (`scale`).
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

INK = colors.HexColor("#212529")
MUTED = colors.HexColor("#6c757d")
RULE = colors.HexColor("#adb5bd")
GRID = colors.HexColor("#dee2e6")
SERIES = tuple(colors.HexColor(c) for c in ("#2e75b6", "#ed7d31", "#70ad47", "#a5a5a5", "#7030a0"))
TITLE_SIZE, LABEL_SIZE = 10.5, 8


def number(value: Any) -> str:
    """A count or a figure as shown: whole numbers without '.0', None as a dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else str(int(value))
    return str(value)


def scale(peak: float, ticks: int = 4) -> tuple[float, float]:
    """(top, step) of an axis for counts: whole steps of 1, 2 or 5 × 10^n, at most `ticks` of them."""
    step = 1.0
    while step * ticks < peak:
        for factor in (2, 2.5, 2):  # 1 → 2 → 5 → 10 …
            step *= factor
            if step * ticks >= peak:
                break
    top = step * max(1, -(-peak // step))
    return top, step


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text cut with '…' to `width` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _title(drawing: Drawing, font: str, title: str, height: float) -> None:
    drawing.add(String(0, height - TITLE_SIZE - 2, title, fontName=font, fontSize=TITLE_SIZE, fillColor=INK))


def _legend(drawing: Drawing, font: str, names: Sequence[str], y: float) -> None:
    x = 0.0
    for i, name in enumerate(names):
        drawing.add(Rect(x, y, 10, 7, fillColor=SERIES[i % len(SERIES)], strokeColor=None))
        drawing.add(String(x + 14, y, name, fontName=font, fontSize=LABEL_SIZE, fillColor=INK))
        x += 26 + stringWidth(name, font, LABEL_SIZE)


def bar_chart(font: str, width: float, title: str, items: Sequence[tuple[str, float]], *,
              colours: Mapping[str, str] | None = None, unit: str = "") -> Drawing:
    """Horizontal bars, one per (label, value), the value written at the bar's end; `colours`
    maps a label to a hex colour (the first series colour otherwise)."""
    rows = list(items) or [("无数据", 0)]
    bar_h, gap, top, bottom = 10.0, 5.0, 22.0, 14.0
    height = top + len(rows) * (bar_h + gap) + bottom
    drawing = Drawing(width, height)
    _title(drawing, font, title, height)
    label_w = min(130.0, max(stringWidth(label, font, LABEL_SIZE) for label, _ in rows) + 8)
    plot_w = width - label_w - 44
    peak, step = scale(max((v for _, v in rows), default=0))
    plot_top, plot_bottom = height - top + 3, bottom - 2
    for tick in range(int(peak / step) + 1):
        x = label_w + plot_w * tick * step / peak
        drawing.add(Line(x, plot_bottom, x, plot_top, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(String(x, 3, number(tick * step), fontName=font, fontSize=LABEL_SIZE - 1, fillColor=MUTED,
                           textAnchor="middle"))
    for i, (label, value) in enumerate(rows):
        y = height - top - (i + 1) * (bar_h + gap) + gap
        drawing.add(String(label_w - 5, y + 2, _fit(label, font, LABEL_SIZE, label_w - 8), fontName=font,
                           fontSize=LABEL_SIZE, fillColor=INK, textAnchor="end"))
        length = plot_w * value / peak if value else 0
        if length:
            colour = colors.HexColor((colours or {})[label]) if (colours or {}).get(label) else SERIES[0]
            drawing.add(Rect(label_w, y, length, bar_h, fillColor=colour, strokeColor=None))
        drawing.add(String(label_w + length + 4, y + 2, f"{number(value)}{unit}", fontName=font, fontSize=LABEL_SIZE,
                           fillColor=INK))
    drawing.add(Line(label_w, plot_bottom, label_w, plot_top, strokeColor=RULE, strokeWidth=1))
    return drawing


def _value_axis(drawing: Drawing, font: str, left: float, right: float, bottom: float, plot_h: float,
                peak: float, step: float) -> None:
    for tick in range(int(peak / step) + 1):
        y = bottom + plot_h * tick * step / peak
        drawing.add(Line(left, y, right, y, strokeColor=GRID, strokeWidth=0.5))
        drawing.add(String(left - 4, y - 3, number(tick * step), fontName=font, fontSize=LABEL_SIZE - 1,
                           fillColor=MUTED, textAnchor="end"))


def column_chart(font: str, width: float, title: str, categories: Sequence[str],
                 series: Sequence[tuple[str, Sequence[float]]], *, height: float = 200) -> Drawing:
    """Grouped vertical columns: one group per category, one colour per series, values on top."""
    drawing = Drawing(width, height)
    _title(drawing, font, title, height)
    _legend(drawing, font, [name for name, _ in series], height - 30)
    left, bottom, top = 28.0, 18.0, 42.0
    plot_w, plot_h = width - left - 4, height - top - bottom
    peak, step = scale(max((v for _, values in series for v in values), default=0))
    _value_axis(drawing, font, left, left + plot_w, bottom, plot_h, peak, step)
    slot = plot_w / max(len(categories), 1)
    bar_w = max(2.0, slot * 0.7 / max(len(series), 1))
    for c, category in enumerate(categories):
        base_x = left + slot * c + (slot - bar_w * len(series)) / 2
        for s, (_, values) in enumerate(series):
            value = values[c] if c < len(values) else 0
            if not value:
                continue
            bar_h = plot_h * value / peak
            x = base_x + s * bar_w
            drawing.add(Rect(x, bottom, bar_w - 1, bar_h, fillColor=SERIES[s % len(SERIES)], strokeColor=None))
            drawing.add(String(x + (bar_w - 1) / 2, bottom + bar_h + 2, number(value), fontName=font,
                               fontSize=LABEL_SIZE - 1.5, fillColor=INK, textAnchor="middle"))
        drawing.add(String(left + slot * (c + 0.5), 5, category, fontName=font, fontSize=LABEL_SIZE - 1,
                           fillColor=INK, textAnchor="middle"))
    drawing.add(Line(left, bottom, left + plot_w, bottom, strokeColor=RULE, strokeWidth=1))
    return drawing


def line_chart(font: str, width: float, title: str, categories: Sequence[str],
               series: Sequence[tuple[str, Sequence[float]]], *, height: float = 200) -> Drawing:
    """One line per series over the categories, a dot and the value at every point."""
    drawing = Drawing(width, height)
    _title(drawing, font, title, height)
    _legend(drawing, font, [name for name, _ in series], height - 30)
    left, bottom, top = 28.0, 18.0, 42.0
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak, step = scale(max((v for _, values in series for v in values), default=0))
    _value_axis(drawing, font, left, left + plot_w, bottom, plot_h, peak, step)
    slot = plot_w / max(len(categories), 1)
    for s, (_, values) in enumerate(series):
        colour = SERIES[s % len(SERIES)]
        points = [(left + slot * (c + 0.5), bottom + plot_h * (values[c] or 0) / peak)
                  for c in range(min(len(categories), len(values)))]
        if len(points) > 1:
            drawing.add(PolyLine([v for p in points for v in p], strokeColor=colour, strokeWidth=1.5))
        for (x, y), value in zip(points, values):
            drawing.add(Rect(x - 1.5, y - 1.5, 3, 3, fillColor=colour, strokeColor=None))
            drawing.add(String(x, y + 4, number(value), fontName=font, fontSize=LABEL_SIZE - 1.5, fillColor=INK,
                               textAnchor="middle"))
    for c, category in enumerate(categories):
        drawing.add(String(left + slot * (c + 0.5), 5, category, fontName=font, fontSize=LABEL_SIZE - 1,
                           fillColor=INK, textAnchor="middle"))
    drawing.add(Line(left, bottom, left + plot_w, bottom, strokeColor=RULE, strokeWidth=1))
    return drawing
