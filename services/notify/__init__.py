"""Messages the platform sends (the `notify` domain).

Callers write messages with `queue_message` (`queue_messages` for many at once, and the channel helpers) in their own
transaction; `jobs.notify` delivers them after commit (`delivery.deliver`).
Sub-modules: `outbox` (writing, sweeping, the inbox), `delivery` (channels, retries),
`subscriptions` (subscribe templates and the users' authorisations), `tickets` and
`suggestions` (what the bot keeps), `alerts` (the ops group hears of failed deliveries).
notify is the bottom service domain: it knows no other (it takes person ids), so every
domain, orgs included, can tell people through it. The ops digest's figures are
`services.analytics.digest`; inspection-due reminders `services.inspection.reminders`.
"""
from services.notify.delivery import deliver
from services.notify.outbox import (NewMessage, inbox, mark_read, queue_customer_service, queue_message,
                                    queue_messages, queue_ops_group, queue_wecom_app, retry, unread_count)

__all__ = [
    "NewMessage", "deliver", "inbox", "mark_read", "queue_customer_service",
    "queue_message", "queue_messages", "queue_ops_group", "queue_wecom_app", "retry", "unread_count",
]
