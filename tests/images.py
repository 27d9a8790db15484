"""Images for upload tests: real ones, and the bad ones acceptance testing stored (a program behind
JPEG magic bytes, truncated pictures, a PNG "bomb"), plus a way to store a file as uploads were
stored before every image was decoded at upload."""
from __future__ import annotations

import functools
import hashlib
import io
import secrets
import struct
import zlib

from PIL import Image

from core.extensions import db
from core.storage import StoredFile, put


def png(size: tuple[int, int] = (4, 3), colour=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg(size: tuple[int, int] = (320, 240), colour=(200, 60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


# A Windows program with a JPEG's first bytes (SOI + APP0) in front of it.
EXE_AS_JPEG = b"\xff\xd8\xff\xe0" + b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(512)


def truncated_jpeg() -> bytes:
    data = jpeg()
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = png((200, 200))
    return data[: len(data) // 2]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@functools.cache
def png_bomb(width: int = 30000, height: int = 30000) -> bytes:
    """A 1-bit greyscale PNG of width × height black pixels: about 100 KB that decodes to ~900 M pixels."""
    row = b"\x00" + bytes((width + 7) // 8)
    compressor = zlib.compressobj(9)
    block, rows = row * 1000, height // 1000
    idat = (b"".join(compressor.compress(block) for _ in range(rows))
            + compressor.compress(row * (height - rows * 1000)) + compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def stored_unchecked(unit_id: int, data: bytes, filename: str, content_type: str) -> str:
    """Store a file the way uploads were stored before images were decoded (no check); its id."""
    key = secrets.token_hex(24)
    put(key, data)
    row = StoredFile(id=secrets.token_hex(16), storage_key=key, filename=filename, content_type=content_type,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), owner_unit_id=unit_id)
    db.session.add(row)
    db.session.flush()
    return row.id
