"""Server-rendered pages: the public scan page (what a phone camera opens)."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from core.errors import AppError
from core.ratelimit import limit_per_minute
from qr import resolve

blp = Blueprint("public", __name__, template_folder="templates")


@blp.get("/c/<string:code>")
@limit_per_minute("scan", "PUBLIC_RATE_LIMIT_PER_MINUTE")
def card_page(code):
    """The public card as a light mobile page: no scripts, one small inline stylesheet."""
    try:
        card, _ = resolve.public(code)
    except AppError as error:
        return render_template("public/message.html", title=error.message, code=code), error.status
    return render_template("public/card.html", card=card, rescue_phone=current_app.config["RESCUE_PHONE"])
