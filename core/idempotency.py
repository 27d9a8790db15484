"""Idempotency keys for mobile writes: a retried request returns the first response.

The client sends `Idempotency-Key: <uuid>` with a write. The first response is
stored in the same transaction as the change it reports, so a retry after a
lost answer gets that response back instead of making a second record.
"""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime, timedelta

from flask import Response, current_app, g, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from core import tx
from core.auth import current_identity
from core.columns import UTCDateTime
from core.errors import InvalidInput
from core.extensions import db
from core.timeutil import utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 128


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("subject", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), nullable=False)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    path: Mapped[str] = mapped_column(String(256), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    content_type: Mapped[str | None] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False,
                                                 index=True)


def _subject() -> str:
    # Resolved here, not read from `g`: the view has not asked who the caller is yet.
    identity = current_identity()
    if identity.person_id is not None:
        return f"person:{identity.person_id}"
    if identity.client_id is not None:
        return f"client:{identity.client_id}"
    return f"ip:{request.remote_addr}"


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.path.encode())
    if request.mimetype == "multipart/form-data":
        # The boundary changes from one try to the next: hash what was sent, not its framing.
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"\0{name}={value}".encode())
        for name, file in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"\0{name}:{file.filename}:".encode())
            for chunk in iter(lambda: file.stream.read(65536), b""):
                digest.update(chunk)
            file.stream.seek(0)
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def find_record(subject: str, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.subject == subject, IdempotencyRecord.key == key)
    )


def replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body, status=record.status_code, content_type=record.content_type)
    response.headers["Idempotent-Replay"] = "true"
    return response


def replay_current() -> Response | None:
    """The stored response for this request's key, if another request stored one first."""
    key = getattr(g, "idempotency_key", None)
    if key is None:
        return None
    record = find_record(*key)
    return replay(record) if record else None


def idempotent(view):
    """Decorate a write view: with an Idempotency-Key header, a retry replays the first response.

    Place it right under the route decorator, above the schema decorators, so
    that it stores the serialised response.

    The same key with a different body is refused, so a client bug cannot
    silently return the answer to another request.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(f"{HEADER} 长度应为 1 到 {MAX_KEY_LENGTH} 个字符。", code="idempotency_key_invalid")
        subject = _subject()
        request_hash = _request_hash()
        existing = find_record(subject, key)
        if existing is not None:
            if existing.request_hash != request_hash:
                raise InvalidInput("同一个幂等键已用于另一次不同的提交。", code="idempotency_key_reused")
            return replay(existing)
        g.idempotency_key = (subject, key)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code < 400:
            db.session.add(IdempotencyRecord(
                subject=subject, key=key, method=request.method, path=request.path[:256],
                request_hash=request_hash, status_code=response.status_code,
                content_type=response.content_type, body=response.get_data(as_text=True),
            ))
            try:
                db.session.flush()
            except IntegrityError:
                # Another request with the same key committed first: answer as it did.
                tx.rollback()
                return replay_current() or response
        return response

    return wrapper


def purge_expired(now: datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_TTL_HOURS; returns how many."""
    cutoff = (now or utcnow()) - timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    result = db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff))
    return result.rowcount or 0
