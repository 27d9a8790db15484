"""WeChat access tokens shared between the processes of one machine without Redis.

The quick start runs two gunicorn workers without Redis. With an in-memory store each worker
fetched its own token, and a new token cancels the previous one, so the workers took turns
invalidating each other (every call retried after a token error: the bot walk-through looked
like it sent twice). `FileTokenStorage` keeps the tokens in one JSON file and serialises the
fetch with an `fcntl` lock, so every worker reuses the first token until it is about to expire.
"""
from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wechatpy.session import SessionStorage

# A token this close to its expiry counts as gone (wechatpy refreshes 60 s early as well).
EXPIRY_MARGIN_SECONDS = 60


class FileTokenStorage(SessionStorage):
    """A wechatpy session storage on a JSON file `{key: [value, expires_at | null]}`.

    Reads take a shared lock, writes an exclusive one and replace the file atomically;
    `fetch_lock()` is held around a token fetch (see core.wechat's clients).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as handle:
            fcntl.flock(handle, mode)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def fetch_lock(self) -> Iterator[None]:
        """Held while a token is fetched: another process waits, then finds the new token."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".fetch"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self) -> dict[str, list]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str, default: Any = None) -> Any:
        with self._locked(fcntl.LOCK_SH):
            entry = self._read().get(key)
        if not isinstance(entry, list) or len(entry) != 2:
            return default
        value, expires_at = entry
        if expires_at is not None and expires_at - time.time() <= EXPIRY_MARGIN_SECONDS:
            return default
        return value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        with self._locked(fcntl.LOCK_EX):
            data = self._read()
            data[key] = [value, time.time() + ttl if ttl else None]
            temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(data), "utf-8")
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)

    def delete(self, key: str) -> None:
        with self._locked(fcntl.LOCK_EX):
            data = self._read()
            if data.pop(key, None) is not None:
                temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                temporary.write_text(json.dumps(data), "utf-8")
                os.replace(temporary, self.path)
