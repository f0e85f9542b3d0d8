"""A plain-Python reference reading of the default rule set (RULES.md), for differential tests.

This module decides a household exactly as the text of /work/shared/contracts/RULES.md reads, line by
line, with no OpenFisca and without looking at how ``chalicelib.rules`` is written: it is an
independent second implementation whose only job is to disagree with the package when one of them
misreads the rules. It is deliberately slow and simple (loops, no arrays, no caching).

``decide(evidence)`` takes a *valid* evidence object (schema-valid and passing the package's semantic
checks; validation is not re-implemented here) and returns the ``decision`` object of
assessment.schema.json: ``period``, ``per_capita_income``, ``threshold`` and ``programmes``.

Where RULES.md is silent or open, this module follows chalicelib/rules/INTERPRETATION.md. Each such
point is marked ``[I]`` in the code and listed here:

[I1] ``evidence.programmes`` absent: all four programmes are decided; given: only those.
[I2] A member born during P (after its first day) is aged 0 (the plain formula would give -1; the
     difference never changes a decision, since both are under 3 and under 18).
[I3] "Counted income" of a member (for idleness) is the member's own income entries of the income
     months except ``sp_benefit``; the member's ``alimony_paid`` is deducted from the family's
     income_3m only, not from the member's own counted income.
[I4] A disability record of group 1 or 2 makes a member "not able" only while it is in force: its
     ``until``, when given, is on or after the first day of P (RULES.md states this condition for the
     caregiver allowance only).
[I5] A child's parents are its ``parent_ids`` when present AND non-empty; when absent or ``[]`` they
     are the members with relationship head and spouse, never the child itself.
[I6] "Single parent": a parent of a child (member under 18) that has exactly one parent in the
     household (RULES.md: "whose other parent is not in the household").
[I7] "Mother of a child under 3 (the father when the mother is not in the household)": every female
     parent of such a child is exempt; when the child has no female parent in the household, its male
     parent(s) are.
[I8] "More than 4 children": more than 4 members under 18 of whom the member is a parent.
[I9] Vehicle types other than passenger, truck and bus never disqualify (RULES.md names only those).
[I10] Child order: oldest first by birth date; equal birth dates by member id in Python string
     (code-point) order. The 325,000 is for the first child only; a second child under 3 gets 150,000.
     (Children born the same day have the same age, so the tie-break never changes the amount.)
[I11] Maternity: one lump sum per qualifying mother (twins give one); a recent birth whose only
     parent in the household is a man counts as "no child born to any woman": ``no_recent_birth``.

Two further readings come from assessment.schema.json rather than from either text:
a ``student`` without ``full_time`` is full-time (the schema's ``default: true``), and absent booleans,
``employment_sector``, ``income``, ``alimony_paid`` and assets take the schema's defaults.
"""

from __future__ import annotations

from datetime import date
from typing import Any

# =====================================================================================================
# PARAMETERS, hard-coded from RULES.md (each with the RULES.md line it comes from)
# =====================================================================================================

# "MCE: 498,000 from 2021-09-01 (assumed for 2021), 498,000 from 2022-01-01, 568,000 from 2023-01-01
#  (assumed), 648,000 from 2024-01-01 (assumed), 669,000 from 2025-01-01."
MCE_FROM: list[tuple[date, int]] = [
    (date(2021, 9, 1), 498_000),
    (date(2022, 1, 1), 498_000),
    (date(2023, 1, 1), 568_000),
    (date(2024, 1, 1), 648_000),
    (date(2025, 1, 1), 669_000),
]

# "No evidence period before 2021-09 is assessed"
FIRST_PERIOD = "2021-09"

# "child_allowance, from 2021-09-01" / "material_assistance, from 2021-09-01" /
# "disabled_child_caregiver, from 2022-04-01" / "maternity_non_state, from 2022-09-01"
PROGRAMME_START: dict[str, date] = {
    "child_allowance": date(2021, 9, 1),
    "material_assistance": date(2021, 9, 1),
    "disabled_child_caregiver": date(2022, 4, 1),
    "maternity_non_state": date(2022, 9, 1),
}

# assessment.schema.json $defs.programme enum order (used when evidence.programmes is absent [I1])
PROGRAMMES = ["child_allowance", "material_assistance", "disabled_child_caregiver", "maternity_non_state"]

# assessment.schema.json decision.programmes.*.reasons enum order:
# "reasons lists every reason that applies, in the order written in the schema's enum."
REASON_ORDER = [
    "income_above_threshold",
    "idle_working_age_member",
    "asset_vehicle",
    "asset_real_estate",
    "asset_securities",
    "no_child_under_18",
    "has_child_under_18",
    "no_qualifying_disabled_child",
    "no_recent_birth",
    "not_non_state_worker",
    "rule_not_in_force",
]

# "A child is a member under 18."
CHILD_AGE_LIMIT = 18
# "Working-age able member: 18 <= age < retirement age (60 for M, 55 for F)"
WORKING_AGE_FROM = 18
RETIREMENT_AGE = {"M": 60, "F": 55}
# "and no disability of group 1 or 2"
DISABLING_GROUPS = {1, 2}

# "the mother of a child under 3 of the household"
YOUNG_CHILD_AGE = 3
# "a parent of more than 4 children of the household"
MANY_CHILDREN = 4

# "a passenger vehicle made in year(P) - 10 or later and not `adapted_for_disability`"
VEHICLE_AGE_YEARS = 10
# "or any truck or bus: `asset_vehicle`"
ALWAYS_DISQUALIFYING_VEHICLES = {"truck", "bus"}
# "More than one dwelling" ...
MAX_DWELLINGS = 1
# "Securities market value above 6 × MCE(P): `asset_securities`."
SECURITIES_MCE_MULTIPLE = 6

# "the first 325,000 when under 3, else 250,000; the second 150,000; each further 100,000."
CA_FIRST_UNDER_3 = 325_000
CA_FIRST = 250_000
CA_SECOND = 150_000
CA_FURTHER = 100_000
# "Monthly amount = the sum; months = 12; lump_sum = 0."
CA_MONTHS = 12

# "380,000 a month, 12 months."
MA_MONTHLY = 380_000
MA_MONTHS = 12

# "default list assumed: DC01 to DC34"
QUALIFYING_CONDITIONS = {f"DC{k:02d}" for k in range(1, 35)}
# "500,000 a month for each such child, 12 months"
DCC_MONTHLY_PER_CHILD = 500_000
DCC_MONTHS = 12

# "a child born on or after the first day of P-5"
RECENT_BIRTH_MONTHS = 5
# "lump_sum 1,994,000 each; monthly_amount 0, months 0"
MATERNITY_LUMP_SUM = 1_994_000


# =====================================================================================================
# helpers
# =====================================================================================================


def month_shift(ym: str, k: int) -> str:
    """The month ``k`` months after ``ym`` (negative: before), as YYYY-MM."""
    year, month = int(ym[:4]), int(ym[5:7])
    index = year * 12 + (month - 1) + k
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(ym: str) -> date:
    return date(int(ym[:4]), int(ym[5:7]), 1)


def mce(day: date) -> int:
    """MCE in force on ``day``: the last row of MCE_FROM whose start is on or before ``day``."""
    value = None
    for start, amount in MCE_FROM:
        if start <= day:
            value = amount
    if value is None:
        raise ValueError("no MCE before 2021-09-01")
    return value


def age_on(birth: date, day: date) -> int:
    """Whole years on ``day``; a member born after ``day`` (during P) is 0 [I2]."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return max(years, 0)


def in_force(record: dict[str, Any], day: date) -> bool:
    """A disability record's ``until``, when given, is on or after ``day``."""
    until = record.get("until")
    return until is None or date.fromisoformat(until) >= day


def ordered(reasons: set[str]) -> list[str]:
    return [r for r in REASON_ORDER if r in reasons]


def not_eligible(reasons: set[str]) -> dict[str, Any]:
    # "when not, monthly_amount, months and lump_sum are 0 and reasons lists every reason that applies"
    return {"eligible": False, "monthly_amount": 0, "months": 0, "lump_sum": 0, "reasons": ordered(reasons)}


def eligible(monthly_amount: int, months: int, lump_sum: int) -> dict[str, Any]:
    # "When eligible, reasons is empty"
    return {"eligible": True, "monthly_amount": monthly_amount, "months": months, "lump_sum": lump_sum, "reasons": []}


# =====================================================================================================
# the decision
# =====================================================================================================


def decide(evidence: dict[str, Any]) -> dict[str, Any]:
    """The decision object of assessment.schema.json for valid ``evidence`` (the evidence object)."""
    if set(evidence) == {"evidence"}:
        evidence = evidence["evidence"]
    period: str = evidence["period"]
    if period < FIRST_PERIOD:
        raise ValueError("no evidence period before 2021-09 is assessed")
    day1 = first_day(period)  # "the first day of P"
    members: list[dict[str, Any]] = evidence["members"]
    by_id = {m["id"]: m for m in members}

    # ---- Time -----------------------------------------------------------------------------------
    # "The income months are P-3, P-2 and P-1."
    income_months = {month_shift(period, -3), month_shift(period, -2), month_shift(period, -1)}
    # "A member's age is in whole years on the first day of P. A child is a member under 18."
    age = {m["id"]: age_on(date.fromisoformat(m["birth_date"]), day1) for m in members}
    children = [m for m in members if age[m["id"]] < CHILD_AGE_LIMIT]

    # "A child's parents are its `parent_ids` when given, else the members with relationship head and
    #  spouse." [I5]: empty parent_ids count as not given; the fallback never names the child itself.
    def parents_of(child: dict[str, Any]) -> list[str]:
        given = child.get("parent_ids")
        if given:
            return list(given)
        return [m["id"] for m in members if m["relationship"] in ("head", "spouse") and m["id"] != child["id"]]

    parents = {c["id"]: parents_of(c) for c in children}

    # ---- Means test: income ----------------------------------------------------------------------
    # "n = number of members."
    n = len(members)
    # "income_3m = all income entries of the income months, except source `sp_benefit`, minus
    #  `alimony_paid` of the income months, floored at 0."
    gross = 0
    alimony = 0
    own_counted: dict[str, int] = {}
    for m in members:
        own = 0
        for entry in m.get("income", []):
            if entry["month"] in income_months and entry["source"] != "sp_benefit":
                own += entry["amount"]
        own_counted[m["id"]] = own  # [I3]: alimony not deducted here
        gross += own
        for paid in m.get("alimony_paid", []):
            if paid["month"] in income_months:
                alimony += paid["amount"]
    income_3m = max(gross - alimony, 0)
    # "per_capita_income = floor(income_3m / n / 3). threshold = MCE(P)."
    per_capita_income = income_3m // (n * 3)
    threshold = mce(day1)

    means_reasons: set[str] = set()
    # "The test passes when income_3m < MCE × n × 3 (strictly), else reason `income_above_threshold`."
    if not income_3m < threshold * n * 3:
        means_reasons.add("income_above_threshold")

    # ---- Means test: idle working-age members ----------------------------------------------------
    def working_age_able(m: dict[str, Any]) -> bool:
        # "18 <= age < retirement age (60 for M, 55 for F) and no disability of group 1 or 2" [I4]
        a = age[m["id"]]
        if not (WORKING_AGE_FROM <= a < RETIREMENT_AGE[m["sex"]]):
            return False
        record = m.get("disability")
        return not (record is not None and record["group"] in DISABLING_GROUPS and in_force(record, day1))

    def exempt(m: dict[str, Any]) -> bool:
        mid = m["id"]
        # "`military_conscript`; `detained`;"
        if m.get("military_conscript", False) or m.get("detained", False):
            return True
        # "a `student` with `full_time` true;" (schema default for full_time: true)
        student = m.get("student")
        if student is not None and student.get("full_time", True) is True:
            return True
        # "`job_seeker_registered`;"
        if m.get("job_seeker_registered", False):
            return True
        # "the household's `iron_notebook`;"
        if evidence.get("iron_notebook", False):
            return True
        my_children = [c for c in children if mid in parents[c["id"]]]
        # "a single parent (a parent of a child of the household whose other parent is not in the
        #  household)" [I6]
        for c in my_children:
            if len(parents[c["id"]]) == 1:
                return True
        # "a parent of more than 4 children of the household" [I8]
        if len(my_children) > MANY_CHILDREN:
            return True
        # "the mother of a child under 3 of the household (the father when the mother is not in the
        #  household)" [I7]
        for c in my_children:
            if age[c["id"]] < YOUNG_CHILD_AGE:
                female = [p for p in parents[c["id"]] if by_id[p]["sex"] == "F"]
                if m["sex"] == "F" or not female:
                    return True
        return False

    for m in members:
        # "Idle: such a member whose counted income in the income months is zero."
        if working_age_able(m) and own_counted[m["id"]] == 0 and not exempt(m):
            # "Any idle member who is not exempt: reason `idle_working_age_member`."
            means_reasons.add("idle_working_age_member")

    # ---- Means test: assets ----------------------------------------------------------------------
    assets = evidence.get("assets") or {}
    for vehicle in assets.get("vehicles", []):
        # "a passenger vehicle made in year(P) - 10 or later and not `adapted_for_disability`, or any
        #  truck or bus: `asset_vehicle`." [I9]
        if vehicle["type"] == "passenger":
            if vehicle["manufactured_year"] >= day1.year - VEHICLE_AGE_YEARS and not vehicle.get(
                "adapted_for_disability", False
            ):
                means_reasons.add("asset_vehicle")
        elif vehicle["type"] in ALWAYS_DISQUALIFYING_VEHICLES:
            means_reasons.add("asset_vehicle")
    estates = assets.get("real_estate", [])
    # "More than one dwelling, or any non-residential property: `asset_real_estate`."
    dwellings = sum(1 for e in estates if e["kind"] == "dwelling")
    if dwellings > MAX_DWELLINGS or any(e["kind"] == "non_residential" for e in estates):
        means_reasons.add("asset_real_estate")
    # "Securities market value above 6 × MCE(P): `asset_securities`."
    if assets.get("securities_market_value", 0) > SECURITIES_MCE_MULTIPLE * threshold:
        means_reasons.add("asset_securities")

    # "Low-income family: none of the reasons above applies."
    low_income = not means_reasons

    # ---- Programmes ------------------------------------------------------------------------------
    wanted = evidence.get("programmes")
    programmes = [p for p in PROGRAMMES if p in wanted] if wanted else list(PROGRAMMES)  # [I1]
    out: dict[str, Any] = {}
    for programme in programmes:
        # "A programme whose start date is after the first day of P is not eligible, with
        #  `rule_not_in_force` as its only reason."
        if PROGRAMME_START[programme] > day1:
            out[programme] = not_eligible({"rule_not_in_force"})
        elif programme == "child_allowance":
            out[programme] = child_allowance(low_income, means_reasons, children, age)
        elif programme == "material_assistance":
            # "low-income and no child, else the means-test reasons plus `has_child_under_18`.
            #  380,000 a month, 12 months."
            if low_income and not children:
                out[programme] = eligible(MA_MONTHLY, MA_MONTHS, 0)
            else:
                reasons = set(means_reasons)
                if children:
                    reasons.add("has_child_under_18")
                out[programme] = not_eligible(reasons)
        elif programme == "disabled_child_caregiver":
            # "each child with a disability record whose `condition_code` is on the qualifying list
            #  ... and whose `until`, when given, is on or after the first day of P. 500,000 a month
            #  for each such child, 12 months; none: `no_qualifying_disabled_child`."
            qualifying = 0
            for c in children:
                record = c.get("disability")
                if (
                    record is not None
                    and record.get("condition_code") in QUALIFYING_CONDITIONS
                    and in_force(record, day1)
                ):
                    qualifying += 1
            if qualifying:
                out[programme] = eligible(DCC_MONTHLY_PER_CHILD * qualifying, DCC_MONTHS, 0)
            else:
                out[programme] = not_eligible({"no_qualifying_disabled_child"})
        else:
            out[programme] = maternity(members, by_id, parents, period)

    return {"period": period, "per_capita_income": per_capita_income, "threshold": threshold, "programmes": out}


def child_allowance(
    low_income: bool, means_reasons: set[str], children: list[dict[str, Any]], age: dict[str, int]
) -> dict[str, Any]:
    # "low-income and at least one child, else the means-test reasons plus `no_child_under_18` when
    #  there is no child."
    if not (low_income and children):
        reasons = set(means_reasons)
        if not children:
            reasons.add("no_child_under_18")
        return not_eligible(reasons)
    # "Children ordered oldest first (birth date, then id)" [I10]
    order = sorted(children, key=lambda c: (date.fromisoformat(c["birth_date"]), c["id"]))
    total = 0
    for position, child in enumerate(order, start=1):
        if position == 1:
            # "the first 325,000 when under 3, else 250,000"
            total += CA_FIRST_UNDER_3 if age[child["id"]] < YOUNG_CHILD_AGE else CA_FIRST
        elif position == 2:
            # "the second 150,000"
            total += CA_SECOND
        else:
            # "each further 100,000"
            total += CA_FURTHER
    # "Monthly amount = the sum; months = 12; lump_sum = 0."
    return eligible(total, CA_MONTHS, 0)


def maternity(
    members: list[dict[str, Any]], by_id: dict[str, dict[str, Any]], parents: dict[str, list[str]], period: str
) -> dict[str, Any]:
    # "each female member with employment_sector `non_state` who is a parent of a child born on or
    #  after the first day of P-5: lump_sum 1,994,000 each; monthly_amount 0, months 0."
    since = first_day(month_shift(period, -RECENT_BIRTH_MONTHS))
    recent = [cid for cid in parents if date.fromisoformat(by_id[cid]["birth_date"]) >= since]
    mothers = set()  # women of the household with a recent birth [I11]
    for cid in recent:
        for pid in parents[cid]:
            if by_id[pid]["sex"] == "F":
                mothers.add(pid)
    qualifying = [pid for pid in mothers if by_id[pid].get("employment_sector", "none") == "non_state"]
    if qualifying:
        return eligible(0, 0, MATERNITY_LUMP_SUM * len(qualifying))
    # "No child born since P-5 to any woman of the household: `no_recent_birth`; such births only to
    #  women not in the non-state sector: `not_non_state_worker`."
    if not mothers:
        return not_eligible({"no_recent_birth"})
    return not_eligible({"not_non_state_worker"})
