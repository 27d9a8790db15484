"""Records for an inspection visit (Order 74 archives): one device's month, a unit's week or month,
as A4 PDF with a Chinese text layer and as .xlsx, for the unit and the regulators in scope."""
import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from core.timeutil import business_today
from tests.checks.fixtures_reports import add_check, add_checks, add_finding, monday, previous_month
from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)

POPPLER = ("pdftoppm", "pdfinfo", "pdftotext", "pdffonts")
needs_poppler = pytest.mark.skipif(not all(shutil.which(tool) for tool in POPPLER),
                                   reason="poppler-utils (pdftoppm, pdfinfo, pdftotext) come with `make test`")
RECORDS = "/api/v1/checks/records"


def sheet_rows(data: bytes) -> list[list]:
    """The sheet's non-empty rows, trailing empty cells cut."""
    rows = []
    for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] in (None, ""):
            cells.pop()
        if cells:
            rows.append(cells)
    return rows


def pdf_info(path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def pdf_text(path) -> str:
    """The PDF's text layer, as pdftotext reads it."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def render(data: bytes, tmp_path, dpi: int = 200) -> list[Image.Image]:
    (tmp_path / "r.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(tmp_path / "r.pdf"), str(tmp_path / "p")],
                   check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp_path.glob("p*.png"))]


def ink_box(page: Image.Image, top: int, bottom: int) -> tuple[int, int, int, int] | None:
    """The bounding box of dark pixels in a horizontal band."""
    band = page.crop((0, top, page.width, bottom)).point(lambda v: 255 if v < 128 else 0)
    return band.getbbox()


@pytest.fixture
def month_of_checks(works):
    """Last month for elevator 1: checked every day but the 3rd and the 10th; one finding."""
    first, last = previous_month()
    e1 = works["elevators"][0]
    missed = {first + timedelta(days=2), first + timedelta(days=9)}
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        if day not in missed:
            add_check(e1, day, works["officer"], abnormal=1 if n == 4 else 0, note="门锁松动" if n == 4 else None)
    add_finding(e1, "serious", opened=first + timedelta(days=4), description="层门门锁啮合不足")
    return {"first": first, "last": last, "missed": missed, "elevator": e1}


def test_a_devices_month_as_xlsx_lists_every_day_with_missed_days_marked_and_its_findings(
        client, works, month_of_checks):
    first, e1 = month_of_checks["first"], month_of_checks["elevator"]
    response = client.get(f"{RECORDS}/device/{e1.id}.xlsx?month={first:%Y-%m}", headers=works["director_headers"])
    assert response.status_code == 200, response.json
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = sheet_rows(response.data)
    assert rows[0][0] == "《每日电梯安全检查记录》"
    by_day = {r[0][:10]: r for r in rows if r and isinstance(r[0], str) and r[0][:4].isdigit() and "（" in r[0]}
    assert len(by_day) == (month_of_checks["last"] - first).days + 1
    assert sorted(d for d, r in by_day.items() if r[1] == "未检查（漏检）") == sorted(
        d.isoformat() for d in month_of_checks["missed"])
    fifth = by_day[(first + timedelta(days=4)).isoformat()]
    assert fifth[1:3] == ["已检查", "安全员甲"] and fifth[4] == "异常 1 项" and "门锁松动" in fifth[5]
    assert any(len(r) > 3 and r[3] == "层门门锁啮合不足" and r[2] == "严重" for r in rows)
    assert ["已检查 / 漏检（天）", f"{len(by_day) - 2} / 2"] in rows


@needs_poppler
def test_a_devices_month_as_pdf_is_a4_with_its_chinese_text_as_text(client, works, month_of_checks, tmp_path):
    e1 = month_of_checks["elevator"]
    response = client.get(f"{RECORDS}/device/{e1.id}.pdf?month={month_of_checks['first']:%Y-%m}",
                          headers=works["officer_headers"])
    assert (response.status_code, response.mimetype) == (200, "application/pdf")
    (tmp_path / "d.pdf").write_bytes(response.data)
    info = pdf_info(tmp_path / "d.pdf")
    assert info["Title"] == "每日电梯安全检查记录"
    assert info["Page size"].endswith("(A4)")
    assert len(render(response.data, tmp_path, dpi=50)) == int(info["Pages"]) >= 1
    # The text layer: what pdftotext reads is what the page says (searchable, copyable, read aloud).
    text = "".join(pdf_text(tmp_path / "d.pdf").split())
    missed = min(month_of_checks["missed"])
    for expected in ("《每日电梯安全检查记录》", works["unit"].name, "每日检查记录", "检查情况", "异常项及备注",
                     "隐患及整改", "层门门锁啮合不足", "未检查（漏检）", f"{missed.isoformat()}（",
                     f"第1页共{info['Pages']}页"):
        assert expected in text, expected
    # the CJK font is embedded (as a subset), so any reader shows the same glyphs
    fonts = subprocess.run(["pdffonts", str(tmp_path / "d.pdf")], capture_output=True, text=True, check=True).stdout
    assert any("WenQuanYi" in line and line.split()[-5:-2] == ["yes", "yes", "yes"] for line in fonts.splitlines())


@needs_poppler
def test_a_long_week_record_breaks_onto_more_a4_pages(client, works, make_equipment, tmp_path):
    m = monday(1)
    for n in range(60):  # sixty elevators, none checked: sixty rows of missed devices
        make_equipment(works["unit"], "3110", use_status="in_use", product_name=f"{n}号货梯")
    response = client.get(f"{RECORDS}/unit/{works['unit'].id}/week.pdf?kind_code=3000&week={m}",
                          headers=works["director_headers"])
    assert response.status_code == 200
    (tmp_path / "w.pdf").write_bytes(response.data)
    assert int(pdf_info(tmp_path / "w.pdf")["Pages"]) >= 3
    pages = render(response.data, tmp_path, dpi=50)
    assert all(ink_box(p, 0, p.height) for p in pages)  # no blank page


def test_a_units_week_as_xlsx_carries_the_report_its_figures_and_the_analysis(client, works):
    m = monday(1)
    e1, e2 = works["elevators"]
    add_checks(e1, [m + timedelta(days=i) for i in range(7)], works["officer"])
    query = f"kind_code=3000&week={m}"
    client.post(f"/api/v1/checks/weekly/submit?{query}", json={"analysis": "2号客梯全周未检，已整改。"},
                headers=works["director_headers"])
    response = client.get(f"{RECORDS}/unit/{works['unit'].id}/week.xlsx?{query}", headers=works["admin_headers"])
    assert response.status_code == 200
    rows = sheet_rows(response.data)
    assert rows[0][0] == "《每周电梯安全排查治理报告》"
    assert ["状态", "已提交"] in rows and ["安全总监", "总监甲"] in rows
    assert ["日管控应检（台次）", 14] in rows and ["漏检（台次）", 7] in rows
    assert [e2.equipment_code, "2号客梯", 7] == next(r for r in rows if r[0] == e2.equipment_code)[:3]
    assert ["2号客梯全周未检，已整改。"] == next(r for r in rows if r[0] == "2号客梯全周未检，已整改。")[:1]


def test_a_units_month_as_xlsx_and_pdf_carries_the_minutes(client, works):
    today = business_today()
    client.post("/api/v1/checks/monthly/submit?kind_code=3000", headers=works["principal_headers"],
                json={"meeting_date": today.isoformat(), "attendees": [{"name": "厂长甲", "role": "主要负责人"}],
                      "decisions": "增配一名安全员。", "next_month_tasks": "开展应急演练。"})
    base = f"{RECORDS}/unit/{works['unit'].id}/month"
    rows = sheet_rows(client.get(f"{base}.xlsx?kind_code=3000", headers=works["admin_headers"]).data)
    assert rows[0][0] == "《每月电梯安全调度会议纪要》"
    assert ["厂长甲", "主要负责人"] in rows and ["增配一名安全员。"] in rows and ["开展应急演练。"] in rows
    pdf = client.get(f"{base}.pdf?kind_code=3000&month={today:%Y-%m}", headers=works["admin_headers"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_records_are_for_the_unit_and_regulators_in_scope_only(client, works, make_unit, make_person,
                                                              auth_headers, regulator):
    e1 = works["elevators"][0]
    stranger = auth_headers(make_person(make_unit("use", "610113"), "safety_director"))
    device, week = f"{RECORDS}/device/{e1.id}.xlsx", f"{RECORDS}/unit/{works['unit'].id}/week.xlsx?kind_code=3000"
    assert client.get(device, headers=stranger).status_code == 404
    assert client.get(week, headers=stranger).status_code == 404
    assert client.get(device, headers=regulator("610113")).status_code == 200
    assert client.get(week, headers=regulator("610100")).status_code == 200
    assert client.get(week, headers=regulator("610103")).status_code == 404
    assert client.get(device).status_code == 401
    assert client.get(f"{RECORDS}/device/{e1.id}.doc", headers=works["admin_headers"]).status_code == 404
    response = client.get(f"{RECORDS}/device/{e1.id}.pdf?month=2026/11", headers=works["admin_headers"])
    assert response.status_code == 422 and "month" in response.json["details"]["fields"]
