"""Serve the fake in a background thread, for tests and scripts."""
from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from fake_wechat.app import create_fake_app
from fake_wechat.state import FakeState


class FakeWeChatServer:
    """The fake WeChat/WeCom servers on 127.0.0.1 and an ephemeral port.

    Use as a context manager or call `start()` / `stop()`. `base_url` is the
    WeChat API base, `wecom_base_url` the WeCom one (both end with "/").
    """

    def __init__(self, state: FakeState | None = None, host: str = "127.0.0.1") -> None:
        self.state = state if state is not None else FakeState()
        self.app = create_fake_app(self.state)
        self.host = host
        self.base_url = ""
        self.wecom_base_url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> FakeWeChatServer:
        """Bind an ephemeral port and serve (threaded) in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("the fake WeChat server is already running")
        self._server = make_server(self.host, 0, self.app, threaded=True)
        self.base_url = f"http://{self.host}:{self._server.server_port}/"
        self.wecom_base_url = f"{self.base_url}wecom/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-wechat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeWeChatServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def calls(self, path_substring: str | None = None) -> list[dict[str, Any]]:
        """Recorded calls, optionally those whose path contains `path_substring`."""
        return self.state.calls(path_substring)

    def reset(self) -> None:
        """Forget calls, failures and tokens."""
        self.state.reset()

    def fail(
        self,
        path: str,
        errcode: int | None = None,
        mode: str | None = None,
        seconds: float | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls to `path` fail (see `FakeState.fail`)."""
        self.state.fail(path, errcode=errcode, mode=mode, seconds=seconds, times=times)
