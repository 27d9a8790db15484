"""Demo office contacts of the demo regions, so that the bot has an answer to
「雁塔区办事机构电话」. A region whose office is already published is left alone."""
from __future__ import annotations

from core.auth import Identity
from core.extensions import db
from models.orgs import Region
from services.orgs import regions

# Fictitious contacts, marked as such; the real ones are maintained by each regulator.
DEMO_OFFICES = {
    "610100": {"office_name": "西安市市场监督管理局特种设备安全监察处（演示）", "office_phone": "029-80000100",
               "office_address": "西安市演示路 100 号", "office_hours": "工作日 9:00-12:00，13:30-17:30"},
    "610113": {"office_name": "雁塔区市场监督管理局特种设备安全监察科（演示）", "office_phone": "029-80000113",
               "office_address": "西安市雁塔区演示路 113 号", "office_hours": "工作日 9:00-17:00"},
    "610581": {"office_name": "韩城市市场监督管理局特种设备安全监察科（演示）", "office_phone": "0913-8000581",
               "office_address": "韩城市演示路 581 号", "office_hours": "工作日 9:00-17:00"},
}
_PROVINCE = Identity(person_id=None, name="演示数据", unit_kind="regulator", unit_status="approved",
                     region_code="610000", region_level="province", region_codes=None, client="cli")


def load() -> int:
    """Publish the demo regions' office contacts where none is published; returns how many."""
    count = 0
    for code, office in DEMO_OFFICES.items():
        region = db.session.get(Region, code)
        if region is None or region.office_phone:
            continue
        regions.update_office(_PROVINCE, code, office)
        count += 1
    return count
