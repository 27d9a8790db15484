"""Messages the platform sends (the `notify` domain).

Callers write messages with `queue_message` (and the channel helpers) in their own
transaction; `jobs.notify` delivers them after commit (`delivery.deliver`).
Sub-modules: `outbox` (writing, sweeping, the inbox), `delivery` (channels, retries),
`subscriptions` (subscribe templates and the users' authorisations), `tickets` and
`suggestions` (what the bot keeps), `digest` (figures, digest, alerts, reminders;
imported on its own, as it reads other domains).
"""
from services.notify.delivery import deliver
from services.notify.outbox import (inbox, mark_read, queue_customer_service,
                                    queue_message, queue_ops_group, queue_wecom_app, retry, unread_count)

__all__ = [
    "deliver", "inbox", "mark_read", "queue_customer_service",
    "queue_message", "queue_ops_group", "queue_wecom_app", "retry", "unread_count",
]
