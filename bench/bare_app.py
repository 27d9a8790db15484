"""The bare endpoint the one-code benchmark compares against: Flask, one JSON view, nothing else.

Served by the same gunicorn command as the real app (`gunicorn ... bench.bare_app:app`), and requested
with the same wrk script (one path segment varying per request), so the ratio measures what the
platform's public scan adds on top of Flask and gunicorn.
"""
from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)
app.json.ensure_ascii = False


@app.get("/bare/<string:code>")
def bare(code: str):
    return jsonify({"code": code, "status_colour": "green", "status_text": "在检验有效期内"})
