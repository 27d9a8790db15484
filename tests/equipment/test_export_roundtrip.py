"""The equipment export is a filled-in import template: export, edit a cell, import, and only that cell changed."""
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from services.equipment import import_template

XLSX_EXPORT = "/api/v1/equipment/export.xlsx"


@pytest.fixture
def yanta(make_unit, make_person, auth_headers):
    unit = make_unit("use", "610113", name="演示雁塔物业有限公司")
    return {"unit": unit, "admin": auth_headers(make_person(unit, "unit_admin"))}


def every_field(n: int) -> dict:
    return {"equipment_code": f"31106100120170{n:04d}", "legacy_reg_code": f"3110610113201700{n:04d}",
            "registration_cert_no": f"梯11陕A{n:05d}(17)", "product_name": "曳引驱动乘客电梯",
            "model_spec": f"TKJ1000/{n}", "manufacturer_name": "演示电梯制造有限公司", "product_serial_no": f"SN-{n}",
            "address": f"西安市雁塔区演示路 {n} 号", "public_place": n % 2 == 1, "use_status": "in_use",
            "registration_status": "registered", "put_into_use_date": date(2017, 8, 1),
            "manufacture_date": date(2016, 5, 1), "last_inspection_date": date(2025, 3, 1),
            "last_inspection_conclusion": "合格", "next_due_date": date(2026, 3, 1), "next_due_type": "定期检验"}


def upload(client, headers, data: bytes, dry_run: bool):
    return client.post("/api/v1/equipment/imports", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "设备台账.xlsx"), "dry_run": "true" if dry_run else "false"})


def data_rows(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data))[import_template.DATA_SHEET]
    return list(sheet.iter_rows(values_only=True))


def test_the_equipment_export_carries_every_template_column_in_the_templates_order(client, yanta, make_equipment):
    make_equipment(yanta["unit"], "3110", source="import", **every_field(1))
    response = client.get(XLSX_EXPORT, headers=yanta["admin"])
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [import_template.DATA_SHEET]
    header = [c.value for c in workbook[import_template.DATA_SHEET][1]]
    template = [import_template.header_text(c) for c in import_template.COLUMNS]
    assert header[:len(template)] == template
    row = dict(zip(header, data_rows(response.data)[1]))
    assert (row["*设备类别代码"], row["是否公众聚集场所"], row["*使用状态"], row["*注册状态"]) == ("3110", "是", "在用", "在册")
    assert row["使用单位统一社会信用代码"] == yanta["unit"].uscc and row["使用单位名称"] == "演示雁塔物业有限公司"
    assert row["投入使用日期"].date() == date(2017, 8, 1) and row["检验类型"] == "定期检验"


def test_export_edit_import_round_trips_with_only_the_edited_cell_changed(client, yanta, make_equipment):
    unit = yanta["unit"]
    historical = [make_equipment(unit, "3110", source="import", **every_field(n)) for n in (1, 2)]
    make_equipment(unit, "3110", source="new", **every_field(3))  # registered on the platform: stays unchanged
    exported = client.get(XLSX_EXPORT, headers=yanta["admin"])
    assert exported.status_code == 200

    workbook = load_workbook(io.BytesIO(exported.data))
    sheet = workbook[import_template.DATA_SHEET]
    header = [c.value for c in sheet[1]]
    address, code = header.index("*设备地点") + 1, header.index("△设备代码") + 1
    edited_row = next(r for r in range(2, sheet.max_row + 1)
                      if sheet.cell(r, code).value == historical[1].equipment_code)
    sheet.cell(edited_row, address).value = "西安市雁塔区新地址 99 号"
    stream = io.BytesIO()
    workbook.save(stream)
    edited = stream.getvalue()

    dry = upload(client, yanta["admin"], edited, dry_run=True)
    assert dry.status_code == 201, dry.json
    assert dry.json["status"] == "checked", dry.json["errors"]
    assert dry.json["counts"] == {"create": 0, "update": 1, "unchanged": 2, "error": 0}
    done = client.post(f"/api/v1/equipment/imports/{dry.json['id']}/commit", headers=yanta["admin"])
    assert (done.status_code, done.json["status"]) == (200, "imported")
    assert done.json["counts"] == {"create": 0, "update": 1, "unchanged": 2, "error": 0}

    device = client.get(f"/api/v1/equipment/{historical[1].id}", headers=yanta["admin"]).json
    assert device["address"] == "西安市雁塔区新地址 99 号"
    again = client.get(XLSX_EXPORT, headers=yanta["admin"])
    assert data_rows(again.data) == data_rows(edited)
    assert upload(client, yanta["admin"], again.data, dry_run=True).json["counts"]["unchanged"] == 3


def test_exported_codes_are_text_cells_so_a_retyped_code_keeps_its_digits(client, yanta, make_equipment):
    make_equipment(yanta["unit"], "3110", source="import", **every_field(1))
    sheet = load_workbook(io.BytesIO(client.get(XLSX_EXPORT, headers=yanta["admin"]).data))[import_template.DATA_SHEET]
    header = [c.value for c in sheet[1]]
    for column in import_template.COLUMNS:
        cell = sheet.cell(2, header.index(import_template.header_text(column)) + 1)
        assert (cell.number_format == "@") == column.text, column.header
