"""Swagger UI's scripts and styles, from the pinned swagger-ui-bundle package: the browsable
documents (/api/docs, /open/v1/docs, rendered by flask-smorest) load nothing from a CDN."""
from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from core.errors import NotFound

blp = Blueprint("docs_assets", __name__)

ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-16x16.png", "favicon-32x32.png"})


@blp.get("/api/docs/assets/<string:filename>")
def asset(filename):
    """One of Swagger UI's files (cached for a day)."""
    if filename not in ASSETS:
        raise NotFound()
    return send_from_directory(str(swagger_ui_path), filename, max_age=86400)
