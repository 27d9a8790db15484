"""`scope_clause`: a model scoped by one unit column, and a model that names its own unit
condition (`scope_unit_clause`) so that two units see a row."""
from datetime import date

from sqlalchemy import select

from core.extensions import db
from core.scoping import scope_clause
from models.equipment import Equipment
from models.inspection import InspectionApplication
from services.orgs.accounts import identity_for


def _visible(model, identity) -> set[int]:
    return set(db.session.scalars(select(model.id).where(scope_clause(model, identity))))


def test_a_model_with_a_unit_clause_is_seen_by_both_units_it_names(make_unit, make_person, make_equipment):
    applicant, agency, stranger = make_unit("use"), make_unit("inspection"), make_unit("use")
    equipment = make_equipment(applicant)
    row = InspectionApplication(equipment_id=equipment.id, applicant_unit_id=applicant.id, agency_unit_id=agency.id,
                                region_code=applicant.region_code, inspection_type="periodic",
                                requested_date=date(2030, 1, 1), contact_name="张三", contact_phone="13912345678")
    db.session.add(row)
    db.session.flush()
    for unit, expected in ((applicant, {row.id}), (agency, {row.id}), (stranger, set())):
        identity = identity_for(make_person(unit, "unit_admin"), "pc")
        assert _visible(InspectionApplication, identity) == expected
    # A model with one unit column is unchanged: the agency does not see the applicant's device.
    assert _visible(Equipment, identity_for(make_person(agency, "unit_admin"), "pc")) == set()
    assert _visible(Equipment, identity_for(make_person(applicant, "unit_admin"), "pc")) == {equipment.id}
