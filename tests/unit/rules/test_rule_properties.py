"""Properties of the rules over random households (hypothesis, few examples to stay fast).

Given random evidence at the rules' edges, Then: adding income to a member who is not idle never
makes a family eligible for a means-tested programme; amounts are never negative; an eligible
programme has no reasons and a refused one pays nothing; the vectorised path equals the per-household one.
"""

from __future__ import annotations

import copy
import random
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.rules.codes import PROGRAMMES, reasons_from_bits
from chalicelib.rules.snapshot import income_months, reassess, write_snapshot
from chalicelib.rules.synthetic import random_evidence
from chalicelib.services.assessment import assess

MEANS_TESTED = ("child_allowance", "material_assistance")
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, extra=st.integers(min_value=1, max_value=5_000_000_000), month_index=st.integers(0, 2))
def test_adding_income_never_makes_a_family_eligible(seed: int, extra: int, month_index: int) -> None:
    evidence = random_evidence(random.Random(seed))
    before = assess(evidence)
    not_idle = [m["id"] for m in before["explanation"]["members"] if not m["idle"]]
    if not not_idle:
        return
    richer = copy.deepcopy(evidence)
    member = next(m for m in richer["members"] if m["id"] == random.Random(seed).choice(not_idle))
    member.setdefault("income", []).append(
        {"month": income_months(evidence["period"])[month_index], "source": "salary", "amount": extra}
    )
    after = assess(richer)
    for programme in MEANS_TESTED:
        if programme in after["decision"]["programmes"]:
            if after["decision"]["programmes"][programme]["eligible"]:
                assert before["decision"]["programmes"][programme]["eligible"]
            assert set(before["decision"]["programmes"][programme]["reasons"]) <= set(
                after["decision"]["programmes"][programme]["reasons"]
            )


@settings(max_examples=60, deadline=None)
@given(seed=seeds)
def test_amounts_and_reasons_are_consistent(seed: int) -> None:
    decision = assess(random_evidence(random.Random(seed)))["decision"]
    assert decision["per_capita_income"] >= 0
    for outcome in decision["programmes"].values():
        assert min(outcome["monthly_amount"], outcome["months"], outcome["lump_sum"]) >= 0
        if outcome["eligible"]:
            assert outcome["reasons"] == []
            assert outcome["monthly_amount"] * outcome["months"] + outcome["lump_sum"] > 0
        else:
            assert outcome["reasons"]
            assert (outcome["monthly_amount"], outcome["months"], outcome["lump_sum"]) == (0, 0, 0)
        if "rule_not_in_force" in outcome["reasons"]:
            assert outcome["reasons"] == ["rule_not_in_force"]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=seeds, count=st.integers(min_value=1, max_value=25), chunk=st.integers(min_value=1, max_value=10))
def test_vectorised_equals_per_household(seed: int, count: int, chunk: int) -> None:
    rng = random.Random(seed)
    period = rng.choice(["2021-09", "2022-09", "2025-03"])
    documents: list[dict[str, Any]] = []
    for _ in range(count):
        evidence = random_evidence(rng, period)
        evidence.pop("programmes", None)
        documents.append(evidence)
    with tempfile.TemporaryDirectory() as tmp:
        write_snapshot(documents, Path(tmp) / "snap")
        reassess(Path(tmp) / "snap", Path(tmp) / "out.parquet", chunk_size=chunk)
        rows = pq.read_table(Path(tmp) / "out.parquet").to_pylist()
    for evidence, row in zip(documents, rows, strict=True):
        decision = assess(evidence)["decision"]
        assert row["per_capita_income"] == decision["per_capita_income"]
        for programme in PROGRAMMES:
            outcome = decision["programmes"][programme]
            assert outcome["eligible"] == row[f"{programme}_eligible"]
            assert outcome["monthly_amount"] == row[f"{programme}_monthly_amount"]
            assert outcome["lump_sum"] == row[f"{programme}_lump_sum"]
            assert outcome["months"] == row[f"{programme}_months"]
            assert outcome["reasons"] == reasons_from_bits(row[f"{programme}_reasons"])


json_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


@settings(max_examples=150, deadline=None)
@given(seed=seeds, pick=st.integers(min_value=0), replacement=json_values)
def test_mutated_evidence_is_either_assessed_or_rejected_with_a_field(
    seed: int, pick: int, replacement: Any
) -> None:
    # Given valid random evidence with one value replaced by arbitrary JSON,
    evidence = random_evidence(random.Random(seed))
    paths = _paths(evidence)
    path = paths[pick % len(paths)]
    target: Any = evidence
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = replacement
    # When assessed, Then it either decides or raises ValidationFailed naming a field (never crashes).
    try:
        result = assess(evidence)
    except ValidationFailed as error:
        assert error.code == "invalid_evidence"
        assert error.field and error.field.startswith("evidence")
    else:
        assert set(result) == {"decision", "explanation", "rules_version"}
