"""Server-rendered pages: the public scan page (what a phone camera opens)."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for

from core.errors import AppError
from web import docs
from services.equipment import onecode as _equipment_onecode  # noqa: F401  (registers the device target)
from services.onecode import resolve

blp = Blueprint("public", __name__, template_folder="templates")

# target type -> the template of its public card page; a domain adding a target type adds its own.
CARD_TEMPLATES = {"equipment": "public/card.html"}


def init_app(app: Flask) -> None:
    """Register the server-rendered pages."""
    app.register_blueprint(blp)
    app.register_blueprint(docs.blp)


@blp.get("/c/<string:code>")
def card_page(code):
    """The public card as a light mobile page: no scripts, one small inline stylesheet. Cached as
    rendered; rate limited."""
    try:
        page = resolve.public_page(code, _render_card, rate_bucket="scan")
    except AppError as error:
        return _message(error.message, code, error.status, getattr(error, "headers", None) or {})
    return Response(page, mimetype="text/html")


@blp.get("/c")
def reenter_code():
    """The re-entry form of the message page: `/c?code=…` goes to `/c/<code>`."""
    code = "".join((request.args.get("code") or "").split()).upper()
    if not code:
        return _message("请输入设备上二维码下方的编号。", "", 400, {})
    return redirect(url_for("public.card_page", code=code), 303)


def _message(title: str, code: str, status: int, headers: dict) -> tuple[str, int, dict]:
    """A code that shows no card: what went wrong, the 96333 button and a form to type the code again."""
    page = render_template("public/message.html", title=title, code=code,
                           rescue_phone=current_app.config["RESCUE_PHONE"])
    return page, status, headers


def _render_card(target_type: str, card: dict) -> str:
    return render_template(CARD_TEMPLATES[target_type], card=card, rescue_phone=current_app.config["RESCUE_PHONE"])
