"""Differential tests: the rules package decides as the plain reference reading of RULES.md does.

Given valid evidence, when both the package (``assess``, and once the ``assess`` CLI) and
``tests.oracle.reference_rules.decide`` decide it, then the two decision objects are equal, field by
field, reasons in the schema's order. The evidence comes from
  - a hypothesis strategy: half freely combined households drawn at the rules' boundaries (ages, income
    at the threshold, one focal adult who alone may be idle, exemptions, assets, disability end dates,
    births around P-5, months around start dates and MCE changes), half hand-built boundary cases
    moved to a drawn month;
  - the hand-built boundary table (tests/oracle/boundary_cases.py), case by case;
  - the synthetic population (devstack.population) in three months, all four programmes asked.
Every generated document is checked valid first (schema + the package's semantic checks): a rejected
document is a fault of the generator and fails the test. ``python -m bench.oracle_mutants`` shows the
tests catch deliberate misreadings; ``python -m bench.oracle_sweep`` runs the comparison at length.
"""

from __future__ import annotations

import calendar
import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.assessment import assess
from devstack.population import evidence_for, household
from tests._schema import evidence_validator
from tests.oracle.boundary_cases import boundary_cases, cases_for
from tests.oracle.reference_rules import (
    MCE_FROM,
    PROGRAMME_START,
    PROGRAMMES,
    SECURITIES_MCE_MULTIPLE,
    decide,
    first_day,
    mce,
    month_shift,
)

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = evidence_validator()
MAX_AMOUNT = 10**15


# =====================================================================================================
# validity of generated evidence: the schema plus the package's semantic checks
# =====================================================================================================


def last_day(ym: str) -> date:
    start = first_day(ym)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def semantic_problems(evidence: dict[str, Any]) -> list[str]:
    """What the schema alone does not check but the package rejects (INTERPRETATION.md, Evidence)."""
    problems = []
    if evidence["period"] < "2021-09":
        problems.append("period before 2021-09")
    ids = [m["id"] for m in evidence["members"]]
    if len(set(ids)) != len(ids):
        problems.append("duplicate member ids")
    known = set(ids)
    for m in evidence["members"]:
        pids = m.get("parent_ids", [])
        if len(pids) > 2 or len(set(pids)) != len(pids) or m["id"] in pids or not set(pids) <= known:
            problems.append(f"bad parent_ids of {m['id']}")
        if date.fromisoformat(m["birth_date"]) > last_day(evidence["period"]):
            problems.append(f"{m['id']} born after P")
    for role in ("head", "spouse"):
        if sum(m["relationship"] == role for m in evidence["members"]) > 1:
            problems.append(f"more than one {role}")
    assets = evidence.get("assets", {})
    for item in assets.get("vehicles", []) + assets.get("real_estate", []):
        if "owner_id" in item and item["owner_id"] not in known:
            problems.append("owner_id names no member")
    # two limits the package enforces that INTERPRETATION.md does not list (seen in its error messages)
    amounts = [e["amount"] for m in evidence["members"] for e in m.get("income", []) + m.get("alimony_paid", [])]
    if any(a > MAX_AMOUNT for a in [*amounts, assets.get("securities_market_value", 0)]):
        problems.append("amount above 10**15")
    if any(v["manufactured_year"] > 9999 for v in assets.get("vehicles", [])):
        problems.append("manufactured_year above 9999")
    return problems


def assert_valid(evidence: dict[str, Any]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(evidence)]
    assert not errors, f"the strategy made schema-invalid evidence: {errors}"
    problems = semantic_problems(evidence)
    assert not problems, f"the strategy made semantically invalid evidence: {problems}"


# =====================================================================================================
# the strategy: valid evidence that sits on the rules' boundaries
# =====================================================================================================


def _ym(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# just before and on each programme start and each MCE change, plus a February of a leap year
_CHANGES = [*PROGRAMME_START.values(), *(start for start, _ in MCE_FROM)]
_EDGES = {month_shift(f"{d:%Y-%m}", k) for d in _CHANGES for k in (-1, 0)}
PERIODS_OF_NOTE = sorted(p for p in _EDGES | {"2024-02", "2024-03", "2028-03"} if p >= "2021-09")
periods = st.one_of(
    st.sampled_from(PERIODS_OF_NOTE),
    st.integers(2021 * 12 + 8, 2030 * 12 + 11).map(_ym),
)

# ids whose code-point order differs from their "natural" order, to exercise the id tie-break
ID_POOL = ["m1", "m2", "m3", "m10", "a", "B", "b", "Z", "2", "10", "x-1", "x-01"]
SOURCES = [
    "salary",
    "entrepreneurial",
    "property",
    "pension",
    "benefit",
    "alimony_received",
    "unemployment_benefit",
    "public_works",
    "securities",
    "sp_benefit",
]
CONDITION_CODES = ["DC01", "DC02", "DC17", "DC34", "DC00", "DC35", "DC1", "dc01", "DC034", "Q90"]


def choice(options: Any) -> st.SearchStrategy[Any]:
    """One of ``options``, drawn from a wide integer so that choices spread evenly over a run."""
    options = list(options)
    return st.integers(0, 2**32 - 1).map(lambda k: options[k % len(options)])


def years_before(day: date, years: int) -> date:
    """``day`` moved back ``years`` years (``day`` is a first of month, so always a real date)."""
    return day.replace(year=day.year - years)


@st.composite
def birth_dates(draw: st.DrawFn, period: str, kinds: list[str]) -> date:
    """A birth date of one of ``kinds``: on the rules' age boundaries, or an ordinary age."""
    day1, end = first_day(period), last_day(period)
    kind = draw(choice(kinds))
    if kind.startswith("edge"):
        # on, one day before, and one day after the Nth birthday falling on day 1 of P
        years = int(kind[4:])
        return years_before(day1, years) + timedelta(days=draw(choice([-1, 0, 1])))
    if kind == "recent":
        # around the first day of P-5
        return first_day(month_shift(period, -5)) + timedelta(days=draw(choice(range(-2, 3))))
    if kind == "during_p":
        return day1 + timedelta(days=draw(st.integers(0, (end - day1).days)))
    low, high = {"child": (0, 17), "adult": (18, 54), "old": (55, 90)}[kind]
    age = draw(st.integers(low, high))
    return years_before(day1, age + 1) + timedelta(days=draw(choice(range(1, 366))))


FOCUS_AGES = ["edge18", "edge55", "edge60", "adult"]
ADULT_AGES = ["edge18", "edge55", "edge60", "adult", "adult", "adult", "old"]
CHILD_AGES = ["edge3", "edge18", "recent", "during_p", "child", "child"]


def _maybe(draw: st.DrawFn, key: str, target: dict[str, Any], values: st.SearchStrategy[Any]) -> None:
    """Set ``target[key]`` to a drawn value, or leave the key out (the schema's default applies)."""
    if draw(choice([False, True])):
        target[key] = draw(values)


# at most one cause of exemption a member, so that each one can be the decisive one
EXEMPTION_CAUSES = ["none", "none", "none", "conscript", "detained", "student", "job_seeker"]


def income_entry(draw: st.DrawFn, kind: str, period: str) -> dict[str, Any]:
    """One income entry: "sp_benefit" (never counted), "outside" the income months, "zero" som,
    "earning" (a counted salary of at least 1 som), or "some" (anything in the income months)."""
    window = [month_shift(period, k) for k in (-3, -2, -1)]
    outside = [month_shift(period, -4), period]
    month = draw(choice(outside if kind == "outside" else window))
    source = {"sp_benefit": "sp_benefit", "earning": "salary"}.get(kind) or draw(choice(SOURCES))
    least = 0 if kind == "some" else 1
    amount = 0 if kind == "zero" else draw(choice([least, least, 1_000_000]) | st.integers(least, 1_500_000))
    return {"month": month, "source": source, "amount": amount}


@st.composite
def members_of(draw: st.DrawFn, period: str) -> list[dict[str, Any]]:
    """1-3 adults (head, maybe spouse, maybe another) and 0-6 younger members, with ids from ID_POOL."""
    day1 = first_day(period)
    window = [month_shift(period, k) for k in (-3, -2, -1)]
    outside = [month_shift(period, -4), period]
    n_adults = draw(choice(range(1, 4)))
    n_young = draw(choice(range(0, 7)))
    ids = draw(st.lists(choice(ID_POOL), min_size=n_adults + n_young, max_size=n_adults + n_young, unique=True))
    roles = ["head", "spouse", "other"][:n_adults] + ["child"] * n_young
    if draw(choice(range(0, 6))) == 0:  # no head at all
        roles[0] = "other"
    if n_adults > 1 and draw(choice(range(0, 4))) == 0:  # no spouse: the head is the fallback parent alone
        roles[1] = "other"
    if n_young and draw(choice(range(0, 5))) == 0:
        roles[-1] = "other"

    # two times in three one adult is the focus: the only member who may be idle, so that whether they are
    # working-age, able and exempt decides `idle_working_age_member` on its own
    focus = draw(choice(range(n_adults))) if draw(choice(range(0, 3))) > 0 else None
    members: list[dict[str, Any]] = []
    for k, (mid, role) in enumerate(zip(ids, roles, strict=True)):
        adult = k < n_adults
        m: dict[str, Any] = {
            "id": mid,
            "birth_date": draw(
                birth_dates(period, FOCUS_AGES if k == focus else ADULT_AGES if adult else CHILD_AGES)
            ).isoformat(),
            "sex": draw(choice(["M", "F"])),
            "relationship": role,
        }
        if draw(choice(range(0, 4))) == 0:
            m["pinfl"] = draw(st.from_regex(r"\A[0-9]{14}\Z"))
        if draw(choice(range(2 if k == focus else 4))) == 0:
            record: dict[str, Any] = {"group": draw(choice([1, 2, 3]))}
            if draw(choice([False, True])):
                # around the first day of P
                record["until"] = (day1 + timedelta(days=draw(choice([-1, 0, 1, -400, 400])))).isoformat()
            if draw(choice(range(0, 5))) > 0:
                record["condition_code"] = draw(choice(CONDITION_CODES))
            m["disability"] = record
        elif draw(choice(range(0, 4))) == 0:
            m["disability"] = None
        cause = draw(choice(EXEMPTION_CAUSES))
        if cause == "student":
            student: dict[str, Any] = {
                "kind": draw(choice(["university", "college", "technical", "lyceum", "vocational", "school"]))
            }
            _maybe(draw, "full_time", student, choice([False, True]))
            m["student"] = student
        elif draw(choice(range(0, 4))) == 0:
            m["student"] = None
        for flag, flag_cause in (
            ("military_conscript", "conscript"),
            ("detained", "detained"),
            ("job_seeker_registered", "job_seeker"),
        ):
            if cause == flag_cause:
                m[flag] = True
            else:
                _maybe(draw, flag, m, st.just(False))
        _maybe(draw, "employment_sector", m, choice(["state", "non_state", "none", "non_state"]))
        # own income: none (an idle candidate), sp_benefit only, outside the income months only, or some
        kind = draw(choice(["none", "none", "sp_benefit", "outside", "some", "some"]))
        if focus is not None:
            kind = draw(choice(["none", "sp_benefit", "outside", "zero"])) if k == focus else "earning"
        incomes = [] if kind == "none" else [income_entry(draw, kind, period) for _ in range(draw(choice(range(1, 4))))]
        if len(incomes) > 0 or draw(choice([False, True])):
            m["income"] = incomes
        if draw(choice(range(0, 6))) == 0:
            m["alimony_paid"] = draw(
                st.lists(
                    st.fixed_dictionaries({"month": choice(window + outside), "amount": st.integers(0, 2_000_000)}),
                    min_size=1,
                    max_size=2,
                )
            )
        members.append(m)

    adults, young = ids[:n_adults], ids[n_adults:]
    # twins / same-day births: one younger member born the same day as another (the tie is broken by id)
    if len(young) > 1 and draw(choice(range(0, 3))) == 0:
        a, b = draw(st.lists(choice(range(n_adults, len(ids))), min_size=2, max_size=2, unique=True))
        members[b]["birth_date"] = members[a]["birth_date"]

    # parent_ids of the younger members: absent or [] (head and spouse), one or two adults, any one member;
    # one pattern for all of them (many children of one parent, a single parent) or one each
    pattern = draw(choice(["absent", "one", "two", "mixed", "mixed"]))
    for m in members[n_adults:]:
        mode = pattern
        if pattern == "mixed":
            mode = draw(choice(["absent", "absent", "empty", "one", "two", "two", "any"]))
        elif pattern in ("one", "two") and m is not members[n_adults]:
            m["parent_ids"] = list(members[n_adults]["parent_ids"])  # the same parents as the eldest drawn
            continue
        if mode == "empty":
            m["parent_ids"] = []
        elif mode == "one" or (mode == "two" and len(adults) == 1):
            m["parent_ids"] = [draw(choice(adults))]
        elif mode == "two":
            m["parent_ids"] = draw(st.lists(choice(adults), min_size=2, max_size=2, unique=True))
        elif mode == "any":
            m["parent_ids"] = [draw(choice([x for x in ids if x != m["id"]] or adults))]
    # an adult's parents, rarely: another adult of the household
    for m in members[:n_adults]:
        if len(adults) > 1 and draw(choice(range(0, 6))) == 0:
            m["parent_ids"] = [draw(choice([x for x in adults if x != m["id"]]))]
    return members


@st.composite
def evidences(draw: st.DrawFn) -> dict[str, Any]:
    period = draw(periods)
    day1 = first_day(period)
    window = [month_shift(period, k) for k in (-3, -2, -1)]
    members = draw(members_of(period))
    ids = [m["id"] for m in members]

    # income exactly at, one som under, or one som per capita under the threshold
    how = draw(choice(["as drawn", "as drawn", "at", "one_under", "capita_one_under", "capita_at_top"]))
    if how != "as drawn":
        n = len(members)
        bar = mce(day1) * n * 3
        targets = {"at": bar, "one_under": bar - 1, "capita_one_under": bar - 3 * n, "capita_at_top": bar + 3 * n - 1}
        target = targets[how]
        counted = sum(
            i["amount"]
            for m in members
            for i in m.get("income", [])
            if i["month"] in window and i["source"] != "sp_benefit"
        ) - sum(a["amount"] for m in members for a in m.get("alimony_paid", []) if a["month"] in window)
        if counted <= target:
            who = members[draw(choice(range(n)))]
            who.setdefault("income", []).append(
                {
                    "month": draw(choice(window)),
                    "source": draw(choice(["salary", "pension"])),
                    "amount": target - counted,
                }
            )
            event(f"income placed: {how}")

    evidence: dict[str, Any] = {"period": period, "members": members}
    _maybe(draw, "iron_notebook", evidence, choice([False, True]))

    if draw(choice(range(0, 3))) > 0:
        assets: dict[str, Any] = {}
        owners = choice(ids)
        vehicles = []
        for _ in range(draw(choice(range(0, 3)))):
            v: dict[str, Any] = {
                "type": draw(
                    choice(["passenger", "passenger", "passenger", "truck", "bus", "motorcycle", "tractor", "trailer"])
                ),
                # around year(P) - 10
                "manufactured_year": day1.year - 10 + draw(choice([-1, 0, 0, 1, -20, 5])),
            }
            _maybe(draw, "owner_id", v, owners)
            _maybe(draw, "adapted_for_disability", v, choice([False, True]))
            vehicles.append(v)
        if len(vehicles) > 0 or draw(choice([False, True])):
            assets["vehicles"] = vehicles
        estates = []
        for _ in range(draw(choice(range(0, 3)))):
            e: dict[str, Any] = {"kind": draw(choice(["dwelling", "dwelling", "non_residential", "land"]))}
            _maybe(draw, "owner_id", e, owners)
            estates.append(e)
        if len(estates) > 0 or draw(choice([False, True])):
            assets["real_estate"] = estates
        if draw(choice([False, True])):
            # around 6 x MCE(P)
            line = SECURITIES_MCE_MULTIPLE * mce(day1)
            where = draw(choice([-1, 0, 1, None]))
            value = line + where if where is not None else draw(st.integers(0, 2 * line))
            assets["securities_market_value"] = value
        evidence["assets"] = assets

    if draw(choice([False, True])):
        evidence["programmes"] = draw(st.lists(choice(PROGRAMMES), min_size=1, max_size=4, unique=True))
    return evidence


# =====================================================================================================
# comparison
# =====================================================================================================


def mismatch_report(evidence: dict[str, Any], package: dict[str, Any], reference: dict[str, Any]) -> str:
    lines = ["the package and the reference decide differently", "evidence:", json.dumps(evidence, indent=1)]
    for key in ("period", "per_capita_income", "threshold"):
        if package.get(key) != reference.get(key):
            lines.append(f"{key}: package {package.get(key)!r} reference {reference.get(key)!r}")
    for name in sorted(set(package.get("programmes", {})) | set(reference.get("programmes", {}))):
        got, want = package["programmes"].get(name), reference["programmes"].get(name)
        if got != want:
            lines.append(f"{name}:\n  package   {json.dumps(got)}\n  reference {json.dumps(want)}")
    return "\n".join(lines)


def assert_same_decision(evidence: dict[str, Any]) -> None:
    try:
        package = assess(evidence)["decision"]
    except ValidationFailed as exc:  # the generator, not the package, is at fault
        pytest.fail(f"valid evidence rejected ({exc.field}: {exc.message}):\n{json.dumps(evidence, indent=1)}")
    reference = decide(evidence)
    assert package == reference, mismatch_report(evidence, package, reference)


@st.composite
def boundary_evidences(draw: st.DrawFn) -> dict[str, Any]:
    """A hand-built boundary household (tests.oracle.boundary_cases) moved to any month, maybe with
    only some programmes asked, maybe with an extra pensioner (more members, more income, not idle)."""
    period = draw(periods)
    name, evidence = draw(choice(cases_for(period)))
    event(f"hand-built: {name.split(' ', 1)[1].split(' ')[0]}")
    if draw(choice([False, True])):
        evidence["programmes"] = draw(st.lists(choice(PROGRAMMES), min_size=1, max_size=4, unique=True))
    if draw(choice([False, False, True])):
        evidence["members"].append(
            {
                "id": "grandparent",
                "birth_date": years_before(first_day(period), draw(choice(range(60, 90)))).isoformat(),
                "sex": draw(choice(["M", "F"])),
                "relationship": "other",
                "income": [income_entry(draw, "earning", period)],
            }
        )
    return evidence


@st.composite
def any_evidence(draw: st.DrawFn) -> dict[str, Any]:
    """Half freely combined evidence, half a hand-built boundary at a drawn month."""
    return draw(boundary_evidences() if draw(choice([False, True])) else evidences())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_evidence())
def test_package_decides_boundary_evidence_as_the_reference(evidence: dict[str, Any]) -> None:
    # Given valid evidence on the rules' boundaries
    assert_valid(evidence)
    note(json.dumps(evidence, indent=1))
    # When the package and the reference decide it, Then the decisions are equal
    assert_same_decision(evidence)
    for name, outcome in decide(evidence)["programmes"].items():
        event(f"{name}: {'eligible' if outcome['eligible'] else ' '.join(outcome['reasons'])}")


BOUNDARY_CASES = boundary_cases()


@pytest.mark.parametrize("evidence", [e for _, e in BOUNDARY_CASES], ids=[name for name, _ in BOUNDARY_CASES])
def test_package_decides_each_hand_built_boundary_as_the_reference(evidence: dict[str, Any]) -> None:
    # Given a household with one fact on one side of one boundary of RULES.md
    assert_valid(evidence)
    # When the package and the reference decide it, Then the decisions are equal
    assert_same_decision(evidence)


POPULATION_MONTHS = ["2022-03", "2025-06", "2026-12"]
POPULATION_SIZE = 1500


@pytest.mark.parametrize("month", POPULATION_MONTHS)
def test_package_decides_the_synthetic_population_as_the_reference(month: str) -> None:
    # Given the synthetic population as the agencies report it in ``month``, all four programmes asked
    compared = 0
    eligible_seen = dict.fromkeys(PROGRAMMES, 0)
    for index in range(POPULATION_SIZE):
        evidence = evidence_for(household(index, reference_month=month), month)
        evidence["programmes"] = list(PROGRAMMES)
        # When both decide it, Then the decisions are equal
        assert_same_decision(evidence)
        compared += 1
        for name, outcome in decide(evidence)["programmes"].items():
            eligible_seen[name] += outcome["eligible"]
    assert compared == POPULATION_SIZE
    # and the comparison is not vacuous: the population reaches the means-tested programmes
    assert eligible_seen["child_allowance"] > 0 and eligible_seen["material_assistance"] > 0, eligible_seen


def test_cli_decides_json_lines_as_the_reference(tmp_path: Path) -> None:
    # Given 50 households as JSON Lines, every other one wrapped as {"evidence": ...}, with a blank line
    documents = []
    for index in range(50):
        month = POPULATION_MONTHS[index % len(POPULATION_MONTHS)]
        evidence = evidence_for(household(index, reference_month=month), month)
        documents.append(evidence)
    lines = [json.dumps({"evidence": e} if k % 2 else e) for k, e in enumerate(documents)]
    stdin = "\n".join([*lines[:25], "", *lines[25:]]) + "\n"
    source = tmp_path / "in.jsonl"
    source.write_text(stdin, encoding="utf-8")
    # When the CLI assesses them
    with source.open("rb") as feed:
        done = subprocess.run(
            [sys.executable, "-m", "chalicelib.cli", "assess"],
            stdin=feed,
            capture_output=True,
            cwd=ROOT,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(line) for line in done.stdout.decode().splitlines()]
    # Then there is one result per document, numbered by physical line, equal to the reference
    assert len(results) == len(documents)
    expected_lines = list(range(1, 26)) + list(range(27, 52))
    assert [r["line"] for r in results] == expected_lines
    for evidence, result in zip(documents, results, strict=True):
        assert "error" not in result, result
        reference = decide(evidence)
        assert result["decision"] == reference, mismatch_report(evidence, result["decision"], reference)
