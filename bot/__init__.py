"""The operations bot: WeChat callbacks, intents and commands, replies, group pushes.

`/bot/miniapp`: the mini program's message push (users' customer-service messages).
`/bot/wecom`: the WeCom app's callback (ops staff's commands).
Answers and pushes go through the outbox (`services.notify`); the request's one
commit is the app's after-request hook.
"""
from __future__ import annotations

from flask import Blueprint, Flask

from bot import miniapp, wecom

blp = Blueprint("bot", __name__, url_prefix="/bot")
blp.add_url_rule("/miniapp", "miniapp_verify", miniapp.verify_url, methods=["GET"])
blp.add_url_rule("/miniapp", "miniapp_receive", miniapp.receive, methods=["POST"])
blp.add_url_rule("/wecom", "wecom_verify", wecom.verify_url, methods=["GET"])
blp.add_url_rule("/wecom", "wecom_receive", wecom.receive, methods=["POST"])


def init_app(app: Flask) -> None:
    """Register the bot's callbacks (`/bot/...`)."""
    app.register_blueprint(blp)
