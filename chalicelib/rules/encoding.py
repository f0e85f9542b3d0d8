"""From inputs to decisions: the columnar ``Batch``, its OpenFisca simulation, and decision arrays.

Both interfaces go through here. ``batch_from_evidence`` encodes validated evidence documents (the
per-household path of ``assess``); ``chalicelib.rules.snapshot`` builds the same ``Batch`` straight
from Parquet columns (mass reassessment). ``simulate`` builds the simulation's populations directly
from the arrays (no SimulationBuilder, no string ids) and ``decide`` reads the decision variables.

Encoding invariants the rules rely on: persons are grouped by household in household order, and
within a household ordered by evidence member id (Python string order); person ids are 0, 1, ... in
that order, so comparing person ids is comparing member ids ("ties broken by id").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy
from openfisca_core.indexed_enums import EnumArray
from openfisca_core.periods import period as make_period
from openfisca_core.simulations import Simulation

from chalicelib.rules import tax_benefit_system
from chalicelib.rules.codes import OTHER_VEHICLE_TYPES, PROGRAMMES, EmploymentSector, Relationship, Sex

NO_END = numpy.datetime64("9999-12-31", "D")
SEX_CODE = {"M": 0, "F": 1}
RELATIONSHIP_CODE = {name: i for i, name in enumerate(m.name for m in Relationship)}
SECTOR_CODE = {name: i for i, name in enumerate(m.name for m in EmploymentSector)}
PERSON_FLAGS = ("full_time_student", "military_conscript", "detained", "job_seeker_registered")
HOUSEHOLD_COUNTS = (
    *tuple(f"{kind}_count" for kind in OTHER_VEHICLE_TYPES),
    "dwelling_count",
    "non_residential_count",
    "land_count",
)
DECISION_FIELDS = ("eligible", "monthly_amount", "months", "lump_sum", "reasons")


@dataclass
class Batch:
    """Inputs of many households as arrays; ``household`` maps each person to its household index."""

    period: str
    household_count: int
    household: numpy.ndarray  # int64, non-decreasing
    position: numpy.ndarray  # int32, 0.. within household (id order)
    person: dict[str, numpy.ndarray]
    household_inputs: dict[str, numpy.ndarray]
    monthly: dict[str, dict[str, numpy.ndarray]] = field(default_factory=dict)  # variable -> month -> array


def positions_of(household: numpy.ndarray, household_count: int) -> numpy.ndarray:
    sizes = numpy.bincount(household, minlength=household_count)
    starts = numpy.zeros(household_count, dtype=numpy.int64)
    numpy.cumsum(sizes[:-1], out=starts[1:])
    return (numpy.arange(household.size) - starts[household]).astype(numpy.int32)


def member_order(members: Sequence[Mapping[str, Any]]) -> list[int]:
    """Evidence indices of the members in encoding order (by id)."""
    return sorted(range(len(members)), key=lambda i: members[i]["id"])


def batch_from_evidence(documents: Sequence[Mapping[str, Any]]) -> Batch:
    """Encode validated evidence documents of one period into a Batch (one household each)."""
    period = documents[0]["period"]
    rows: list[tuple[int, Mapping[str, Any], dict[str, int]]] = []
    for h, evidence in enumerate(documents):
        if evidence["period"] != period:
            raise ValueError("a batch holds one period")
        members = evidence["members"]
        order = member_order(members)
        pos_of_id = {members[i]["id"]: p for p, i in enumerate(order)}
        rows.extend((h, members[i], pos_of_id) for i in order)
    n = len(rows)
    person: dict[str, numpy.ndarray] = {
        "birth_date": numpy.empty(n, dtype="datetime64[D]"),
        "sex": numpy.zeros(n, dtype=numpy.int16),
        "relationship": numpy.zeros(n, dtype=numpy.int16),
        "declared_parent_1": numpy.full(n, -1, dtype=numpy.int32),
        "declared_parent_2": numpy.full(n, -1, dtype=numpy.int32),
        "disability_group": numpy.zeros(n, dtype=numpy.int32),
        "disability_until": numpy.full(n, NO_END, dtype="datetime64[D]"),
        "disability_condition_code": numpy.full(n, "", dtype=object),
        "employment_sector": numpy.zeros(n, dtype=numpy.int16),
    }
    for flag in PERSON_FLAGS:
        person[flag] = numpy.zeros(n, dtype=bool)
    monthly: dict[str, dict[str, numpy.ndarray]] = {"income": {}, "sp_benefit": {}, "alimony_paid": {}}

    def add(variable: str, month: str, index: int, amount: int) -> None:
        column = monthly[variable].setdefault(month, numpy.zeros(n, dtype=numpy.int64))
        column[index] += amount

    household = numpy.empty(n, dtype=numpy.int64)
    for k, (h, m, pos_of_id) in enumerate(rows):
        household[k] = h
        person["birth_date"][k] = numpy.datetime64(m["birth_date"], "D")
        person["sex"][k] = SEX_CODE[m["sex"]]
        person["relationship"][k] = RELATIONSHIP_CODE[m["relationship"]]
        for j, parent in enumerate((m.get("parent_ids") or [])[:2]):
            person[f"declared_parent_{j + 1}"][k] = pos_of_id[parent]
        disability = m.get("disability")
        if disability:
            person["disability_group"][k] = disability["group"]
            if "until" in disability:
                person["disability_until"][k] = numpy.datetime64(disability["until"], "D")
            person["disability_condition_code"][k] = disability.get("condition_code", "")
        student = m.get("student")
        person["full_time_student"][k] = student is not None and bool(student.get("full_time", True))
        for flag in PERSON_FLAGS[1:]:
            person[flag][k] = bool(m.get(flag, False))
        person["employment_sector"][k] = SECTOR_CODE[m.get("employment_sector", "none")]
        for entry in m.get("income") or []:
            variable = "sp_benefit" if entry["source"] == "sp_benefit" else "income"
            add(variable, entry["month"], k, entry["amount"])
        for entry in m.get("alimony_paid") or []:
            add("alimony_paid", entry["month"], k, entry["amount"])
    return Batch(
        period=period,
        household_count=len(documents),
        household=household,
        position=positions_of(household, len(documents)),
        person=person,
        household_inputs=household_inputs_from_evidence(documents),
        monthly=monthly,
    )


def household_inputs_from_evidence(documents: Sequence[Mapping[str, Any]]) -> dict[str, numpy.ndarray]:
    count = len(documents)
    out: dict[str, numpy.ndarray] = {
        "iron_notebook": numpy.zeros(count, dtype=bool),
        "newest_passenger_vehicle_year": numpy.zeros(count, dtype=numpy.int32),
        "newest_adapted_passenger_vehicle_year": numpy.zeros(count, dtype=numpy.int32),
        "securities_market_value": numpy.zeros(count, dtype=numpy.int64),
    }
    for name in HOUSEHOLD_COUNTS:
        out[name] = numpy.zeros(count, dtype=numpy.int32)
    for h, evidence in enumerate(documents):
        out["iron_notebook"][h] = bool(evidence.get("iron_notebook", False))
        assets = evidence.get("assets") or {}
        for vehicle in assets.get("vehicles") or []:
            if vehicle["type"] == "passenger":
                name = (
                    "newest_adapted_passenger_vehicle_year"
                    if vehicle.get("adapted_for_disability", False)
                    else "newest_passenger_vehicle_year"
                )
                out[name][h] = max(int(out[name][h]), vehicle["manufactured_year"])
            else:
                out[f"{vehicle['type']}_count"][h] += 1
        for estate in assets.get("real_estate") or []:
            out[f"{estate['kind']}_count"][h] += 1
        out["securities_market_value"][h] = assets.get("securities_market_value", 0)
    return out


_ENUMS = {"sex": Sex, "relationship": Relationship, "employment_sector": EmploymentSector}


def simulate(batch: Batch, system: Any = None) -> Simulation:
    """An OpenFisca simulation of the batch, populations built directly from the arrays.

    ``system`` defaults to the process-wide rules; a reformed system (an OpenFisca ``Reform``)
    can be passed to compare a reform with the rules in force.
    """
    tbs = system if system is not None else tax_benefit_system()
    populations = tbs.instantiate_entities()
    simulation = Simulation(tbs, populations)
    persons = populations["person"]
    households = populations["household"]
    persons.count = int(batch.household.size)
    persons.ids = numpy.arange(persons.count)
    households.count = batch.household_count
    households.ids = numpy.arange(batch.household_count)
    households.members_entity_id = batch.household
    households.members_position = batch.position
    month = make_period(batch.period)
    eternity = make_period("eternity")
    for name, values in batch.person.items():
        variable = tbs.variables[name]
        when = eternity if variable.definition_period == "eternity" else month
        if name in _ENUMS:
            values = EnumArray(values.astype(numpy.int16), _ENUMS[name])
        simulation.set_input(name, when, values)
    for name, values in batch.household_inputs.items():
        simulation.set_input(name, month, values)
    for name, by_month in batch.monthly.items():
        for at, values in by_month.items():
            simulation.set_input(name, make_period(at), values)
    return simulation


def decide(simulation: Simulation, period: str, programmes: Sequence[str] = PROGRAMMES) -> dict[str, Any]:
    """Decision arrays: per_capita_income, threshold, and per programme its five fields."""
    out: dict[str, Any] = {
        "per_capita_income": simulation.calculate("per_capita_income", period),
        "threshold": simulation.calculate("mce_threshold", period),
    }
    for programme in programmes:
        out[programme] = {
            name: simulation.calculate(f"{programme}_{name}", period) for name in DECISION_FIELDS
        }
    return out


def first_day(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)
