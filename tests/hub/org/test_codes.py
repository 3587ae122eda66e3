import pytest

from hub.org.codes import (
    CodeError,
    compose_grid_code,
    parent_code,
    split_grid_code,
    validate_grid_code,
    validate_unit_code,
)


def test_split_and_compose_round_trip():
    parts = split_grid_code("440402004005001")
    assert parts == ("440402", "004", "005", "001")
    assert parts.community_code == "440402004005" and parts.street_code == "440402004"
    assert compose_grid_code(440402, 4, 5, 1) == "440402004005001"
    assert compose_grid_code("440402", "004", "005", "001") == parts.code


@pytest.mark.parametrize("bad, why", [
    ("44040200400500", "15 digits"), ("4404020040050011", "15 digits"), ("44040200400500a", "15 digits"),
    ("990402004005001", "province"), ("440402000005001", "street part"), ("440402004000001", "community part"),
    ("440402004005000", "grid serial"),
])
def test_malformed_grid_codes_say_why(bad, why):
    with pytest.raises(CodeError, match=why):
        validate_grid_code(bad)


def test_parents_follow_the_code_prefixes():
    assert parent_code("440402004005001", "grid") == "440402004005"
    assert parent_code("440402004005", "community") == "440402004"
    assert parent_code("440402004", "street") == "440402"
    assert parent_code("440402", "district") == "440400"
    assert parent_code("440400", "city") is None


def test_unit_codes_checked_per_level():
    assert validate_unit_code("440400", "city") == "440400"
    with pytest.raises(CodeError, match="end in 00"):
        validate_unit_code("440402", "city")
    with pytest.raises(CodeError, match="city-level"):
        validate_unit_code("440400", "district")
    with pytest.raises(CodeError, match="unknown level"):
        validate_unit_code("440400", "province")


def test_a_building_is_its_grid_code_and_a_serial():
    assert validate_unit_code("440402004005001012", "building") == "440402004005001012"
    assert parent_code("440402004005001012", "building") == "440402004005001"
    with pytest.raises(CodeError, match="building serial"):
        validate_unit_code("440402004005001000", "building")
    with pytest.raises(CodeError, match="grid serial"):
        validate_unit_code("440402004005000012", "building")
    with pytest.raises(CodeError, match="18 digits"):
        validate_unit_code("44040200400500101", "building")
