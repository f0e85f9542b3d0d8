"""Unit tests for the address hierarchy loaded from chalicelib/reference/uz_admin.json."""

from __future__ import annotations

import re

from chalicelib.domain import geography as geo


def test_fourteen_first_level_units_with_the_expected_soato_codes() -> None:
    # Given the shipped reference data / When listing regions / Then the 14 SOATO region codes appear
    codes = {r.code for r in geo.regions()}
    assert codes == {
        "1703",
        "1706",
        "1708",
        "1710",
        "1712",
        "1714",
        "1718",
        "1722",
        "1724",
        "1726",
        "1727",
        "1730",
        "1733",
        "1735",
    }
    assert geo.region("1726") is not None and geo.region("1726").name == "Toshkent shahri"  # type: ignore[union-attr]


def test_codes_nest_and_are_unique() -> None:
    # Given every district and mahalla / Then codes extend their parent's code and never repeat
    seen: set[str] = set()
    for r in geo.regions():
        assert re.fullmatch(r"17\d\d", r.code)
        ds = list(geo.districts(r.code))
        assert ds, r.code
        for d in ds:
            assert re.fullmatch(r"\d{7}", d.code) and d.code.startswith(r.code)
            ms = list(geo.mahallas(d.code))
            assert 3 <= len(ms) <= 6
            for m in ms:
                assert re.fullmatch(r"\d{10}", m.code) and m.code.startswith(d.code)
                assert m.name.endswith(" MFY")
                assert m.code not in seen
                seen.add(m.code)
    assert len(seen) == sum(1 for _ in geo.mahallas())


def test_parents_are_found_from_children() -> None:
    # Given a mahalla of Chilonzor / When asking for its parents / Then Chilonzor and Tashkent city come back
    m = next(geo.mahallas("1726294"))
    d = geo.district_of_mahalla(m.code)
    assert d is not None and d.code == "1726294"
    r = geo.region_of_district(d.code)
    assert r is not None and r.code == "1726"
    assert geo.district_of_mahalla("0000000000") is None
    assert geo.region_of_district("1799999") is None


def test_is_valid_address_accepts_only_nested_triples() -> None:
    # Given a real triple and mismatched ones / Then only the nested triple is valid
    m = next(geo.mahallas("1703224"))
    other = next(geo.mahallas("1718236"))
    assert geo.is_valid_address("1703", "1703224", m.code)
    assert not geo.is_valid_address("1718", "1703224", m.code)
    assert not geo.is_valid_address("1703", "1703224", other.code)
    assert not geo.is_valid_address("1703", "1703999", m.code)
    assert not geo.is_valid_address("1703", "1703224", "1703224999")


def test_unknown_codes_return_none_and_empty_iterators() -> None:
    assert geo.region("9999") is None
    assert geo.district("9999999") is None
    assert geo.mahalla("9999999999") is None
    assert list(geo.districts("9999")) == []
    assert list(geo.mahallas("9999999")) == []
    assert geo.version()
