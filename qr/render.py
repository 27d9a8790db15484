"""QR labels with qrcode + Pillow: the QR, the category, the 使用登记证编号, the use unit
and, for elevators, the 96333 rescue line. Chinese text needs a CJK font installed by
the project's set-up (Debian's fonts-wqy-microhei, path in LABEL_FONT_PATH).

Speed: qrcode spends most of its time choosing a mask, so the mask is fixed (any
mask gives a valid code); the matrix is scaled with Pillow rather than drawn box
by box, and fonts are loaded once.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw
from qrcode.constants import ERROR_CORRECT_M

from core.fonts import pil_font as _font  # the one font loader (cached per path and size)

MASK_PATTERN = 2
LABEL_SIZE = (600, 340)
QR_PIXELS = 300


@dataclass(frozen=True)
class LabelText:
    """What a label says besides the QR."""

    code: str
    url: str
    category: str
    cert_no: str | None
    use_unit: str | None
    rescue_phone: str | None = None  # 96333 for elevators


@lru_cache(maxsize=64)
def _version_for(length: int) -> int:
    """The smallest QR version for data of this length (codes share one length)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    code.add_data("x" * length)
    return code.best_fit()


def qr_image(data: str, pixels: int = QR_PIXELS) -> Image.Image:
    """A black-on-white QR of about `pixels` square, quiet zone included (mode L)."""
    code = qrcode.QRCode(version=_version_for(len(data.encode())), error_correction=ERROR_CORRECT_M, border=2,
                         mask_pattern=MASK_PATTERN)
    code.add_data(data)
    code.make(fit=False)
    matrix = code.get_matrix()
    n = len(matrix)
    raw = bytes(0 if cell else 255 for row in matrix for cell in row)
    modules = Image.frombytes("L", (n, n), raw)
    scale = max(1, pixels // n)
    return modules.resize((n * scale, n * scale), Image.Resampling.NEAREST)


@lru_cache(maxsize=4096)
def _glyph(char: str, font_path: str, size: int) -> tuple[Image.Image, int]:
    """One character and its advance, rendered once."""
    font = _font(font_path, size)
    advance = round(font.getlength(char))
    image = Image.new("L", (max(1, advance), size + size // 3), 255)
    ImageDraw.Draw(image).text((0, 0), char, font=font, fill=0)
    return image, advance


@lru_cache(maxsize=4096)
def _text(text: str, font_path: str, size: int, width: int) -> Image.Image:
    """A line of text set from cached glyphs (labels repeat few characters), cut to `width`."""
    glyphs = [_glyph(ch, font_path, size) for ch in text]
    if sum(a for _, a in glyphs) > width:
        ellipsis = _glyph("…", font_path, size)
        while glyphs and sum(a for _, a in glyphs) + ellipsis[1] > width:
            glyphs.pop()
        glyphs.append(ellipsis)
    image = Image.new("L", (max(1, sum(a for _, a in glyphs)), size + size // 3), 255)
    x = 0
    for glyph, advance in glyphs:
        image.paste(glyph, (x, 0))
        x += advance
    return image


@lru_cache(maxsize=4)
def _background(font_path: str) -> Image.Image:
    """The parts every label shares: border, title and captions, drawn once."""
    image = Image.new("L", LABEL_SIZE, 255)
    draw = ImageDraw.Draw(image)
    x = QR_PIXELS + 24
    draw.text((x, 22), "特种设备一码通", font=_font(font_path, 26), fill=0)
    for i, caption in enumerate(("类别", "登记证", "使用单位")):
        draw.text((x, 72 + 58 * i), caption, font=_font(font_path, 18), fill=0)
    draw.rectangle((0, 0, LABEL_SIZE[0] - 1, LABEL_SIZE[1] - 1), outline=0, width=2)
    return image


def label_image(label: LabelText, font_path: str) -> Image.Image:
    """One label (mode L), LABEL_SIZE pixels."""
    image = _background(font_path).copy()
    qr = qr_image(label.url)
    image.paste(qr, (10, (LABEL_SIZE[1] - 30 - qr.height) // 2))
    code = _text(label.code, font_path, 18, QR_PIXELS)
    image.paste(code, (10 + (qr.width - code.width) // 2, LABEL_SIZE[1] - 34))
    x, width = QR_PIXELS + 24, LABEL_SIZE[0] - QR_PIXELS - 34
    values = (label.category, label.cert_no or "未登记", label.use_unit or "—")
    for i, value in enumerate(values):
        image.paste(_text(value, font_path, 22, width), (x, 94 + 58 * i))
    if label.rescue_phone:
        image.paste(_text(f"困人救援 {label.rescue_phone}", font_path, 26, width), (x, 72 + 58 * 3 + 4))
    return image


def label_png(label: LabelText, font_path: str) -> bytes:
    stream = io.BytesIO()
    # Labels print black on white: a 1-bit PNG is small and quick to encode.
    label_image(label, font_path).point(lambda v: 255 if v > 150 else 0, mode="1").save(
        stream, format="PNG", compress_level=1)
    return stream.getvalue()
