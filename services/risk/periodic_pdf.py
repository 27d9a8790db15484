"""Drawing the periodic risk-assessment report: A4 colour pages with Pillow and the CJK font.

The report's content is built as plain data by `services.risk.periodic`; here it becomes pages:
headings, paragraphs, tables and bar charts (by area, kind, hazard level and region, and a
monthly trend), drawn with Pillow like the records of the checks domain (no plotting library).
The pages are RGB, saved as one PDF by Pillow (JPEG-coded pages).
"""
from __future__ import annotations

import io
from functools import lru_cache
from typing import Any, Sequence

from PIL import Image, ImageDraw, ImageFont

DPI = 150
PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 96
WIDTH = PAGE[0] - 2 * MARGIN
SIZES = {"title": 40, "subtitle": 24, "heading": 28, "subheading": 23, "body": 19, "small": 16, "footer": 15}
LINE = {"body": 30, "small": 24}
MAX_CELL_LINES = 6
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (173, 181, 189)
GRID = (222, 226, 230)
HEAD_FILL = (231, 240, 250)
ACCENT = (31, 95, 165)
SERIES = ((46, 117, 182), (237, 125, 49), (112, 173, 71), (165, 165, 165))
LEVEL_COLOURS = {"一般": (112, 173, 71), "严重": (237, 125, 49), "重大": (192, 0, 0), "未定级": (165, 165, 165)}


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def wrap(text: Any, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of at most `width` pixels, broken at any character (CJK has no spaces)."""
    lines = []
    for paragraph in str("" if text is None else text).split("\n"):
        line, used = "", 0.0
        for char in paragraph:
            advance = font.getlength(char)
            if line and used + advance > width:
                lines.append(line)
                line, used = "", 0.0
            line, used = line + char, used + advance
        lines.append(line)
    return lines


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}" if value != int(value) else str(int(value))
    return str(value)


# -- charts ------------------------------------------------------------------------------------------

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


def bar_chart(font_path: str, title: str, items: Sequence[tuple[str, float]], *, colours=None,
              unit: str = "条") -> Image.Image:
    """A horizontal bar chart: one bar per (label, value), the value at the bar's end."""
    label_font, value_font, title_font = (_font(font_path, SIZES["small"]), _font(font_path, SIZES["small"]),
                                          _font(font_path, SIZES["subheading"]))
    bar_h, gap, top = 26, 12, 52
    rows = list(items) or [("无数据", 0)]
    height = top + len(rows) * (bar_h + gap) + 36
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((0, 4), title, font=title_font, fill=INK)
    label_w = min(300, max(int(label_font.getlength(label)) for label, _ in rows) + 16)
    value_w = 90
    plot_w = WIDTH - label_w - value_w
    peak, step = scale(max((v for _, v in rows), default=0))
    for tick in range(0, int(peak / step) + 1):
        x = label_w + int(plot_w * tick * step / peak)
        draw.line((x, top - 6, x, height - 30), fill=GRID, width=1)
        mark = _number(tick * step)
        draw.text((x - value_font.getlength(mark) / 2, height - 26), mark, font=value_font, fill=MUTED)
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        shown = wrap(label, label_font, label_w - 12)[0]
        draw.text((label_w - 10 - label_font.getlength(shown), y + 3), shown, font=label_font, fill=INK)
        colour = (colours or {}).get(label) or SERIES[0]
        length = int(plot_w * (value / peak)) if value else 0
        if length:
            draw.rectangle((label_w, y, label_w + length, y + bar_h), fill=colour)
        draw.text((label_w + length + 8, y + 3), f"{_number(value)}{unit}", font=value_font, fill=INK)
    draw.line((label_w, top - 6, label_w, height - 30), fill=RULE, width=2)
    return image


def column_chart(font_path: str, title: str, categories: Sequence[str],
                 series: Sequence[tuple[str, Sequence[float]]]) -> Image.Image:
    """Vertical grouped columns (the monthly trend): one group per category, one colour per series."""
    small, title_font = _font(font_path, SIZES["small"]), _font(font_path, SIZES["subheading"])
    height, top, bottom, left = 520, 90, 60, 60
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((0, 4), title, font=title_font, fill=INK)
    x = 0
    for i, (name, _) in enumerate(series):  # legend
        colour = SERIES[i % len(SERIES)]
        draw.rectangle((x, 50, x + 22, 68), fill=colour)
        draw.text((x + 30, 48), name, font=small, fill=INK)
        x += 40 + int(small.getlength(name)) + 24
    plot_h = height - top - bottom
    plot_w = WIDTH - left - 10
    peak, step = scale(max((v for _, values in series for v in values), default=0))
    for tick in range(0, int(peak / step) + 1):
        y = top + plot_h - int(plot_h * tick * step / peak)
        draw.line((left, y, left + plot_w, y), fill=GRID, width=1)
        mark = _number(tick * step)
        draw.text((left - 8 - small.getlength(mark), y - 9), mark, font=small, fill=MUTED)
    count = max(len(categories), 1)
    slot = plot_w / count
    bar_w = max(4, int(slot * 0.7 / max(len(series), 1)))
    for c, category in enumerate(categories):
        base_x = left + slot * c + (slot - bar_w * len(series)) / 2
        for s, (_, values) in enumerate(series):
            value = values[c] if c < len(values) else 0
            bar_h = int(plot_h * value / peak) if value else 0
            x0 = int(base_x + s * bar_w)
            if bar_h:
                draw.rectangle((x0, top + plot_h - bar_h, x0 + bar_w - 2, top + plot_h), fill=SERIES[s % len(SERIES)])
            if value:
                mark = _number(value)
                draw.text((x0 + (bar_w - small.getlength(mark)) / 2, top + plot_h - bar_h - 20), mark, font=small,
                          fill=INK)
        label = category
        draw.text((left + slot * c + (slot - small.getlength(label)) / 2, top + plot_h + 10), label, font=small,
                  fill=INK)
    draw.line((left, top + plot_h, left + plot_w, top + plot_h), fill=RULE, width=2)
    return image


# -- pages ---------------------------------------------------------------------------------------------

class Pages:
    """A4 pages drawn top to bottom; a new page when the next block does not fit."""

    def __init__(self, font_path: str) -> None:
        self.font_path, self.pages, self.y = font_path, [], PAGE[1]
        self.bottom = PAGE[1] - MARGIN - 30

    def font(self, kind: str) -> ImageFont.FreeTypeFont:
        return _font(self.font_path, SIZES[kind])

    def room(self, height: int) -> ImageDraw.ImageDraw:
        if not self.pages or self.y + height > self.bottom:
            self.pages.append(Image.new("RGB", PAGE, "white"))
            self.y = MARGIN
        return ImageDraw.Draw(self.pages[-1])

    def new_page(self) -> None:
        self.y = PAGE[1]

    def space(self, pixels: int) -> None:
        self.y += pixels

    def text(self, text: str, kind: str = "body", *, center: bool = False, gap: int = 10, fill=INK,
             indent: int = 0) -> None:
        font = self.font(kind)
        for line in wrap(text, font, WIDTH - indent):
            draw = self.room(SIZES[kind] + gap)
            x = (PAGE[0] - font.getlength(line)) / 2 if center else MARGIN + indent
            draw.text((x, self.y), line, font=font, fill=fill)
            self.y += SIZES[kind] + gap

    def heading(self, text: str, kind: str = "heading") -> None:
        self.room(SIZES[kind] + 160)  # never a heading alone at the foot of a page
        self.y += 10
        draw = self.room(SIZES[kind] + 16)
        if kind == "heading":
            draw.rectangle((MARGIN, self.y + 4, MARGIN + 8, self.y + SIZES[kind] + 2), fill=ACCENT)
            draw.text((MARGIN + 18, self.y), text, font=self.font(kind), fill=ACCENT)
        else:
            draw.text((MARGIN, self.y), text, font=self.font(kind), fill=INK)
        self.y += SIZES[kind] + 16

    def image(self, image: Image.Image) -> None:
        self.room(image.height + 16)
        self.pages[-1].paste(image, (MARGIN, self.y))
        self.y += image.height + 16

    def table(self, columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]]) -> None:
        font, total = self.font("small"), sum(w for _, w in columns)
        widths = [WIDTH * w // total for _, w in columns]
        header = [t for t, _ in columns]
        self._row(header, widths, font, head=True)
        for row in rows or [["无"] + [""] * (len(columns) - 1)]:
            if self._row([_number(v) if not isinstance(v, str) else v for v in row], widths, font):
                self._row(header, widths, font, head=True)
                self._row([_number(v) if not isinstance(v, str) else v for v in row], widths, font)
        self.y += 14

    def _row(self, cells: Sequence[Any], widths: list[int], font, *, head: bool = False) -> bool:
        """Draw one row; True (nothing drawn) when it starts a new page and the header must come first."""
        wrapped = [wrap(v, font, w - 14)[:MAX_CELL_LINES] for v, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped) * LINE["small"] + 10
        pages_before = len(self.pages)
        draw = self.room(height)
        if len(self.pages) > pages_before and not head and pages_before:
            return True
        x = MARGIN
        for lines, width in zip(wrapped, widths):
            draw.rectangle((x, self.y, x + width, self.y + height), outline=RULE, width=1,
                           fill=HEAD_FILL if head else None)
            for i, line in enumerate(lines):
                draw.text((x + 7, self.y + 5 + i * LINE["small"]), line, font=font, fill=INK,
                          stroke_width=1 if head else 0, stroke_fill=INK)
            x += width
        self.y += height
        return False

    def finish(self, footer_text: str) -> list[Image.Image]:
        footer = _font(self.font_path, SIZES["footer"])
        for number, page in enumerate(self.pages, start=1):
            draw = ImageDraw.Draw(page)
            draw.line((MARGIN, PAGE[1] - MARGIN + 4, PAGE[0] - MARGIN, PAGE[1] - MARGIN + 4), fill=RULE, width=1)
            draw.text((MARGIN, PAGE[1] - MARGIN + 12), footer_text, font=footer, fill=MUTED)
            mark = f"第 {number} 页 共 {len(self.pages)} 页"
            draw.text((PAGE[0] - MARGIN - footer.getlength(mark), PAGE[1] - MARGIN + 12), mark, font=footer,
                      fill=MUTED)
        return self.pages


def _chart_items(rows: list[dict], *, skip_zero: bool = False, limit: int | None = None) -> list[tuple[str, int]]:
    items = [(r["label"], r["reports"]) for r in rows if r["reports"] or not skip_zero]
    return items[:limit] if limit else items


def _group_table(pages: Pages, rows: list[dict], first: str, *, skip_zero: bool = False) -> None:
    pages.table(((first, 4), ("报送", 2), ("已办结", 2), ("处置中", 2), ("已合并", 2), ("平均办结（天）", 3),
                 ("中位办结（天）", 3)),
                [[r["label"], r["reports"], r["closed"], r["open"], r["merged"], r["average_days"], r["median_days"]]
                 for r in rows if r["reports"] or not skip_zero])


def render(content: dict[str, Any], font_path: str) -> bytes:
    """The report as A4 colour pages in one PDF."""
    pages = Pages(font_path)
    t = content["totals"]
    pages.space(120)
    pages.text(content["title"], "title", center=True, gap=22)
    pages.text(f"（{content['period_label']}）", "subtitle", center=True, gap=30)
    pages.text(content["issuer"], "body", center=True, gap=12, fill=MUTED)
    span = f"统计期间：{content['date_from']} 至 {content['date_to']}"
    if content["partial"]:
        span += f"（期间未结束，数据截至 {content['as_of']}）"
    pages.text(span, "body", center=True, gap=12, fill=MUTED)
    pages.text(f"生成时间：{content['generated_local']}", "body", center=True, gap=40, fill=MUTED)

    pages.heading("一、总体情况")
    for sentence in content["assessment"][:2]:
        pages.text(sentence)
    pages.space(8)
    handling = t["handling_days"]
    pages.table((("项目", 5), ("数值", 3), ("项目", 5), ("数值", 3)), [
        ["报送风险信息（条）", t["reports"], "上期报送（条）", content["previous_reports"]],
        ["已办结（条）", t["closed"], "办结率", "—" if t["closed_rate"] is None else f"{t['closed_rate'] * 100:.1f}%"],
        ["处置中（条）", t["open"], "其中逾期（条）", content["overdue"]],
        ["已合并（条）", t["merged"], "严重 / 重大隐患（条）", f"{t['serious']} / {t['major']}"],
        ["平均办结用时（天）", handling["average"], "中位办结用时（天）", handling["median"]],
    ])

    by = content["by"]
    pages.heading("二、风险信息分布")
    pages.image(bar_chart(font_path, "图1  按领域", _chart_items(by["area"])))
    pages.image(bar_chart(font_path, "图2  按信息类型", _chart_items(by["kind"])))
    pages.image(bar_chart(font_path, "图3  按隐患等级", _chart_items(by["level"]), colours=LEVEL_COLOURS))
    pages.image(bar_chart(font_path, "图4  按地区", _chart_items(by["region"], skip_zero=True)))
    pages.heading("（一）按领域", "subheading")
    _group_table(pages, by["area"], "领域")
    pages.heading("（二）按信息类型", "subheading")
    _group_table(pages, by["kind"], "信息类型")
    pages.heading("（三）按隐患等级", "subheading")
    _group_table(pages, by["level"], "隐患等级")
    pages.heading("（四）按设备种类", "subheading")
    _group_table(pages, by["category"], "设备种类", skip_zero=True)
    pages.heading("（五）按地区", "subheading")
    _group_table(pages, by["region"], "地区")

    trend = content["trend"]
    pages.heading("三、变化趋势")
    pages.image(column_chart(font_path, f"图5  近{len(trend)}个月风险信息报送与办结（按报送月份）",
                             [r["key"].replace("-", ".") for r in trend],
                             [("报送", [r["reports"] for r in trend]), ("其中已办结", [r["closed"] for r in trend])]))

    pages.heading("四、逐级处置情况")
    pages.text("各级停留时间按处置路径逐段计算：自报告到达该级至其离开该级（上报、退回、下发措施或办结），"
               "只统计已结束的停留；“当前在办”为统计期内报送、目前仍由该级办理的数量。", "small", gap=8, fill=MUTED)
    pages.table((("处置层级", 5), ("已结束停留（次）", 3), ("平均停留（天）", 3), ("中位停留（天）", 3),
                 ("当前在办（条）", 3)),
                [[r["label"], r["holdings"], r["average_days"], r["median_days"], r["held_now"]]
                 for r in content["held_by_level"]])
    _group_table(pages, by["handling_level"], "最高处置层级")
    _group_table(pages, by["status"], "状态")

    pages.heading("五、主要风险")
    main = content["main_risks"]
    for sentence in main["summary"]:
        pages.text(sentence)
    pages.heading("严重、重大隐患风险信息", "subheading")
    pages.table((("编号", 2), ("标题", 7), ("地区", 3), ("设备种类", 3), ("等级", 2), ("状态", 3), ("处置措施", 7)),
                [[r["id"], r["title"], r["region"], r["category"], r["level"], r["status"], r["measures"] or ""]
                 for r in content["serious_reports"]])
    if content["serious_total"] > len(content["serious_reports"]):
        pages.text(f"另有 {content['serious_total'] - len(content['serious_reports'])} 条未列出。", "small")

    pages.heading("六、典型案例")
    if not content["cases"]:
        pages.text("本期未发布典型案例。")
    for number, case in enumerate(content["cases"], start=1):
        pages.heading(f"案例{number}：{case['title']}", "subheading")
        pages.text(f"地区：{case['region']}　领域：{case['area']}　设备种类：{case['category']}", "small",
                   fill=MUTED)
        pages.text(f"案情与处置：{case['summary']}")
        if case["lessons"]:
            pages.text(f"经验与启示：{case['lessons']}")
        pages.space(8)

    pages.heading("七、评估意见与建议")
    for sentence in content["assessment"][2:]:
        pages.text(sentence)
    pages.space(10)
    pages.text(content["non_punitive_note"], "small", fill=MUTED)

    images = pages.finish(f"{content['title']}（{content['period_label']}）")
    stream = io.BytesIO()
    images[0].save(stream, "PDF", save_all=True, append_images=images[1:], resolution=float(DPI), quality=88,
                   title=f"{content['title']}（{content['period_label']}）", author=content["issuer"],
                   creator="陕西省特种设备智慧监管平台")
    return stream.getvalue()
