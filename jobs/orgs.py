"""Organisation jobs: reminders before people's certificates and units' licences expire."""
from __future__ import annotations

from datetime import date

from core import tx
from services.orgs import expiry


def remind_expiring_certificates(today: str | None = None) -> int:
    """Daily: holders and unit admins of certificates (作业/检验/检测人员证) within
    CERTIFICATE_EXPIRY_LEAD_DAYS of expiry or expired, and unit admins of licences likewise
    (`services.orgs.expiry`); each stage once. `today` (ISO date) replays a given day."""
    day = date.fromisoformat(today) if today else None
    sent = expiry.certificates_expiring(day) + expiry.licences_expiring(day)
    tx.commit()
    return sent
