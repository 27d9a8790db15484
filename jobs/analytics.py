"""Analytics pushes: the ops group's daily digest (queue `notify`)."""
from __future__ import annotations

from core import tx
from services.analytics import digest


def send_daily_digest() -> bool:
    """Post the daily digest to the ops group; a second run the same day sends nothing."""
    queued = digest.queue_daily_digest() is not None
    tx.commit()
    return queued
