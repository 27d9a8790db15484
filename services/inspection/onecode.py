"""What an inspection agency sees when it scans a device: its pending application for it.

Registered with onecode at import (the `services.inspection` package imports this module),
between the use unit's view and the risk reporter's.
"""
from __future__ import annotations

from typing import Any

from core.auth import Identity
from models.equipment import Equipment
from models.inspection import InspectionApplication
from services.equipment import onecode as equipment_onecode
from services.inspection import applications
from services.onecode import views


def _pending_application(identity: Identity, equipment: Equipment) -> InspectionApplication | None:
    """The agency's pending application for the device, when the caller works for an agency."""
    if identity.unit_kind != "inspection" or not identity.has_role(*applications.AGENCY_ROLES):
        return None
    return applications.pending_for_agency(equipment.id, identity.unit_id)


def _details(identity: Identity, equipment: Equipment, application: InspectionApplication) -> dict[str, Any]:
    return {"application": application}


views.register(equipment_onecode.TARGET, "agency", _pending_application, _details, before="reporter")
