"""Records for an inspection visit, as PDF and .xlsx.

Order 74 (总局令第74号) has the use unit keep the 日管控 / 周排查 / 月调度 records for the
regulators' inspection: 《每日XX安全检查记录》 (one device's month, day by day, missed days
marked), 《每周XX安全排查治理报告》 and 《每月XX安全调度会议纪要》 (one unit's week or month).
A record is built once as data (`Record`) and then laid out as an A4 PDF by `core.documents`
(real text in the embedded CJK font, LABEL_FONT_PATH), or written with openpyxl.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import or_, select

from core import xlsx
from core.auth import Identity
from core.documents import Document
from core.extensions import db
from core.timeutil import SHANGHAI, as_utc
from models.checks import DailyCheck
from models.equipment import Equipment
from models.findings import FINDING_STATUSES, SEVERITIES, Finding
from models.orgs import Person, Unit
from services.checks import monthly, periods, scope, weekly
from services.equipment import catalogue

WEEKDAYS = "一二三四五六日"


@dataclass
class Section:
    """A heading with a table (columns as (title, relative width)) or a paragraph."""

    heading: str
    columns: tuple[tuple[str, int], ...] = ()
    rows: list[list[Any]] = field(default_factory=list)
    text: str | None = None


@dataclass
class Record:
    title: str
    subtitle: str
    meta: list[tuple[str, Any]]
    sections: list[Section]
    filename: str


def _local(moment: datetime | None) -> str:
    return as_utc(moment).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else ""


def _day(value: date | str) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.isoformat()}（{WEEKDAYS[day.weekday()]}）"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _or_none(rows: list[list[Any]], width: int) -> list[list[Any]]:
    return rows or [["无"] + [""] * (width - 1)]


# -- building the records --------------------------------------------------------------------------

def figure_sections(figures: dict[str, Any]) -> list[Section]:
    """The week's or month's figures as tables (shared by the weekly report and the minutes)."""
    opened, closed, still = figures["findings_opened"], figures["findings_closed"], figures["findings_open"]
    summary = [["在用设备（台）", figures["devices_in_use"]], ["统计天数", figures["days_counted"]],
               ["日管控应检（台次）", figures["checks_expected"]], ["日管控已检（台次）", figures["checks_done"]],
               *([["今日待检（台次）", figures["checks_pending"]]] if figures.get("checks_pending") else []),
               ["漏检（台次）", figures["checks_missed"]], ["完成率", _rate(figures["check_rate"])],
               ["期末未整改隐患（项）", still["total"]], ["逾期未整改（项）", figures["overdue_total"]],
               ["因隐患停用设备（台）", len(figures["hazard_stopped"])]]
    sections = [
        Section("一、概况", (("项目", 3), ("数值", 2)), summary),
        Section("二、每日检查情况", (("日期", 3), ("应检", 1), ("已检", 1), ("漏检", 1)),
                _or_none([[_day(d["date"]), d["expected"], d["done"], d["missed"]] for d in figures["by_day"]], 4)),
        Section("三、漏检设备", (("设备代码", 3), ("设备名称", 3), ("漏检天数", 1), ("漏检日期", 5)),
                _or_none([[m["equipment_code"] or m["equipment_id"], m["name"], m["missed"],
                           "、".join(d[5:] for d in m["dates"])] for m in figures["missed_by_device"]], 4)),
        Section("四、隐患发现与整改", (("隐患等级", 2), ("新发现", 1), ("已整改", 1), ("期末未整改", 1)),
                [[label, opened[code], closed[code], still[code]] for code, label in SEVERITIES.items()]
                + [["合计", opened["total"], closed["total"], still["total"]]]),
        Section("五、逾期未整改隐患", (("编号", 1), ("设备", 3), ("等级", 1), ("问题描述", 5), ("整改期限", 2),
                                  ("逾期天数", 1)),
                _or_none([[o["finding_id"], o["equipment_code"] or o["name"], o["severity_label"], o["description"],
                           o["deadline"], o["days_overdue"]] for o in figures["overdue"]], 6)),
        Section("六、因隐患停用设备", (("设备代码", 3), ("设备名称", 3), ("设备地点", 5)),
                _or_none([[h["equipment_code"] or h["equipment_id"], h["name"], h["address"]]
                          for h in figures["hazard_stopped"]], 3)),
    ]
    if figures["missed_devices_total"] > len(figures["missed_by_device"]):
        sections[2].rows.append([f"另有 {figures['missed_devices_total'] - len(figures['missed_by_device'])} 台未列出",
                                 "", "", ""])
    return sections


def unit_week(identity: Identity, unit: Unit, kind_code: str | None, day: date | None, today: date) -> Record:
    """《每周XX安全排查治理报告》 of a unit, as saved (or pre-filled when not yet written)."""
    v = weekly.view(identity, unit, kind_code, day, today)
    period = f"{v['week_start'].isoformat()} 至 {v['week_end'].isoformat()}"
    meta = [("使用单位", unit.name), ("设备种类", f"{v['kind_code']} {v['kind_name']}"), ("统计期间", period),
            ("状态", v["status_label"]), ("安全总监", v["director_name"] or ""),
            ("提交时间", _local(v["submitted_at"]))]
    sections = figure_sections(v["figures"]) + [Section("七、排查分析与治理措施", text=v["analysis"] or "（未填写）")]
    return Record(v["title"], f"{unit.name}　{period}", meta, sections,
                  f"{v['title'].strip('《》')}-{v['week_start'].isoformat()}")


def unit_month(identity: Identity, unit: Unit, kind_code: str | None, month: date | None, today: date) -> Record:
    """《每月XX安全调度会议纪要》 of a unit, with the director's report and the month's figures."""
    v = monthly.view(identity, unit, kind_code, month, today)
    label = v["month"].strftime("%Y年%m月")
    meta = [("使用单位", unit.name), ("设备种类", f"{v['kind_code']} {v['kind_name']}"), ("月份", label),
            ("状态", v["status_label"]), ("会议日期", v["meeting_date"].isoformat() if v["meeting_date"] else ""),
            ("主要负责人", v["principal_name"] or ""), ("提交时间", _local(v["submitted_at"]))]
    weeks = v["figures"]["weekly_reports"]["weeks"]
    status = {"submitted": "已提交", "draft": "草稿", "missing": "未提交"}
    sections = [
        Section("参会人员", (("姓名", 2), ("职务", 3)),
                _or_none([[a.get("name", ""), a.get("role", "")] for a in v["attendees"]], 2)),
        Section("安全总监汇报", text=v["director_report"]),
        *figure_sections(v["figures"]),
        Section("七、周排查报告", (("周", 4), ("应提交", 1), ("状态", 1), ("提交时间", 3)),
                _or_none([[f"{w['week_start']} 至 {w['week_end']}", "是" if w["due"] else "未到期",
                           status.get(w["status"], w["status"]), w["submitted_at"] or ""] for w in weeks], 4)),
        Section("会议决定事项", text=v["decisions"] or "（未填写）"),
        Section("下月重点工作任务", text=v["next_month_tasks"] or "（未填写）"),
    ]
    return Record(v["title"], f"{unit.name}　{label}", meta, sections,
                  f"{v['title'].strip('《》')}-{v['month'].strftime('%Y-%m')}")


def device_month(equipment: Equipment, month: date | None, today: date) -> Record:
    """《每日XX安全检查记录》 of one device for a month: every day, checked or missed, and its findings."""
    period = periods.month_period(month or today, today)
    kind_name = catalogue.kind_name(equipment.catalogue)
    checks = {c.check_date: (c, name) for c, name in db.session.execute(
        select(DailyCheck, Person.name).join(Person, Person.id == DailyCheck.officer_person_id)
        .where(DailyCheck.equipment_id == equipment.id, DailyCheck.check_date.between(period.start, period.end)))}
    expected = scope.is_covered(equipment)
    rows, done, missed = [], 0, 0
    for offset in range((period.end - period.start).days + 1):
        day = date.fromordinal(period.start.toordinal() + offset)
        check, officer = checks.get(day, (None, ""))
        if check is not None:
            done += 1
            abnormal = [r.get("text") or r.get("key") for r in check.results or [] if r.get("result") == "abnormal"]
            rows.append([_day(day), "已检查", officer, _local(check.submitted_at),
                         "零风险" if check.zero_risk else f"异常 {check.abnormal_count} 项",
                         "；".join(filter(None, [*abnormal, check.note]))])
        elif day > period.through:
            rows.append([_day(day), "—", "", "", "", ""])
        elif not expected or (equipment.put_into_use_date and day < equipment.put_into_use_date):
            rows.append([_day(day), "无须检查（未在用）", "", "", "", ""])
        elif day == period.open_day:  # not missed until the day is over
            rows.append([_day(day), "今日待检查", "", "", "", ""])
        else:
            missed += 1
            rows.append([_day(day), "未检查（漏检）", "", "", "", ""])
    start, end = periods.day_start_utc(period.start), periods.day_end_utc(period.end)
    findings = db.session.scalars(select(Finding).where(
        Finding.equipment_id == equipment.id, Finding.created_at < end,
        or_(Finding.created_at >= start, Finding.closed_at.is_(None), Finding.closed_at >= start))
        .order_by(Finding.created_at, Finding.id))
    finding_rows = [[f.id, _local(f.created_at)[:10], SEVERITIES.get(f.severity, f.severity), f.description,
                     f.deadline.isoformat() if f.deadline else "", FINDING_STATUSES.get(f.status, f.status),
                     _local(f.closed_at)] for f in findings]
    officer = db.session.get(Person, equipment.safety_officer_person_id) if equipment.safety_officer_person_id else None
    label = period.start.strftime("%Y年%m月")
    title = f"《每日{kind_name}安全检查记录》"
    meta = [("使用单位", equipment.use_unit.name if equipment.use_unit else equipment.legacy_use_unit_name or ""),
            ("设备代码", equipment.equipment_code or ""), ("使用登记证编号", equipment.registration_cert_no or ""),
            ("设备", f"{equipment.catalogue.name} {equipment.product_name or ''}".strip()),
            ("设备地点", equipment.address or ""), ("负责安全员", officer.name if officer else "未指定"),
            ("月份", label), ("已检查 / 漏检（天）", f"{done} / {missed}")]
    sections = [
        Section("每日检查记录", (("日期", 3), ("检查情况", 3), ("检查人", 2), ("提交时间", 3), ("结论", 2),
                              ("异常项及备注", 5)), rows),
        Section("隐患及整改", (("编号", 1), ("发现日期", 2), ("等级", 1), ("问题描述", 5), ("整改期限", 2),
                           ("状态", 2), ("整改完成", 3)), _or_none(finding_rows, 7)),
    ]
    return Record(title, f"{equipment.equipment_code or equipment.id}　{label}", meta, sections,
                  f"{title.strip('《》')}-{equipment.equipment_code or equipment.id}-{period.start.strftime('%Y-%m')}")


# -- PDF ------------------------------------------------------------------------------------------------

def to_pdf(record: Record, font_path: str) -> bytes:
    """The record as an A4 PDF (`core.documents`): title, particulars, then each section's table
    (header repeated on every page) or text, all of it real text in the embedded CJK font."""
    doc = Document(record.title.strip("《》"), font_path, footer=record.title, subject=record.subtitle)
    doc.cover(record.title, record.subtitle)
    doc.fields(record.meta)
    for section in record.sections:
        doc.heading(section.heading)
        if section.text is not None:
            doc.paragraph(section.text)
        else:
            doc.table(section.columns, section.rows)
    return doc.render()


# -- xlsx -----------------------------------------------------------------------------------------------

def to_xlsx(record: Record) -> bytes:
    """The record on one sheet, laid out as the PDF: title, particulars, then each section's table
    (header styled as every table the platform writes) or text; widths fitted to the tables."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "记录"
    sheet.append([record.title])
    sheet.append([record.subtitle])
    for label, value in record.meta:
        sheet.append([label, value])
    tables: list[list[Any]] = [[label, value] for label, value in record.meta]
    for section in record.sections:
        sheet.append([])
        sheet.append([section.heading])
        sheet.cell(sheet.max_row, 1).font = xlsx.HEADER_FONT
        if section.text is not None:
            sheet.append([section.text])
            sheet.cell(sheet.max_row, 1).alignment = xlsx.WRAP
            continue
        header = [title for title, _ in section.columns]
        sheet.append(header)
        xlsx.style_header(sheet[sheet.max_row][:len(header)])
        tables.append(header)
        for row in section.rows:
            sheet.append(row)
            tables.append(row)
    widths = xlsx.column_widths([""] * max((len(row) for row in tables), default=1), tables)
    xlsx.style_cover(sheet, widths=widths)
    return xlsx.to_bytes(workbook)
