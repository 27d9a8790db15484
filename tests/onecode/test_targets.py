"""A code points at a typed target; each domain registers its target and its scan views, and
onecode (and qr) know no domain."""
import ast
import pathlib
import sys

import pytest
from marshmallow import fields
from sqlalchemy import select

from core.auth import Identity
from core.errors import Forbidden, RuleViolation
from core.extensions import db
from core.schemas import OutputSchema
from core.scoping import scope_clause
from models.onecode import Code
from models.orgs import Unit
from services.onecode import assign, targets, views

SITE = "test_site"  # a throw-away target type: a unit's premises, with its own card and views


class _SiteCardSchema(OutputSchema):
    code = fields.String()
    site_name = fields.String()


class _SitePublicSchema(OutputSchema):
    audience = fields.String()
    card = fields.Nested(_SiteCardSchema)


class _SiteKeeperSchema(_SitePublicSchema):
    keeper_note = fields.String(attribute="details.note")


def _forbid(identity, target):
    raise Forbidden("不可办理。", code="not_code_manager")


def _never(target):
    raise RuleViolation("不可赋码。", code="site_not_assignable")


def _site_joins(stmt, is_site):
    return stmt.outerjoin(Unit, is_site & (Unit.id == Code.target_id))


@pytest.fixture
def site_target():
    """Register the `test_site` target type (card from the units table) with a keeper view."""
    from miniapp_api.schemas.onecode import SCAN_SCHEMAS

    targets.register(targets.Target(
        type=SITE, model=Unit, card_columns=(Unit.name.label("site_name"),), card_joins=_site_joins,
        public_card=lambda code, row: {"code": code, "site_name": row.site_name},
        region_expr=lambda target_id: select(Unit.region_code).where(Unit.id == target_id).scalar_subquery(),
        unit_expr=lambda target_id: target_id, require_manager=_forbid, require_assignable=_never,
        watch={Unit: lambda unit: unit.id}))
    views.register(SITE, "keeper", lambda identity, unit: identity.unit_id == unit.id,
                   lambda identity, unit, match: {"note": f"{unit.name}的钥匙在值班室"})
    SCAN_SCHEMAS[SITE, "public"], SCAN_SCHEMAS[SITE, "keeper"] = _SitePublicSchema(), _SiteKeeperSchema()
    yield
    del SCAN_SCHEMAS[SITE, "public"], SCAN_SCHEMAS[SITE, "keeper"]
    views.unregister(SITE)
    targets.unregister(SITE)


def test_a_code_of_another_target_type_resolves_through_the_same_scan_endpoint(
        client, site, site_target, make_unit, make_person, auth_headers):
    premises = make_unit("use", "610113", name="演示锅炉房")
    assign.assign_many(SITE, [premises.id], None)
    code = assign.active_code(SITE, premises.id).code
    stored = db.session.get(Code, code)
    assert (stored.target_type, stored.target_id) == (SITE, premises.id)

    anonymous = client.get(f"/api/v1/scan/{code}").json
    assert anonymous == {"audience": "public", "card": {"code": code, "site_name": "演示锅炉房"}}
    keeper = client.get(f"/api/v1/scan/{code}", headers=auth_headers(make_person(premises, "unit_admin"))).json
    assert keeper["audience"] == "keeper" and keeper["keeper_note"] == "演示锅炉房的钥匙在值班室"
    stranger = client.get(f"/api/v1/scan/{code}", headers=site["officer_headers"]).json
    assert stranger["audience"] == "public" and stranger["card"]["site_name"] == "演示锅炉房"
    # The device's code beside it still answers with the device's card.
    assert client.get(f"/api/v1/scan/{site['code']}").json["card"]["category"] == "曳引驱动乘客电梯"


def test_a_target_type_brings_its_own_code_rules_and_scoping(site, site_target, make_unit, make_person):
    premises = make_unit("use", "610113", name="演示锅炉房")
    with pytest.raises(Forbidden):
        assign.assign(Identity(person_id=1, unit_id=premises.id), SITE, premises)
    assign.assign_many(SITE, [premises.id], None)
    elevator_code, site_code = site["code"], assign.active_code(SITE, premises.id).code

    def visible(identity):
        return set(db.session.scalars(select(Code.code).where(
            Code.code.in_([elevator_code, site_code]), scope_clause(Code, identity))))

    # A regulator sees codes by their targets' regions, a unit by its targets' unit.
    assert visible(Identity(person_id=1, unit_kind="regulator", unit_status="approved",
                            region_codes=frozenset({"610113"}))) == {elevator_code, site_code}
    assert visible(Identity(person_id=1, unit_kind="regulator", unit_status="approved",
                            region_codes=frozenset({"610102"}))) == set()
    assert visible(Identity(person_id=1, unit_id=premises.id)) == {site_code}
    assert visible(Identity(person_id=1, unit_id=site["unit"].id)) == {elevator_code}


def test_the_first_registered_audience_that_applies_wins(site_target):
    everyone = lambda identity, target: True  # noqa: E731
    views.register(SITE, "second", everyone)
    assert views.audiences(SITE) == ["keeper", "second"]
    caller, target = Identity(person_id=1, unit_id=99), Unit(id=7, name="x")
    assert views.choose(caller, SITE, target)[0] == "second"  # the keeper's predicate fails
    views.register(SITE, "first", everyone, before="second")
    assert views.audiences(SITE) == ["keeper", "first", "second"]
    assert views.choose(caller, SITE, target)[0] == "first"
    assert views.choose(Identity(), SITE, target)[0] == "public"  # no login: the public card


def test_a_domain_above_extends_an_audiences_view_without_replacing_it(site_target):
    everyone = lambda identity, target: "matched"  # noqa: E731
    views.register(SITE, "second", everyone, build=lambda identity, target, match: {"own": match})
    views.extend(SITE, "second", "extra", lambda identity, target, match: {"target": target.id})
    views.extend(SITE, "second", "nothing", lambda identity, target, match: None)
    caller, target = Identity(person_id=1, unit_id=99), Unit(id=7, name="x")
    assert views.choose(caller, SITE, target) == ("second", {"own": "matched", "extra": {"target": 7},
                                                             "nothing": None})
    views.register(SITE, "second", everyone)  # registered again: the extensions stay
    assert views.choose(caller, SITE, target) == ("second", {"extra": {"target": 7}, "nothing": None})


def test_equipment_scan_views_are_tried_closest_tie_first():
    assert views.audiences("equipment") == ["regulator", "unit", "agency", "reporter"]


QR = pathlib.Path(__file__).resolve().parents[2] / "qr"


def test_qr_is_pure_rendering_and_imports_no_table_and_no_domain():
    allowed = {"qrcode", "PIL", "reportlab", "qr", "core", "__future__", *sys.stdlib_module_names}
    for path in QR.glob("*.py"):
        for name in _imports(path):
            assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def _imports(path: pathlib.Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module)
    return names


def test_onecode_knows_no_domain():
    package = QR.parent / "services" / "onecode"
    for path in package.glob("*.py"):
        for name in _imports(path):
            if name.startswith("services"):
                assert name.startswith("services.onecode"), f"{path.name} imports {name}"
            assert not name.startswith("models.") or name == "models.onecode", f"{path.name} imports {name}"
