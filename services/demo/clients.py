"""The demo agency's machine client (演示特种设备检验检测院's own system), so a newcomer can call
/open/v1 right after `make run`: `flask clients demo-key` prints its key id and secret.

The secret is the one stored for the key (encrypted with a key derived from SECRET_KEY, see
services.clients): readable again on a development machine. When it no longer is (SECRET_KEY
changed since the demo was loaded), the unreadable keys are revoked and a new one is issued.
Development only: `demo_key` refuses unless APP_ENV=development.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from core.errors import Forbidden, RuleViolation
from core.extensions import db
from models.clients import ApiClient, ApiClientKey
from models.orgs import Unit
from services import clients
from services.demo.inspection import AGENCY
from services.demo.orgs import CTX

CLIENT_NAME = "演示检验院业务系统"
SCOPES = ("inspection:read", "inspection:write", "open:read")


@dataclass(frozen=True)
class DemoKey:
    client: ApiClient
    key_id: str
    secret: str


def _client() -> ApiClient | None:
    return db.session.scalar(select(ApiClient).join(Unit, Unit.id == ApiClient.unit_id)
                             .where(Unit.name == AGENCY, ApiClient.name == CLIENT_NAME, ApiClient.status == "active")
                             .order_by(ApiClient.id).limit(1))


def load() -> int:
    """The demo agency's client with scopes inspection:read, inspection:write and open:read (once)."""
    if _client() is not None:
        return 0
    agency = db.session.scalar(select(Unit).where(Unit.name == AGENCY))
    clients.create_client(CTX, agency, CLIENT_NAME, list(SCOPES), note="演示数据：flask clients demo-key 显示密钥")
    return 1


def demo_key() -> DemoKey:
    """The demo agency client's active key with its secret in clear (development machines only).

    Raises Forbidden `demo_key_development_only` unless APP_ENV=development, RuleViolation
    `demo_client_missing` before `flask demo-data` has run. Flushes; the caller commits (a key is
    issued when none is readable).
    """
    if current_app.config.get("APP_ENV") != "development":
        raise Forbidden("演示密钥只能在开发环境（APP_ENV=development）中显示。", code="demo_key_development_only")
    client = _client()
    if client is None:
        raise RuleViolation("尚未加载演示数据，请先运行 flask demo-data。", code="demo_client_missing")
    keys = db.session.scalars(select(ApiClientKey).where(ApiClientKey.client_id == client.id,
                                                         ApiClientKey.status == "active")
                              .order_by(ApiClientKey.id.desc())).all()
    for key in keys:
        secret = clients.key_secret(key)
        if secret is not None:
            return DemoKey(client, key.key_id, secret)
    for key in keys:  # encrypted under another SECRET_KEY: useless to anyone
        clients.revoke_key(CTX, key)
    issued = clients.rotate_key(CTX, client)
    return DemoKey(client, issued.key.key_id, issued.secret)
