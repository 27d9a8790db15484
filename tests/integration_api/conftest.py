"""Fixtures for machine callers: a client with a key, and a signing test client."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditContext, AuditEntry
from core.extensions import db
from integration_api.client import FlaskOpenClient
from services import clients

SETUP = AuditContext(None, None, "test")


@pytest.fixture
def make_api_client(make_unit):
    """`make_api_client(kind="inspection", scopes=["open:read"])` -> IssuedKey (client, key, secret)."""

    def make(kind: str = "inspection", scopes: tuple[str, ...] = ("open:read",), unit=None, **options):
        unit = unit or make_unit(kind)
        return clients.create_client(SETUP, unit, f"{unit.name}系统", list(scopes), **options)

    return make


@pytest.fixture
def signed(client):
    """`signed(issued)` -> a FlaskOpenClient signing with that key."""

    def make(issued, secret: str | None = None) -> FlaskOpenClient:
        return FlaskOpenClient(client, issued.key.key_id, secret or issued.secret)

    return make


@pytest.fixture
def audit_count():
    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(AuditEntry))

    return count
