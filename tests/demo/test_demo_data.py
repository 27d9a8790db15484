"""The demo data behind the README's quick start (issue 17 item 12): what the examples find."""
import pytest
from sqlalchemy import select

from core.extensions import db
from models.findings import Finding
from tests.demo.quick_start import quick_start_app


def test_the_readme_pending_registration_example_finds_a_unit(client, demo, auth_headers):
    headers = auth_headers(demo.demo_person("demo-county"))
    response = client.get("/api/v1/units?status=pending", headers=headers)
    assert response.status_code == 200, response.json
    names = [unit["name"] for unit in response.json["items"]]
    assert names == ["演示雁塔待审核酒店有限公司"]


def test_loading_the_demo_twice_adds_no_second_pending_unit(demo):
    assert demo.load() == 0


def test_the_seeded_serious_finding_is_on_the_alarm_item_not_signage(demo):
    daily = select(Finding).where(Finding.source_type == "daily_check", Finding.equipment_id.is_not(None))
    serious = list(db.session.scalars(daily.where(Finding.severity == "serious")))
    assert [f.item_key for f in serious] == ["i2"]  # 紧急报警（对讲）装置, what its note is about
    general = list(db.session.scalars(daily.where(Finding.severity == "general")))
    assert [f.item_key for f in general] == ["i2"]  # 应急照明


def test_the_seeded_production_finding_is_on_the_welder_item(demo):
    production = select(Finding).where(Finding.source_type == "daily_check", Finding.equipment_id.is_(None))
    assert [f.item_key for f in db.session.scalars(production)] == ["p3"]  # 焊工持证, what its note is about


@pytest.mark.no_db
def test_the_quick_start_loads_the_demo_on_sqlite(tmp_path, fake_wechat):
    """`make run`: SQLite, no settings, the demo data loads (a partial unique index must stay partial)."""
    from services import demo as demo_data

    with quick_start_app(tmp_path, fake_wechat) as app, app.app_context():
        assert demo_data.load() > 0
        db.session.commit()
        checks = list(db.session.scalars(select(Finding).where(Finding.source_type == "daily_check")))
        assert {f.item_key for f in checks} == {"i2", "p3"}
        db.session.remove()
