"""The assessment service: decision shape, programme selection, explanation content, reproducibility.

Given/When/Then in each test's comments; expected figures come from RULES.md, not from the code.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from jsonschema import Draft202012Validator

from chalicelib.rules import RULES_VERSION, __version__
from chalicelib.rules.evidence import schema
from chalicelib.services.assessment import assess

PINFL = "41234567890123"


def decision_validator() -> Draft202012Validator:
    root = schema()
    return Draft202012Validator({**root["properties"]["decision"], "$defs": root["$defs"]})


def poor_family() -> dict[str, Any]:
    return {
        "period": "2025-03",
        "members": [
            {
                "id": "mum",
                "pinfl": PINFL,
                "birth_date": "1990-05-01",
                "sex": "F",
                "relationship": "head",
                "employment_sector": "non_state",
                "income": [
                    {"month": "2025-01", "source": "salary", "amount": 900000},
                    {"month": "2025-02", "source": "sp_benefit", "amount": 5000000},
                ],
            },
            {"id": "dad", "birth_date": "1988-05-01", "sex": "M", "relationship": "spouse"},
            {"id": "b", "birth_date": "2015-05-05", "sex": "M", "relationship": "child"},
            {
                "id": "a",
                "birth_date": "2015-05-05",
                "sex": "F",
                "relationship": "child",
                "disability": {"group": 2, "condition_code": "DC07"},
            },
            {"id": "baby", "birth_date": "2024-12-01", "sex": "F", "relationship": "child"},
        ],
        "assets": {
            "vehicles": [
                {"type": "passenger", "manufactured_year": 2012},
                {"type": "passenger", "manufactured_year": 2020, "adapted_for_disability": True},
            ]
        },
    }


def test_low_income_family_gets_every_programme_it_qualifies_for() -> None:
    # Given a low-income family (the idle father cares for no child under 3, but the mother does:
    # the baby is under 3, so she is exempt; he is idle: no exemption), When assessed,
    result = assess(poor_family())
    decision = result["decision"]
    # Then the decision follows the schema, with the figures RULES.md gives.
    assert not list(decision_validator().iter_errors(decision))
    assert decision["per_capita_income"] == 900000 // (5 * 3)
    assert decision["threshold"] == 669000
    programmes = decision["programmes"]
    assert list(programmes) == [
        "child_allowance",
        "material_assistance",
        "disabled_child_caregiver",
        "maternity_non_state",
    ]
    assert programmes["child_allowance"]["reasons"] == ["idle_working_age_member"]
    assert programmes["disabled_child_caregiver"] == {
        "eligible": True,
        "monthly_amount": 500000,
        "months": 12,
        "lump_sum": 0,
        "reasons": [],
    }
    assert programmes["maternity_non_state"] == {
        "eligible": True,
        "monthly_amount": 0,
        "months": 0,
        "lump_sum": 1994000,
        "reasons": [],
    }
    assert programmes["material_assistance"]["reasons"] == ["idle_working_age_member", "has_child_under_18"]


def test_exempt_father_makes_the_family_eligible_and_twins_are_ordered_by_id() -> None:
    # Given the same family where the father is a registered job seeker,
    evidence = poor_family()
    evidence["members"][1]["job_seeker_registered"] = True
    # When assessed,
    result = assess(evidence)
    # Then child allowance is paid: twins born the same day ordered by id ("a" before "b").
    allowance = result["decision"]["programmes"]["child_allowance"]
    assert allowance == {
        "eligible": True,
        "monthly_amount": 250000 + 150000 + 100000,
        "months": 12,
        "lump_sum": 0,
        "reasons": [],
    }
    children = result["explanation"]["programmes"]["child_allowance"]["children"]
    assert [(c["id"], c["order"], c["amount"]) for c in children] == [
        ("a", 1, 250000),
        ("b", 2, 150000),
        ("baby", 3, 100000),
    ]


def test_only_requested_programmes_are_returned_in_schema_order() -> None:
    evidence = poor_family()
    evidence["programmes"] = ["maternity_non_state", "child_allowance"]
    programmes = assess(evidence)["decision"]["programmes"]
    assert list(programmes) == ["child_allowance", "maternity_non_state"]


def test_wrapped_evidence_is_accepted() -> None:
    assert assess({"evidence": poor_family()}) == assess(poor_family())


def test_explanation_names_the_idle_member_and_why_no_exemption_applied() -> None:
    explanation = assess(poor_family())["explanation"]
    idle = explanation["means_test"]["idle_members"]
    assert [m["id"] for m in idle] == ["dad"]
    assert idle[0]["exempt"] is False
    assert set(idle[0]["exemptions"]) >= {
        "military_conscript",
        "detained",
        "full_time_student",
        "job_seeker_registered",
        "iron_notebook",
        "single_parent",
        "parent_of_more_than_4_children",
        "cares_for_child_under_3",
    }
    assert not any(idle[0]["exemptions"].values())


def test_explanation_shows_income_per_member_and_month_without_sp_benefit() -> None:
    explanation = assess(poor_family())["explanation"]
    mum = next(m for m in explanation["members"] if m["id"] == "mum")
    assert mum["income_by_month"] == {"2024-12": 0, "2025-01": 900000, "2025-02": 0}
    means = explanation["means_test"]
    assert means["members_counted"] == 5
    assert means["income_3m"] == 900000
    assert means["income_limit_3m"] == 669000 * 5 * 3
    assert means["income_months"] == ["2024-12", "2025-01", "2025-02"]


def test_explanation_names_the_asset_that_tripped_the_filter() -> None:
    # Given a 2015 car (the line is 2015 for 2025) and a new adapted car,
    evidence = poor_family()
    evidence["assets"]["vehicles"].append({"type": "passenger", "manufactured_year": 2015})
    vehicle = assess(evidence)["explanation"]["means_test"]["assets"]["vehicle"]
    # Then only the unadapted 2015 car is named.
    assert vehicle["passenger_cutoff_year"] == 2015
    assert [t["path"] for t in vehicle["tripped_by"]] == ["evidence.assets.vehicles[2]"]


def test_explanation_lists_parameters_with_start_dates_and_references() -> None:
    parameters = assess(poor_family())["explanation"]["programmes"]["child_allowance"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert by_name["means_test.mce"] == {
        "name": "means_test.mce",
        "value": 669000,
        "start": "2025-01-01",
        "reference": by_name["means_test.mce"]["reference"],
        "assumed": False,
    }
    assert "UP-6277" in by_name["child_allowance.amount.first_child"]["reference"]
    assert by_name["asset_filters.vehicle_max_age_years"]["assumed"] is True
    assert by_name["asset_filters.vehicle_max_age_years"]["open_question"]


def test_assumed_mce_is_flagged_for_2023() -> None:
    evidence = poor_family()
    evidence["period"] = "2023-05"
    for member in evidence["members"]:
        member.pop("income", None)
    evidence["members"][4]["birth_date"] = "2023-01-01"
    parameters = assess(evidence)["explanation"]["programmes"]["material_assistance"]["parameters"]
    mce = next(p for p in parameters if p["name"] == "means_test.mce")
    assert (mce["value"], mce["start"], mce["assumed"]) == (568000, "2023-01-01", True)


def test_programme_not_yet_in_force_is_explained() -> None:
    evidence = poor_family()
    evidence["period"] = "2022-03"
    for member in evidence["members"]:
        member.pop("income", None)
    evidence["members"][4]["birth_date"] = "2021-12-01"
    result = assess(evidence)
    assert result["decision"]["programmes"]["disabled_child_caregiver"]["reasons"] == ["rule_not_in_force"]
    assert result["decision"]["programmes"]["maternity_non_state"]["reasons"] == ["rule_not_in_force"]
    entry = result["explanation"]["programmes"]["disabled_child_caregiver"]
    assert (entry["in_force_from"], entry["in_force"]) == ("2022-04-01", False)


def _walk(value: Any) -> None:
    assert not isinstance(value, float), value
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            _walk(item)
    elif isinstance(value, list):
        for item in value:
            _walk(item)
    else:
        assert value is None or isinstance(value, str | int | bool)


def test_result_is_json_with_ints_only_and_no_pinfl() -> None:
    result = assess(poor_family())
    _walk(result)
    text = json.dumps(result)
    assert PINFL not in text


def test_same_evidence_same_rules_version_same_result() -> None:
    first = assess(poor_family())
    second = assess(copy.deepcopy(poor_family()))
    assert first == second
    assert first["rules_version"] == RULES_VERSION == first["explanation"]["rules_version"]
    assert re.fullmatch(re.escape(__version__) + r"\+[0-9a-f]{16}", RULES_VERSION)


def test_member_order_in_evidence_does_not_change_the_decision() -> None:
    evidence = poor_family()
    shuffled = copy.deepcopy(evidence)
    shuffled["members"].reverse()
    assert assess(evidence)["decision"] == assess(shuffled)["decision"]


def test_part_time_student_is_not_exempt_and_full_time_defaults_to_true() -> None:
    def single(student: dict[str, Any]) -> list[str]:
        evidence = {
            "period": "2025-03",
            "members": [
                {
                    "id": "s",
                    "birth_date": "2003-01-01",
                    "sex": "M",
                    "relationship": "head",
                    "student": student,
                }
            ],
        }
        return assess(evidence)["decision"]["programmes"]["material_assistance"]["reasons"]

    assert single({"kind": "university"}) == []
    assert single({"kind": "college", "full_time": False}) == ["idle_working_age_member"]


def test_empty_parent_ids_fall_back_to_head_and_spouse() -> None:
    # Given a head alone with a child whose parent_ids is empty, Then the head is a single parent.
    evidence = {
        "period": "2025-03",
        "members": [
            {"id": "h", "birth_date": "1990-01-01", "sex": "M", "relationship": "head"},
            {"id": "c", "birth_date": "2015-01-01", "sex": "M", "relationship": "child", "parent_ids": []},
        ],
    }
    assert assess(evidence)["decision"]["programmes"]["child_allowance"]["eligible"] is True
