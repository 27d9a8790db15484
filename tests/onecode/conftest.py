import pytest


@pytest.fixture
def site(make_unit, make_person, make_equipment, auth_headers):
    """A 雁塔区 use unit with an in-date elevator, its people, and the elevator's code."""
    from datetime import timedelta

    from core.timeutil import business_today
    from services.equipment.onecode import assign_many, active_code

    unit = make_unit("use", "610113", name="演示扫码商场")
    maintainer = make_unit("production", "610113", name="演示维保公司", contact_phone="029-88886666",
                           production_scopes=["maintenance"])
    officer = make_person(unit, "safety_officer", phone="13911112222", id_number="11010519491231002X")
    elevator = make_equipment(unit, "3110", use_status="in_use", registration_status="registered",
                              registration_cert_no="梯11陕A00042(24)", maintenance_unit_id=maintainer.id,
                              safety_officer_person_id=officer.id, last_inspection_conclusion="合格",
                              last_inspection_date=business_today() - timedelta(days=100),
                              next_due_date=business_today() + timedelta(days=265), next_due_type="定期检验")
    assign_many([elevator.id], None)
    return {"unit": unit, "officer": officer, "officer_headers": auth_headers(officer),
            "admin_headers": auth_headers(make_person(unit, "unit_admin")),
            "elevator": elevator, "code": active_code(elevator.id).code}
