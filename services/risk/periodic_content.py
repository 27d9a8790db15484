"""What a periodic risk-assessment report says (`services.risk.periodic`): its content from the
period's statistics, main risks and typical cases, and the .xlsx written from that content.

Nothing in it names a reporter, a point or a reporting unit (guidance 二(六)).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl import Workbook
from sqlalchemy import and_, case, func, select

from core import periods, xlsx
from core.extensions import db
from core.timeutil import SHANGHAI, as_utc, utcnow
from models.equipment import CatalogueEntry
from models.orgs import Region
from models.risk import AREAS, HAZARD_LEVELS, LEVELS, REPORT_STATUSES, RiskReport, TypicalCase
from services.risk import statistics as stats

TITLE = "陕西省特种设备风险监测评估报告"
ISSUER = "陕西省特种设备风险监测及应急保障中心"
NON_PUNITIVE = ("说明：本报告依据各风险监测点报送的信息统计形成，不含报送人身份信息。依据《关于建立陕西省特种设备领域"
                "风险监测机制的指导意见》二(六)，报送的信息仅用于各级安全监察部门帮扶指导解决问题，不得进行行政处罚"
                "或其他行政约束。")
TREND_MONTHS = {"month": 6, "quarter": 12}
SERIOUS_LIST_LIMIT = 30
DIMENSIONS = ("level", "handling_level", "region", "area", "kind", "category", "status")


def _names(model_key, model_name, keys: set) -> dict:
    keys = {k for k in keys if k}
    if not keys:
        return {}
    return dict(db.session.execute(select(model_key, model_name).where(model_key.in_(keys))).all())


def _serious(where) -> tuple[list[dict[str, Any]], int]:
    level = stats.hazard_level_expr()
    cond = and_(where, level.in_(("serious", "major")))
    total = db.session.scalar(select(func.count()).select_from(RiskReport).where(cond)) or 0
    rows = db.session.execute(
        select(RiskReport.id, RiskReport.title, RiskReport.region_code, RiskReport.catalogue_code,
               level.label("hazard"), RiskReport.status, RiskReport.level, RiskReport.measures,
               RiskReport.closing_note, RiskReport.submitted_at)
        .where(cond).order_by(case((level == "major", 0), else_=1), RiskReport.submitted_at, RiskReport.id)
        .limit(SERIOUS_LIST_LIMIT)).all()
    regions = _names(Region.code, Region.name, {r.region_code for r in rows})
    kinds = _names(CatalogueEntry.code, CatalogueEntry.kind_code, {r.catalogue_code for r in rows})
    kind_names = _names(CatalogueEntry.code, CatalogueEntry.name, set(kinds.values()))
    items = []
    for r in rows:
        measures = r.measures or r.closing_note or ""
        items.append({
            "id": r.id, "title": r.title, "region": regions.get(r.region_code, r.region_code),
            "category": kind_names.get(kinds.get(r.catalogue_code), "未注明"),
            "level": HAZARD_LEVELS.get(r.hazard, r.hazard), "status": REPORT_STATUSES.get(r.status, r.status),
            "handling_level": LEVELS.get(r.level, r.level),
            "submitted": as_utc(r.submitted_at).astimezone(SHANGHAI).date().isoformat(),
            "measures": measures[:200] + ("…" if len(measures) > 200 else ""),
        })
    return items, total


def _cases(start: date, end: date) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(TypicalCase, RiskReport.region_code, RiskReport.area, RiskReport.catalogue_code)
        .join(RiskReport, RiskReport.id == TypicalCase.report_id)
        .where(TypicalCase.status == "published", TypicalCase.published_at >= periods.day_start_utc(start),
               TypicalCase.published_at < periods.day_end_utc(end))
        .order_by(TypicalCase.published_at, TypicalCase.id)).all()
    regions = _names(Region.code, Region.name, {r.region_code for r in rows})
    kinds = _names(CatalogueEntry.code, CatalogueEntry.kind_code, {r.catalogue_code for r in rows})
    kind_names = _names(CatalogueEntry.code, CatalogueEntry.name, set(kinds.values()))
    return [{"id": c.id, "report_id": c.report_id, "title": c.title, "summary": c.summary, "lessons": c.lessons,
             "region": regions.get(region, region), "area": AREAS.get(area, area),
             "category": kind_names.get(kinds.get(code), "未注明"),
             "published": as_utc(c.published_at).astimezone(SHANGHAI).date().isoformat()}
            for c, region, area, code in rows]


def _share(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def _top(rows: list[dict], count: int) -> list[dict]:
    return sorted([r for r in rows if r["reports"]], key=lambda r: (-r["reports"], r["key"]))[:count]


def _assessment(content: dict[str, Any]) -> list[str]:
    """Plain sentences for the summary and the closing assessment, from the figures."""
    t, previous = content["totals"], content["previous_reports"]
    if not t["reports"]:
        return [f"本期（{content['period_label']}）全省各风险监测点未报送风险信息。",
                f"上期报送 {previous} 条。",
                "建议各级安全监察机构督促监测点及信息报送员常态化开展风险信息报送工作。"]
    change = t["reports"] - previous
    trend = f"增加 {change} 条" if change > 0 else f"减少 {-change} 条" if change < 0 else "持平"
    handling = t["handling_days"]
    days = (f"，平均办结用时 {handling['average']} 天（中位数 {handling['median']} 天）"
            if handling["average"] is not None else "")
    sentences = [
        f"本期（{content['period_label']}）全省各风险监测点共报送风险信息 {t['reports']} 条，较上期（{previous} 条）"
        f"{trend}。",
        f"已办结 {t['closed']} 条，办结率 {_share(t['closed'], t['reports'])}{days}；仍在处置 {t['open']} 条，"
        f"其中逾期 {content['overdue']} 条。",
    ]
    main = content["main_risks"]
    if main["areas"]:
        area = main["areas"][0]
        sentences.append(f"从领域看，风险信息主要集中在“{area['label']}”领域（{area['reports']} 条，占 "
                         f"{_share(area['reports'], t['reports'])}），建议针对该领域加强帮扶指导。")
    if main["categories"]:
        names = "、".join(f"{c['label']}（{c['reports']} 条）" for c in main["categories"][:3])
        sentences.append(f"从设备种类看，报送较多的是{names}，建议相关监察机构和检验机构予以重点关注。")
    if t["serious"] or t["major"]:
        sentences.append(f"本期研判为严重隐患 {t['serious']} 条、重大隐患 {t['major']} 条，须督促属地跟踪落实整改措施，"
                         "直至隐患消除。")
    provincial = next((r["reports"] for r in content["by"]["handling_level"] if r["key"] == "province"), 0)
    if provincial:
        sentences.append(f"上报至省级研判处置 {provincial} 条，占 {_share(provincial, t['reports'])}。")
    if content["overdue"]:
        sentences.append(f"有 {content['overdue']} 条风险信息超过办理期限，请相关层级尽快处置。")
    return sentences


def build_content(period_type: str, period: stats.Period, today: date) -> dict[str, Any]:
    """Everything the PDF and the .xlsx show, as plain JSON-ready data (stored on the row)."""
    root = stats.province_root()
    start, end = period.start, period.end
    where = stats.submitted_between(start, end)
    previous = period.previous()
    as_of = min(end, today)
    first = periods.month_period(as_of)  # the trend: months up to the period's last (or today's)
    for _ in range(TREND_MONTHS[period_type] - 1):
        first = first.previous()
    first = first.start
    by = {dimension: stats.groups(where, dimension, root, start, end) for dimension in DIMENSIONS}
    overdue = db.session.scalar(select(func.count()).select_from(RiskReport).where(
        where, RiskReport.status.in_(stats.OPEN_STATUSES), RiskReport.deadline < today)) or 0
    serious, serious_total = _serious(where)
    content: dict[str, Any] = {
        "title": TITLE, "issuer": ISSUER, "period_type": period_type, "period_code": period.code,
        "period_label": period.label, "date_from": start.isoformat(), "date_to": end.isoformat(),
        "as_of": as_of.isoformat(), "partial": today <= end,
        "generated_local": utcnow().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "totals": stats.totals(where),
        "previous_period": previous.label,
        "previous_reports": db.session.scalar(select(func.count()).select_from(RiskReport).where(
            stats.submitted_between(previous.start, previous.end))) or 0,
        "overdue": overdue,
        "by": by,
        "trend": stats.groups(stats.submitted_between(first, as_of), "month", root, first, as_of),
        "held_by_level": stats.held_by_level(where),
        "serious_reports": serious, "serious_total": serious_total,
        "cases": _cases(start, end),
        "non_punitive_note": NON_PUNITIVE,
    }
    main = {"categories": _top(by["category"], 5), "areas": _top(by["area"], 3), "regions": _top(by["region"], 5)}
    summary = []
    if main["categories"]:
        summary.append("报送最多的设备种类：" + "、".join(f"{r['label']} {r['reports']} 条" for r in main["categories"])
                       + "。")
    if main["areas"]:
        summary.append("报送最多的领域：" + "、".join(f"{r['label']} {r['reports']} 条" for r in main["areas"]) + "。")
    if main["regions"]:
        summary.append("报送最多的地区：" + "、".join(f"{r['label']} {r['reports']} 条" for r in main["regions"]) + "。")
    main["summary"] = summary or ["本期无风险信息。"]
    content["main_risks"] = main
    content["assessment"] = _assessment(content)
    return content


# -- .xlsx ----------------------------------------------------------------------------------------------

_GROUP_SHEETS = (("按地区", "region", "地区"), ("按领域", "area", "领域"), ("按信息类型", "kind", "信息类型"),
                 ("按隐患等级", "level", "隐患等级"), ("按设备种类", "category", "设备种类"),
                 ("按处置层级", "handling_level", "最高处置层级"), ("按状态", "status", "状态"))
_GROUP_HEADER = ("报送（条）", "已办结（条）", "处置中（条）", "已合并（条）", "平均办结用时（天）", "中位办结用时（天）")


def to_xlsx(content: dict[str, Any]) -> bytes:
    """The report's statistics as a workbook: a summary sheet and one table sheet per grouping."""
    workbook = Workbook()

    def table(title: str, header: tuple[str, ...], rows: list[list[Any]], wrap: bool = False) -> None:
        sheet = workbook.create_sheet(title)
        sheet.append(list(header))
        for row in rows:
            sheet.append(row)
            if wrap:
                for cell in sheet[sheet.max_row]:
                    cell.alignment = xlsx.WRAP
        xlsx.style_table(sheet)

    sheet = workbook.active
    sheet.title = "概况"
    sheet.append([f"{content['title']}（{content['period_label']}）"])
    sheet.append(["统计期间", f"{content['date_from']} 至 {content['date_to']}"])
    sheet.append(["数据截至", content["as_of"]])
    t = content["totals"]
    sheet.append(["项目", "数值"])
    header_row = sheet.max_row
    for label, value in (("报送风险信息（条）", t["reports"]), ("已办结（条）", t["closed"]), ("处置中（条）", t["open"]),
                         ("已合并（条）", t["merged"]), ("办结率", t["closed_rate"]),
                         ("平均办结用时（天）", t["handling_days"]["average"]),
                         ("中位办结用时（天）", t["handling_days"]["median"]), ("严重隐患（条）", t["serious"]),
                         ("重大隐患（条）", t["major"]), ("逾期（条）", content["overdue"]),
                         (f"上期报送（{content['previous_period']}，条）", content["previous_reports"])):
        sheet.append([label, value])
    sheet.append([])
    sheet.append(["评估意见"])
    assessment_row = sheet.max_row
    for sentence in content["assessment"]:
        sheet.append([sentence])
    sheet.append([])
    sheet.append([content["non_punitive_note"]])
    xlsx.style_cover(sheet, widths=(34, 24))
    xlsx.style_header(sheet[header_row])
    sheet.cell(assessment_row, 1).font = xlsx.HEADER_FONT

    for title, key, first in _GROUP_SHEETS:
        table(title, (first, *_GROUP_HEADER),
              [[r["label"], r["reports"], r["closed"], r["open"], r["merged"], r["average_days"], r["median_days"]]
               for r in content["by"][key]])
    table("月度趋势", ("月份", *_GROUP_HEADER),
          [[r["key"], r["reports"], r["closed"], r["open"], r["merged"], r["average_days"], r["median_days"]]
           for r in content["trend"]])
    table("各级停留时间", ("处置层级", "已结束停留（次）", "平均停留（天）", "中位停留（天）", "当前在办（条）"),
          [[r["label"], r["holdings"], r["average_days"], r["median_days"], r["held_now"]]
           for r in content["held_by_level"]])
    table("严重重大隐患", ("编号", "标题", "地区", "设备种类", "隐患等级", "状态", "当前层级", "报送日期", "处置措施"),
          [[r["id"], r["title"], r["region"], r["category"], r["level"], r["status"], r["handling_level"],
            r["submitted"], r["measures"]] for r in content["serious_reports"]], wrap=True)
    table("典型案例", ("编号", "标题", "地区", "领域", "设备种类", "发布日期", "案情与处置", "经验与启示"),
          [[c["id"], c["title"], c["region"], c["area"], c["category"], c["published"], c["summary"], c["lessons"]]
           for c in content["cases"]], wrap=True)
    return xlsx.to_bytes(workbook)


# -- reading --------------------------------------------------------------------------------------------
