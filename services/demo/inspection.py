"""Demo inspection business: one application from the demo mall, submitted and waiting for
the demo agency (演示特种设备检验检测院), on a registered elevator that has a one-code, made
through the service. Loading twice adds nothing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from core.timeutil import business_today, utcnow
from models.equipment import Equipment
from models.inspection import INSPECTION_TYPES, AgencyApproval, InspectionApplication
from models.onecode import Code
from models.orgs import Unit
from services.demo.equipment import MALL
from services.demo.orgs import demo_person
from services.inspection import applications, approvals
from services.orgs.accounts import identity_for

AGENCY = "演示特种设备检验检测院"


def load() -> int:
    """Create the demo application once (skipped when the mall has any application to the agency)."""
    mall_id = db.session.scalar(select(Unit.id).where(Unit.name == MALL))
    agency_id = db.session.scalar(select(Unit.id).where(Unit.name == AGENCY))
    _approve_scope(agency_id)
    if db.session.scalar(select(InspectionApplication.id).where(InspectionApplication.applicant_unit_id == mall_id,
                                                                InspectionApplication.agency_unit_id == agency_id)):
        return 0
    # The mall's second coded elevator (the first carries the demo maintenance contract).
    elevator = db.session.scalar(
        select(Equipment).join(Code, (Code.target_type == "equipment") & (Code.target_id == Equipment.id)
                               & (Code.status == "active"))
        .where(Equipment.use_unit_id == mall_id, Equipment.catalogue_code == "3110",
               Equipment.registration_status == "registered")
        .order_by(Equipment.id).offset(1).limit(1))
    applications.submit(identity_for(demo_person("demo-unit-admin"), "cli"), elevator, {
        "agency_unit_id": agency_id, "inspection_type": "periodic",
        "requested_date": business_today() + timedelta(days=14),
        "contact_name": "广场联系人", "contact_phone": "13900000008", "note": "请提前一天电话联系物业。"})
    return 1


def _approve_scope(agency_id: int) -> None:
    """The demo agency's approved scope (业务开通): every category the platform inspects, every
    inspection type, the whole province, until its 核准证 expires."""
    if approvals.current_approval(agency_id) is not None:
        return
    agency = db.session.get(Unit, agency_id)
    db.session.add(AgencyApproval(
        unit_id=agency.id, region_code=agency.region_code, licence_no=agency.licence_no,
        valid_until=agency.licence_expiry, categories=["1000", "2000", "3000", "4000", "5000", "6000", "8300", "9000"],
        inspection_types=list(INSPECTION_TYPES), region_codes=[], status="approved", submitted_at=utcnow(),
        decided_at=utcnow(), note="演示数据"))
    db.session.flush()
