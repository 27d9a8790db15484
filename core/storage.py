"""Uploaded files behind a small storage interface (a local directory by default).

A file is checked by its first bytes, not by the name or the type the client
claims, and by size; an image (JPEG, PNG) must also decode whole within IMAGE_MAX_PIXELS
(`check_image`), so a program behind an image's magic bytes, a truncated picture or a
decompression bomb is refused at upload. Then it is stored under a random key. The `stored_files` row
records who uploaded it and its checksum.

Files follow the transaction of their rows: a file written (`put`) in a transaction that
rolls back is deleted, so a refused request or a failed job leaves nothing behind; a file
given up (`discard`, e.g. a regenerated report's old one) is deleted only once the commit
that dropped its row has happened.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app, has_app_context
from PIL import Image
from sqlalchemy import Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.columns import UTCDateTime
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.timeutil import utcnow

log = logging.getLogger(__name__)
_WRITTEN, _DISCARDED = "storage_written_keys", "storage_discarded_keys"


class StoredFile(db.Model):
    __tablename__ = "stored_files"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    storage_key: Mapped[str] = mapped_column(String(128), nullable=False, unique=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(128), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    owner_person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    owner_unit_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]
    magic: bytes


# What may be uploaded: photos and documents. Office files are zip containers.
FILE_KINDS = (
    FileKind("image/jpeg", (".jpg", ".jpeg"), b"\xff\xd8\xff"),
    FileKind("image/png", (".png",), b"\x89PNG\r\n\x1a\n"),
    FileKind("application/pdf", (".pdf",), b"%PDF-"),
    FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",), b"PK\x03\x04"),
    FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",), b"PK\x03\x04"),
)


IMAGE_TYPES = ("image/jpeg", "image/png")


class TooLarge(AppError):
    status, code = 413, "file_too_large"


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under one directory, two levels of fan-out by key prefix."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def get_storage() -> Storage:
    return LocalStorage(current_app.config["UPLOAD_DIR"])


def put(key: str, data: bytes) -> None:
    """Write a new file whose row goes into the current transaction: deleted again if that
    transaction (or the savepoint it was written in) rolls back."""
    get_storage().save(key, data)
    _remember(_WRITTEN, key)


def discard(row: StoredFile) -> None:
    """Give up a stored file: its row is deleted now, the file once that deletion is committed."""
    db.session.delete(row)
    _remember(_DISCARDED, row.storage_key)


def _remember(kind: str, key: str) -> None:
    """Note `key` with the transactions it depends on, innermost savepoint to the root."""
    session = db.session()
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    chain = []
    while transaction is not None:
        chain.append(transaction)
        transaction = transaction.parent
    session.info.setdefault(kind, []).append((key, tuple(chain)))


def _delete(keys: list[str]) -> None:
    if not keys or not has_app_context():
        return
    storage = get_storage()
    for key in keys:
        try:
            storage.delete(key)
        except OSError:
            log.warning("stored file %s not deleted", key, exc_info=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """The root transaction committed: written files stay, discarded ones go. (SQLAlchemy fires
    this at a savepoint's release too: then nothing is final yet.)"""
    if session.in_nested_transaction():
        return
    session.info.pop(_WRITTEN, None)
    _delete([key for key, _ in session.info.pop(_DISCARDED, [])])


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    """A transaction or a savepoint rolled back: the files written in it go, its discards are off."""
    undone: dict[str, list[str]] = {}
    for kind in (_WRITTEN, _DISCARDED):
        entries = session.info.pop(kind, None)
        if not entries:
            continue
        undone[kind] = [key for key, chain in entries if previous_transaction in chain]
        kept = [(key, chain) for key, chain in entries if previous_transaction not in chain]
        if kept:
            session.info[kind] = kept
    _delete(undone.get(_WRITTEN, []))


def detect_kind(filename: str, head: bytes) -> FileKind:
    """The file's kind from its content; the extension must agree with it."""
    ext = os.path.splitext(filename.lower())[1]
    for kind in FILE_KINDS:
        if head.startswith(kind.magic) and ext in kind.extensions:
            return kind
    allowed = "、".join(sorted({e for k in FILE_KINDS for e in k.extensions}))
    raise InvalidInput(f"不支持的文件类型，只接受 {allowed}，且内容须与扩展名一致。",
                       code="file_type_not_allowed", details={"fields": {"file": ["文件类型不支持。"]}})


def check_image(data: bytes, *, field: str = "file", name: str = "图片", invalid_code: str = "image_invalid") -> None:
    """Decode the whole image within IMAGE_MAX_PIXELS, or refuse it (422 on `field`).

    The first bytes say only what a file claims to be: an .exe behind JPEG magic bytes, a truncated
    JPEG or a 30000×30000 PNG "bomb" pass them. Decoding every pixel is the one check that holds;
    the size in pixels is checked before decoding, so a bomb never expands in memory.
    Raises InvalidInput `image_too_large` or `invalid_code` (`image_invalid`).
    """
    limit = int(current_app.config["IMAGE_MAX_PIXELS"])
    too_large = InvalidInput.field(field, f"{name}尺寸过大（超过 {limit // 1_000_000} 百万像素），请缩小后重新上传。",
                                   code="image_too_large")
    invalid = InvalidInput.field(field, f"{name}已损坏或不是有效的图片，请重新拍摄或上传。", code=invalid_code)
    with warnings.catch_warnings():
        # Pillow's own bomb limit warns below twice its size: refuse, never just warn.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > limit:
                    raise too_large
                image.load()
        except InvalidInput:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_large from None
        except Exception:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, struct.error ... on bad data
            raise invalid from None


def read_bytes(row: StoredFile) -> bytes:
    """A stored file's bytes."""
    with get_storage().open(row.storage_key) as stream:
        return stream.read()


def store_upload(stream: BinaryIO, filename: str, owner_person_id: int | None,
                 owner_unit_id: int | None, max_bytes: int | None = None) -> StoredFile:
    """Check and store one uploaded file; the row is added to the session (no commit)."""
    limit = max_bytes or current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件不能超过 {_size_label(limit)}。")
    if not data:
        raise InvalidInput("文件为空。", code="file_empty", details={"fields": {"file": ["文件为空。"]}})
    kind = detect_kind(filename, data[:16])
    if kind.content_type in IMAGE_TYPES:
        check_image(data)
    file_id = secrets.token_hex(16)
    key = secrets.token_hex(24)
    put(key, data)
    row = StoredFile(
        id=file_id, storage_key=key, filename=os.path.basename(filename)[:255] or "file",
        content_type=kind.content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        owner_person_id=owner_person_id, owner_unit_id=owner_unit_id,
    )
    db.session.add(row)
    db.session.flush()
    return row
