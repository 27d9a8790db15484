"""A4 label sheets (`qr.sheets`): vector pages whose QR codes scan and whose text is text."""
import io
import shutil
import subprocess

import pytest

from qr.render import LabelText
from qr.sheets import LABELS_PER_PAGE, write_sheet_pdf

needs_tools = pytest.mark.skipif(not all(shutil.which(t) for t in ("zbarimg", "pdftoppm", "pdftotext", "pdfimages")),
                                 reason="zbarimg and poppler-utils come with `make test` (zbar-tools, poppler-utils)")


def labels(count: int) -> list[LabelText]:
    return [LabelText(code=f"61{n:012d}", url=f"https://example.gov.cn/c/61{n:012d}", category="曳引驱动乘客电梯",
                      cert_no=f"梯11陕A{n:05d}(26)", use_unit="西安市雁塔区某某物业服务有限公司第一分公司",
                      rescue_phone="96333") for n in range(count)]


@needs_tools
def test_a_label_sheet_has_scannable_codes_and_its_text_as_text(tmp_path, app):
    done = []
    stream = io.BytesIO()
    pages = write_sheet_pdf(labels(LABELS_PER_PAGE + 3), app.config["LABEL_FONT_PATH"], stream, progress=done.append)
    assert pages == 2 and done == [LABELS_PER_PAGE, LABELS_PER_PAGE + 3]
    path = tmp_path / "sheet.pdf"
    path.write_bytes(stream.getvalue())
    text = "".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())
    for expected in ("特种设备一码通", "使用单位", "61000000000014", "梯11陕A00014(26)", "困人救援96333"):
        assert expected in text, expected
    assert subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                          check=True).stdout.splitlines()[2:] == []  # drawn, not pictured
    subprocess.run(["pdftoppm", "-r", "150", "-f", "2", "-l", "2", "-png", str(path), str(tmp_path / "p")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(next(tmp_path.glob("p*.png")))], capture_output=True,
                             text=True).stdout.split()
    assert sorted(decoded) == [f"https://example.gov.cn/c/61{n:012d}" for n in range(12, 15)]
