"""Reading inspection results (each party its own, regulators their region's) and their report
PDFs (attached by the agency that wrote the result, idempotent), and the conclusion vocabulary."""
from __future__ import annotations

import io

import pytest

from services.inspection import conclusions
from tests.inspection.results_fixtures import approve, coded, day, lab, mall, result_record  # noqa: F401

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _upload(client, headers, data: bytes, name: str) -> str:
    response = client.post("/api/v1/uploads", headers=headers, data={"file": (io.BytesIO(data), name)})
    assert response.status_code == 201, response.json
    return response.json["id"]


@pytest.fixture
def recorded(lab, coded):
    device = coded("3110")
    answer = lab.machine.post("/open/v1/inspection/results", json={"records": [result_record(
        device.code, "RP-1", conclusion="不合格", problems=[{"description": "缓冲器失效", "severity": "general"}])]})
    assert answer.status_code == 200, answer.json
    return answer.json["results"][0]["id"]


def test_each_party_lists_what_it_may_see(client, lab, mall, recorded, regulator, make_unit, make_person,
                                          auth_headers):
    stranger = auth_headers(make_person(make_unit("use", "610113"), "unit_admin"))
    for headers, seen in ((lab.headers, 1), (mall.headers, 1), (mall.regulator_headers, 1),
                          (regulator("610100"), 1), (regulator("610200"), 0), (stranger, 0)):
        page = client.get("/api/v1/inspection/results", headers=headers).json
        assert page["total"] == seen, page
    narrowed = client.get("/api/v1/inspection/results", headers=mall.headers,
                          query_string={"forbids_use": "true", "conclusion": "不合格", "inspection_type": "periodic",
                                        "date_from": day(-10).isoformat(), "date_to": day(0).isoformat()}).json
    assert [item["id"] for item in narrowed["items"]] == [recorded]
    assert client.get("/api/v1/inspection/results", headers=mall.headers,
                      query_string={"inspection_type": "self_test"}).json["total"] == 0
    detail = client.get(f"/api/v1/inspection/results/{recorded}", headers=mall.headers).json
    assert [f["description"] for f in detail["findings"]] == ["缓冲器失效"]
    assert detail["equipment"]["use_unit_name"] == mall.unit.name
    assert client.get(f"/api/v1/inspection/results/{recorded}", headers=stranger).status_code == 404


def test_the_agency_attaches_its_report_pdf_once_and_the_parties_download_it(client, lab, mall, recorded):
    file_id = _upload(client, lab.headers, PDF, "报告.pdf")

    attached = client.put(f"/api/v1/inspection/results/{recorded}/report", headers=lab.headers,
                          json={"file_id": file_id})
    assert attached.status_code == 200, attached.json
    assert attached.json["has_report"] is True
    again = client.put(f"/api/v1/inspection/results/{recorded}/report", headers=lab.headers,
                       json={"file_id": _upload(client, lab.headers, PDF, "同一份.pdf")})
    assert again.status_code == 200
    for headers in (lab.headers, mall.headers, mall.regulator_headers):
        download = client.get(f"/api/v1/inspection/results/{recorded}/report.pdf", headers=headers)
        assert (download.status_code, download.mimetype, download.data) == (200, "application/pdf", PDF)


def test_a_report_must_be_the_agencys_own_pdf(client, lab, mall, recorded):
    image = _upload(client, lab.headers, b"PK\x03\x04 not really", "report.docx")
    refused = client.put(f"/api/v1/inspection/results/{recorded}/report", headers=lab.headers, json={"file_id": image})
    assert (refused.status_code, refused.json["code"]) == (422, "report_not_pdf")
    foreign = _upload(client, mall.headers, PDF, "unit.pdf")
    refused = client.put(f"/api/v1/inspection/results/{recorded}/report", headers=lab.headers,
                         json={"file_id": foreign})
    assert (refused.status_code, refused.json["code"]) == (422, "file_invalid")
    by_unit = client.put(f"/api/v1/inspection/results/{recorded}/report", headers=mall.headers,
                         json={"file_id": foreign})
    assert (by_unit.status_code, by_unit.json["code"]) == (403, "not_inspection_agency")
    missing = client.get(f"/api/v1/inspection/results/{recorded}/report.pdf", headers=mall.headers)
    assert (missing.status_code, missing.json["code"]) == (404, "report_missing")


@pytest.mark.parametrize("category,kind,words", [
    ("3110", "periodic", ("合格", "不合格", "复检合格", "复检不合格")),
    ("3110", "self_test", ("符合", "不符合")),
    ("4310", "periodic", ("合格", "不合格", "复检合格", "复检不合格")),
    ("5110", "first", ("合格", "不合格", "复检合格", "复检不合格")),
    ("6100", "periodic", ("合格", "不合格", "复检合格", "复检不合格")),
    ("9100", "periodic", ("合格", "不合格", "复检合格", "复检不合格")),
    ("1100", "external", ("符合要求", "基本符合要求", "不符合要求")),
    ("1100", "internal", ("符合要求", "基本符合要求", "不符合要求")),
    ("1100", "supervision", ("合格", "不合格")),
    ("2150", "periodic", ("符合要求", "基本符合要求", "不符合要求")),
    ("2150", "annual", ("符合要求", "基本符合要求", "不符合要求")),
    ("8310", "first", ("符合要求", "基本符合要求", "不符合要求")),
    ("1100", "self_test", ()),
    ("2310", "periodic", ()),
])
def test_the_conclusion_vocabulary_follows_category_and_inspection_type(category, kind, words):
    assert conclusions.allowed(category, kind) == words


def test_grades_are_required_for_vessels_and_pipes_periodic_inspections_only():
    assert conclusions.grade_range("2150", "periodic") == (1, 5)
    assert conclusions.grade_range("8310", "first") == (1, 4)
    assert conclusions.grade_range("2150", "annual") is None
    assert conclusions.grade_range("3110", "periodic") is None
    assert conclusions.forbids_use("8310", "periodic", "不符合要求", 4)
    assert not conclusions.forbids_use("2150", "periodic", "基本符合要求", 4)
    assert conclusions.forbids_use("3110", "self_test", "不符合", None)
    assert conclusions.forbids_use("2150", "periodic", "符合要求", 5)  # the worst grade forbids use whatever the word
