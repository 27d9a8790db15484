"""`services.orgs.regions.statistics_scope` and `core.scoping.region_clause`: every statistic counts
the viewer's supervision subtree, or a region asked for inside it — 韩城 (610581) sits straight under
the province, so 渭南 (610500) neither counts it nor may ask for it."""
import pytest
from sqlalchemy import select

from core.errors import Forbidden, NotFound
from core.extensions import db
from models.orgs import Unit
from services.orgs import regions
from services.orgs.accounts import identity_for


@pytest.fixture
def viewer(make_unit, make_person):
    def make(region_code: str):
        return identity_for(make_person(make_unit("regulator", region_code), "regulator_staff"), "pc")
    return make


@pytest.fixture
def units_in(make_unit):
    """One use unit in each of 雁塔区, 临渭区 (渭南), 韩城 and 杨陵区 (杨凌); {region code: unit id}."""
    return {code: make_unit("use", code).id for code in ("610113", "610502", "610581", "610403")}


def _counted(scope, units_in) -> set[str]:
    ids = set(db.session.scalars(select(Unit.id).where(Unit.id.in_(units_in.values()),
                                                       scope.clause(Unit.region_code))))
    return {code for code, unit_id in units_in.items() if unit_id in ids}


def test_a_county_counts_its_own_region_only(viewer, units_in):
    scope = regions.statistics_scope(viewer("610113"))
    assert scope.root.code == "610113"
    assert _counted(scope, units_in) == {"610113"}


def test_weinan_does_not_count_hancheng(viewer, units_in):
    scope = regions.statistics_scope(viewer("610500"))
    assert scope.root.code == "610500"
    assert "610581" not in scope.codes and "610502" in scope.codes
    assert _counted(scope, units_in) == {"610502"}


def test_hancheng_counts_itself_as_a_city_under_the_province(viewer, units_in):
    scope = regions.statistics_scope(viewer("610581"))
    assert (scope.root.code, scope.root.supervision_parent_code) == ("610581", "610000")
    assert _counted(scope, units_in) == {"610581"}


def test_the_province_counts_everything_and_may_narrow_to_any_region(viewer, units_in):
    province = viewer("610000")
    whole = regions.statistics_scope(province)
    assert (whole.root.code, whole.codes) == ("610000", None)
    assert _counted(whole, units_in) == set(units_in)
    assert _counted(regions.statistics_scope(province, "610500"), units_in) == {"610502"}
    assert _counted(regions.statistics_scope(province, "610581"), units_in) == {"610581"}
    assert _counted(regions.statistics_scope(province, "610400"), units_in) == set()  # 杨凌 is not 咸阳's


def test_a_city_may_narrow_to_one_of_its_counties(viewer, units_in):
    scope = regions.statistics_scope(viewer("610100"), "610113")
    assert scope.root.code == "610113"
    assert _counted(scope, units_in) == {"610113"}


@pytest.mark.parametrize("own, asked", [("610500", "610581"), ("610113", "610100"), ("610400", "610403"),
                                        ("610113", "999999")])
def test_a_region_outside_the_subtree_is_refused(viewer, own, asked):
    with pytest.raises(Forbidden) as raised:
        regions.statistics_scope(viewer(own), asked)
    assert raised.value.code == "region_out_of_scope"


def test_the_province_asking_for_an_unknown_region_is_not_found(viewer):
    with pytest.raises(NotFound) as raised:
        regions.statistics_scope(viewer("610000"), "619999")
    assert raised.value.code == "region_not_found"


def test_a_province_wide_body_may_narrow_to_any_region(make_unit, make_person, units_in):
    centre = identity_for(make_person(make_unit("risk_center", "610000"), "expert"), "pc")
    assert _counted(regions.statistics_scope(centre, province_wide=True), units_in) == set(units_in)
    assert _counted(regions.statistics_scope(centre, "610581", province_wide=True), units_in) == {"610581"}
