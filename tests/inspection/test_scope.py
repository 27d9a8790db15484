"""Scope (陕市监发〔2024〕454号): inspection of 公用管道 and 长输管道 is not taken on the platform."""
from datetime import timedelta

import pytest

from core.timeutil import business_today


def _pipeline(make_equipment, unit, catalogue_code):
    return make_equipment(unit, catalogue_code, use_status="in_use", registration_status="registered",
                          next_due_date=business_today() + timedelta(days=200), next_due_type="定期检验")


@pytest.mark.parametrize("catalogue_code", ["8220", "8120"])
def test_inspection_of_public_and_long_distance_pipelines_is_refused(apply, make_equipment, yanta, catalogue_code):
    response = apply(_pipeline(make_equipment, yanta.unit, catalogue_code).id)
    assert (response.status_code, response.json["code"]) == (422, "inspection_out_of_scope")
    assert "检验不在本平台办理" in response.json["message"]


def test_lifting_the_inspection_exclusion_takes_the_application(app, monkeypatch, apply, make_equipment, yanta):
    monkeypatch.setitem(app.config, "INSPECTION_EXCLUDED_CATEGORIES", [])
    response = apply(_pipeline(make_equipment, yanta.unit, "8220").id)
    assert response.status_code == 201, response.json


def test_xian_elevators_stay_inside_inspection(app, monkeypatch, apply, device):
    monkeypatch.setitem(app.config, "LIFECYCLE_EXCLUDED_REGION_KINDS", {"610100": ["3000"]})
    assert apply(device().id).status_code == 201
