"""Periodic risk-assessment reports: made by a job (scheduled and on demand), one per period,
PDF pages that render with charts, an .xlsx with the figures, readable by every regulator."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image
from rq import Queue
from sqlalchemy import func, select

from core.extensions import db
from core.redis import get_redis
from core.timeutil import SHANGHAI, utcnow
from models.risk import PeriodicRiskReport, TypicalCase
from tests.risk.fixtures_insights import QUARTER
from tests.risk.fixtures_insights import insights  # noqa: F401  (a fixture)

POPPLER = ("pdftoppm", "pdfinfo", "pdftotext", "pdfimages", "pdffonts")
needs_pdftoppm = pytest.mark.skipif(not all(shutil.which(tool) for tool in POPPLER),
                                    reason="poppler-utils (pdftoppm, pdfinfo, pdftotext) come with `make test`")


def generate(client, headers, run_jobs, period_type="quarter", period=QUARTER):
    response = client.post("/api/v1/risk/periodic-reports", json={"period_type": period_type, "period": period},
                           headers=headers)
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued"
    run_jobs()
    done = client.get(f"/api/v1/risk/periodic-reports/{response.json['id']}", headers=headers)
    assert done.status_code == 200 and done.json["status"] == "done", done.json
    return done.json


def poppler(tool: str, path, *args: str) -> str:
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])], capture_output=True,
                          text=True, check=True).stdout


def sheet_rows(workbook, name):
    return [list(row) for row in workbook[name].iter_rows(values_only=True)]


def figure(workbook, label):
    return next(row[1] for row in sheet_rows(workbook, "概况") if row and row[0] == label)


@needs_pdftoppm
def test_a_quarterly_report_is_made_by_the_job_and_its_pages_render(client, insights, run_jobs, tmp_path):
    db.session.add(TypicalCase(report_id=insights["r3"].id, title="起重机械检验周期典型案例", summary="案情与处置。",
                               lessons="经验。", status="published", published_at=insights["r3"].closed_at))
    db.session.flush()
    report = generate(client, insights["centre_h"], run_jobs)
    assert (report["period"], report["period_label"], report["partial"]) == ("2026-Q3", "2026年第三季度", False)
    pdf = client.get(f"/api/v1/risk/periodic-reports/{report['id']}/pdf", headers=insights["county_h"])
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf") and pdf.data.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert 3 <= pages <= 12
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(tmp_path / "page")], check=True)
    images = sorted(tmp_path.glob("page*.png"))
    assert len(images) == pages
    for image_path in images:
        with Image.open(image_path) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:200])
            assert dark > 0.005 * grey.width * grey.height, image_path.name  # not blank
    chart_pages = []  # the charts: coloured bars, not only black text
    for image_path in images:
        with Image.open(image_path) as page:
            colours = page.convert("RGB").getcolors(maxcolors=1 << 20)
            chart_pages.append(sum(n for n, (r, g, b) in colours if b > 140 and r < 100 and g < 150) > 500)
    assert any(chart_pages)
    stats = report["statistics"]
    assert [c["title"] for c in stats["cases"]] == ["起重机械检验周期典型案例"]
    assert [r["id"] for r in stats["serious_reports"]][0] == insights["r3"].id  # major first
    assert len(stats["serious_reports"]) == 3


def test_the_xlsx_carries_the_quarters_figures(client, insights, run_jobs):
    report = generate(client, insights["province_h"], run_jobs)
    response = client.get(f"/api/v1/risk/periodic-reports/{report['id']}/xlsx", headers=insights["city_h"])
    assert response.status_code == 200 and response.data.startswith(b"PK")
    book = load_workbook(io.BytesIO(response.data))
    assert figure(book, "报送风险信息（条）") == 7
    assert figure(book, "已办结（条）") == 4
    assert figure(book, "平均办结用时（天）") == 7.5
    assert figure(book, "中位办结用时（天）") == 4.5
    assert figure(book, "重大隐患（条）") == 1
    assert figure(book, "上期报送（2026年第二季度，条）") == 1
    regions = {row[0]: row[1] for row in sheet_rows(book, "按地区")[1:]}
    assert (regions["西安市"], regions["韩城市"], regions["铜川市"]) == (6, 1, 0)
    areas = {row[0]: row[1:3] for row in sheet_rows(book, "按领域")[1:]}
    assert areas["使用"] == [3, 1] and areas["行政监管"] == [0, 0]
    trend = {row[0]: row[1] for row in sheet_rows(book, "月度趋势")[1:]}
    assert len(trend) == 12 and trend["2026-06"] == 1 and trend["2026-07"] == 3 and trend["2026-09"] == 2
    held = {row[0]: row[1:4] for row in sheet_rows(book, "各级停留时间")[1:]}
    assert held["措施落实（属地）"] == [1, 10.0, 10.0]
    everything = json.dumps([sheet_rows(book, name) for name in book.sheetnames], ensure_ascii=False, default=str)
    everything += json.dumps(report["statistics"], ensure_ascii=False)
    assert not any(name in everything for name in insights["reporter_names"])
    assert "演示商场" not in everything and "演示化工" not in everything


def test_the_scheduled_job_makes_last_months_and_last_quarters_report_once(client, insights, run_jobs):
    queue = Queue("reports", connection=get_redis())
    queue.enqueue("jobs.risk.generate_due_periodic_reports", "2026-10-01T01:20:00+08:00")
    run_jobs()
    rows = db.session.scalars(select(PeriodicRiskReport).order_by(PeriodicRiskReport.period_type)).all()
    assert [(r.period_type, r.period_start.isoformat(), r.status) for r in rows] == [
        ("month", "2026-09-01", "done"), ("quarter", "2026-07-01", "done")]
    assert rows[1].statistics["totals"]["reports"] == 7 and rows[0].statistics["totals"]["reports"] == 2
    first_files = (rows[1].pdf_file_id, rows[1].xlsx_file_id)
    for moment in ("2026-10-01T01:20:00+08:00", "2026-10-02T01:20:00+08:00"):
        queue.enqueue("jobs.risk.generate_due_periodic_reports", moment)
        run_jobs()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(PeriodicRiskReport)) == 2
    assert (rows[1].pdf_file_id, rows[1].xlsx_file_id) == first_files  # not made again
    queue.enqueue("jobs.risk.generate_due_periodic_reports", "2026-11-01T01:20:00+08:00")
    run_jobs()
    months = db.session.scalars(select(PeriodicRiskReport.period_start).where(
        PeriodicRiskReport.period_type == "month").order_by(PeriodicRiskReport.period_start)).all()
    assert [m.isoformat() for m in months] == ["2026-09-01", "2026-10-01"]


def test_a_report_made_before_its_period_ended_is_made_again_after_it(client, insights, run_jobs):
    first = generate(client, insights["province_h"], run_jobs, "month", "2026-09")
    row = db.session.get(PeriodicRiskReport, first["id"])
    row.generated_at = row.updated_at = utcnow().replace(year=2026, month=9, day=20)
    row.statistics = {**row.statistics, "partial": True}
    db.session.flush()
    Queue("reports", connection=get_redis()).enqueue("jobs.risk.generate_due_periodic_reports",
                                                     "2026-10-01T01:20:00+08:00")
    run_jobs()
    db.session.expire_all()
    assert row.statistics["partial"] is False and row.generated_at.date().isoformat() != "2026-09-20"


def test_regenerating_on_demand_keeps_one_report_per_period(client, insights, run_jobs):
    first = generate(client, insights["province_h"], run_jobs)
    again = generate(client, insights["centre_h"], run_jobs)
    assert again["id"] == first["id"]
    listed = client.get("/api/v1/risk/periodic-reports?period_type=quarter", headers=insights["beilin_h"]).json
    assert listed["total"] == 1 and listed["items"][0]["has_pdf"]


def test_regenerating_a_report_deletes_the_previous_editions_files(client, insights, run_jobs, app):
    from pathlib import Path

    from core.storage import StoredFile

    first = db.session.get(PeriodicRiskReport, generate(client, insights["province_h"], run_jobs)["id"])
    old = [db.session.get(StoredFile, first.pdf_file_id), db.session.get(StoredFile, first.xlsx_file_id)]
    old_ids, old_keys = [f.id for f in old], [f.storage_key for f in old]
    files = Path(app.config["UPLOAD_DIR"])
    assert all((files / key[:2] / key).exists() for key in old_keys)

    generate(client, insights["centre_h"], run_jobs)
    db.session.expire_all()
    again = db.session.get(PeriodicRiskReport, first.id)
    assert {again.pdf_file_id, again.xlsx_file_id}.isdisjoint(old_ids)
    assert all(db.session.get(StoredFile, file_id) is None for file_id in old_ids)
    assert not any((files / key[:2] / key).exists() for key in old_keys)
    new = db.session.get(StoredFile, again.pdf_file_id)
    assert (files / new.storage_key[:2] / new.storage_key).exists()


def test_a_second_request_while_queued_queues_no_second_job(client, insights):
    body = {"period_type": "quarter", "period": QUARTER}
    first = client.post("/api/v1/risk/periodic-reports", json=body, headers=insights["province_h"])
    second = client.post("/api/v1/risk/periodic-reports", json=body, headers=insights["centre_h"])
    assert first.json["id"] == second.json["id"]
    assert Queue("reports", connection=get_redis()).count == 1


def test_only_the_province_and_the_centre_generate_and_everyone_else_reads(client, insights, run_jobs):
    body = {"period_type": "quarter", "period": QUARTER}
    for headers in (insights["city_h"], insights["county_h"], insights["expert_h"]):
        response = client.post("/api/v1/risk/periodic-reports", json=body, headers=headers)
        assert (response.status_code, response.json["code"]) == (403, "periodic_report_forbidden")
    report = generate(client, insights["province_h"], run_jobs)
    for headers in (insights["hancheng_h"], insights["expert_h"], insights["centre_h"]):
        assert client.get(f"/api/v1/risk/periodic-reports/{report['id']}/pdf", headers=headers).status_code == 200
    for headers in (insights["a_h"], insights["yanta_manager_h"]):
        response = client.get(f"/api/v1/risk/periodic-reports/{report['id']}/pdf", headers=headers)
        assert response.status_code == 403
        assert client.get("/api/v1/risk/periodic-reports", headers=headers).status_code == 403


@pytest.mark.parametrize("body, code", [
    ({"period_type": "quarter", "period": "2026-09"}, "period_invalid"),
    ({"period_type": "month", "period": "2026-Q3"}, "period_invalid"),
    ({"period_type": "week", "period": "2026-09"}, "validation_error"),
    ({"period_type": "quarter", "period": "2099-Q1"}, "period_not_started"),
    ({"period_type": "quarter", "period": "2999-Q1"}, "period_invalid"),
])
def test_a_bad_period_is_refused(client, insights, body, code):
    response = client.post("/api/v1/risk/periodic-reports", json=body, headers=insights["province_h"])
    assert (response.status_code, response.json["code"]) == (422, code), response.json


def test_a_file_not_yet_made_is_not_found(client, insights):
    body = {"period_type": "quarter", "period": QUARTER}
    queued = client.post("/api/v1/risk/periodic-reports", json=body, headers=insights["province_h"]).json
    response = client.get(f"/api/v1/risk/periodic-reports/{queued['id']}/pdf", headers=insights["province_h"])
    assert (response.status_code, response.json["code"]) == (404, "file_not_ready")


def test_the_current_quarter_can_be_made_as_a_partial_report(client, insights, run_jobs):
    from core.timeutil import business_today

    today = business_today()
    code = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    report = generate(client, insights["province_h"], run_jobs, "quarter", code)
    assert report["partial"] is True and report["as_of"] == today.isoformat()
    assert (today - timedelta(days=0)).isoformat() == report["statistics"]["as_of"]


@needs_pdftoppm
def test_the_demo_data_has_reports_in_every_state_and_a_quarterly_report(client, demo, run_jobs, auth_headers,
                                                                           tmp_path):
    from models.risk import MonitoringPoint, ReportRating, RiskReport
    from services.risk.statistics import period_of

    assert demo.load() == 0  # loading twice adds nothing
    assert sorted(db.session.scalars(select(MonitoringPoint.point_type))) == [
        "inspection", "production", "supervision", "use", "use"]
    reports = db.session.scalars(select(RiskReport)).all()
    states = {(r.status, r.level) for r in reports}
    assert {("handling", "county"), ("handling", "city"), ("assessing", "province"), ("implementing", "county"),
            ("closed", "county"), ("closed", "city")} <= states
    assert db.session.scalar(select(func.count()).select_from(ReportRating)) == 3
    assert db.session.scalar(select(TypicalCase.status)) == "published"
    first = min(r.submitted_at for r in reports).astimezone(SHANGHAI).date()
    quarter = period_of("quarter", first)
    in_quarter = sum(1 for r in reports if quarter.start <= r.submitted_at.astimezone(SHANGHAI).date() <= quarter.end)
    report = generate(client, auth_headers(demo.demo_person("demo-province")), run_jobs, "quarter", quarter.code)
    assert report["statistics"]["totals"]["reports"] == in_quarter
    assert report["statistics"]["cases"][0]["title"] == "同批次电梯层门门锁缺陷的逐级处置"
    pdf = client.get(f"/api/v1/risk/periodic-reports/{report['id']}/pdf",
                     headers=auth_headers(demo.demo_person("demo-county")))
    (tmp_path / "demo.pdf").write_bytes(pdf.data)
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(tmp_path / "demo.pdf"),
                    str(tmp_path / "page")], check=True)
    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        assert sum(page.convert("L").histogram()[:200]) > 0.005 * page.width * page.height


@needs_pdftoppm
def test_the_reports_pdf_is_text_with_its_font_embedded_and_vector_charts(client, insights, run_jobs, tmp_path):
    report = generate(client, insights["centre_h"], run_jobs)
    pdf = client.get(f"/api/v1/risk/periodic-reports/{report['id']}/pdf", headers=insights["city_h"])
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf.data)
    # pdftotext returns the Chinese text: title, period, issuer, headings, chart titles, table headers, a region
    text = "".join(poppler("pdftotext", path).split())
    region = next(r["label"] for r in report["statistics"]["by"]["region"] if r["reports"])
    for expected in ("陕西省特种设备风险监测评估报告", "2026年第三季度", "陕西省特种设备风险监测及应急保障中心",
                     "一、总体情况", "图1按领域", "图5近12个月风险信息报送与办结", "平均办结（天）", "严重、重大隐患风险信息",
                     "七、评估意见与建议", region, "第1页共"):
        assert expected in text, expected
    info = poppler("pdfinfo", path)
    assert "Title:           陕西省特种设备风险监测评估报告（2026年第三季度）" in info
    assert "Author:          陕西省特种设备风险监测及应急保障中心" in info
    fonts = poppler("pdffonts", path).splitlines()
    assert any("WenQuanYi" in line and line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts)  # subset
    # the charts are drawn, not pictures: the report holds no image at all, and stays small
    assert poppler("pdfimages", path, "-list").splitlines()[2:] == []
    assert len(pdf.data) < 200 * 1024
