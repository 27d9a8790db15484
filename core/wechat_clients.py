"""The configured WeChat clients for this app.

Access tokens are shared between web and worker processes through Redis
(WeChat allows about 2,000 fetches a day and a new token cancels the old
one); without Redis (the quick start's two gunicorn workers) through a locked
file, WECHAT_TOKEN_FILE (core/wechat_tokens.py).
"""
from __future__ import annotations

from flask import current_app
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage

from core.redis import get_redis
from core.wechat import MiniAppClient, WeComClient
from core.wechat_tokens import FileTokenStorage


def _token_storage() -> SessionStorage:
    redis = get_redis()
    if redis is not None:
        return RedisStorage(redis, prefix="wechatpy")
    return FileTokenStorage(current_app.config["WECHAT_TOKEN_FILE"])


def miniapp_client() -> MiniAppClient:
    cfg = current_app.config
    return MiniAppClient(cfg["WECHAT_MINIAPP_APPID"], cfg["WECHAT_MINIAPP_SECRET"], cfg["WECHAT_API_BASE_URL"],
                         session=_token_storage(), timeout=cfg["WECHAT_TIMEOUT_SECONDS"])


def wecom_client() -> WeComClient:
    cfg = current_app.config
    return WeComClient(cfg["WECOM_CORP_ID"], cfg["WECOM_SECRET"], cfg["WECOM_API_BASE_URL"],
                       session=_token_storage(), timeout=cfg["WECHAT_TIMEOUT_SECONDS"])
