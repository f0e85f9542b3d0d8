"""A long differential run of the rules against the reference: ``python -m bench.oracle_sweep``.

The same comparison as tests/oracle (``assess(evidence)["decision"] == reference decide(evidence)``),
at a size the test suite cannot afford:
  1. every hand-built boundary case of tests/oracle/boundary_cases.py in every month from 2021-09 to
     2027-12;
  2. ``--examples`` (default 5,000) examples of the test's hypothesis strategy;
  3. ``--households`` (default 2,000) households of the synthetic population (seed 7) in each of
     seven months around the start dates and MCE changes.
Prints one line per part and the first disagreements (by case name, month and index; no evidence).
Exit code 1 when any part disagrees.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from hypothesis import HealthCheck, given, settings

from chalicelib.services.assessment import assess
from devstack.population import evidence_for, household
from tests.oracle.boundary_cases import cases_for
from tests.oracle.reference_rules import decide, month_shift
from tests.oracle.test_oracle import any_evidence, assert_valid

MONTHS = ["2021-09", "2022-08", "2022-09", "2023-01", "2024-06", "2025-01", "2027-03"]


def same(evidence: dict[str, Any]) -> bool:
    return bool(assess(evidence)["decision"] == decide(evidence))


def sweep_cases() -> int:
    start, compared, wrong = time.perf_counter(), 0, []
    month = "2021-09"
    while month <= "2027-12":
        for name, evidence in cases_for(month):
            assert_valid(evidence)
            compared += 1
            if not same(evidence):
                wrong.append(name)
        month = month_shift(month, 1)
    print(f"hand-built cases x months: {compared} compared, {len(wrong)} disagree, {time.perf_counter() - start:.0f} s")
    for name in wrong[:10]:
        print(f"  {name}")
    return len(wrong)


def sweep_drawn(examples: int) -> int:
    start, count, wrong = time.perf_counter(), [0], [0]

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(any_evidence())
    def run(evidence: dict[str, Any]) -> None:
        assert_valid(evidence)
        count[0] += 1
        wrong[0] += not same(evidence)

    run()
    print(f"drawn examples: {count[0]} compared, {wrong[0]} disagree, {time.perf_counter() - start:.0f} s")
    return wrong[0]


def sweep_population(households: int) -> int:
    start, compared, wrong = time.perf_counter(), 0, []
    for month in MONTHS:
        for index in range(households):
            compared += 1
            if not same(evidence_for(household(index, seed=7, reference_month=month), month)):
                wrong.append((month, index))
    print(f"population: {compared} compared, {len(wrong)} disagree, {time.perf_counter() - start:.0f} s")
    for month, index in wrong[:10]:
        print(f"  household {index} in {month}")
    return len(wrong)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.oracle_sweep")
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--households", type=int, default=2000)
    args = parser.parse_args(argv)
    wrong = sweep_cases() + sweep_drawn(args.examples) + sweep_population(args.households)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
