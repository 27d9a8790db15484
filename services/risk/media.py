"""Photos and documents of a risk report: checked, stripped of location, thumbnailed.

- A photo is an upload of the reporter's unit (`/api/v1/uploads`), a JPEG or PNG that really decodes,
  at most RISK_MAX_PHOTOS of them; documents are uploads of the unit too (PDF, Office, images).
- Location never stays in a photo: at submission each photo is re-saved without its metadata —
  losslessly, by dropping the JPEG segments that carry EXIF (with GPS), XMP and IPTC, and PNG's
  eXIf and text chunks; only the EXIF orientation is written back, so the picture stays upright.
  This happens in the submission's own request, so no photo with a location is ever attached to
  a report, even when the job queue is down.
- Thumbnails (at most THUMBNAIL_SIZE pixels a side, JPEG) are background work (`THUMBNAIL_WORK`, job
  `jobs.risk.make_thumbnails`) requested after the commit; a thumbnail is a stored file whose id is derived from the photo's
  (`thumbnail_id`), so it is found without another column and made once.
"""
from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from datetime import datetime, timedelta

from flask import current_app
from PIL import Image, ImageOps
from sqlalchemy import select

from core import work
from core.errors import InvalidInput, NotFound
from core.extensions import db
from core import storage
from core.storage import StoredFile, get_storage
from models.risk import RiskReport

PHOTO_TYPES = ("image/jpeg", "image/png")
MAX_DOCUMENTS = 9
THUMBNAIL_SIZE = 320
ORIENTATION_TAG = 0x0112
# Thumbnails have no status column: only reports this recent are looked at by the sweep, so a photo
# that never decodes is not retried for ever (its report shows the photo itself instead).
THUMBNAIL_LOOKBACK = timedelta(days=2)

# JPEG markers whose segments are dropped: APP1 (EXIF incl. GPS, XMP), APP13 (IPTC / Photoshop).
_DROP_JPEG_MARKERS = (0xE1, 0xED)
# PNG chunks that can carry EXIF or free text (XMP, comments with places).
_DROP_PNG_CHUNKS = (b"eXIf", b"tEXt", b"iTXt", b"zTXt")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BadImage(ValueError):
    """The bytes are not an image we can clean."""


def max_photos() -> int:
    """RISK_MAX_PHOTOS: how many photos a report may carry."""
    return int(current_app.config["RISK_MAX_PHOTOS"])


def _unit_files(unit_id: int, ids: list[str], field: str, limit: int, noun: str) -> list[StoredFile]:
    ids = list(dict.fromkeys(ids or []))
    if len(ids) > limit:
        raise InvalidInput.field(field, f"{noun}最多 {limit} 个。", code=f"too_many_{field}")
    if not ids:
        return []
    rows = {row.id: row for row in db.session.scalars(
        select(StoredFile).where(StoredFile.id.in_(ids), StoredFile.owner_unit_id == unit_id))}
    if len(rows) != len(ids):
        raise InvalidInput.field(field, f"{noun}不存在或不是本单位上传的，请重新上传。", code="file_invalid")
    return [rows[i] for i in ids]


def require_photos(unit_id: int, photo_ids: list[str]) -> list[StoredFile]:
    """Photos for a report: the unit's own uploads, JPEG or PNG, that decode whole within
    IMAGE_MAX_PIXELS (`core.storage.check_image`); at most RISK_MAX_PHOTOS.

    Raises InvalidInput (422) on the `photo_ids` field (`photo_invalid`, `image_too_large`, ...).
    """
    rows = _unit_files(unit_id, photo_ids, "photo_ids", max_photos(), "照片")
    for row in rows:
        if row.content_type not in PHOTO_TYPES:
            raise InvalidInput.field("photo_ids", f"「{row.filename}」不是照片，照片只接受 JPG、PNG。",
                                     code="photo_type_not_allowed")
        # Decoded whole again: uploads stored before every image was decoded at upload may be broken.
        storage.check_image(read(row), field="photo_ids", name=f"照片「{row.filename}」",
                            invalid_code="photo_invalid")
    return rows


def require_documents(unit_id: int, document_ids: list[str]) -> list[StoredFile]:
    """Documents for a report: the unit's own uploads, at most MAX_DOCUMENTS."""
    return _unit_files(unit_id, document_ids, "document_ids", MAX_DOCUMENTS, "附件")


def read(row: StoredFile) -> bytes:
    """A stored file's bytes."""
    with get_storage().open(row.storage_key) as stream:
        return stream.read()


def _open(data: bytes) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (Image.DecompressionBombWarning, Image.DecompressionBombError, OSError, ValueError) as exc:
            raise BadImage(str(exc)) from exc


# -- stripping ---------------------------------------------------------------------------

def _orientation(data: bytes) -> int | None:
    try:
        with _open(data) as image:
            value = image.getexif().get(ORIENTATION_TAG)
    except Exception:
        return None
    return value if isinstance(value, int) and 2 <= value <= 8 else None


def _orientation_segment(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    payload = exif.tobytes()
    return b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload


def _entropy_end(data: bytes, start: int) -> int:
    """Where the entropy-coded data after an SOS ends: the next marker that is not stuffing or RSTn."""
    j, n = start, len(data)
    while True:
        j = data.find(b"\xff", j)
        if j < 0 or j + 1 >= n:
            return n
        following = data[j + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            j += 1 if following == 0xFF else 2
            continue
        return j


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without EXIF/XMP (APP1), IPTC (APP13) and multi-picture data; orientation kept."""
    if not data.startswith(b"\xff\xd8"):
        raise BadImage("not a JPEG")
    orientation = _orientation(data)
    out = bytearray(b"\xff\xd8")
    if orientation:
        out += _orientation_segment(orientation)
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            raise BadImage("JPEG marker expected")
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker == 0xD9:  # end of the primary image: what follows (MPF pictures, trailers) is dropped
            out += b"\xff\xd9"
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        if i + 2 > n:
            raise BadImage("truncated JPEG segment")
        length = int.from_bytes(data[i:i + 2], "big")
        segment = data[i:i + length]
        i += length
        drop = marker in _DROP_JPEG_MARKERS or (marker == 0xE2 and segment[2:6] == b"MPF\x00")
        if not drop:
            out += bytes((0xFF, marker)) + segment
        if marker == 0xDA:  # start of scan: copy the compressed data up to the next marker
            end = _entropy_end(data, i)
            out += data[i:end]
            i = end
    return bytes(out)


def strip_png(data: bytes) -> bytes:
    """The PNG without its eXIf and text chunks."""
    if not data.startswith(PNG_SIGNATURE):
        raise BadImage("not a PNG")
    out = bytearray(PNG_SIGNATURE)
    i, n = len(PNG_SIGNATURE), len(data)
    while i + 8 <= n:
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        end = i + 12 + length
        if end > n:
            raise BadImage("truncated PNG chunk")
        if kind not in _DROP_PNG_CHUNKS:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            break
    return bytes(out)


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The image without location or other metadata (JPEG and PNG; other types unchanged)."""
    if content_type == "image/jpeg":
        return strip_jpeg(data)
    if content_type == "image/png":
        return strip_png(data)
    return data


def strip_location(row: StoredFile) -> bool:
    """Re-save a photo without its metadata (same stored file, new size and checksum).

    Idempotent: a photo already clean is left as it is. Returns whether it changed.
    """
    data = read(row)
    try:
        clean = strip_metadata(data, row.content_type)
    except BadImage:
        raise InvalidInput.field("photo_ids", f"照片「{row.filename}」已损坏或无法识别，请重新拍摄上传。",
                                 code="photo_invalid")
    if clean == data:
        return False
    get_storage().save(row.storage_key, clean)
    row.size = len(clean)
    row.sha256 = hashlib.sha256(clean).hexdigest()
    db.session.flush()
    return True


# -- thumbnails ---------------------------------------------------------------------------

def thumbnail_id(photo_id: str) -> str:
    """The stored-file id of a photo's thumbnail ("th" is not hex, so it never meets an upload's id)."""
    return "th" + hashlib.sha256(photo_id.encode()).hexdigest()[:30]


def find_thumbnail(photo_id: str) -> StoredFile | None:
    """The photo's thumbnail once the job has made it."""
    return db.session.get(StoredFile, thumbnail_id(photo_id))


def make_thumbnail(photo: StoredFile) -> StoredFile | None:
    """The photo's thumbnail, made once (no metadata: Pillow writes none unless asked).

    Returns None when the photo cannot be decoded (it was checked at submission, so this is rare).
    """
    existing = find_thumbnail(photo.id)
    if existing is not None:
        return existing
    try:
        with _open(read(photo)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            buffer = io.BytesIO()
            image.save(buffer, "JPEG", quality=80, optimize=True)
    except (BadImage, OSError, ValueError):
        return None
    data = buffer.getvalue()
    key = secrets.token_hex(24)
    storage.put(key, data)
    base = photo.filename.rsplit(".", 1)[0]
    row = StoredFile(id=thumbnail_id(photo.id), storage_key=key, filename=f"{base}-缩略图.jpg"[:255],
                     content_type="image/jpeg", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                     owner_person_id=photo.owner_person_id, owner_unit_id=photo.owner_unit_id)
    db.session.add(row)
    db.session.flush()
    return row


def make_thumbnails(photo_ids: list[str]) -> int:
    """Thumbnails for these photos; returns how many were made now."""
    made = 0
    for photo_id in photo_ids:
        photo = db.session.get(StoredFile, photo_id)
        if photo is None or find_thumbnail(photo_id) is not None:
            continue
        if make_thumbnail(photo) is not None:
            made += 1
    return made


def make_report_thumbnails(report_id: int, progress: work.Progress | None = None) -> int:
    """The job's work (run by `THUMBNAIL_WORK.perform`, which claimed the report): thumbnails of the
    report's photos; made once, so a later run makes nothing. Returns how many were made now."""
    report = db.session.get(RiskReport, report_id)
    if report is None:
        return 0
    return make_thumbnails(list(report.photo_ids or []))


def thumbnail_job_id(report_id: int) -> str:
    """The rq job id of a report's thumbnails, the same at submission and in the sweep."""
    return f"risk-thumbnails-{report_id}"


def reports_lacking_thumbnails(since: datetime, before: datetime) -> list[int]:
    """Reports created between `since` and `before` with a stored photo that has no thumbnail:
    their job was lost, or died before its commit. The window keeps a photo that never decodes
    from being retried for ever."""
    rows = db.session.execute(select(RiskReport.id, RiskReport.photo_ids)
                              .where(RiskReport.created_at >= since, RiskReport.created_at < before)
                              .order_by(RiskReport.id)).all()
    photos = {row.id: list(row.photo_ids) for row in rows if row.photo_ids}
    wanted = {photo_id for ids in photos.values() for photo_id in ids}
    if not wanted:
        return []
    stored = set(db.session.scalars(select(StoredFile.id).where(
        StoredFile.id.in_(wanted | {thumbnail_id(photo_id) for photo_id in wanted}))))
    return [report_id for report_id, ids in photos.items()
            if any(p in stored and thumbnail_id(p) not in stored for p in ids)]


def waiting_thumbnails(before: datetime) -> list[int]:
    """Reports of the last THUMBNAIL_LOOKBACK, created before `before`, still lacking a thumbnail
    (for the sweep of lost work, `THUMBNAIL_WORK`)."""
    return reports_lacking_thumbnails(before - THUMBNAIL_LOOKBACK, before)


def report_file(photo_ids: list[str], document_ids: list[str], file_id: str, thumbnail: bool = False) -> StoredFile:
    """A photo or document of a report (for a viewer who may see the report); a photo's thumbnail
    when asked, or the photo itself while its thumbnail is not yet made."""
    if file_id not in (photo_ids or []) and file_id not in (document_ids or []):
        raise NotFound("未找到该附件。", code="risk_file_not_found")
    row = db.session.get(StoredFile, file_id)
    if row is None:
        raise NotFound("未找到该附件。", code="risk_file_not_found")
    if thumbnail and file_id in (photo_ids or []):
        return find_thumbnail(file_id) or row
    return row


# No status to fail: a photo that cannot be thumbnailed is shown as it is.
THUMBNAIL_WORK = work.WorkKind("risk_thumbnails", queue="default", timeout="THUMBNAIL_JOB_TIMEOUT",
                               job_id=thumbnail_job_id, waiting=waiting_thumbnails, claim=work.advisory_claim)
