"""The project's CJK font, loaded once per process for every renderer.

The set-up installs Debian's fonts-wqy-microhei (LABEL_FONT_PATH, a .ttc); it carries Latin
letters and digits as well, so one font sets every text. Pillow uses it for the label images
(`qr.render`), ReportLab for the PDF documents (`core.documents`), which embeds only the glyphs
a document uses (a subset), so the text stays text: searchable, copyable, read aloud.
"""
from __future__ import annotations

from functools import lru_cache
from hashlib import sha1

from PIL import ImageFont


@lru_cache(maxsize=32)
def pil_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """The font at `size` pixels for Pillow drawing (first face of a collection)."""
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=4)
def pdf_font(path: str) -> str:
    """Register the font with ReportLab (once per path) and return its registered name.

    ReportLab's TTFont reads the first face of a .ttc (`subfontIndex=0`) and subsets it into each
    PDF it is used in."""
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    # Binary streams, not ASCII85 text: a fifth smaller (every renderer registers the font first).
    rl_config.useA85 = 0

    name = "CJK-" + sha1(path.encode()).hexdigest()[:8]
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
    return name
