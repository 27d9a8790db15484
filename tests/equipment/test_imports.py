"""Excel import of historical equipment: the template, the dry run listing errors by row
and column, the all-or-nothing and idempotent import, scoping, and large files as a job."""
import io

import pytest
from openpyxl import load_workbook
from rq.job import Job
from sqlalchemy import func, select

from core import work
from core.audit import AuditEntry
from core.extensions import db
from core.redis import get_redis
from models.equipment import Equipment
from services.demo.orgs import demo_uscc
from services.equipment import imports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def yanta(make_unit, make_person, auth_headers):
    unit = make_unit("use", "610113", name="演示雁塔物业有限公司")
    return {"unit": unit, "admin": auth_headers(make_person(unit, "unit_admin"))}


@pytest.fixture
def template(client, yanta):
    response = client.get("/api/v1/equipment/import-template.xlsx", headers=yanta["admin"])
    assert response.status_code == 200
    return response.data


def fill(template_bytes: bytes, rows: list[dict]) -> bytes:
    """Fill the template's data sheet as a user would: by header, from row 2."""
    workbook = load_workbook(io.BytesIO(template_bytes))
    sheet = workbook["设备清单"]
    columns = {cell.value.lstrip("*△"): cell.column for cell in sheet[1]}
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=number, column=columns[header], value=value)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def elevator(n: int, **overrides) -> dict:
    row = {"设备类别代码": "3110 曳引驱动乘客电梯", "设备代码": f"31106100120170{n:04d}",
           "使用登记证编号": f"梯11陕A{n:05d}(17)", "产品名称": "曳引驱动乘客电梯", "设备地点": f"西安市雁塔区演示路 {n} 号",
           "行政区划代码": "610113 雁塔区", "是否公众聚集场所": "是", "使用状态": "在用", "注册状态": "在册",
           "投入使用日期": "2017-08-01", "上次检验日期": "2025-03-01", "检验结论": "合格",
           "下次检验日期": "2026-03-01", "检验类型": "定期检验"}
    row.update(overrides)
    return row


def upload(client, headers, data: bytes, dry_run: bool = True, filename: str = "历史设备.xlsx"):
    return client.post("/api/v1/equipment/imports", headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), "dry_run": "true" if dry_run else "false"})


def issues(body: dict) -> set[tuple]:
    return {(e["row"], e["column"], e["code"]) for e in body["errors"]}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def equipment(**where) -> list[Equipment]:
    return list(db.session.scalars(select(Equipment).filter_by(**where).order_by(Equipment.id)))


def test_the_template_has_marked_headers_drop_downs_and_instructions(template):
    workbook = load_workbook(io.BytesIO(template))
    assert workbook.sheetnames == ["设备清单", "填写说明", "代码表"]
    headers = [c.value for c in workbook["设备清单"][1]]
    assert "*设备类别代码" in headers and "△设备代码" in headers and "检验类型" in headers
    formulas = {v.formula1 for v in workbook["设备清单"].data_validations.dataValidation}
    assert len(formulas) == 6 and all(f.startswith("'代码表'!") for f in formulas)
    lists = [c.value for row in workbook["代码表"].iter_rows() for c in row if c.value]
    assert {"3110 曳引驱动乘客电梯", "4D00 机械式停车设备", "在用", "在册", "是", "定期检验"} <= set(lists)
    assert not any(str(v).startswith("4B00") for v in lists)  # retired codes are accepted, not offered


def test_the_template_round_trips_errors_by_row_and_column_then_imports_once(client, yanta, template):
    unit = yanta["unit"]
    bad_uscc = unit.uscc[:-1] + ("0" if unit.uscc[-1] != "0" else "1")
    rows = [elevator(1), elevator(2, 使用单位统一社会信用代码=bad_uscc), elevator(3, 设备类别代码="3999")]
    dry = upload(client, yanta["admin"], fill(template, rows))
    assert dry.status_code == 201, dry.json
    assert dry.json["status"] == "rejected"
    assert issues(dry.json) == {(3, "使用单位统一社会信用代码", "uscc_invalid"), (4, "设备类别代码", "catalogue_code_unknown")}
    assert all(e["message"] for e in dry.json["errors"])
    assert dry.json["counts"] == {"create": 1, "update": 0, "unchanged": 0, "error": 2}
    refused = client.post(f"/api/v1/equipment/imports/{dry.json['id']}/commit", headers=yanta["admin"])
    assert (refused.status_code, refused.json["code"]) == (409, "import_not_committable")
    assert count(Equipment, Equipment.use_unit_id == unit.id) == 0

    fixed = fill(template, [elevator(1), elevator(2, 使用单位统一社会信用代码=unit.uscc), elevator(3, 设备类别代码="3120")])
    checked = upload(client, yanta["admin"], fixed)
    assert checked.json["status"] == "checked", checked.json["errors"]
    assert [r["action"] for r in checked.json["rows"]] == ["create"] * 3
    assert count(Equipment, Equipment.use_unit_id == unit.id) == 0  # a dry run writes no equipment
    done = client.post(f"/api/v1/equipment/imports/{checked.json['id']}/commit", headers=yanta["admin"])
    assert done.status_code == 200, done.json
    assert done.json["status"] == "imported"
    assert done.json["counts"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    listed = client.get("/api/v1/equipment", headers=yanta["admin"]).json
    assert sorted(e["equipment_code"] for e in listed["items"]) == [f"31106100120170{n:04d}" for n in (1, 2, 3)]
    device = client.get(f"/api/v1/equipment/{listed['items'][0]['id']}", headers=yanta["admin"]).json
    assert (device["source"], device["use_status"], device["registration_status"]) == ("import", "in_use", "registered")
    assert device["public_place"] is True and device["next_due_type"] == "定期检验"

    entries = count(AuditEntry)
    stamps = {e.id: e.updated_at for e in equipment(use_unit_id=unit.id)}
    again = upload(client, yanta["admin"], fixed, dry_run=False)
    assert again.json["status"] == "imported"
    assert again.json["counts"] == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert count(Equipment, Equipment.use_unit_id == unit.id) == 3
    assert {e.id: e.updated_at for e in equipment(use_unit_id=unit.id)} == stamps
    new_entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id).offset(entries)))
    assert [(e.action, e.after["unchanged"]) for e in new_entries] == [("equipment.import", 3)]


def test_a_changed_row_updates_its_record_and_empty_cells_keep_what_is_there(client, yanta, template):
    upload(client, yanta["admin"], fill(template, [elevator(1)]), dry_run=False)
    changed = elevator(1, 下次检验日期="2027-03-01", 产品名称=None, 检验结论=None)
    response = upload(client, yanta["admin"], fill(template, [changed]), dry_run=False)
    assert response.json["counts"]["update"] == 1
    device = equipment(equipment_code="311061001201700001")[0]
    assert (device.next_due_date.isoformat(), device.product_name) == ("2027-03-01", "曳引驱动乘客电梯")


def test_a_retired_catalogue_code_is_accepted_and_flagged(client, yanta, template):
    row = elevator(5, 设备类别代码="4B00", 设备代码="4B0061001201700005", 使用登记证编号="起17陕A00005(17)")
    response = upload(client, yanta["admin"], fill(template, [row]), dry_run=False)
    assert response.json["status"] == "imported", response.json["errors"]
    assert {(w["row"], w["column"], w["code"]) for w in response.json["warnings"]} == {
        (2, "设备类别代码", "catalogue_code_retired")}
    device = equipment(equipment_code="4B0061001201700005")[0]
    shown = client.get(f"/api/v1/equipment/{device.id}", headers=yanta["admin"]).json
    assert shown["catalogue_code"] == "4B00"
    assert any("移出现行目录" in w for w in shown["warnings"])


@pytest.mark.parametrize("filename,content", [("设备.pdf", b"%PDF-1.4 not a sheet"),
                                              ("设备.xlsx", b"just some text"),
                                              ("设备.docx", b"PK\x03\x04 a word file")])
def test_only_xlsx_files_are_accepted(client, yanta, filename, content):
    response = upload(client, yanta["admin"], content, filename=filename)
    assert (response.status_code, response.json["code"]) == (422, "file_type_not_allowed")


def test_a_workbook_that_is_not_the_template_is_refused(client, yanta):
    from openpyxl import Workbook
    workbook, stream = Workbook(), io.BytesIO()
    workbook.active.append(["名称", "地址"])
    workbook.active.append(["电梯", "某地"])
    workbook.save(stream)
    response = upload(client, yanta["admin"], stream.getvalue())
    assert (response.status_code, response.json["code"]) == (422, "import_template_mismatch")
    assert "设备类别代码" in response.json["message"]


def test_a_file_over_the_row_limit_is_refused(client, yanta, template, app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    response = upload(client, yanta["admin"], fill(template, [elevator(n) for n in range(1, 4)]))
    assert (response.status_code, response.json["code"]) == (422, "import_too_many_rows")


def test_a_unit_cannot_import_rows_for_another_units_uscc_or_equipment(client, yanta, template, make_unit,
                                                                       make_equipment):
    other = make_unit("use", "610113")
    theirs = make_equipment(other, "3110", equipment_code="311061001201709999")
    rows = [elevator(1, 使用单位统一社会信用代码=other.uscc), elevator(2, 设备代码=theirs.equipment_code)]
    response = upload(client, yanta["admin"], fill(template, rows), dry_run=False)
    assert response.json["status"] == "rejected"
    assert issues(response.json) == {(2, "使用单位统一社会信用代码", "use_unit_not_own"),
                                     (3, "设备代码", "equipment_owned_by_other_unit")}
    assert count(Equipment, Equipment.use_unit_id == yanta["unit"].id) == 0


def test_duplicate_codes_within_the_file_and_bad_cells_are_listed(client, yanta, template):
    rows = [elevator(1), elevator(1), elevator(3, 投入使用日期="2017-13-45", 使用状态="正常", 行政区划代码="999999")]
    body = upload(client, yanta["admin"], fill(template, rows)).json
    assert issues(body) == {(3, "设备代码", "duplicate_in_file"), (4, "投入使用日期", "date_invalid"),
                            (4, "使用状态", "use_status_invalid"), (4, "行政区划代码", "region_unknown")}
    assert "第 2 行" in next(e["message"] for e in body["errors"] if e["code"] == "duplicate_in_file")


def test_a_safety_officer_cannot_import(client, yanta, template, make_person, auth_headers):
    officer = auth_headers(make_person(yanta["unit"], "safety_officer"))
    response = upload(client, officer, fill(template, [elevator(1)]))
    assert (response.status_code, response.json["code"]) == (403, "not_equipment_manager")


def test_a_regulator_imports_for_registered_and_unregistered_units_within_its_scope(client, template, regulator,
                                                                                    make_unit):
    county = regulator("610113")
    registered = make_unit("use", "610113")
    rows = [elevator(1, 使用单位统一社会信用代码=registered.uscc),
            elevator(2, 使用单位统一社会信用代码=demo_uscc("610113", "U00001"), 使用单位名称="未注册的老物业公司"),
            elevator(3, 行政区划代码="610112", 使用单位名称="未央区某单位")]
    body = upload(client, county, fill(template, rows), dry_run=False).json
    assert issues(body) == {(4, "行政区划代码", "region_out_of_scope")}

    body = upload(client, county, fill(template, rows[:2]), dry_run=False).json
    assert body["status"] == "imported", body["errors"]
    first = equipment(equipment_code="311061001201700001")[0]
    second = equipment(equipment_code="311061001201700002")[0]
    assert first.use_unit_id == registered.id
    assert (second.use_unit_id, second.legacy_use_unit_name) == (None, "未注册的老物业公司")


def test_a_regulator_of_another_county_cannot_see_the_import(client, yanta, template, regulator, make_unit,
                                                             make_person, auth_headers):
    import_id = upload(client, yanta["admin"], fill(template, [elevator(1)])).json["id"]
    assert client.get(f"/api/v1/equipment/imports/{import_id}", headers=regulator("610113")).status_code == 200
    assert client.get(f"/api/v1/equipment/imports/{import_id}", headers=regulator("610100")).status_code == 200
    neighbour = regulator("610112")
    assert client.get(f"/api/v1/equipment/imports/{import_id}", headers=neighbour).status_code == 404
    assert client.get("/api/v1/equipment/imports", headers=neighbour).json["total"] == 0
    stranger = make_unit("use", "610113")
    stranger_admin = auth_headers(make_person(stranger, "unit_admin"))
    assert client.get(f"/api/v1/equipment/imports/{import_id}", headers=stranger_admin).status_code == 404
    county_commit = client.post(f"/api/v1/equipment/imports/{import_id}/commit", headers=regulator("610113"))
    assert (county_commit.status_code, county_commit.json["code"]) == (403, "import_not_yours")


def test_a_large_file_runs_as_a_job_with_progress(client, yanta, template, app, monkeypatch, run_jobs):
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 2)
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    published = []
    original = work.Progress._publish_apart

    def spy(self, spec, values):
        published.append({k: v for k, v in values.items() if k != "updated_at"})
        original(self, spec, values)

    monkeypatch.setattr(work.Progress, "_publish_apart", spy)
    queued = upload(client, yanta["admin"], fill(template, [elevator(n) for n in range(1, 4)]))
    assert queued.status_code == 202, queued.json
    assert (queued.json["status"], queued.json["total_rows"], queued.json["processed_rows"]) == ("queued", 3, 0)
    run_jobs()
    checked = client.get(f"/api/v1/equipment/imports/{queued.json['id']}", headers=yanta["admin"]).json
    assert (checked["status"], checked["processed_rows"], checked["total_rows"]) == ("checked", 3, 3)
    assert published == [{"status": "checking", "processed_rows": 0}, {"processed_rows": 1},
                         {"processed_rows": 2}, {"processed_rows": 3}]
    job = Job.fetch(f"equipment-import-{queued.json['id']}-check", connection=get_redis())
    assert job.meta["progress"] == {"processed": 3}  # mirrored in the rq job, for rq's tools
    assert count(Equipment, Equipment.use_unit_id == yanta["unit"].id) == 0

    committed = client.post(f"/api/v1/equipment/imports/{queued.json['id']}/commit", headers=yanta["admin"])
    assert (committed.status_code, committed.json["status"]) == (202, "queued")
    run_jobs()
    done = client.get(f"/api/v1/equipment/imports/{queued.json['id']}", headers=yanta["admin"]).json
    assert (done["status"], done["processed_rows"], done["counts"]["create"]) == ("imported", 3, 3)
    assert count(Equipment, Equipment.use_unit_id == yanta["unit"].id) == 3
    assert published[4] == {"status": "importing", "processed_rows": 0}


def _pretend_codes_are_new(monkeypatch):
    """As if another device with the file's codes were added after the check had looked."""
    from services.equipment import import_plan
    monkeypatch.setattr(import_plan.Planner, "_match", lambda self, row: None)


def test_a_device_added_meanwhile_makes_the_import_fail_with_nothing_written(client, yanta, template, monkeypatch,
                                                                             make_equipment):
    make_equipment(yanta["unit"], "3110", equipment_code="311061001201700002")
    _pretend_codes_are_new(monkeypatch)
    response = upload(client, yanta["admin"], fill(template, [elevator(1), elevator(2)]), dry_run=False)
    assert (response.status_code, response.json["code"]) == (409, "import_conflict")
    assert count(Equipment, Equipment.use_unit_id == yanta["unit"].id) == 1


def test_a_job_that_cannot_finish_marks_the_import_failed_and_writes_nothing(client, yanta, template, app,
                                                                             monkeypatch, run_jobs, make_equipment):
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 0)
    make_equipment(yanta["unit"], "3110", equipment_code="311061001201700002")
    _pretend_codes_are_new(monkeypatch)
    queued = upload(client, yanta["admin"], fill(template, [elevator(1), elevator(2)]), dry_run=False)
    run_jobs()
    failed = client.get(f"/api/v1/equipment/imports/{queued.json['id']}", headers=yanta["admin"]).json
    assert failed["status"] == "failed"
    assert "冲突" in failed["failure"]
    assert count(Equipment, Equipment.use_unit_id == yanta["unit"].id) == 1


def test_equipment_registered_on_the_platform_keeps_its_registered_fields(client, yanta, template, make_equipment):
    registered = make_equipment(yanta["unit"], "3110", equipment_code="311061001201700001", use_status="in_use",
                                registration_status="registered", registration_cert_no="梯11陕A00001(17)")
    moved = elevator(1, 设备地点="西安市雁塔区另一条路 9 号", 行政区划代码=registered.region_code,
                     上次检验日期=None, 下次检验日期=None, 检验结论=None, 检验类型=None, 投入使用日期=None)
    refused = upload(client, yanta["admin"], fill(template, [moved])).json
    assert issues(refused) == {(2, "设备地点", "equipment_field_locked")}
    described = upload(client, yanta["admin"], fill(template, [{**moved, "设备地点": registered.address,
                                                                "制造单位": "演示电梯有限公司"}])).json
    assert described["status"] == "checked", described["errors"]
    assert described["rows"][0]["action"] == "update"


def test_an_upload_without_a_file_is_refused_naming_the_field(client, yanta):
    response = client.post("/api/v1/equipment/imports", headers=yanta["admin"], content_type="multipart/form-data",
                           data={"dry_run": "true"})
    assert (response.status_code, response.json["code"]) == (422, "file_missing")
    assert "file" in response.json["details"]["fields"]


# -- what the registration office decided is not the spreadsheet's to change ------------------------------

def _apply(client, headers, equipment_id: int, kind: str, form: dict) -> int:
    response = client.post(f"/api/v1/equipment/{equipment_id}/applications", headers=headers,
                           json={"kind": kind, "form": form, "submit": True})
    assert response.status_code == 201, response.json
    return response.json["id"]


def _decide(client, office, application_id: int) -> None:
    for action in ("accept", "approve"):
        response = client.post(f"/api/v1/equipment-applications/{application_id}/{action}", headers=office, json={})
        assert response.status_code == 200, response.json


def test_reimporting_an_old_file_after_an_approved_cancellation_is_a_row_error(client, yanta, template, regulator):
    old_file = fill(template, [elevator(1), elevator(2)])
    assert upload(client, yanta["admin"], old_file, dry_run=False).json["status"] == "imported"
    device = equipment(equipment_code="311061001201700001")[0]
    _decide(client, regulator("610100"), _apply(client, yanta["admin"], device.id, "cancellation", {"reason": "拆除"}))
    db.session.refresh(device)
    assert (device.use_status, device.registration_status) == ("removed", "cancelled")
    stamp = device.updated_at

    for dry_run in (True, False):
        body = upload(client, yanta["admin"], old_file, dry_run=dry_run).json
        assert body["status"] == "rejected"
        assert issues(body) == {(2, "使用状态", "equipment_retired"), (2, "注册状态", "equipment_retired")}
        assert "注销登记" in body["errors"][0]["message"]
        assert [r["action"] for r in body["rows"]] == ["error", "unchanged"]
    db.session.refresh(device)
    assert (device.use_status, device.registration_status, device.updated_at) == ("removed", "cancelled", stamp)


def test_a_one_row_import_cannot_revive_a_scrapped_platform_registered_elevator(client, yanta, template,
                                                                               make_equipment):
    scrapped = make_equipment(yanta["unit"], "3110", equipment_code="311061001201700001", use_status="scrapped",
                              registration_status="cancelled", registration_cert_no="梯11陕A00001(17)")
    row = elevator(1, 行政区划代码=scrapped.region_code, 设备地点=scrapped.address)
    body = upload(client, yanta["admin"], fill(template, [row]), dry_run=False).json
    assert body["status"] == "rejected"
    assert {(e["column"], e["code"]) for e in body["errors"]} >= {("使用状态", "equipment_retired"),
                                                                   ("注册状态", "equipment_retired")}
    assert all("报废" in e["message"] for e in body["errors"])
    db.session.refresh(scrapped)
    assert (scrapped.use_status, scrapped.registration_status) == ("scrapped", "cancelled")


def test_a_device_under_an_open_application_is_a_row_error(client, yanta, template):
    assert upload(client, yanta["admin"], fill(template, [elevator(1)]), dry_run=False).json["status"] == "imported"
    device = equipment(equipment_code="311061001201700001")[0]
    _apply(client, yanta["admin"], device.id, "scrapping", {"reason": "达到报废条件"})
    body = upload(client, yanta["admin"], fill(template, [elevator(1, 下次检验日期="2027-03-01")]), dry_run=False).json
    assert issues(body) == {(2, "下次检验日期", "equipment_under_application")}
    assert "报废" in body["errors"][0]["message"] and "已提交" in body["errors"][0]["message"]
    db.session.refresh(device)
    assert device.next_due_date.isoformat() == "2026-03-01"


def test_an_ordinary_historical_record_still_updates(client, yanta, template, regulator):
    assert upload(client, yanta["admin"], fill(template, [elevator(1)]), dry_run=False).json["status"] == "imported"
    device = equipment(equipment_code="311061001201700001")[0]
    refused = _apply(client, yanta["admin"], device.id, "scrapping", {"reason": "达到报废条件"})
    client.post(f"/api/v1/equipment-applications/{refused}/accept", headers=regulator("610100"), json={})
    decided = client.post(f"/api/v1/equipment-applications/{refused}/refuse", headers=regulator("610100"),
                          json={"note": "尚可使用"})
    assert decided.json["status"] == "refused", decided.json
    body = upload(client, yanta["admin"], fill(template, [elevator(1, 使用状态="停用", 下次检验日期="2027-03-01")]),
                  dry_run=False).json
    assert body["status"] == "imported", body["errors"]
    db.session.refresh(device)
    assert (device.use_status, device.next_due_date.isoformat()) == ("suspended", "2027-03-01")
