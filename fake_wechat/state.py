"""Thread-safe in-memory state of the fake WeChat servers.

Holds the recorded calls, the injected failures and the issued access tokens.
The Flask app and the Python-level helpers of `FakeWeChatServer` share one
`FakeState`, so tests may use either.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

FAILURE_MODES = ("errcode", "timeout", "http500")


@dataclass
class Failure:
    """An injected failure for the next `times` calls to one path."""

    mode: str
    times: int
    errcode: int | None = None
    seconds: float = 0.0


def normalize_path(path: str) -> str:
    """`/cgi-bin/token/` and `cgi-bin/token` name the same endpoint."""
    return path.strip("/")


class FakeState:
    """Everything the fake remembers between requests.

    :param apps: optional mapping appid/corpid -> secret. When given, only these
        pairs get tokens and sessions; when omitted, any non-empty pair does.
    """

    def __init__(self, apps: dict[str, str] | None = None) -> None:
        self.apps = apps
        self._lock = threading.Lock()
        self._calls: list[dict[str, Any]] = []
        self._failures: dict[str, Failure] = {}
        self._token_by_owner: dict[str, str] = {}

    # Credentials -----------------------------------------------------------

    def check_app(self, appid: str | None, secret: str | None) -> str | None:
        """Return None when the pair is valid, else "appid" or "secret"."""
        if not appid or (self.apps is not None and appid not in self.apps):
            return "appid"
        if not secret or (self.apps is not None and self.apps[appid] != secret):
            return "secret"
        return None

    def issue_token(self, owner: str) -> str:
        """Issue a token for `owner`, cancelling the one issued before."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._token_by_owner[owner] = token
        return token

    def token_is_valid(self, token: str) -> bool:
        """True if `token` is the latest token of some owner."""
        with self._lock:
            return token in self._token_by_owner.values()

    # Recorded calls ----------------------------------------------------------

    def record(self, path: str, method: str, args: dict[str, str], body: Any) -> None:
        """Remember one incoming call."""
        call = {"path": path, "method": method, "args": args, "json": body, "time": time.time()}
        with self._lock:
            self._calls.append(call)

    def calls(self, path_substring: str | None = None) -> list[dict[str, Any]]:
        """Recorded calls, oldest first, optionally those whose path contains a substring."""
        with self._lock:
            return [
                dict(call)
                for call in self._calls
                if not path_substring or path_substring in call["path"]
            ]

    # Failures ----------------------------------------------------------------

    def fail(
        self,
        path: str,
        errcode: int | None = None,
        mode: str | None = None,
        seconds: float | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `path` fail.

        Give either `errcode` (answer that WeChat error) or `mode`: "timeout"
        (sleep `seconds`, then answer normally) or "http500".
        """
        mode = mode or ("errcode" if errcode is not None else None)
        if not isinstance(path, str) or not normalize_path(path):
            raise ValueError("path is required")
        if mode not in FAILURE_MODES:
            raise ValueError(f"give an errcode or a mode among {FAILURE_MODES[1:]}")
        if mode == "errcode" and not isinstance(errcode, int):
            raise ValueError("errcode must be an integer")
        if mode == "timeout" and not (isinstance(seconds, (int, float)) and seconds > 0):
            raise ValueError("timeout mode needs seconds > 0")
        if not isinstance(times, int) or times < 1:
            raise ValueError("times must be a positive integer")
        failure = Failure(mode=mode, times=times, errcode=errcode, seconds=float(seconds or 0))
        with self._lock:
            self._failures[normalize_path(path)] = failure

    def take_failure(self, path: str) -> Failure | None:
        """Consume one occurrence of the failure injected for `path`, if any."""
        key = normalize_path(path)
        with self._lock:
            failure = self._failures.get(key)
            if failure is None:
                return None
            failure.times -= 1
            if failure.times == 0:
                del self._failures[key]
            return failure

    def reset(self) -> None:
        """Forget calls, failures and tokens."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._token_by_owner.clear()
