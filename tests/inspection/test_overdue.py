"""Overdue devices per region (services.inspection.overdue, GET /api/v1/inspection/overdue...)."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from core.timeutil import business_today
from services.inspection.due_dates import DueEntry, store


def series(equipment, **days_from_today: int) -> None:
    today = business_today()
    store([DueEntry(equipment_id=equipment.id, series=key, due_date=today + timedelta(days=days),
                    last_date=today - timedelta(days=400), last_conclusion="合格", last_result_id=None)
           for key, days in days_from_today.items()])


@pytest.fixture
def devices(make_unit, make_person, make_equipment, auth_headers):
    """Overdue devices in 雁塔区 (610113) and 莲湖区 (610104), and some that are not overdue."""
    yanta = make_unit("use", "610113", name="雁塔商场")
    lianhu = make_unit("use", "610104", name="莲湖工厂")
    elevator = make_equipment(yanta, "3110", use_status="in_use", equipment_code="311061012024Y0001")
    series(elevator, periodic=-40, self_test=-5)
    crane = make_equipment(lianhu, "4310", use_status="in_use", equipment_code="431061012024L0001")
    series(crane, periodic=-100)
    boiler = make_equipment(lianhu, "1200", use_status="in_use")
    series(boiler, external=-2, internal=300)
    series(make_equipment(yanta, "3110", use_status="in_use"), periodic=10, self_test=200)  # in date
    series(make_equipment(yanta, "3110", use_status="suspended"), periodic=-30)  # not in use
    return {"yanta": yanta, "lianhu": lianhu, "elevator": elevator, "crane": crane, "boiler": boiler,
            "yanta_admin": auth_headers(make_person(yanta, "unit_admin"))}


def codes(response) -> list[int]:
    assert response.status_code == 200, response.json
    return [item["equipment"]["id"] for item in response.json["items"]]


def test_a_county_regulator_does_not_see_another_countys_overdue_devices(client, regulator, devices):
    yanta = regulator("610113")
    assert codes(client.get("/api/v1/inspection/overdue", headers=yanta)) == [devices["elevator"].id]
    refused = client.get("/api/v1/inspection/overdue?region_code=610104", headers=yanta)
    assert (refused.status_code, refused.json["code"]) == (403, "region_out_of_scope")
    summary = client.get("/api/v1/inspection/overdue/summary?region_code=610104", headers=yanta)
    assert summary.status_code == 403


def test_the_city_sees_its_overdue_devices_longest_overdue_first_with_their_overdue_series(client, regulator,
                                                                                          devices):
    xian = regulator("610100")
    response = client.get("/api/v1/inspection/overdue", headers=xian)
    assert codes(response) == [devices["crane"].id, devices["elevator"].id, devices["boiler"].id]
    assert response.json["total"] == 3
    elevator = response.json["items"][1]
    assert elevator["days_overdue"] == 40 and elevator["equipment"]["use_unit_name"] == "雁塔商场"
    assert [(s["label"], s["days_overdue"]) for s in elevator["overdue_series"]] == [("定期检验", 40), ("自行检测", 5)]
    boiler = response.json["items"][2]
    assert [s["series"] for s in boiler["overdue_series"]] == ["external"]  # 内部检验 is in date


def test_the_overdue_summary_counts_devices_per_county_and_per_series(client, regulator, devices):
    response = client.get("/api/v1/inspection/overdue/summary", headers=regulator("610100"))
    assert response.status_code == 200, response.json
    summary = response.json
    assert (summary["region_code"], summary["devices"]) == ("610100", 3)
    assert summary["by_series"] == {"periodic": 2, "self_test": 1, "annual": 0, "external": 1, "internal": 0}
    rows = {row["region_code"]: row for row in summary["rows"]}
    assert rows["610113"]["devices"] == 1 and rows["610113"]["by_series"]["self_test"] == 1
    assert rows["610104"]["devices"] == 2 and rows["610104"]["by_series"]["external"] == 1
    assert rows["610116"]["devices"] == 0  # every county is listed, zeros included
    province = client.get("/api/v1/inspection/overdue/summary", headers=regulator("610000")).json
    assert {row["region_code"]: row["devices"] for row in province["rows"]}["610100"] == 3


@pytest.mark.parametrize("query, expected", [
    ("category=3000", ["elevator"]), ("category=4300", ["crane"]), ("series=self_test", ["elevator"]),
    ("series=external", ["boiler"]), ("days_min=30", ["crane", "elevator"]), ("days_max=10", ["elevator", "boiler"]),
    ("region_code=610104", ["crane", "boiler"]),
])
def test_the_overdue_list_filters_by_region_category_series_and_days(client, regulator, devices, query, expected):
    response = client.get(f"/api/v1/inspection/overdue?{query}", headers=regulator("610100"))
    assert codes(response) == [devices[name].id for name in expected]


def test_a_unit_sees_its_own_overdue_devices_but_no_regional_summary(client, devices):
    headers = devices["yanta_admin"]
    assert codes(client.get("/api/v1/inspection/overdue", headers=headers)) == [devices["elevator"].id]
    refused = client.get("/api/v1/inspection/overdue/summary", headers=headers)
    assert (refused.status_code, refused.json["code"]) == (403, "overdue_summary_forbidden")
    assert client.get("/api/v1/inspection/overdue").status_code == 401


def test_the_overdue_list_exports_one_row_per_overdue_series(client, regulator, devices):
    response = client.get("/api/v1/inspection/overdue/export.xlsx", headers=regulator("610100"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert table[0][:3] == ["设备代码", "使用登记证编号", "设备类别"]
    assert [(row[0], row[6], row[8]) for row in table[1:]] == [
        ("431061012024L0001", "定期检验", 100), ("311061012024Y0001", "定期检验", 40),
        ("311061012024Y0001", "自行检测", 5), (devices["boiler"].equipment_code, "外部检验", 2)]


def test_a_device_shows_its_series(client, devices, regulator):
    response = client.get(f"/api/v1/inspection/due-dates/{devices['elevator'].id}", headers=devices["yanta_admin"])
    assert response.status_code == 200
    assert [(s["series"], s["label"]) for s in response.json["series"]] == [("periodic", "定期检验"),
                                                                          ("self_test", "自行检测")]
    assert response.json["next_due_type"] == "定期检验"
    other = client.get(f"/api/v1/inspection/due-dates/{devices['crane'].id}", headers=devices["yanta_admin"])
    assert other.status_code == 404
