"""Housekeeping jobs."""
from __future__ import annotations

from core import tx
from core.idempotency import purge_expired


def purge_idempotency_keys() -> int:
    """Forget idempotency keys past their retention."""
    count = purge_expired()
    tx.commit()
    return count
