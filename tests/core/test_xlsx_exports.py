"""Every .xlsx the platform hands out looks the same: a bold header on a fill, the header row frozen,
an autofilter over the table, column widths set. A new export route must be listed here to pass."""
import io

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from tests.checks.fixtures_reports import works  # noqa: F401  (a fixture)
from tests.risk.fixtures_insights import QUARTER
from tests.risk.fixtures_insights import insights  # noqa: F401  (a fixture)

# Sheets that are notes or a record laid out as its PDF (title on top), not one table.
DOCUMENT_SHEETS = {"填写说明", "概况", "记录"}


def _equipment(client, request):
    data = request.getfixturevalue("works")
    return client.get("/api/v1/equipment/export.xlsx", headers=data["admin_headers"])


def _applications(client, request):
    data = request.getfixturevalue("works")
    return client.get("/api/v1/equipment-applications/export.xlsx", headers=data["admin_headers"])


def _template(client, request):
    data = request.getfixturevalue("works")
    return client.get("/api/v1/equipment/import-template.xlsx", headers=data["admin_headers"])


def _device_record(client, request):
    data = request.getfixturevalue("works")
    return client.get(f"/api/v1/checks/records/device/{data['elevators'][0].id}.xlsx",
                      headers=data["admin_headers"])


def _week_record(client, request):
    data = request.getfixturevalue("works")
    return client.get(f"/api/v1/checks/records/unit/{data['unit'].id}/week.xlsx?kind_code=3000",
                      headers=data["admin_headers"])


def _month_record(client, request):
    data = request.getfixturevalue("works")
    return client.get(f"/api/v1/checks/records/unit/{data['unit'].id}/month.xlsx?kind_code=3000",
                      headers=data["admin_headers"])


def _periodic_report(client, request):
    people, run_jobs = request.getfixturevalue("insights"), request.getfixturevalue("run_jobs")
    made = client.post("/api/v1/risk/periodic-reports", json={"period_type": "quarter", "period": QUARTER},
                       headers=people["province_h"])
    run_jobs()
    return client.get(f"/api/v1/risk/periodic-reports/{made.json['id']}/xlsx", headers=people["province_h"])


def _commendation(client, request):
    people = request.getfixturevalue("insights")
    return client.get(f"/api/v1/risk/recognition/export.xlsx?period={QUARTER}", headers=people["centre_h"])


def _overdue(client, request):
    headers = request.getfixturevalue("regulator")("610000")
    return client.get("/api/v1/inspection/overdue/export.xlsx", headers=headers)


EXPORTS = {
    "/api/v1/equipment/export.xlsx": _equipment,
    "/api/v1/equipment-applications/export.xlsx": _applications,
    "/api/v1/equipment/import-template.xlsx": _template,
    "/api/v1/checks/records/device/<int:equipment_id>.<any(pdf, xlsx):fmt>": _device_record,
    "/api/v1/checks/records/unit/<int:unit_id>/week.<any(pdf, xlsx):fmt>": _week_record,
    "/api/v1/checks/records/unit/<int:unit_id>/month.<any(pdf, xlsx):fmt>": _month_record,
    "/api/v1/risk/periodic-reports/<int:report_id>/<any(pdf, xlsx):fmt>": _periodic_report,
    "/api/v1/risk/recognition/export.xlsx": _commendation,
    "/api/v1/inspection/overdue/export.xlsx": _overdue,
}


def test_every_xlsx_route_is_checked_for_its_look(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if "xlsx" in rule.rule}
    assert routes == set(EXPORTS)


def assert_table(sheet) -> None:
    assert sheet.freeze_panes and sheet.freeze_panes[0] == "A", sheet.title
    header_row = int(sheet.freeze_panes[1:]) - 1
    header = [cell for cell in sheet[header_row] if cell.value is not None]
    assert header, sheet.title
    last = get_column_letter(len(header))
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith(f"A{header_row}:{last}"), sheet.title
    for cell in header:
        assert cell.font.b and cell.fill.fill_type == "solid" and cell.border.bottom.style, (sheet.title, cell.value)
    for index in range(1, len(header) + 1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        assert dimension.customWidth and dimension.width >= 8, (sheet.title, index)


@pytest.mark.parametrize("route", list(EXPORTS))
def test_every_export_has_styled_frozen_filtered_headers_and_widths(client, request, route):
    response = EXPORTS[route](client, request)
    assert response.status_code == 200, response.data[:300]
    book = load_workbook(io.BytesIO(response.data))
    for sheet in book.worksheets:
        if sheet.title in DOCUMENT_SHEETS:
            assert sheet["A1"].font.b and sheet.column_dimensions["A"].customWidth, sheet.title
        else:
            assert_table(sheet)


def test_the_equipment_export_freezes_the_first_row_and_filters_every_row(client, request):
    sheet = load_workbook(io.BytesIO(_equipment(client, request).data)).active
    assert sheet.max_row == 4  # the header and the unit's three elevators
    assert (sheet.freeze_panes, sheet.auto_filter.ref) == ("A2", f"A1:{get_column_letter(sheet.max_column)}4")
