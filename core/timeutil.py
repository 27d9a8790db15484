"""Times are stored in UTC; business days and periods are Asia/Shanghai."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(timezone.utc)


def business_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai, the day a daily check or a period counts in."""
    return (now or utcnow()).astimezone(SHANGHAI).date()


def as_utc(value: datetime | None) -> datetime | None:
    """Treat a naive datetime read back from SQLite as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
