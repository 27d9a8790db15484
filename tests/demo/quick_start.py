"""The application as `make run` builds it: SQLite in a temporary file, no Redis, development
settings, the fake WeChat, the schema migrated."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask

from core.extensions import db


@contextmanager
def quick_start_app(tmp_path, fake_wechat) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from app import create_app
    from core.config import Config

    app = create_app(Config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'quick.sqlite3'}", REDIS_URL=None,
                            APP_ENV="development", UPLOAD_DIR=str(tmp_path / "uploads"),
                            WECHAT_TOKEN_FILE=str(tmp_path / "wechat_tokens.json"),
                            WECHAT_API_BASE_URL=fake_wechat.base_url, WECOM_API_BASE_URL=fake_wechat.wecom_base_url))
    try:
        with app.app_context():
            upgrade(revision="heads")
            db.session.remove()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
