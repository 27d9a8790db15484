"""Next due dates by rule (services.inspection.due_dates, domain.md §3.2) and their storage."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select

from core.config import Config
from core.extensions import db
from models.inspection import EquipmentDueDate
from services.inspection import due_dates
from services.inspection.due_dates import (DeviceFacts, DueEntry, ResultFacts, add_months, device_series,
                                           due_after, new_supervision_date, series_of, store)

CONFIG = vars(Config())


def device(code: str = "3110", supervised: date | None = None, put_into_use: date | None = None) -> DeviceFacts:
    return DeviceFacts(catalogue_code=code, supervision_passed_on=supervised, put_into_use_date=put_into_use)


def result(kind: str, day: date, *, passed: bool = True, grade: int | None = None, work: str | None = None,
           conclusion: str = "合格") -> ResultFacts:
    return ResultFacts(inspection_type=kind, work_type=work, conclusion=conclusion, safety_grade=grade,
                       inspection_date=day, passed=passed)


def with_settings(**changes) -> dict:
    return {**CONFIG, **changes}


# -- elevators (TSG T7001-2023 / T7008-2023) ------------------------------------------------------

def test_an_elevator_installed_in_2024_is_inspected_in_years_1_4_7_and_self_tested_in_between():
    installed = date(2024, 5, 10)
    dates = due_after(device(), result("supervision", installed, work="installation"), CONFIG)
    assert dates == {"periodic": date(2025, 5, 10), "self_test": date(2026, 5, 10)}
    facts = device(supervised=installed)
    done = []
    for _ in range(18):  # always do the earliest due, on its due date
        series, day = min(((key, value) for key, value in dates.items() if value), key=lambda item: item[1])
        done.append((day.year - 2024, series))
        dates = {**dates, **due_after(facts, result(series, day), CONFIG)}
    periodic = [year for year, series in done if series == "periodic"]
    self_tests = [year for year, series in done if series == "self_test"]
    assert periodic == [1, 4, 7, 9, 11, 13, 15, 16, 17, 18]
    assert self_tests == [2, 3, 5, 6, 8, 10, 12, 14]
    assert all(day.month == 5 and day.day == 10 for day in dates.values() if day)


def test_an_elevator_inspected_up_to_2_months_early_keeps_its_later_dates():
    facts = device(supervised=date(2024, 5, 10))
    early = due_after(facts, result("periodic", date(2028, 3, 10)), CONFIG)  # year 4, two months early
    assert early == {"periodic": date(2031, 5, 10), "self_test": date(2029, 5, 10)}


def test_an_elevator_inspected_late_keeps_the_month_of_its_supervision():
    facts = device(supervised=date(2024, 5, 10))
    late = due_after(facts, result("periodic", date(2028, 8, 20)), CONFIG)  # year 4, three months late
    assert late == {"periodic": date(2031, 5, 10), "self_test": date(2029, 5, 10)}


def test_an_elevator_inspection_more_than_2_months_early_does_not_count_for_the_coming_year():
    facts = device(supervised=date(2024, 5, 10))
    dates = due_after(facts, result("periodic", date(2028, 2, 1)), CONFIG)
    assert dates["periodic"] == date(2028, 5, 10)


def test_an_elevator_self_test_may_be_1_month_early():
    facts = device(supervised=date(2024, 5, 10))
    assert due_after(facts, result("self_test", date(2026, 4, 12)), CONFIG) == {
        "periodic": date(2028, 5, 10), "self_test": date(2027, 5, 10)}
    # Six weeks early it is not year 2's self-test: year 2 stays due.
    assert due_after(facts, result("self_test", date(2026, 3, 28)), CONFIG)["self_test"] == date(2026, 5, 10)


def test_an_alteration_supervision_restarts_the_elevator_year_list():
    facts = device(supervised=date(2010, 5, 10))
    altered = result("supervision", date(2030, 1, 15), work="alteration")
    assert due_after(facts, altered, CONFIG) == {"periodic": date(2031, 1, 15), "self_test": date(2032, 1, 15)}
    assert new_supervision_date(altered) == date(2030, 1, 15)
    assert new_supervision_date(result("supervision", date(2030, 1, 15), work="major_repair")) is None
    assert new_supervision_date(result("supervision", date(2030, 1, 15), work="alteration", passed=False)) is None


def test_a_major_repair_supervision_skips_that_years_periodic_inspection():
    facts = device(supervised=date(2024, 5, 10))
    repaired = result("supervision", date(2027, 12, 1), work="major_repair")  # within list year 4
    assert due_after(facts, repaired, CONFIG) == {"periodic": date(2031, 5, 10)}
    # In a self-test year nothing is skipped.
    assert due_after(facts, result("supervision", date(2026, 1, 5), work="major_repair"), CONFIG) == {}


def test_an_elevator_past_its_15_year_list_is_inspected_every_year_with_no_self_test():
    facts = device(supervised=date(2000, 6, 1))
    assert due_after(facts, result("periodic", date(2024, 5, 20)), CONFIG) == {
        "periodic": date(2025, 6, 1), "self_test": None}


def test_an_elevator_without_a_supervision_date_counts_from_its_put_into_use_date_else_the_inspection():
    by_use = due_after(device(put_into_use=date(2010, 3, 1)), result("periodic", date(2024, 2, 15)), CONFIG)
    assert by_use == {"periodic": date(2025, 3, 1), "self_test": None}  # year 14 done, 15 is the last listed
    unknown = due_after(device(), result("periodic", date(2024, 2, 15)), CONFIG)
    assert unknown == {"periodic": date(2025, 2, 15), "self_test": date(2026, 2, 15)}


def test_an_elevator_installed_on_29_february_is_due_on_28_february():
    assert due_after(device(), result("supervision", date(2024, 2, 29), work="installation"), CONFIG) == {
        "periodic": date(2025, 2, 28), "self_test": date(2026, 2, 28)}
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


# -- boilers, vessels, pipes ------------------------------------------------------------------------

def test_a_boiler_has_a_yearly_external_and_a_two_yearly_internal_series_each_moved_by_its_own_type():
    boiler = device("1100")
    assert series_of("1100") == ("external", "internal")
    assert due_after(boiler, result("external", date(2024, 3, 1), conclusion="符合要求"), CONFIG) == {
        "external": date(2025, 3, 1)}
    assert due_after(boiler, result("internal", date(2024, 3, 1), conclusion="符合要求"), CONFIG) == {
        "internal": date(2026, 3, 1)}
    assert due_after(boiler, result("supervision", date(2024, 3, 1), work="installation"), CONFIG) == {
        "external": date(2025, 3, 1), "internal": date(2026, 3, 1)}


def test_a_grade_3_vessel_is_due_again_in_3_years():
    vessel = device("2150")
    dates = due_after(vessel, result("periodic", date(2024, 4, 2), grade=3, conclusion="符合要求"), CONFIG)
    assert dates == {"periodic": date(2027, 4, 2), "annual": date(2025, 4, 2)}


def test_a_grade_1_or_2_vessel_is_due_again_in_6_years_and_a_mobile_one_in_5():
    day = date(2024, 4, 2)
    assert due_after(device("2130"), result("periodic", day, grade=2), CONFIG)["periodic"] == date(2030, 4, 2)
    assert due_after(device("2220"), result("periodic", day, grade=1), CONFIG)["periodic"] == date(2029, 4, 2)


def test_a_grade_5_vessel_gets_no_new_date():
    vessel = device("2150")
    assert due_after(vessel, result("periodic", date(2024, 4, 2), grade=5, passed=False), CONFIG) == {}
    assert due_after(vessel, result("periodic", date(2024, 4, 2), grade=5), CONFIG) == {}


def test_a_new_vessel_is_first_inspected_within_3_years_of_putting_into_use():
    vessel = device("2150", put_into_use=date(2024, 6, 1))
    assert due_after(vessel, result("supervision", date(2024, 5, 20), work="installation"), CONFIG) == {
        "periodic": date(2027, 6, 1), "annual": date(2025, 6, 1)}


def test_a_vessel_annual_check_moves_only_the_annual_series():
    assert due_after(device("2150"), result("annual", date(2024, 9, 9), conclusion="符合要求"), CONFIG) == {
        "annual": date(2025, 9, 9)}


def test_an_industrial_pipe_is_due_by_grade_and_grade_4_gets_no_new_date():
    pipe = device("8310")
    assert due_after(pipe, result("periodic", date(2024, 1, 10), grade=3), CONFIG) == {
        "periodic": date(2027, 1, 10), "annual": date(2025, 1, 10)}
    assert due_after(pipe, result("periodic", date(2024, 1, 10), grade=1), CONFIG)["periodic"] == date(2030, 1, 10)
    assert due_after(pipe, result("periodic", date(2024, 1, 10), grade=4), CONFIG) == {}
    assert due_after(device("8310", put_into_use=date(2024, 2, 1)),
                     result("supervision", date(2024, 1, 10), work="installation"), CONFIG)["periodic"] == date(
        2027, 2, 1)


# -- cranes and the others ---------------------------------------------------------------------------

@pytest.mark.parametrize("code, months", [
    ("4310", 12), ("4400", 12), ("4860", 12), ("4150", 12),  # 塔式, 流动式, 施工升降机, 冶金桥式
    ("4110", 24), ("4210", 24), ("4D00", 24), ("4A00", 24),  # 桥式, 门式, 停车设备, 桅杆式
    ("5110", 12), ("6A00", 12), ("6D10", 12), ("9110", 12),  # 叉车, 碰碰车, 漂流, 索道
])
def test_cranes_are_due_by_type_and_vehicles_rides_and_ropeways_every_year(code, months):
    day = date(2024, 7, 31)
    assert series_of(code) == ("periodic",)
    assert due_after(device(code), result("periodic", day), CONFIG) == {"periodic": add_months(day, months)}


def test_gas_cylinders_and_public_pipelines_have_no_series_here():
    for code in ("2310", "23T0", "8210", "8110", "7100", "R000"):
        assert series_of(code) == ()
        assert due_after(device(code), result("periodic", date(2024, 1, 1)), CONFIG) == {}


# -- failures and settings ---------------------------------------------------------------------------

@pytest.mark.parametrize("code, kind, grade", [("3110", "periodic", None), ("3110", "self_test", None),
                                               ("1200", "external", None), ("2150", "periodic", 4),
                                               ("4310", "periodic", None), ("3110", "supervision", None)])
def test_a_failed_result_leaves_the_due_date_unchanged(code, kind, grade):
    failed = result(kind, date(2024, 5, 1), passed=False, grade=grade, conclusion="不合格",
                    work="installation" if kind == "supervision" else None)
    assert due_after(device(code, supervised=date(2020, 5, 1)), failed, CONFIG) == {}


def test_a_type_the_category_has_no_series_for_sets_nothing():
    assert due_after(device("4310"), result("self_test", date(2024, 5, 1)), CONFIG) == {}
    assert due_after(device("3110"), result("annual", date(2024, 5, 1)), CONFIG) == {}


SUPERVISED = date(2023, 1, 10)
OLD = date(2000, 1, 10)


@pytest.mark.parametrize("code, kind, grade, supervised, day, setting, value, series, expected", [
    ("3110", "supervision", None, None, date(2024, 1, 10), "ELEVATOR_PERIODIC_YEARS", (1, 2, 3), "self_test",
     date(2028, 1, 10)),
    ("3110", "periodic", None, OLD, date(2024, 1, 1), "ELEVATOR_LIST_YEARS", 30, "self_test", date(2025, 1, 10)),
    ("3110", "periodic", None, OLD, date(2025, 1, 1), "ELEVATOR_INTERVAL_AFTER_LIST_YEARS", 2, "periodic",
     date(2027, 1, 10)),
    ("3110", "periodic", None, SUPERVISED, date(2024, 1, 1), "ELEVATOR_EARLY_MONTHS", 0, "periodic",
     date(2024, 1, 10)),
    ("3110", "self_test", None, date(2022, 1, 10), date(2024, 1, 1), "ELEVATOR_SELF_TEST_EARLY_MONTHS", 0,
     "self_test", date(2024, 1, 10)),
    ("1100", "external", None, None, date(2024, 1, 1), "BOILER_EXTERNAL_MONTHS", 6, "external", date(2024, 7, 1)),
    ("1100", "internal", None, None, date(2024, 1, 1), "BOILER_INTERNAL_MONTHS", 36, "internal", date(2027, 1, 1)),
    ("2150", "supervision", None, None, date(2024, 1, 1), "VESSEL_FIRST_INSPECTION_YEARS", 2, "periodic",
     date(2026, 1, 1)),
    ("2150", "periodic", 3, None, date(2024, 1, 1), "VESSEL_GRADE_YEARS", {1: 6, 2: 6, 3: 4, 4: 3}, "periodic",
     date(2028, 1, 1)),
    ("2220", "periodic", 1, None, date(2024, 1, 1), "MOBILE_VESSEL_GRADE_YEARS", {1: 6}, "periodic",
     date(2030, 1, 1)),
    ("8310", "supervision", None, None, date(2024, 1, 1), "PIPE_FIRST_INSPECTION_YEARS", 5, "periodic",
     date(2029, 1, 1)),
    ("8310", "periodic", 3, None, date(2024, 1, 1), "PIPE_GRADE_YEARS", "1:6,2:6,3:2", "periodic", date(2026, 1, 1)),
    ("2150", "annual", None, None, date(2024, 1, 1), "ANNUAL_CHECK_MONTHS", 6, "annual", date(2024, 7, 1)),
    ("4110", "periodic", None, None, date(2024, 1, 1), "CRANE_YEARLY_CATEGORIES", ["4100"], "periodic",
     date(2025, 1, 1)),
    ("4310", "periodic", None, None, date(2024, 1, 1), "CRANE_YEARLY_MONTHS", 6, "periodic", date(2024, 7, 1)),
    ("4110", "periodic", None, None, date(2024, 1, 1), "CRANE_OTHER_MONTHS", 36, "periodic", date(2027, 1, 1)),
    ("6100", "periodic", None, None, date(2024, 1, 1), "OTHER_INSPECTION_MONTHS", 18, "periodic", date(2025, 7, 1)),
])
def test_every_interval_is_a_setting(code, kind, grade, supervised, day, setting, value, series, expected):
    """Change the setting: the date moves."""
    facts = device(code, supervised=supervised)
    done = result(kind, day, grade=grade, work="installation" if kind == "supervision" else None)
    before = due_after(facts, done, CONFIG).get(series)
    after = due_after(facts, done, with_settings(**{setting: value})).get(series)
    assert after == expected
    assert after != before


def test_interval_settings_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("ELEVATOR_PERIODIC_YEARS", "1,3,5")
    monkeypatch.setenv("VESSEL_GRADE_YEARS", "1:8,2:8,3:4")
    monkeypatch.setenv("CRANE_YEARLY_CATEGORIES", "4100,4300")
    config = Config()
    assert config.ELEVATOR_PERIODIC_YEARS == (1, 3, 5)
    assert config.VESSEL_GRADE_YEARS == {1: 8, 2: 8, 3: 4}
    assert config.CRANE_YEARLY_CATEGORIES == ["4100", "4300"]


# -- storage (PostgreSQL) ----------------------------------------------------------------------------

def entry(equipment_id: int, series: str, due: date | None, last: date, result_id: int | None = None) -> DueEntry:
    return DueEntry(equipment_id=equipment_id, series=series, due_date=due, last_date=last,
                    last_conclusion="合格", last_result_id=result_id)


def test_the_earliest_series_lands_on_the_device(make_unit, make_equipment):
    unit = make_unit("use", "610113")
    elevator = make_equipment(unit, "3110", use_status="in_use")
    boiler = make_equipment(unit, "1200", use_status="in_use")
    store([entry(elevator.id, "periodic", date(2028, 5, 10), date(2025, 5, 10), 1),
           entry(elevator.id, "self_test", date(2026, 5, 10), date(2025, 5, 10), 1),
           entry(boiler.id, "external", date(2025, 3, 1), date(2024, 3, 1), 2),
           entry(boiler.id, "internal", date(2025, 3, 1), date(2024, 3, 1), 2)])
    db.session.expire_all()
    assert (elevator.next_due_date, elevator.next_due_type) == (date(2026, 5, 10), "自行检测")
    assert (boiler.next_due_date, boiler.next_due_type) == (date(2025, 3, 1), "外部检验")  # a tie: 外部 first
    assert [(row.series, row.due_date, row.last_result_id) for row in device_series(elevator.id)] == [
        ("periodic", date(2028, 5, 10), 1), ("self_test", date(2026, 5, 10), 1)]

    store([entry(elevator.id, "self_test", date(2027, 5, 10), date(2026, 5, 10), 3)])
    db.session.expire_all()
    assert (elevator.next_due_date, elevator.next_due_type) == (date(2027, 5, 10), "自行检测")
    store([entry(elevator.id, "self_test", None, date(2027, 5, 10), 4)])  # past the list: no self-test
    db.session.expire_all()
    assert (elevator.next_due_date, elevator.next_due_type) == (date(2028, 5, 10), "定期检验")


def test_a_changed_due_date_is_reminded_again_and_an_older_result_does_not_move_dates_back(make_unit,
                                                                                           make_equipment):
    from models.inspection import EquipmentDueDate

    unit = make_unit("use", "610113")
    crane = make_equipment(unit, "4310", use_status="in_use")
    store([entry(crane.id, "periodic", date(2025, 6, 1), date(2024, 6, 1), 1)])
    row = db.session.get(EquipmentDueDate, (crane.id, "periodic"))
    row.reminded_for = date(2025, 6, 1)
    db.session.flush()

    store([entry(crane.id, "periodic", date(2025, 6, 1), date(2024, 6, 1), 1)])  # the same again
    db.session.expire_all()
    assert db.session.get(EquipmentDueDate, (crane.id, "periodic")).reminded_for == date(2025, 6, 1)

    store([entry(crane.id, "periodic", date(2026, 6, 1), date(2025, 6, 1), 2)])
    db.session.expire_all()
    moved = db.session.get(EquipmentDueDate, (crane.id, "periodic"))
    assert (moved.due_date, moved.reminded_for, moved.last_result_id) == (date(2026, 6, 1), None, 2)

    store([entry(crane.id, "periodic", date(2024, 1, 1), date(2023, 1, 1), 0)])  # an old report, late
    db.session.expire_all()
    assert db.session.get(EquipmentDueDate, (crane.id, "periodic")).due_date == date(2026, 6, 1)
    assert crane.next_due_date == date(2026, 6, 1)


def test_storing_500_devices_takes_two_statements(make_unit, make_equipment):
    unit = make_unit("use", "610113")
    devices = [make_equipment(unit, "3110", use_status="in_use") for _ in range(250)]
    entries = [entry(d.id, series, date(2026, 1, 1 + i % 28), date(2025, 1, 1), d.id)
               for d in devices for i, series in enumerate(("periodic", "self_test"))]
    db.session.flush()
    statements = []
    engine = db.session.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0])

    event.listen(engine, "before_cursor_execute", count)
    try:
        store(entries)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == ["INSERT", "UPDATE"]
    from models.equipment import Equipment

    counted = select(func.count()).select_from(Equipment).where(
        Equipment.id.in_([d.id for d in devices]), Equipment.next_due_type == "定期检验",
        Equipment.next_due_date == date(2026, 1, 1))
    assert db.session.scalar(counted) == 250


def test_a_recorded_due_date_changed_by_hand_or_import_reaches_its_series_unless_a_result_set_it(make_equipment,
                                                                                               make_unit):
    unit = make_unit("use", "610113")
    ledger = make_equipment(unit, "3110", next_due_date=date(2026, 11, 28), next_due_type="定期检验")
    resulted = make_equipment(unit, "3110", next_due_date=date(2026, 11, 28), next_due_type="定期检验")
    assert due_dates.seed_recorded_series() == 2
    db.session.get(EquipmentDueDate, (resulted.id, "periodic")).last_result_id = 7
    ledger.next_due_date = resulted.next_due_date = date(2027, 10, 4)  # a hand edit, an import
    db.session.flush()
    assert due_dates.seed_recorded_series() == 1
    db.session.expire_all()
    assert db.session.get(EquipmentDueDate, (ledger.id, "periodic")).due_date == date(2027, 10, 4)
    assert db.session.get(EquipmentDueDate, (resulted.id, "periodic")).due_date == date(2026, 11, 28)
    assert due_dates.seed_recorded_series() == 0
