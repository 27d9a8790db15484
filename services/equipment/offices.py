"""Registration offices and certificate numbers (TSG 08-2017, domain.md §2.1-§2.2).

The office is the regulator of the city where the equipment stands (韩城 and
杨凌 act as cities); a city listed in REGISTRATION_DELEGATED_CITIES delegates
to its counties. The 使用登记证编号 is
`<symbol><chars 2-3 of the code><province><office letter><5-digit serial>(<yy>)`,
e.g. 梯11陕A00001(26); the office letter is the city's plate letter, kept as
data on the region (unsure for 韩城 and 杨凌, so editable).
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.auth import Identity
from core.errors import Forbidden, RuleViolation
from core.extensions import db
from models.equipment import CatalogueEntry, CertificateSequence
from models.orgs import Region
from services.orgs.regions import get_region


def _city_of(region: Region) -> Region:
    """The region acting at city level above (or at) `region`."""
    while region.supervision_level == "county" and region.supervision_parent_code:
        region = get_region(region.supervision_parent_code)
    return region


def office_for(region_code: str) -> Region:
    """The registration office for equipment standing in `region_code`."""
    region = get_region(region_code)
    if region.supervision_level != "county":
        return region
    city = _city_of(region)
    return region if city.code in current_app.config["REGISTRATION_DELEGATED_CITIES"] else city


def require_office(identity: Identity, office_region_code: str) -> None:
    """Only the registration office's own regulator decides an application."""
    if not identity.is_regulator or identity.region_code != office_region_code:
        office = get_region(office_region_code)
        raise Forbidden(f"该业务由{office.office_name or office.name}办理。", code="not_registration_office")


def office_letter(office: Region) -> str:
    letter = _city_of(office).plate_letter
    if not letter:
        raise RuleViolation("登记机关代号未配置，请联系省局维护。", code="office_letter_missing")
    return letter


def issue_certificate_no(entry: CatalogueEntry, office: Region, year: int) -> str:
    """Allocate the next serial for the office letter and year (rows locked, no gaps reused)."""
    if not entry.cert_symbol:
        raise RuleViolation(f"「{entry.name}」没有登记证类别代号。", code="cert_symbol_missing")
    letter = office_letter(office)
    stmt = (select(CertificateSequence)
            .where(CertificateSequence.office_letter == letter, CertificateSequence.year == year)
            .with_for_update())
    sequence = db.session.scalar(stmt)
    if sequence is None:
        try:
            with db.session.begin_nested():
                db.session.add(CertificateSequence(office_letter=letter, year=year, last_serial=0))
        except IntegrityError:
            pass  # another office clerk created it first; lock theirs
        sequence = db.session.scalar(stmt)
    sequence.last_serial += 1
    db.session.flush()
    digits = entry.code[1:3]
    return f"{entry.cert_symbol}{digits}{current_app.config['PROVINCE_ABBR']}{letter}{sequence.last_serial:05d}({year % 100:02d})"
