"""Health for orchestrators: GET /healthz (database and Redis), /healthz/live (the process answers;
no dependency is called) and /healthz/ready (database, Redis where configured, migrations at head:
200 with each check, else 503 naming the failed ones)."""
from __future__ import annotations

import logging

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from core.extensions import db
from core.redis import get_redis

blp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        log.warning("health: database unreachable", exc_info=True)
        db.session.rollback()
        return "error"


def _redis() -> str:
    redis = get_redis()
    if redis is None:
        return "not_configured"
    try:
        redis.ping()
        return "ok"
    except Exception:
        log.warning("health: redis unreachable", exc_info=True)
        return "error"


def migration_heads() -> set[str]:
    """The head revisions of the migrations directory shipped with this code."""
    directory = current_app.extensions["migrate"].directory
    return set(ScriptDirectory(directory).get_heads())


def database_revisions() -> set[str]:
    """The revisions the database is at (alembic_version)."""
    connection = db.session.connection()
    return set(MigrationContext.configure(connection).get_current_heads())


def _migrations() -> str:
    try:
        return "ok" if database_revisions() == migration_heads() else "not_at_head"
    except Exception:
        log.warning("health: migration state unknown", exc_info=True)
        db.session.rollback()
        return "error"


@blp.get("/healthz")
def healthz():
    checks = {"database": _database(), "redis": _redis()}
    healthy = "error" not in checks.values()
    return jsonify({"status": "ok" if healthy else "degraded", **checks}), 200 if healthy else 503


@blp.get("/healthz/live")
def live():
    """The process is up and serving; restart it only when this fails."""
    return jsonify({"status": "ok"})


@blp.get("/healthz/ready")
def ready():
    """Send traffic here only when 200: the database answers, Redis answers (when configured) and the
    database schema is at the migrations' head."""
    checks = {"database": _database(), "redis": _redis()}
    checks["migrations"] = _migrations() if checks["database"] == "ok" else "unknown"
    failed = sorted(name for name, state in checks.items() if state not in ("ok", "not_configured"))
    body = {"status": "ok" if not failed else "unavailable", "checks": checks, "failed": failed}
    return jsonify(body), 200 if not failed else 503
