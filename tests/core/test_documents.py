"""The A4 document renderer (`core.documents`): text stays text, tables carry their header onto
every page, user text is shown as typed, charts are drawn and pictures embedded."""
import io
import shutil
import subprocess

import pytest
from PIL import Image

from core.documents import Document

needs_poppler = pytest.mark.skipif(not all(shutil.which(t) for t in ("pdftotext", "pdfinfo", "pdfimages")),
                                   reason="poppler-utils come with `make test`")


def pages_text(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return ["".join(page.split()) for page in text.split("\f") if page.strip()]


def images(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "img.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:]


@needs_poppler
def test_a_long_table_repeats_its_header_on_every_page_and_numbers_its_pages(app, tmp_path):
    doc = Document("台账", app.config["LABEL_FONT_PATH"])
    doc.cover("设备台账", "2026年09月")
    doc.heading("一、设备清单")
    doc.table((("序号", 1), ("设备名称", 4), ("使用单位", 4)), [[n, f"曳引驱动乘客电梯{n}号", "西安市某单位"] for n in range(200)])
    pages = pages_text(doc.render(), tmp_path)
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert "序号设备名称使用单位" in page and f"第{number}页共{len(pages)}页" in page
    assert "曳引驱动乘客电梯199号" in pages[-1]


@needs_poppler
def test_user_text_is_shown_as_typed_and_an_overlong_cell_does_not_break_the_page(app, tmp_path):
    doc = Document("记录", app.config["LABEL_FONT_PATH"])
    doc.paragraph("安全阀<b>失效</b> & 压力表\n超期")
    doc.table((("编号", 1), ("问题描述", 6)), [[1, "门锁" * 3000], [2, None], [3, 2.5]])
    text = "".join(pages_text(doc.render(), tmp_path))
    assert "安全阀<b>失效</b>&压力表超期" in text
    assert "门锁门锁" in text and "…" in text and "2.5" in text and "—" in text


@needs_poppler
def test_charts_are_drawn_and_pictures_are_embedded(app, tmp_path):
    doc = Document("图表", app.config["LABEL_FONT_PATH"])
    doc.bar_chart("图1  按地区", [("西安市", 12), ("宝鸡市", 0)], unit="条")
    doc.column_chart("图2  月度", ["2026.08", "2026.09"], [("报送", [3, 5]), ("办结", [1, 4])])
    doc.line_chart("图3  趋势", ["2026.08", "2026.09"], [("报送", [3, 5])])
    pdf = doc.render()
    text = "".join(pages_text(pdf, tmp_path))
    assert all(s in text for s in ("图1按地区", "西安市", "12条", "图2月度", "图3趋势", "2026.09"))
    assert images(pdf, tmp_path) == []
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(photo, "PNG")
    doc.image(photo.getvalue(), width=120)
    assert len(images(doc.render(), tmp_path)) == 1
