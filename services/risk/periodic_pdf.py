"""The periodic risk-assessment report as a PDF, laid out by `core.documents`.

The report's content is built as plain data by `services.risk.periodic_content`; here it becomes
an A4 document: cover, headings, paragraphs, tables, vector bar charts (by area, kind, hazard level
and region) and the monthly trend as grouped columns. The text is real text in the embedded CJK
font subset, so the report can be searched, copied and read aloud.
"""
from __future__ import annotations

from typing import Any

from core.documents import Document

LEVEL_COLOURS = {"一般": "#70ad47", "严重": "#ed7d31", "重大": "#c00000", "未定级": "#a5a5a5"}


def _chart_items(rows: list[dict], *, skip_zero: bool = False, limit: int | None = None) -> list[tuple[str, int]]:
    items = [(r["label"], r["reports"]) for r in rows if r["reports"] or not skip_zero]
    return items[:limit] if limit else items


def _group_table(doc: Document, rows: list[dict], first: str, *, skip_zero: bool = False) -> None:
    doc.table(((first, 4), ("报送", 2), ("已办结", 2), ("处置中", 2), ("已合并", 2), ("平均办结（天）", 3),
               ("中位办结（天）", 3)),
              [[r["label"], r["reports"], r["closed"], r["open"], r["merged"], r["average_days"], r["median_days"]]
               for r in rows if r["reports"] or not skip_zero])


def render(content: dict[str, Any], font_path: str) -> bytes:
    """The report as an A4 PDF with a text layer and vector charts."""
    name = f"{content['title']}（{content['period_label']}）"
    doc = Document(name, font_path, author=content["issuer"], subject=f"统计期间 {content['date_from']} 至 "
                                                                      f"{content['date_to']}")
    t = content["totals"]
    span = f"统计期间：{content['date_from']} 至 {content['date_to']}"
    if content["partial"]:
        span += f"（期间未结束，数据截至 {content['as_of']}）"
    doc.cover(content["title"], f"（{content['period_label']}）",
              [content["issuer"], span, f"生成时间：{content['generated_local']}"], space_before=40)

    doc.heading("一、总体情况")
    for sentence in content["assessment"][:2]:
        doc.paragraph(sentence)
    handling = t["handling_days"]
    doc.table((("项目", 5), ("数值", 3), ("项目", 5), ("数值", 3)), [
        ["报送风险信息（条）", t["reports"], "上期报送（条）", content["previous_reports"]],
        ["已办结（条）", t["closed"], "办结率", "—" if t["closed_rate"] is None else f"{t['closed_rate'] * 100:.1f}%"],
        ["处置中（条）", t["open"], "其中逾期（条）", content["overdue"]],
        ["已合并（条）", t["merged"], "严重 / 重大隐患（条）", f"{t['serious']} / {t['major']}"],
        ["平均办结用时（天）", handling["average"], "中位办结用时（天）", handling["median"]],
    ])

    by = content["by"]
    doc.heading("二、风险信息分布")
    doc.bar_chart("图1  按领域", _chart_items(by["area"]), unit="条")
    doc.bar_chart("图2  按信息类型", _chart_items(by["kind"]), unit="条")
    doc.bar_chart("图3  按隐患等级", _chart_items(by["level"]), colours=LEVEL_COLOURS, unit="条")
    doc.bar_chart("图4  按地区", _chart_items(by["region"], skip_zero=True), unit="条")
    doc.heading("（一）按领域", 2)
    _group_table(doc, by["area"], "领域")
    doc.heading("（二）按信息类型", 2)
    _group_table(doc, by["kind"], "信息类型")
    doc.heading("（三）按隐患等级", 2)
    _group_table(doc, by["level"], "隐患等级")
    doc.heading("（四）按设备种类", 2)
    _group_table(doc, by["category"], "设备种类", skip_zero=True)
    doc.heading("（五）按地区", 2)
    _group_table(doc, by["region"], "地区")

    trend = content["trend"]
    doc.heading("三、变化趋势")
    doc.column_chart(f"图5  近{len(trend)}个月风险信息报送与办结（按报送月份）",
                     [r["key"].replace("-", ".") for r in trend],
                     [("报送", [r["reports"] for r in trend]), ("其中已办结", [r["closed"] for r in trend])])

    doc.heading("四、逐级处置情况")
    doc.paragraph("各级停留时间按处置路径逐段计算：自报告到达该级至其离开该级（上报、退回、下发措施或办结），"
                  "只统计已结束的停留；“当前在办”为统计期内报送、目前仍由该级办理的数量。", "small", muted=True)
    doc.table((("处置层级", 5), ("已结束停留（次）", 3), ("平均停留（天）", 3), ("中位停留（天）", 3),
               ("当前在办（条）", 3)),
              [[r["label"], r["holdings"], r["average_days"], r["median_days"], r["held_now"]]
               for r in content["held_by_level"]])
    _group_table(doc, by["handling_level"], "最高处置层级")
    _group_table(doc, by["status"], "状态")

    doc.heading("五、主要风险")
    for sentence in content["main_risks"]["summary"]:
        doc.paragraph(sentence)
    doc.heading("严重、重大隐患风险信息", 2)
    doc.table((("编号", 2), ("标题", 7), ("地区", 3), ("设备种类", 3), ("等级", 2), ("状态", 3), ("处置措施", 7)),
              [[r["id"], r["title"], r["region"], r["category"], r["level"], r["status"], r["measures"] or ""]
               for r in content["serious_reports"]])
    if content["serious_total"] > len(content["serious_reports"]):
        doc.paragraph(f"另有 {content['serious_total'] - len(content['serious_reports'])} 条未列出。", "small")

    doc.heading("六、典型案例")
    if not content["cases"]:
        doc.paragraph("本期未发布典型案例。")
    for number, case in enumerate(content["cases"], start=1):
        doc.heading(f"案例{number}：{case['title']}", 2)
        doc.paragraph(f"地区：{case['region']}　领域：{case['area']}　设备种类：{case['category']}", "small", muted=True)
        doc.paragraph(f"案情与处置：{case['summary']}")
        if case["lessons"]:
            doc.paragraph(f"经验与启示：{case['lessons']}")

    doc.heading("七、评估意见与建议")
    for sentence in content["assessment"][2:]:
        doc.paragraph(sentence)
    doc.space(6)
    doc.paragraph(content["non_punitive_note"], "small", muted=True)
    return doc.render()
