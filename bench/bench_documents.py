"""Document benchmark (issue "Platform v2", item 5): size and render time of the platform's PDFs.

With the fixed data of `bench/documents_data.py` (no database needed):

- the quarter's periodic risk report (`services.risk.periodic_pdf.render`);
- a device's month of daily checks, the record book (`services.checks.records.to_pdf`);
- an A4 label sheet of BENCH_DOCUMENTS_LABELS labels (default 1,000; `qr.sheets.write_sheet_pdf`).

Each PDF is rendered BENCH_DOCUMENTS_ROUNDS times (default 3) and the median time reported; then
pdfinfo gives its pages, pdftotext its text (how many CJK characters come out) and pdfimages how
many images it holds. Prints `figure <name> <value> <unit>` lines.

Figures (2 cores shared with other work; times move with the load, sizes do not). Before: Pillow
raster pages. After: `core.documents` / `qr.sheets` on ReportLab, text layer, embedded font subset.

- periodic risk report (a quarter): before 4 pages, 903.0 KB, 401 ms, no text, 4 page images;
  after 5 pages, 73.0 KB, 192 ms, 1,564 CJK characters from pdftotext, no image.
- daily-check record book (a month): before 2 pages, 42.5 KB, 248 ms, no text;
  after 2 pages, 40.7 KB, 99 ms, 706 CJK characters.
- label sheet of 1,000 labels: before 84 pages, 2,928.2 KB, 1,832 ms, no text;
  after 84 pages, 375.2 KB, 1,734 ms, text.

Side by side in one process (old modules loaded from the commit before the change, interleaved
rounds, medians, machine under load): report 1,603 → 362 ms, record book 1,056 → 169 ms, 1,000
labels 7,978 → 3,988 ms; 10,000 labels (two rounds) 64-72 s / 30 MB → 36-62 s / 3.6 MB.
"""
from __future__ import annotations

import io
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench import documents_data as data
from core.config import Config

ROUNDS = int(os.environ.get("BENCH_DOCUMENTS_ROUNDS", "3"))
LABELS = int(os.environ.get("BENCH_DOCUMENTS_LABELS", "1000"))


def figure(name: str, value, unit: str) -> None:
    print(f"figure {name} {value} {unit}", flush=True)


def timed(render) -> tuple[bytes, float]:
    """The PDF and the median render time in ms."""
    times, pdf = [], b""
    for _ in range(ROUNDS):
        start = time.perf_counter()
        pdf = render()
        times.append((time.perf_counter() - start) * 1000)
    return pdf, statistics.median(times)


def inspect(name: str, pdf: bytes, ms: float) -> None:
    figure(f"{name}_size", round(len(pdf) / 1024, 1), "KB")
    figure(f"{name}_render", round(ms), "ms")
    if not shutil.which("pdfinfo"):
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        pages = next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))
        figure(f"{name}_pages", pages, "pages")
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        figure(f"{name}_text_cjk", sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff"), "chars")
        listing = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                                 check=True).stdout.splitlines()
        figure(f"{name}_images", max(0, len(listing) - 2), "images")


def labels(count: int):
    from qr.render import LabelText
    for i in range(count):
        code = f"61{i:012d}"
        yield LabelText(code=code, url=f"https://tzsb.example.gov.cn/c/{code}", category="曳引驱动乘客电梯",
                        cert_no=f"梯11陕A{i:05d}(26)", use_unit=f"西安市某商业综合体有限公司第{i % 50}分公司",
                        rescue_phone="96333" if i % 2 else None)


def main() -> None:
    font = Config().LABEL_FONT_PATH
    from services.checks import records
    from services.risk import periodic_pdf
    from qr.sheets import write_sheet_pdf

    content = data.periodic_content()
    pdf, ms = timed(lambda: periodic_pdf.render(content, font))
    inspect("periodic_report", pdf, ms)

    title, subtitle, meta, sections, filename = data.record_book_parts()
    record = records.Record(title, subtitle, meta,
                            [records.Section(h, columns, rows) for h, columns, rows in sections], filename)
    pdf, ms = timed(lambda: records.to_pdf(record, font))
    inspect("record_book", pdf, ms)

    def sheet() -> bytes:
        stream = io.BytesIO()
        write_sheet_pdf(labels(LABELS), font, stream)
        return stream.getvalue()
    pdf, ms = timed(sheet)
    inspect(f"label_sheet_{LABELS}", pdf, ms)


if __name__ == "__main__":
    main()
