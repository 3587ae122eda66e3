import pytest

from hub.org.geojson_io import load_community, parse_grid_features
from hub.org.routing import GridRouter
from hub.sample import load_raw

G1, G2, G4 = "440402004005001", "440402004005002", "440402004005004"
COMMUNITY = "440402004005"


@pytest.fixture(scope="module")
def router():
    errors = []
    grids = parse_grid_features(load_raw()["grids"], errors)
    assert not errors
    return GridRouter.from_units(grids, departments={"E0504": "消防救援站/物业"})


def test_inside_a_grid_is_routed_without_review(router):
    result = router.route(22.25, 113.5215, accuracy_m=10)
    assert (result.grid_code, result.community_code, result.flagged_for_review) == (G1, COMMUNITY, False)
    assert result.confidence == 1.0 and result.reason == "inside"


def test_large_circle_on_a_boundary_picks_most_overlap_and_flags(router):
    # G1/G2 share the edge through (113.5236, 22.25); the point is ~10 m into G2, circle 60 m.
    result = router.route(22.25, 113.5237, accuracy_m=60)
    assert result.grid_code == G2 and result.flagged_for_review and result.reason == "straddles_boundary"
    assert 0.5 < result.confidence < 0.8
    # Same point, precise fix: no doubt left.
    assert router.route(22.25, 113.5237, accuracy_m=5).flagged_for_review is False
    # Point ~10 m into G1 with the same circle: the choice follows the overlap.
    assert router.route(22.25, 113.5235, accuracy_m=60).grid_code == G1


def test_exactly_on_a_shared_edge_is_flagged(router):
    result = router.route(22.25, 113.5236, accuracy_m=0)
    assert result.grid_code in (G1, G2) and result.flagged_for_review and result.confidence == 0.5


def test_just_outside_with_circle_reaching_a_grid(router):
    result = router.route(22.2437, 113.5300, accuracy_m=50)  # ~33 m south of G4's edge
    assert (result.grid_code, result.reason, result.flagged_for_review) == (G4, "near_grid", True)


def test_outside_every_grid_falls_back_to_the_community(router):
    result = router.route(22.25, 113.5195, accuracy_m=5)  # ~50 m west of the community
    assert (result.grid_code, result.community_code, result.reason) == (None, COMMUNITY, "community_fallback")
    assert result.flagged_for_review


def test_far_away_is_unassigned(router):
    result = router.route(22.25, 113.51, accuracy_m=5)  # ~1 km west
    assert (result.grid_code, result.community_code, result.reason) == (None, None, "unassigned")
    assert result.flagged_for_review and result.confidence == 0.0


def test_category_names_its_department(router):
    assert router.route(22.25, 113.53, 5, category="E0504").department == "消防救援站/物业"
    assert router.route(22.25, 113.53, 5, category="E0101").department is None


def test_router_from_store(store):
    load_community(store, load_raw())
    assert GridRouter.from_store(store).route(22.25, 113.5215, 10).grid_code == G1


def test_bad_positions_are_refused(router):
    with pytest.raises(ValueError):
        router.route(95, 113.5, 5)
    with pytest.raises(ValueError):
        router.route(22.25, 113.5, -1)
