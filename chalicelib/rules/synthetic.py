"""Synthetic households for tests and the benchmark (no real person's data).

``random_evidence`` draws one evidence document aimed at the rules' edges (ages around 18 and the
retirement ages, twins, declared and fallback parents, expiring disabilities, vehicles around the
10-year line, incomes around the threshold). ``synthetic_snapshot`` writes a Parquet snapshot of
millions of households with numpy only (the benchmark's population).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy

from chalicelib.rules.codes import OTHER_VEHICLE_TYPES, PROGRAMMES
from chalicelib.rules.encoding import HOUSEHOLD_COUNTS, PERSON_FLAGS
from chalicelib.rules.snapshot import MONTH_SUFFIXES, income_months, write_tables

PERIODS = ("2021-09", "2022-03", "2022-04", "2022-08", "2022-09", "2023-06", "2024-01", "2025-03", "2026-01")


def _birth(rng: random.Random, first: date, years: int, jitter_days: int = 40) -> date:
    """A birth date about ``years`` before ``first`` (so the age is just under or at it)."""
    try:
        anchor = first.replace(year=first.year - years)
    except ValueError:
        anchor = first.replace(year=first.year - years, day=28)
    return anchor + timedelta(days=rng.randint(-jitter_days, jitter_days))


def random_evidence(rng: random.Random, period: str | None = None) -> dict[str, Any]:
    period = period or rng.choice(PERIODS)
    first = date(int(period[:4]), int(period[5:7]), 1)
    months = income_months(period)
    size = rng.choice([1, 1, 2, 3, 4, 4, 5, 6, 7, 9])
    ids = rng.sample([f"p{i}" for i in range(60)], size)
    members: list[dict[str, Any]] = []
    twin_birth: date | None = None
    for k, member_id in enumerate(ids):
        kind = rng.random()
        if k == 0:
            relationship = "head"
        elif k == 1 and rng.random() < 0.7:
            relationship = "spouse"
        else:
            relationship = rng.choice(["child", "child", "child", "other"])
        if relationship == "child":
            years = rng.choice([0, 0, 1, 2, 3, 5, 10, 17, 18])
            if twin_birth is not None and rng.random() < 0.3:
                born = twin_birth
            else:
                born = _birth(rng, first, years) if years else first - timedelta(days=rng.randint(0, 200))
                twin_birth = born
        else:
            years = rng.choice([18, 25, 35, 45, 55, 60, 70]) if kind < 0.9 else 17
            born = _birth(rng, first, years)
        born = min(born, first + timedelta(days=20))
        member: dict[str, Any] = {
            "id": member_id,
            "birth_date": born.isoformat(),
            "sex": rng.choice(["M", "F"]),
            "relationship": relationship,
        }
        if rng.random() < 0.5:
            member["income"] = [
                {
                    "month": rng.choice([*months, period]),
                    "source": rng.choice(["salary", "pension", "sp_benefit"]),
                    "amount": rng.choice([0, 100_000, 400_000, 700_000, 2_000_000, 3_000_000_000]),
                }
                for _ in range(rng.randint(1, 4))
            ]
        if rng.random() < 0.1:
            member["alimony_paid"] = [{"month": rng.choice(months), "amount": rng.choice([50_000, 900_000])}]
        for flag in ("military_conscript", "detained", "job_seeker_registered"):
            if rng.random() < 0.05:
                member[flag] = True
        if rng.random() < 0.1:
            member["student"] = {"kind": "university", "full_time": rng.random() < 0.7}
        if rng.random() < 0.3:
            member["employment_sector"] = rng.choice(["state", "non_state", "none"])
        if rng.random() < 0.15:
            disability: dict[str, Any] = {"group": rng.choice([1, 2, 3])}
            if rng.random() < 0.8:
                disability["condition_code"] = rng.choice(["DC01", "DC34", "DC35", "X"])
            if rng.random() < 0.5:
                disability["until"] = (first + timedelta(days=rng.choice([-1, 0, 30]))).isoformat()
            member["disability"] = disability
        members.append(member)
    adults = [m["id"] for m in members if m["relationship"] in ("head", "spouse", "other")]
    for member in members:
        if member["relationship"] == "child" and adults and rng.random() < 0.5:
            member["parent_ids"] = rng.sample(adults, min(len(adults), rng.choice([1, 2])))
    evidence: dict[str, Any] = {"period": period, "members": members}
    if rng.random() < 0.1:
        evidence["iron_notebook"] = True
    if rng.random() < 0.4:
        evidence["assets"] = {
            "vehicles": [
                {
                    "type": rng.choice(["passenger", "passenger", *OTHER_VEHICLE_TYPES]),
                    "manufactured_year": int(period[:4]) - rng.choice([9, 10, 11, 30]),
                    "adapted_for_disability": rng.random() < 0.2,
                }
                for _ in range(rng.randint(0, 2))
            ],
            "real_estate": [
                {"kind": rng.choice(["dwelling", "dwelling", "non_residential", "land"])}
                for _ in range(rng.randint(0, 2))
            ],
            "securities_market_value": rng.choice([0, 1_000_000, 4_014_000, 4_014_001, 10_000_000]),
        }
    if rng.random() < 0.2:
        evidence["programmes"] = rng.sample(list(PROGRAMMES), rng.randint(1, 4))
    return evidence


def synthetic_snapshot(
    directory: str | Path,
    households: int,
    period: str = "2025-03",
    seed: int = 7,
    row_group_size: int = 1_000_000,
) -> int:
    """Write a snapshot of ``households`` synthetic households; returns the number of persons."""
    rng = numpy.random.default_rng(seed)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    size = rng.choice(
        numpy.arange(1, 10), size=households, p=[0.08, 0.12, 0.14, 0.18, 0.18, 0.12, 0.08, 0.06, 0.04]
    ).astype(numpy.int64)
    n = int(size.sum())
    household = numpy.repeat(numpy.arange(households, dtype=numpy.int64), size)
    starts = numpy.zeros(households, dtype=numpy.int64)
    numpy.cumsum(size[:-1], out=starts[1:])
    position = numpy.arange(n) - starts[household]
    first = numpy.datetime64(f"{period}-01", "D")
    relationship = numpy.where(position == 0, 1, numpy.where(position == 1, 2, 3)).astype(numpy.int8)
    relationship[(relationship == 3) & (rng.random(n) < 0.1)] = 0
    adult_age_days = rng.integers(18 * 365, 80 * 365, n)
    child_age_days = rng.integers(0, 18 * 365, n)
    age_days = numpy.where(relationship == 3, child_age_days, adult_age_days)
    birth = first - age_days.astype("timedelta64[D]")
    sex = numpy.where(relationship == 1, 0, numpy.where(relationship == 2, 1, rng.integers(0, 2, n))).astype(
        numpy.int8
    )
    parent_1 = numpy.full(n, -1, numpy.int8)
    declared = (relationship == 3) & (rng.random(n) < 0.3)
    parent_1[declared] = 0
    parent_2 = numpy.full(n, -1, numpy.int8)
    both = declared & (size[household] > 2) & (rng.random(n) < 0.7)
    parent_2[both] = 1
    disabled = rng.random(n) < 0.03
    group = numpy.where(disabled, rng.integers(1, 4, n), 0).astype(numpy.int8)
    until = numpy.where(
        disabled & (rng.random(n) < 0.5),
        first + rng.integers(-200, 400, n).astype("timedelta64[D]"),
        numpy.datetime64("NaT"),
    )
    code_pool = numpy.array([f"DC{i:02d}" for i in range(1, 41)], dtype=object)
    codes = numpy.where(disabled, code_pool[rng.integers(0, 40, n)], numpy.array(None, dtype=object))
    working = (relationship != 3) & (rng.random(n) < 0.6)
    person_columns: dict[str, Any] = {
        "household_id": household,
        "birth_date": birth,
        "sex": sex,
        "relationship": relationship,
        "parent_1": parent_1,
        "parent_2": parent_2,
        "disability_group": group,
        "disability_until": until,
        "disability_condition_code": codes,
        "employment_sector": numpy.where(working, rng.integers(1, 3, n), 0).astype(numpy.int8),
    }
    for flag in PERSON_FLAGS:
        person_columns[flag] = rng.random(n) < 0.03
    for suffix in MONTH_SUFFIXES:
        person_columns[f"income_{suffix}"] = numpy.where(working, rng.integers(200_000, 3_000_000, n), 0)
        person_columns[f"alimony_paid_{suffix}"] = numpy.where(rng.random(n) < 0.01, 300_000, 0)
    year = int(period[:4])
    household_columns: dict[str, Any] = {
        "household_id": numpy.arange(households, dtype=numpy.int64),
        "iron_notebook": rng.random(households) < 0.05,
        "newest_passenger_vehicle_year": numpy.where(
            rng.random(households) < 0.2, rng.integers(year - 30, year + 1, households), 0
        ),
        "newest_adapted_passenger_vehicle_year": numpy.zeros(households, numpy.int16),
        "securities_market_value": numpy.where(rng.random(households) < 0.01, 5_000_000, 0),
    }
    for name in HOUSEHOLD_COUNTS:
        household_columns[name] = (rng.random(households) < 0.03).astype(numpy.int16)
    household_columns["dwelling_count"] = rng.integers(0, 3, households).astype(numpy.int16)
    write_tables(directory, period, person_columns, household_columns, row_group_size=row_group_size)
    return n
