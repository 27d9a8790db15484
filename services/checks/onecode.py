"""What the use unit sees of the daily check (日管控) when it scans a device's code.

Registered with onecode at import (the `services.checks` package imports this module): it adds
`daily_check` to the equipment domain's `unit` view, so `GET /api/v1/scan/<code>` answers the
unit's 安全员 / 安全总监 with what `POST /api/v1/checks/scan` gives them: today's state of the
device, the risk-control list to fill and a signed scan token (proof of presence) that
`POST /api/v1/checks/daily` accepts. The unit's other staff see today's state only. A device
outside the daily check (`scope.is_covered`) gets nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.auth import Identity
from core.extensions import db
from core.timeutil import business_today, utcnow
from models.checks import Checklist, DailyCheck
from models.equipment import Equipment
from models.orgs import Person
from services.checks import checklists, daily, scope
from services.equipment import onecode as equipment_onecode
from services.onecode import views

KEY = "daily_check"


@dataclass(frozen=True)
class ScanDay:
    """Today's daily check of a scanned device, as the scanning unit member may see it."""

    day: date
    check: DailyCheck | None
    checked_by_name: str | None
    can_check: bool
    checklist: Checklist | None = None
    scan_token: str | None = None
    scanned_at: datetime | None = None
    expires_in: int | None = None

    @property
    def checked(self) -> bool:
        return self.check is not None

    @property
    def check_id(self) -> int | None:
        return self.check.id if self.check else None

    @property
    def checked_at(self) -> datetime | None:
        return self.check.submitted_at if self.check else None

    @property
    def checked_by_person_id(self) -> int | None:
        return self.check.officer_person_id if self.check else None

    @property
    def zero_risk(self) -> bool | None:
        return self.check.zero_risk if self.check else None

    @property
    def abnormal_count(self) -> int | None:
        return self.check.abnormal_count if self.check else None


def scan_day(identity: Identity, equipment: Equipment, now: datetime | None = None) -> ScanDay | None:
    """Today's (Asia/Shanghai) daily check of the device for a member of its use unit: checked or
    not, by whom, when, with what result; for the unit's 安全员 / 安全总监 while it is not yet
    checked, the list to fill and a scan token. None for a device outside the daily check."""
    if not scope.is_covered(equipment):
        return None
    now = now or utcnow()
    day = business_today(now)
    check = daily.check_on(equipment.id, day)
    officer = db.session.get(Person, check.officer_person_id) if check is not None else None
    checklist = (checklists.for_equipment(equipment)
                 if check is None and daily.is_checker(identity, equipment) else None)
    if checklist is None:
        return ScanDay(day, check, officer.name if officer else None, can_check=False)
    return ScanDay(day, None, None, can_check=True, checklist=checklist,
                   scan_token=daily.issue_token(identity, equipment, now), scanned_at=now,
                   expires_in=daily.scan_ttl())


def _extend(identity: Identity, equipment: Equipment, match: Any) -> ScanDay | None:
    return scan_day(identity, equipment)


views.extend(equipment_onecode.TARGET, "unit", KEY, _extend)
