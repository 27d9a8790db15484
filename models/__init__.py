"""Every model of the platform, listed explicitly (no discovery)."""
from core.audit import AuditEntry
from core.idempotency import IdempotencyRecord
from core.storage import StoredFile
from models.notify import OutboxMessage
from models.orgs import (Account, AuthSession, Invitation, Person, PersonRole, Region, Unit,
                         WeChatSession)

__all__ = [
    "Account", "AuditEntry", "AuthSession", "IdempotencyRecord", "Invitation", "OutboxMessage",
    "Person", "PersonRole", "Region", "StoredFile", "Unit", "WeChatSession",
]
