"""Labels: a PNG per device that decodes to the code's URL, A4 sheets by job, the mini-program code,
bulk assignment by job."""
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from core.extensions import db
from models.onecode import Code as EquipmentCode

needs_tools = pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
                                 reason="zbarimg and pdftoppm come with `make test` (zbar-tools, poppler-utils)")


@needs_tools
def test_a_device_label_decodes_to_the_public_url_of_its_code(client, site, app, tmp_path):
    response = client.get(f"/api/v1/equipment/{site['elevator'].id}/label.png", headers=site["admin_headers"])
    assert (response.status_code, response.mimetype) == (200, "image/png")
    path = tmp_path / "label.png"
    path.write_bytes(response.data)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(path)], capture_output=True, text=True).stdout.strip()
    assert decoded == f"{app.config['PUBLIC_BASE_URL']}/c/{site['code']}"


def test_a_device_without_a_code_has_no_label_until_assigned(client, site, make_equipment):
    bare = make_equipment(site["unit"], "3110", use_status="in_use")
    response = client.get(f"/api/v1/equipment/{bare.id}/label.png", headers=site["admin_headers"])
    assert (response.status_code, response.json["code"]) == (404, "code_not_assigned")
    first = client.post(f"/api/v1/equipment/{bare.id}/code", headers=site["admin_headers"]).json
    again = client.post(f"/api/v1/equipment/{bare.id}/code", headers=site["admin_headers"]).json
    assert first["code"] == again["code"] and first["status"] == "active"
    assert first["url"].endswith(f"/c/{first['code']}")


def test_bulk_assignment_codes_every_in_use_device_of_the_unit(client, site, make_equipment, run_jobs):
    for _ in range(3):
        make_equipment(site["unit"], "3310", use_status="in_use")
    make_equipment(site["unit"], "3310", use_status="not_in_use")
    job = client.post("/api/v1/onecode/jobs", json={"kind": "assign"}, headers=site["admin_headers"])
    assert job.status_code == 202, job.json
    run_jobs()
    done = client.get(f"/api/v1/onecode/jobs/{job.json['id']}", headers=site["admin_headers"]).json
    assert (done["status"], done["total"], done["processed"]) == ("done", 3, 3)
    active = db.session.scalar(select(func.count()).select_from(EquipmentCode).where(EquipmentCode.status == "active"))
    assert active == 4  # the elevator's own code and three new ones


def test_a_unit_cannot_start_jobs_for_another_unit(client, site, make_unit):
    other = make_unit("use", "610113")
    response = client.post("/api/v1/onecode/jobs", json={"kind": "assign", "unit_id": other.id},
                           headers=site["admin_headers"])
    assert (response.status_code, response.json["code"]) == (403, "not_code_manager")


@needs_tools
def test_a_label_sheet_pdf_is_made_by_a_job_and_its_pages_render(client, site, run_jobs, tmp_path):
    job = client.post("/api/v1/onecode/jobs", json={"kind": "label_sheet"}, headers=site["admin_headers"]).json
    run_jobs()
    done = client.get(f"/api/v1/onecode/jobs/{job['id']}", headers=site["admin_headers"]).json
    assert done["status"] == "done" and done["file_id"]
    pdf = client.get(f"/api/v1/onecode/jobs/{job['id']}/file", headers=site["admin_headers"])
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    (tmp_path / "sheet.pdf").write_bytes(pdf.data)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(tmp_path / "sheet.pdf"), str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(page)], capture_output=True, text=True).stdout
    assert site["code"] in decoded


def test_a_regulator_prints_a_regions_sheet_but_not_a_neighbours(client, site, regulator):
    assert client.post("/api/v1/onecode/jobs", json={"kind": "label_sheet", "region_code": "610113"},
                       headers=regulator("610113")).status_code == 202
    response = client.post("/api/v1/onecode/jobs", json={"kind": "label_sheet", "region_code": "610113"},
                           headers=regulator("610103"))
    assert response.status_code == 403


def test_the_mini_program_code_comes_from_wechat_with_the_code_as_scene(client, site, fake):
    response = client.get(f"/api/v1/equipment/{site['elevator'].id}/wxacode.png", headers=site["admin_headers"])
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")
    (call,) = fake.calls("wxa/getwxacodeunlimit")
    assert call["json"]["scene"] == site["code"]


def test_the_mini_program_code_is_503_when_wechat_fails(client, site, fake):
    fake.fail("wxa/getwxacodeunlimit", errcode=-1)
    response = client.get(f"/api/v1/equipment/{site['elevator'].id}/wxacode.png", headers=site["admin_headers"])
    assert (response.status_code, response.json["code"]) == (503, "wechat_unavailable")
