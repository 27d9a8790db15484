"""Logs: one JSON object a line, each carrying the request id of the work it belongs to.

A request takes its id from a well-formed incoming `X-Request-ID` (else 32 fresh random hex digits),
keeps it on `flask.g.request_id` and in a context variable, answers it in `X-Request-ID` and
ends with one access line: method, path, status, duration and the caller (`person:<id>`,
`client:<id>` or `public`; never a token nor the Authorization header). A job handed to rq
carries the id in its meta (core.tx.dispatch) and the worker sets it again while the job runs
(jobs.commands), so the job's lines carry the id of the request that enqueued it.

`init_app(app)` installs the hooks and, with LOG_FORMAT=json (the default; `text` for a
terminal), one handler on the root logger. No database or Redis call.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import Flask, Response, current_app, g, request

REQUEST_ID_HEADER = "X-Request-ID"
# Ids from a proxy or a client: letters, digits and . _ - : only, at most 128 characters.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_job_id: ContextVar[str | None] = ContextVar("job_id", default=None)

access_log = logging.getLogger("access")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Never written out, whatever a caller passes in `extra=`.
_SECRET_FIELDS = frozenset({"authorization", "token", "password", "secret"})


def current_request_id() -> str | None:
    """The request id of the work this code runs for (a request, or a job it enqueued)."""
    return _request_id.get()


def accept_request_id(value: str | None) -> str:
    """`value` when it is a well-formed id, else 32 random hex digits (as a uuid4's hex, cheaper)."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return os.urandom(16).hex()


@contextmanager
def bound_request_id(request_id: str | None, job_id: str | None = None) -> Iterator[None]:
    """Log lines inside carry `request_id` (and `job_id`): a worker wraps each job in it."""
    tokens = (_request_id.set(request_id), _job_id.set(job_id))
    try:
        yield
    finally:
        _request_id.reset(tokens[0])
        _job_id.reset(tokens[1])


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601 with zone), level, logger, message, the request id
    and job id in force, the record's `extra=` fields and, for an error, its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        job_id = _job_id.get()
        if job_id:
            entry["job_id"] = job_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in entry and key.lower() not in _SECRET_FIELDS:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _PlatformHandler(logging.StreamHandler):
    """The handler init_app installs (marked, so a second app does not add another)."""


def configure_logging(log_format: str, level: str) -> None:
    """Send the root logger's records to stderr as JSON (or plain text), once per process."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _PlatformHandler)), None)
    if handler is None:
        handler = _PlatformHandler()
        root.addHandler(handler)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.setLevel(level.upper())


def init_app(app: Flask) -> None:
    """Install the request id and access-log hooks; call it before any other after_request hook
    is registered, so the access line is written after the request's commit."""
    if app.config["LOG_FORMAT"] in ("json", "text"):
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    # Plain reads of the WSGI environ and one lookup of `g`: these two hooks run on every request,
    # the public scan's included, whose whole cost is a few hundred microseconds.
    context = g._get_current_object()
    context.request_started = time.perf_counter()
    context.request_id = request_id = accept_request_id(request.environ.get(_REQUEST_ID_ENVIRON))
    context.request_id_token = _request_id.set(request_id)


_REQUEST_ID_ENVIRON = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")


def caller() -> str:
    """Who asked, for a log line: `person:<id>`, `client:<id>` or `public`. Only an identity the
    request already resolved is named (resolving one here could fail)."""
    identity = g.get("identity")
    if identity is not None and identity.client_id is not None:
        return f"client:{identity.client_id}"
    if identity is not None and identity.person_id is not None:
        return f"person:{identity.person_id}"
    return "public"


def _finish(response: Response) -> Response:
    context = g._get_current_object()
    request_id = getattr(context, "request_id", None) or accept_request_id(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    who = caller()
    if who == "public" and response.status_code < 400 and request.environ.get("PATH_INFO", "").startswith(
            current_app.config["ACCESS_LOG_QUIET_PREFIXES"]):
        return response  # the public scan's hits: the line would cost a seventh of its throughput
    started = getattr(context, "request_started", None)
    duration_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    access_log.info("%s %s %s", request.method, request.path, response.status_code, extra={
        "request_id": request_id, "caller": who, "method": request.method, "path": request.path,
        "status": response.status_code, "duration_ms": duration_ms, "remote_addr": request.remote_addr})
    return response


def _forget(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            _request_id.reset(token)
        except ValueError:  # set in another context (a copied one): nothing to undo here
            pass
