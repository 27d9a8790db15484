"""The app factory: dull on purpose. No database, Redis or WeChat call happens here."""
from __future__ import annotations

import logging

from flask import Flask, Response
from flask.sessions import SessionInterface
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from core import tx
from core.api import api
from core.config import Config
from core.errors import error_response, register_error_handlers
from core.extensions import db, migrate
from core.idempotency import replay_current

log = logging.getLogger(__name__)


def create_app(config: Config | None = None) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["int"] = DatabaseInt
    app.config.from_object(config or Config())
    app.json.ensure_ascii = False
    app.session_interface = NoCookieSession()

    db.init_app(app)
    import models  # noqa: F401  (every model registered before migrations look)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}})
    register_error_handlers(app)

    from core.auth import set_identity_loader
    from services.orgs.accounts import load_identity
    set_identity_loader(load_identity)

    from miniapp_api import register_blueprints
    register_blueprints(app, api)
    import web
    app.register_blueprint(web.blp)
    import bot
    app.register_blueprint(bot.blp)
    import integration_api
    integration_api.init_app(app)

    from jobs.commands import register_commands
    register_commands(app)
    import jobs
    jobs.load()  # binds every kind of work (core.work) to its job function

    app.after_request(_commit_or_rollback)
    app.register_error_handler(IntegrityError, _conflict)
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)
    return app


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


def _migrations_dir():
    from core.config import ROOT
    return ROOT / "migrations"


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
