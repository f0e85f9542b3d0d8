"""Unit tests for PINFL and card-number well-formedness (chalicelib.domain.identifiers)."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain.identifiers import (
    is_luhn_valid,
    is_well_formed_card,
    is_well_formed_pinfl,
    make_pinfl,
    pinfl_birth_date,
    pinfl_check_digit,
    pinfl_sex,
)


def test_check_digit_uses_7_3_1_weights() -> None:
    # Given 13 digits "1000000000000" / Then 1*7 mod 10 = 7; "0100000000000" gives 3; "0010000000000" gives 1
    assert pinfl_check_digit("1000000000000") == "7"
    assert pinfl_check_digit("0100000000000") == "3"
    assert pinfl_check_digit("0010000000000") == "1"
    assert pinfl_check_digit("3120585123456") == str(
        sum(int(c) * (7, 3, 1)[i % 3] for i, c in enumerate("3120585123456")) % 10
    )


def test_made_pinfl_is_well_formed_and_decodes() -> None:
    p = make_pinfl("F", date(2003, 2, 28), "726", "011")
    assert p.startswith("6280203726011") and is_well_formed_pinfl(p)
    assert pinfl_birth_date(p) == date(2003, 2, 28) and pinfl_sex(p) == "F"
    m = make_pinfl("M", date(1961, 12, 1), "001", "999")
    assert m[0] == "3" and pinfl_sex(m) == "M"


@pytest.mark.parametrize(
    "value",
    ["", "1234567890123", "123456789012345", "7010190123456", "33102901234567", "3abcdefghijklm"],
)
def test_malformed_pinfls_are_refused(value: str) -> None:
    assert not is_well_formed_pinfl(value)


def test_a_wrong_check_digit_is_refused() -> None:
    p = make_pinfl("M", date(1990, 5, 17), "203", "100")
    wrong = p[:13] + str((int(p[13]) + 1) % 10)
    assert not is_well_formed_pinfl(wrong)


def test_luhn_and_cards() -> None:
    assert is_luhn_valid("79927398713") and not is_luhn_valid("79927398710")
    assert not is_well_formed_card("4539578763621486")  # valid Luhn, not Uzcard/Humo
    with pytest.raises(ValueError):
        pinfl_check_digit("12")
