"""GET /healthz: is the database reachable, and Redis where configured."""
from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from core.extensions import db
from core.redis import get_redis

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    checks = {"database": "ok", "redis": "not_configured"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        checks["database"] = "error"
    redis = get_redis()
    if redis is not None:
        try:
            redis.ping()
            checks["redis"] = "ok"
        except Exception:
            checks["redis"] = "error"
    healthy = "error" not in checks.values()
    return jsonify({"status": "ok" if healthy else "degraded", **checks}), 200 if healthy else 503
