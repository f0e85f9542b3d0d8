"""The explanation of a decision: the figures behind every reason, for one household.

Built from the same simulation that produced the decision (never recomputed by hand), plus the
evidence for member ids and asset positions. Members are referred to by their evidence ``id`` only
(no PINFL, no names). Everything is JSON-serialisable with ints, strings, booleans, lists and dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy
from openfisca_core.periods import period as make_period
from openfisca_core.simulations import Simulation

from chalicelib.rules import tax_benefit_system
from chalicelib.rules.codes import reasons_from_bits

MEANS_TEST_PARAMETERS = (
    "means_test.mce",
    "means_test.income_months",
    "demographics.child_age_limit",
    "demographics.working_age_start",
    "demographics.retirement_age.male",
    "demographics.retirement_age.female",
    "idle_test.unable_to_work_disability_groups",
    "idle_test.young_child_age",
    "idle_test.many_children_more_than",
    "asset_filters.vehicle_max_age_years",
    "asset_filters.disqualifying_vehicle_types",
    "asset_filters.max_dwellings",
    "asset_filters.max_non_residential",
    "asset_filters.securities_mce_multiple",
)
PROGRAMME_PARAMETERS: dict[str, tuple[str, ...]] = {
    "child_allowance": (
        *MEANS_TEST_PARAMETERS,
        "child_allowance.amount.first_child_under_young_age",
        "child_allowance.amount.first_child",
        "child_allowance.amount.second_child",
        "child_allowance.amount.further_child",
        "child_allowance.young_child_age",
        "child_allowance.months",
    ),
    "material_assistance": (
        *MEANS_TEST_PARAMETERS,
        "material_assistance.monthly_amount",
        "material_assistance.months",
    ),
    "disabled_child_caregiver": (
        "demographics.child_age_limit",
        "disabled_child_caregiver.qualifying_condition_codes",
        "disabled_child_caregiver.monthly_amount_per_child",
        "disabled_child_caregiver.months",
    ),
    "maternity_non_state": (
        "maternity_non_state.recent_birth_months",
        "maternity_non_state.eligible_sectors",
        "maternity_non_state.lump_sum",
    ),
}
EXEMPTIONS = (
    "military_conscript",
    "detained",
    "full_time_student",
    "job_seeker_registered",
    "iron_notebook",
    "single_parent",
    "parent_of_more_than_4_children",
    "cares_for_child_under_3",
)


def _plain(value: Any) -> Any:
    if isinstance(value, numpy.generic):
        return value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def parameter_in_force(name: str, on: str) -> dict[str, Any]:
    """Value of a parameter on a date, the date that value started, its reference or open question."""
    node: Any = tax_benefit_system().parameters
    for part in name.split("."):
        node = node.children[part]
    entry = next(v for v in node.values_list if v.instant_str <= on)
    meta = {**node.metadata, **(entry.metadata or {})}
    out: dict[str, Any] = {"name": name, "value": _plain(entry.value), "start": entry.instant_str}
    if "reference" in meta:
        out["reference"] = str(meta["reference"])
    out["assumed"] = bool(meta.get("assumed", False))
    if "open_question" in meta:
        out["open_question"] = str(meta["open_question"])
    return out


def programme_start(programme: str) -> str:
    formulas = tax_benefit_system().variables[f"{programme}_reasons"].formulas
    return str(next(iter(formulas.keys())))


def explain(
    simulation: Simulation,
    evidence: Mapping[str, Any],
    order: Sequence[int],
    decision: Mapping[str, Any],
    rules_version: str,
) -> dict[str, Any]:
    """Explanation of household 0 of ``simulation``; ``order[k]`` is the evidence index of person k."""
    period = evidence["period"]
    on = f"{period}-01"
    members = evidence["members"]
    ids = [members[i]["id"] for i in order]

    def person(name: str, at: str = period) -> list[Any]:
        values = simulation.calculate(name, at)
        if hasattr(values, "decode_to_str"):
            return [str(v) for v in values.decode_to_str()]
        return [_plain(v) for v in values]

    def household(name: str) -> Any:
        return _plain(simulation.calculate(name, period)[0])

    months_n = int(tax_benefit_system().parameters(on).means_test.income_months)
    income_months = [str(make_period(period).offset(-k)) for k in range(months_n, 0, -1)]
    income = {m: person("income", m) for m in income_months}
    alimony = {m: person("alimony_paid", m) for m in income_months}
    ages = person("age")
    child = person("is_child")
    idle = person("idle")
    able = person("able_working_age")
    exemption_values = {
        "military_conscript": person("military_conscript"),
        "detained": person("detained"),
        "full_time_student": person("full_time_student"),
        "job_seeker_registered": person("job_seeker_registered"),
        "iron_notebook": [bool(evidence.get("iron_notebook", False))] * len(ids),
        "single_parent": person("is_single_parent"),
        "parent_of_more_than_4_children": [
            c > int(tax_benefit_system().parameters(on).idle_test.many_children_more_than)
            for c in person("children_as_parent")
        ],
        "cares_for_child_under_3": person("cares_for_young_child"),
    }
    member_rows = []
    for k, member_id in enumerate(ids):
        member_rows.append(
            {
                "id": member_id,
                "age": ages[k],
                "child": child[k],
                "income_by_month": {m: income[m][k] for m in income_months},
                "alimony_paid_by_month": {m: alimony[m][k] for m in income_months},
                "able_working_age": able[k],
                "idle": idle[k],
            }
        )
    idle_members = []
    for k, member_id in enumerate(ids):
        if idle[k]:
            checks = {name: bool(values[k]) for name, values in exemption_values.items()}
            idle_members.append(
                {
                    "id": member_id,
                    "age": ages[k],
                    "counted_income": 0,
                    "exemptions": checks,
                    "exempt": any(checks.values()),
                }
            )
    means = {
        "members_counted": household("household_size"),
        "income_months": income_months,
        "income_before_alimony": sum(sum(v) for v in income.values()),
        "alimony_paid": sum(sum(v) for v in alimony.values()),
        "income_3m": household("income_3m"),
        "per_capita_income": household("per_capita_income"),
        "threshold": household("mce_threshold"),
        "income_limit_3m": household("income_limit_3m"),
        "income_above_threshold": bool(household("income_above_threshold")),
        "idle_members": idle_members,
        "idle_working_age_member": bool(household("idle_working_age_member")),
        "assets": _assets(simulation, evidence, period, on),
        "reasons": reasons_from_bits(int(household("means_test_reasons"))),
    }
    programmes: dict[str, Any] = {}
    for programme, outcome in decision["programmes"].items():
        start = programme_start(programme)
        entry: dict[str, Any] = {
            "in_force_from": start,
            "in_force": start <= on,
            "eligible": outcome["eligible"],
            "reasons": outcome["reasons"],
        }
        if start <= on:
            entry.update(_programme_detail(programme, simulation, evidence, ids, person, period))
            entry["parameters"] = [parameter_in_force(name, on) for name in PROGRAMME_PARAMETERS[programme]]
        programmes[programme] = entry
    return {
        "rules_version": rules_version,
        "period": period,
        "assessed_on": on,
        "members": member_rows,
        "means_test": means,
        "programmes": programmes,
    }


def _assets(simulation: Simulation, evidence: Mapping[str, Any], period: str, on: str) -> dict[str, Any]:
    p = tax_benefit_system().parameters(on).asset_filters
    assets = evidence.get("assets") or {}
    cutoff = int(period[:4]) - int(p.vehicle_max_age_years)
    heavy = [str(t) for t in p.disqualifying_vehicle_types]
    tripped = []
    for i, vehicle in enumerate(assets.get("vehicles") or []):
        kind = vehicle["type"]
        recent = (
            kind == "passenger"
            and not vehicle.get("adapted_for_disability", False)
            and vehicle["manufactured_year"] >= cutoff
        )
        if recent or kind in heavy:
            tripped.append(
                {
                    "path": f"evidence.assets.vehicles[{i}]",
                    "type": kind,
                    "manufactured_year": vehicle["manufactured_year"],
                    "why": f"passenger vehicle made in {cutoff} or later"
                    if recent
                    else f"vehicle type {kind}",
                }
            )
    estates = assets.get("real_estate") or []
    dwellings = [i for i, e in enumerate(estates) if e["kind"] == "dwelling"]
    non_residential = [i for i, e in enumerate(estates) if e["kind"] == "non_residential"]
    estate_tripped = []
    if len(dwellings) > int(p.max_dwellings):
        estate_tripped += [
            {"path": f"evidence.assets.real_estate[{i}]", "why": "more dwellings than allowed"}
            for i in dwellings
        ]
    if len(non_residential) > int(p.max_non_residential):
        estate_tripped += [
            {"path": f"evidence.assets.real_estate[{i}]", "why": "non-residential property"}
            for i in non_residential
        ]
    value = _plain(simulation.calculate("securities_market_value", period)[0])
    limit = _plain(simulation.calculate("securities_limit", period)[0])
    return {
        "vehicle": {
            "asset_vehicle": bool(simulation.calculate("asset_vehicle", period)[0]),
            "passenger_cutoff_year": cutoff,
            "disqualifying_types": heavy,
            "tripped_by": tripped,
        },
        "real_estate": {
            "asset_real_estate": bool(simulation.calculate("asset_real_estate", period)[0]),
            "dwellings": len(dwellings),
            "max_dwellings": int(p.max_dwellings),
            "non_residential": len(non_residential),
            "max_non_residential": int(p.max_non_residential),
            "tripped_by": estate_tripped,
        },
        "securities": {
            "asset_securities": bool(simulation.calculate("asset_securities", period)[0]),
            "market_value": value,
            "limit": limit,
        },
    }


def _programme_detail(
    programme: str,
    simulation: Simulation,
    evidence: Mapping[str, Any],
    ids: Sequence[str],
    person: Any,
    period: str,
) -> dict[str, Any]:
    ages = person("age")
    if programme == "child_allowance":
        ranks = person("child_order")
        amounts = person("child_allowance_for_child")
        children = sorted(
            (
                {"id": ids[k], "age": ages[k], "order": ranks[k] + 1, "amount": amounts[k]}
                for k in range(len(ids))
                if ranks[k] >= 0
            ),
            key=lambda c: c["order"],
        )
        return {
            "children": children,
            "children_ordered_by": "birth date, then id (oldest first)",
            "children_total": sum(c["amount"] for c in children),
        }
    if programme == "material_assistance":
        return {"children_under_18": sum(1 for is_child in person("is_child") if is_child)}
    if programme == "disabled_child_caregiver":
        qualifies = person("qualifying_disabled_child")
        in_force = person("disability_in_force")
        codes = person("disability_condition_code")
        groups = person("disability_group")
        child = person("is_child")
        rows = []
        for k in range(len(ids)):
            if groups[k] > 0 and child[k]:
                why = (
                    "qualifies"
                    if qualifies[k]
                    else (
                        "disability record expired before the first day of the period"
                        if not in_force[k]
                        else "condition code not on the qualifying list"
                    )
                )
                rows.append(
                    {
                        "id": ids[k],
                        "age": ages[k],
                        "group": groups[k],
                        "condition_code": codes[k],
                        "qualifies": bool(qualifies[k]),
                        "why": why,
                    }
                )
        return {
            "children_with_disability": rows,
            "qualifying_children": sum(1 for r in rows if r["qualifies"]),
        }
    recent = person("recent_birth")
    mothers = person("mother_of_recent_birth")
    recipients = person("maternity_recipient")
    sectors = person("employment_sector")
    return {
        "recent_births": [ids[k] for k in range(len(ids)) if recent[k]],
        "mothers_of_recent_births": [
            {"id": ids[k], "employment_sector": sectors[k], "receives_lump_sum": bool(recipients[k])}
            for k in range(len(ids))
            if mothers[k]
        ],
    }
