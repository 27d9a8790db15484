"""`people_with_roles`: the one query for "the active people of a unit holding one of these roles"
(admins told of a review, directors told of a finding, an office's regulator staff)."""
from sqlalchemy import select

from core.extensions import db
from models.orgs import Person
from services.orgs import people, units


def test_only_active_people_of_the_unit_holding_a_role_are_listed(make_unit, make_person):
    unit, other = make_unit("use"), make_unit("use")
    director = make_person(unit, "safety_director")
    make_person(unit, "safety_officer")
    gone = make_person(unit, "safety_director")
    gone.status = "inactive"
    make_person(other, "safety_director")
    db.session.flush()
    assert [p.id for p in people.people_with_roles(unit.id, "safety_director")] == [director.id]
    assert people.ids_with_roles(unit.id, "safety_director", active_only=False) == [director.id, gone.id]


def test_any_of_several_roles_counts_a_person_once(make_unit, make_person):
    agency = make_unit("inspection")
    both = make_person(agency, "unit_admin", "inspector")
    tester = make_person(agency, "tester")
    make_person(agency, "qa_staff")
    assert people.ids_with_roles(agency.id, ("unit_admin", "inspector", "tester")) == [both.id, tester.id]


def test_several_units_at_once_and_the_statement_takes_columns(make_unit, make_person):
    first, second, third = make_unit("use"), make_unit("use"), make_unit("use")
    a, b = make_person(first, "principal"), make_person(second, "principal")
    make_person(third, "principal")
    rows = db.session.execute(people.people_with_roles_stmt({first.id, second.id}, ["principal"],
                                                            Person.unit_id, Person.id)).all()
    assert [tuple(r) for r in rows] == [(first.id, a.id), (second.id, b.id)]


def test_regulator_staff_of_an_office_are_those_of_its_approved_regulator(make_unit, make_person):
    office = make_unit("regulator", "610581")
    staff = make_person(office, "regulator_staff")
    make_person(office, "unit_admin")
    make_person(make_unit("regulator", "610581", status="disabled"), "regulator_staff")
    make_person(make_unit("regulator", "610500"), "regulator_staff")
    assert list(db.session.scalars(people.regulator_staff_stmt("610581", Person.id))) == [staff.id]


def test_tell_admins_reaches_every_active_admin_and_no_one_else(make_unit, make_person):
    from models.notify import OutboxMessage

    unit = make_unit("use")
    admins = [make_person(unit, "unit_admin"), make_person(unit, "unit_admin", "principal")]
    retired = make_person(unit, "unit_admin")
    retired.status = "inactive"
    make_person(unit, "principal")
    make_person(make_unit("use"), "unit_admin")
    units.tell_admins(unit.id, "unit_approve", "单位已通过", "您单位的注册申请已通过。", {"unit_id": unit.id})
    told = set(db.session.scalars(select(OutboxMessage.recipient_person_id).where(OutboxMessage.template == "unit_approve")))
    assert told == {a.id for a in admins}
