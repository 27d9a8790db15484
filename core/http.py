"""Request plumbing every app gets, whatever its blueprints: no cookie session, URL ids that
fit a database INTEGER, the one commit point of a request and a constraint refusal as 409.

`init_app(app)` installs it; `app.create_app` calls it before any blueprint is registered
(the `int` converter must be in place when the routes are added). Nothing here knows a
domain or an entry point: core imports nothing above it.
"""
from __future__ import annotations

import logging

from flask import Flask, Response
from flask.sessions import SessionInterface
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core import logs, tx
from core.errors import error_response
from core.extensions import db
from core.idempotency import replay_current

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Install the plumbing on `app`; no database or Redis call."""
    logs.init_app(app)  # first: its access line comes after the commit below (hooks run in reverse)
    app.url_map.converters["int"] = DatabaseInt
    app.session_interface = NoCookieSession()
    app.after_request(_commit_or_rollback)
    app.register_error_handler(IntegrityError, _conflict)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)


class NoCookieSession(SessionInterface):
    """Callers authenticate with bearer tokens (core.auth); Flask's signed-cookie session is never
    used, so no request pays for opening or saving one."""

    def open_session(self, app: Flask, request):
        return self.make_null_session(app)

    def save_session(self, app: Flask, session, response: Response) -> None:
        return None


class DatabaseInt(IntegerConverter):
    """`<int:...>` in URLs matches only ids a database INTEGER can hold: a larger one is a 404,
    not a database error."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _commit_or_rollback(response: Response) -> Response:
    """The one commit point of a request: commit on success, roll back otherwise."""
    if not db.session.registry.has():
        return response
    if response.status_code >= 400:
        tx.rollback()
        return response
    try:
        tx.commit()
    except IntegrityError as error:
        return _conflict(error)
    return response


def _conflict(error: IntegrityError) -> Response:
    """A constraint refused the request's change (at a flush inside the request, or at its commit):
    two requests raced. A retried submission gets the first one's answer; anything else a 409."""
    log.info("change refused by a constraint", exc_info=error)
    tx.rollback()
    replayed = replay_current()
    if replayed is not None:
        return replayed
    return error_response("conflict", "与现有数据冲突，请刷新后重试。", 409)
