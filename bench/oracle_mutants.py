"""How sensitive the differential tests of the rules are: ``python -m bench.oracle_mutants [N]``.

Each mutant is the reference reading (tests/oracle/reference_rules.py) with one deliberate misreading
of RULES.md, built in memory (no file is changed). For every mutant this counts the examples on which
it decides differently from the unchanged reference, over
  1. the hand-built boundary table of tests/oracle/boundary_cases.py, and
  2. N examples (default 300, as in the test) drawn from the test's hypothesis strategy.
A mutant that no example separates is a misreading the tests could not catch. (The id tie-break of
equal birth dates is left out: it never changes a decision, only the order children are listed in.)
"""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from tests.oracle import reference_rules
from tests.oracle.boundary_cases import boundary_cases
from tests.oracle.test_oracle import any_evidence, assert_valid

# (name, text in reference_rules.py, replacement)
MUTANTS: list[tuple[str, str, str]] = [
    ("income strict <", "if not income_3m < threshold * n * 3:", "if income_3m > threshold * n * 3:"),
    (
        "retirement <=",
        'WORKING_AGE_FROM <= a < RETIREMENT_AGE[m["sex"]]',
        'WORKING_AGE_FROM <= a <= RETIREMENT_AGE[m["sex"]]',
    ),
    ("working from >18", "WORKING_AGE_FROM <= a < RETIREMENT", "WORKING_AGE_FROM < a < RETIREMENT"),
    (
        "birthday off by one",
        "if (day.month, day.day) < (birth.month, birth.day):",
        "if (day.month, day.day) <= (birth.month, birth.day):",
    ),
    ("F retire 60", 'RETIREMENT_AGE = {"M": 60, "F": 55}', 'RETIREMENT_AGE = {"M": 60, "F": 60}'),
    ("no iron_notebook", 'if evidence.get("iron_notebook", False):', "if False:"),
    (
        "no detained",
        'm.get("military_conscript", False) or m.get("detained", False)',
        'm.get("military_conscript", False)',
    ),
    ("no conscript", 'm.get("military_conscript", False) or m.get("detained", False)', 'm.get("detained", False)'),
    ("no job seeker", 'if m.get("job_seeker_registered", False):', "if False:"),
    ("full_time default False", 'student.get("full_time", True) is True', 'student.get("full_time", False) is True'),
    ("no single parent", 'if len(parents[c["id"]]) == 1:', "if False:"),
    ("many children >=", "if len(my_children) > MANY_CHILDREN:", "if len(my_children) >= MANY_CHILDREN:"),
    ("many children >5", "if len(my_children) > MANY_CHILDREN:", "if len(my_children) > MANY_CHILDREN + 1:"),
    ("young <=", 'if age[c["id"]] < YOUNG_CHILD_AGE:\n', 'if age[c["id"]] <= YOUNG_CHILD_AGE:\n'),
    ("father always", 'if m["sex"] == "F" or not female:', "if True:"),
    ("father never", 'if m["sex"] == "F" or not female:', 'if m["sex"] == "F":'),
    (
        "vehicle >",
        'vehicle["manufactured_year"] >= day1.year - VEHICLE_AGE_YEARS',
        'vehicle["manufactured_year"] > day1.year - VEHICLE_AGE_YEARS',
    ),
    (
        "adapted ignored",
        'and not vehicle.get(\n                "adapted_for_disability", False\n            )',
        "and True",
    ),
    (
        "motorcycle counts",
        'ALWAYS_DISQUALIFYING_VEHICLES = {"truck", "bus"}',
        'ALWAYS_DISQUALIFYING_VEHICLES = {"truck", "bus", "motorcycle"}',
    ),
    ("dwellings >=", "if dwellings > MAX_DWELLINGS", "if dwellings >= MAX_DWELLINGS"),
    ("land counts", 'e["kind"] == "non_residential" for e', 'e["kind"] != "dwelling" for e'),
    (
        "securities >=",
        'assets.get("securities_market_value", 0) > SECURITIES',
        'assets.get("securities_market_value", 0) >= SECURITIES',
    ),
    ("until >", "date.fromisoformat(until) >= day", "date.fromisoformat(until) > day"),
    ("DC34 excluded", "for k in range(1, 35)}", "for k in range(1, 34)}"),
    (
        "recent >",
        'date.fromisoformat(by_id[cid]["birth_date"]) >= since',
        'date.fromisoformat(by_id[cid]["birth_date"]) > since',
    ),
    ("sp_benefit counted", 'and entry["source"] != "sp_benefit"', "and True"),
    ("alimony ignored", "income_3m = max(gross - alimony, 0)", "income_3m = max(gross, 0)"),
    ("P-3 dropped", "income_months = {month_shift(period, -3), ", "income_months = {"),
    ("P counted", "month_shift(period, -1)}", "month_shift(period, -1), period}"),
    ("start >=", "if PROGRAMME_START[programme] > day1:", "if PROGRAMME_START[programme] >= day1:"),
    ("MCE 2023 late", "(date(2023, 1, 1), 568_000)", "(date(2023, 2, 1), 568_000)"),
    ("MCE 2025 value", "(date(2025, 1, 1), 669_000)", "(date(2025, 1, 1), 668_000)"),
    ("empty parent_ids given", "        if given:\n", "        if given is not None:\n"),
    (
        "[I3] alimony from own",
        'own_counted[m["id"]] = own  #',
        'own_counted[m["id"]] = own - sum(p["amount"] for p in m.get("alimony_paid", [])'
        ' if p["month"] in income_months)  #',
    ),
    (
        "[I4] expired disables",
        'and record["group"] in DISABLING_GROUPS and in_force(record, day1)',
        'and record["group"] in DISABLING_GROUPS',
    ),
    ("group 3 disables", "DISABLING_GROUPS = {1, 2}", "DISABLING_GROUPS = {1, 2, 3}"),
    ("fallback includes self", ' and m["id"] != child["id"]]', "]"),
    ("maternity per child", "MATERNITY_LUMP_SUM * len(qualifying)", "MATERNITY_LUMP_SUM * len(recent)"),
    ("first 325 any under3", "if position == 1:", 'if position == 1 or age[child["id"]] < YOUNG_CHILD_AGE:'),
    ("second 100", "total += CA_SECOND", "total += CA_FURTHER"),
    (
        "per capita rounding",
        "per_capita_income = income_3m // (n * 3)",
        "per_capita_income = round(income_3m / (n * 3))",
    ),
    (
        "idle when sp only",
        'if working_age_able(m) and own_counted[m["id"]] == 0',
        'if working_age_able(m) and own_counted[m["id"]] <= 1',
    ),
]


def mutants() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    source = Path(reference_rules.__file__).read_text(encoding="utf-8")
    built: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
    for name, old, new in MUTANTS:
        if source.count(old) != 1:
            raise SystemExit(f"mutant {name!r}: its text is not found once in reference_rules.py")
        module = types.ModuleType(f"mutant_{len(built)}")
        exec(compile(source.replace(old, new), module.__name__, "exec"), module.__dict__)  # noqa: S102
        built[name] = module.decide
    return built


def separated(decide: Callable[[dict[str, Any]], Any], evidence: dict[str, Any], want: Any) -> bool:
    try:
        return bool(decide(evidence) != want)
    except Exception:  # a mutant that crashes is caught too
        return True


def main(n: int) -> None:
    built = mutants()
    table = dict.fromkeys(built, 0)
    start = time.perf_counter()
    cases = boundary_cases()
    for _, evidence in cases:
        want = reference_rules.decide(evidence)
        for name, decide in built.items():
            table[name] += separated(decide, evidence, want)
    drawn = dict.fromkeys(built, 0)
    count = [0]

    @settings(
        max_examples=n, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    @given(any_evidence())
    def draw(evidence: dict[str, Any]) -> None:
        assert_valid(evidence)
        count[0] += 1
        want = reference_rules.decide(evidence)
        for name, decide in built.items():
            drawn[name] += separated(decide, evidence, want)

    draw()
    print(f"{len(built)} mutants; {len(cases)} hand-built cases; {count[0]} drawn examples")
    print(f"{'hand-built':>10} {'drawn':>6}  mutant")
    for name in sorted(built, key=lambda k: (table[k] > 0, drawn[k] > 0, drawn[k])):
        print(f"{table[name]:>10} {drawn[name]:>6}  {name}")
    print(
        f"separated by the hand-built table: {sum(v > 0 for v in table.values())}/{len(built)}; "
        f"by the drawn examples: {sum(v > 0 for v in drawn.values())}/{len(built)}; "
        f"{time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
