"""Every periodic job of the platform, in one place.

`flask schedule` registers them with rq's cron (`rq cron` only enqueues; a
worker must run too). Each job is idempotent, so a double run sends nothing
twice.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    func: str
    cron: str
    queue: str = "default"


SCHEDULE: tuple[Periodic, ...] = (
    Periodic("jobs.notify.sweep_outbox", "*/5 * * * *", queue="notify"),
    Periodic("jobs.maintenance.purge_idempotency_keys", "17 3 * * *"),
)
