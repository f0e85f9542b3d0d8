"""Evidence validation at the boundary: schema errors and semantic nonsense name the field.

Each test: Given evidence with one defect, When it is assessed, Then ValidationFailed is raised
with code invalid_evidence, the JSON path of the defect, and no personal data in the message.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.assessment import assess

PINFL = "31234567890123"


def family() -> dict[str, Any]:
    return {
        "period": "2025-03",
        "members": [
            {
                "id": "m1",
                "pinfl": PINFL,
                "birth_date": "1985-04-02",
                "sex": "F",
                "relationship": "head",
                "income": [{"month": "2025-01", "source": "salary", "amount": 300000}],
            },
            {
                "id": "m2",
                "birth_date": "1984-01-01",
                "sex": "M",
                "relationship": "spouse",
                "income": [{"month": "2025-02", "source": "salary", "amount": 300000}],
            },
            {
                "id": "m3",
                "birth_date": "2015-06-01",
                "sex": "F",
                "relationship": "child",
                "parent_ids": ["m1", "m2"],
            },
        ],
        "assets": {"vehicles": [{"type": "passenger", "manufactured_year": 2001, "owner_id": "m2"}]},
    }


def broken(change: Any) -> dict[str, Any]:
    evidence = copy.deepcopy(family())
    change(evidence)
    return evidence


def rejects(evidence: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        assess(evidence)
    error = caught.value
    assert error.code == "invalid_evidence"
    assert error.status == 400
    assert PINFL not in error.message
    return error


def test_valid_family_is_accepted() -> None:
    # Given the untouched family, When assessed, Then no error is raised.
    assert assess(family())["decision"]["period"] == "2025-03"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e["members"][1].pop("birth_date"), "evidence.members[1].birth_date"),
        (lambda e: e["members"][0].__setitem__("sex", "X"), "evidence.members[0].sex"),
        (lambda e: e["members"][2].__setitem__("nickname", "x"), "evidence.members[2].nickname"),
        (lambda e: e["members"][2].__setitem__("birth_date", "2015-02-30"), "evidence.members[2].birth_date"),
        (lambda e: e["members"][2].__setitem__("birth_date", "20150201"), "evidence.members[2].birth_date"),
        (lambda e: e.__setitem__("period", "2025-13"), "evidence.period"),
        (
            lambda e: e["members"][0]["income"][0].__setitem__("amount", -5),
            "evidence.members[0].income[0].amount",
        ),
        (
            lambda e: e["members"][0]["income"][0].__setitem__("source", "gift"),
            "evidence.members[0].income[0].source",
        ),
        (lambda e: e.__setitem__("members", []), "evidence.members"),
        (lambda e: e.pop("members"), "evidence.members"),
        (
            lambda e: e.__setitem__("programmes", ["child_allowance", "child_allowance"]),
            "evidence.programmes",
        ),
        (
            lambda e: e["members"][0].__setitem__("disability", {"group": 4}),
            "evidence.members[0].disability.group",
        ),
    ],
)
def test_schema_errors_name_the_field(change: Any, field: str) -> None:
    assert rejects(broken(change)).field == field


def test_bad_pinfl_is_rejected_without_echoing_it() -> None:
    # Given a malformed PINFL, Then the error names the field but not the value.
    error = rejects(broken(lambda e: e["members"][0].__setitem__("pinfl", "12345X")))
    assert error.field == "evidence.members[0].pinfl"
    assert "12345X" not in error.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e["members"][1].__setitem__("id", "m1"), "evidence.members[1].id"),
        (
            lambda e: e["members"][2].__setitem__("parent_ids", ["m1", "ghost"]),
            "evidence.members[2].parent_ids[1]",
        ),
        (lambda e: e["members"][2].__setitem__("parent_ids", ["m3"]), "evidence.members[2].parent_ids[0]"),
        (
            lambda e: e["members"][2].__setitem__("parent_ids", ["m1", "m1"]),
            "evidence.members[2].parent_ids[1]",
        ),
        (
            lambda e: e["members"][2].__setitem__("parent_ids", ["m1", "m2", "m1"]),
            "evidence.members[2].parent_ids",
        ),
        (lambda e: e.__setitem__("period", "2021-08"), "evidence.period"),
        (lambda e: e["members"][1].__setitem__("relationship", "head"), "evidence.members[1].relationship"),
        (lambda e: e["members"][2].__setitem__("relationship", "spouse"), "evidence.members[2].relationship"),
        (lambda e: e["members"][2].__setitem__("birth_date", "2025-04-01"), "evidence.members[2].birth_date"),
        (
            lambda e: e["assets"]["vehicles"][0].__setitem__("owner_id", "ghost"),
            "evidence.assets.vehicles[0].owner_id",
        ),
        (
            lambda e: e["members"][0].__setitem__("disability", {"group": 1, "until": "2025-02-31"}),
            "evidence.members[0].disability.until",
        ),
    ],
)
def test_semantic_nonsense_names_the_field(change: Any, field: str) -> None:
    assert rejects(broken(change)).field == field


def test_period_2021_09_is_the_first_accepted() -> None:
    # Given the first month of the rules, When assessed, Then it is accepted.
    evidence = broken(lambda e: e.__setitem__("period", "2021-09"))
    assert assess(evidence)["decision"]["threshold"] == 498000


def test_birth_during_the_period_is_accepted_as_age_zero() -> None:
    evidence = broken(lambda e: e["members"][2].__setitem__("birth_date", "2025-03-31"))
    result = assess(evidence)
    kid = next(m for m in result["explanation"]["members"] if m["id"] == "m3")
    assert kid["age"] == 0


@pytest.mark.parametrize("document", [None, [], "text", 5])
def test_non_object_evidence_is_rejected(document: Any) -> None:
    assert rejects(document).field == "evidence"


def test_error_serialises_to_the_api_shape() -> None:
    error = rejects(broken(lambda e: e["members"][1].__setitem__("id", "m1")))
    assert error.to_dict() == {
        "error": {"code": "invalid_evidence", "message": error.message, "field": "evidence.members[1].id"}
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda e: e["members"][0]["income"][0].__setitem__("amount", 10**30),
            "evidence.members[0].income[0].amount",
        ),
        (
            lambda e: e["members"][0].__setitem__("alimony_paid", [{"month": "2025-01", "amount": 10**16}]),
            "evidence.members[0].alimony_paid[0].amount",
        ),
        (
            lambda e: e["assets"].__setitem__("securities_market_value", 10**19),
            "evidence.assets.securities_market_value",
        ),
        (
            lambda e: e["assets"]["vehicles"][0].__setitem__("manufactured_year", 10**12),
            "evidence.assets.vehicles[0].manufactured_year",
        ),
        (lambda e: e["members"][1].__setitem__("birth_date", "1899-12-31"), "evidence.members[1].birth_date"),
    ],
)
def test_out_of_range_values_are_rejected(change: Any, field: str) -> None:
    # Given values that would overflow the sums or are impossible, Then the field is named.
    assert rejects(broken(change)).field == field
