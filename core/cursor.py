"""Opaque keyset cursors for the open read API (`?cursor=`, answered as `next_cursor`).

A cursor carries the sort key of the last row of a page (e.g. `[updated_at, id]`), signed with
SECRET_KEY so a caller cannot forge one (a changed cursor is refused, not silently misread), and
salted per list so one list's cursor is not taken by another. Keyset paging keeps a page's cost the
same on the millionth device as on the first (no OFFSET), and a row inserted meanwhile never shifts
the pages already read.
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from core.errors import AppError


class InvalidCursor(AppError):
    status, code, message = 400, "cursor_invalid", "分页游标无效，请使用上一页返回的 next_cursor，或不带游标从第一页开始。"


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=f"open-cursor:{kind}")


def encode(kind: str, key: list[Any]) -> str:
    """The cursor after a row whose sort key is `key` (JSON values: strings, numbers)."""
    return _serializer(kind).dumps(key)


def decode(kind: str, cursor: str | None, length: int) -> list[Any] | None:
    """The sort key a cursor carries (None without a cursor); InvalidCursor when it was not
    issued by this server for this list."""
    if cursor is None:
        return None
    try:
        key = _serializer(kind).loads(cursor)
    except BadData:
        raise InvalidCursor()
    if not isinstance(key, list) or len(key) != length:
        raise InvalidCursor()
    return key


def page_limit(requested: int | None) -> int:
    """The page size: the caller's, within OPEN_PAGE_SIZE_MAX; OPEN_PAGE_SIZE_DEFAULT without one."""
    config = current_app.config
    return min(requested or config["OPEN_PAGE_SIZE_DEFAULT"], config["OPEN_PAGE_SIZE_MAX"])
