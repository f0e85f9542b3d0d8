"""Mass reassessment from a columnar snapshot (Parquet), in vectorised OpenFisca simulations.

Snapshot layout: a directory holding two files (``--input`` may name the directory or either file).

``persons.parquet``, one row per member, grouped by ``household_id`` (ascending) and, inside a
household, ordered by evidence member id (that order is the tie-break of the child ordering):

    household_id int64 | member_id string (optional, not read by the rules)
    birth_date date32 | sex int8 (0 M, 1 F) | relationship int8 (0 other, 1 head, 2 spouse, 3 child)
    parent_1, parent_2 int8: position inside the household of the parents named by the civil
        registry (-1: none; when both are -1 the head and the spouse are the parents)
    disability_group int8 (0: no record) | disability_until date32 (null: open-ended)
    disability_condition_code string (null: none)
    full_time_student, military_conscript, detained, job_seeker_registered bool
    employment_sector int8 (0 none, 1 state, 2 non_state)
    income_m3, income_m2, income_m1 int64: counted income (every source except sp_benefit) of
        months P-3, P-2, P-1, whole som
    alimony_paid_m3, alimony_paid_m2, alimony_paid_m1 int64: alimony paid in those months

``households.parquet``, one row per household, the same households in the same order:

    household_id int64 | iron_notebook bool
    newest_passenger_vehicle_year, newest_adapted_passenger_vehicle_year int16 (0: none)
    truck_count, bus_count, motorcycle_count, tractor_count, trailer_count int16
    dwelling_count, non_residential_count, land_count int16 | securities_market_value int64
    schema metadata ``spsr.period`` = "YYYY-MM" (used when ``--period`` is not given)

Output ``decisions.parquet``, one row per household in input order: ``household_id``,
``per_capita_income``, ``threshold``, and per programme ``<p>_eligible`` bool, ``<p>_monthly_amount``
int64, ``<p>_months`` int16, ``<p>_lump_sum`` int64, ``<p>_reasons`` int32 bitmask where bit i is the
i-th reason of the schema's enum (``chalicelib.rules.codes.REASONS``); schema metadata holds
``spsr.rules_version``, ``spsr.period`` and ``spsr.reasons`` (the bit order).

Households are read in chunks of ``chunk_size`` (record batches streamed from both files), so memory
is bounded by the chunk, not the snapshot.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from openfisca_core.periods import period as make_period

from chalicelib.rules import RULES_VERSION
from chalicelib.rules.codes import PROGRAMMES, REASONS, EmploymentSector, Relationship
from chalicelib.rules.encoding import (
    DECISION_FIELDS,
    HOUSEHOLD_COUNTS,
    NO_END,
    PERSON_FLAGS,
    Batch,
    batch_from_evidence,
    decide,
    positions_of,
    simulate,
)

MONTH_SUFFIXES = ("m3", "m2", "m1")
PERSON_COLUMNS = (
    "household_id",
    "birth_date",
    "sex",
    "relationship",
    "parent_1",
    "parent_2",
    "disability_group",
    "disability_until",
    "disability_condition_code",
    *PERSON_FLAGS,
    "employment_sector",
    *(f"income_{s}" for s in MONTH_SUFFIXES),
    *(f"alimony_paid_{s}" for s in MONTH_SUFFIXES),
)
HOUSEHOLD_COLUMNS = (
    "household_id",
    "iron_notebook",
    "newest_passenger_vehicle_year",
    "newest_adapted_passenger_vehicle_year",
    *HOUSEHOLD_COUNTS,
    "securities_market_value",
)
PERSON_TYPES: dict[str, pa.DataType] = {
    "household_id": pa.int64(),
    "member_id": pa.string(),
    "birth_date": pa.date32(),
    "sex": pa.int8(),
    "relationship": pa.int8(),
    "parent_1": pa.int8(),
    "parent_2": pa.int8(),
    "disability_group": pa.int8(),
    "disability_until": pa.date32(),
    "disability_condition_code": pa.string(),
    **{flag: pa.bool_() for flag in PERSON_FLAGS},
    "employment_sector": pa.int8(),
    **{f"{v}_{s}": pa.int64() for v in ("income", "alimony_paid") for s in MONTH_SUFFIXES},
}
HOUSEHOLD_TYPES: dict[str, pa.DataType] = {
    "household_id": pa.int64(),
    "iron_notebook": pa.bool_(),
    "newest_passenger_vehicle_year": pa.int16(),
    "newest_adapted_passenger_vehicle_year": pa.int16(),
    **{c: pa.int16() for c in HOUSEHOLD_COUNTS},
    "securities_market_value": pa.int64(),
}


class SnapshotError(ValueError):
    """The snapshot does not follow the layout (message names the file and column, never data)."""


def snapshot_paths(path: str | Path) -> tuple[Path, Path]:
    base = Path(path)
    if base.is_file():
        base = base.parent
    persons, households = base / "persons.parquet", base / "households.parquet"
    for file in (persons, households):
        if not file.is_file():
            raise SnapshotError(f"{file} is missing")
    return persons, households


def income_months(period: str) -> list[str]:
    """The months of columns m3, m2, m1 for application month ``period``."""
    return [str(make_period(period).offset(-k)) for k in (3, 2, 1)]


def snapshot_period(path: str | Path) -> str | None:
    _, households = snapshot_paths(path)
    meta = pq.read_schema(households).metadata or {}
    value = meta.get(b"spsr.period")
    return value.decode() if value else None


def _column(table: pa.Table, name: str) -> numpy.ndarray:
    return numpy.asarray(table.column(name).to_numpy())


def batch_from_tables(period: str, persons: pa.Table, households: pa.Table) -> Batch:
    """A Batch from one chunk of the two tables (complete households, same order)."""
    hid = _column(persons, "household_id")
    household_ids = _column(households, "household_id")
    change = numpy.empty(hid.size, dtype=bool)
    if hid.size:
        change[0] = False
        numpy.not_equal(hid[1:], hid[:-1], out=change[1:])
    household = numpy.cumsum(change, dtype=numpy.int64)
    starts = numpy.flatnonzero(numpy.concatenate(([True], change[1:]))) if hid.size else numpy.array([], int)
    if starts.size != household_ids.size or not numpy.array_equal(hid[starts], household_ids):
        raise SnapshotError("persons.parquet and households.parquet do not list the same households in order")
    until = pc.fill_null(persons.column("disability_until"), pa.scalar(NO_END.astype(object), pa.date32()))
    codes = pc.fill_null(persons.column("disability_condition_code"), "").combine_chunks().dictionary_encode()
    person: dict[str, numpy.ndarray] = {
        "birth_date": _column(persons, "birth_date").astype("datetime64[D]"),
        "sex": _column(persons, "sex").astype(numpy.int16),
        "relationship": _column(persons, "relationship").astype(numpy.int16),
        "declared_parent_1": _column(persons, "parent_1").astype(numpy.int32),
        "declared_parent_2": _column(persons, "parent_2").astype(numpy.int32),
        "disability_group": _column(persons, "disability_group").astype(numpy.int32),
        "disability_until": numpy.asarray(until.to_numpy()).astype("datetime64[D]"),
        "disability_condition_code": numpy.asarray(
            codes.dictionary.to_numpy(zero_copy_only=False), dtype=object
        )[numpy.asarray(codes.indices.to_numpy())],
        "employment_sector": _column(persons, "employment_sector").astype(numpy.int16),
    }
    for flag in PERSON_FLAGS:
        person[flag] = _column(persons, flag).astype(bool)
    months = income_months(period)
    monthly = {
        variable: {
            month: _column(persons, f"{variable}_{suffix}").astype(numpy.int64)
            for month, suffix in zip(months, MONTH_SUFFIXES, strict=True)
        }
        for variable in ("income", "alimony_paid")
    }
    household_inputs = {
        name: _column(households, name).astype(
            numpy.int64 if name == "securities_market_value" else numpy.int32
        )
        for name in HOUSEHOLD_COLUMNS[2:]
    }
    household_inputs["iron_notebook"] = _column(households, "iron_notebook").astype(bool)
    return Batch(
        period=period,
        household_count=int(household_ids.size),
        household=household,
        position=positions_of(household, int(household_ids.size)),
        person=person,
        household_inputs=household_inputs,
        monthly=monthly,
    )


def iter_chunks(path: str | Path, chunk_size: int) -> Iterator[tuple[pa.Table, pa.Table]]:
    """(persons, households) tables of up to ``chunk_size`` complete households, streamed."""
    persons_path, households_path = snapshot_paths(path)
    persons_file = pq.ParquetFile(persons_path)
    households_file = pq.ParquetFile(households_path)
    missing = [c for c in PERSON_COLUMNS if c not in persons_file.schema_arrow.names]
    missing += [c for c in HOUSEHOLD_COLUMNS if c not in households_file.schema_arrow.names]
    if missing:
        raise SnapshotError(f"snapshot lacks columns {sorted(missing)}")
    person_batches = persons_file.iter_batches(batch_size=max(chunk_size, 1024), columns=list(PERSON_COLUMNS))
    buffered: list[pa.RecordBatch] = []
    buffered_rows = 0
    exhausted = False
    for hh_batch in households_file.iter_batches(batch_size=chunk_size, columns=list(HOUSEHOLD_COLUMNS)):
        households = pa.Table.from_batches([hh_batch])
        last_id = hh_batch.column(0)[-1].as_py()
        # Read persons until the buffer holds a household after last_id (or the file ends).
        while not exhausted and (not buffered or buffered[-1].column(0)[-1].as_py() <= last_id):
            try:
                batch = next(person_batches)
            except StopIteration:
                exhausted = True
                break
            buffered.append(batch)
            buffered_rows += batch.num_rows
        table = pa.Table.from_batches(buffered, schema=buffered[0].schema) if buffered else None
        if table is None:
            raise SnapshotError("persons.parquet ends before households.parquet")
        ids = numpy.asarray(table.column("household_id").to_numpy())
        cut = int(numpy.searchsorted(ids, last_id, side="right"))
        yield table.slice(0, cut), households
        rest = table.slice(cut)
        buffered = rest.combine_chunks().to_batches() if rest.num_rows else []
        buffered_rows = rest.num_rows
    if buffered_rows or (not exhausted and next(person_batches, None) is not None):
        raise SnapshotError("persons.parquet lists households missing from households.parquet")


def decisions_table(household_ids: numpy.ndarray, arrays: Mapping[str, Any]) -> pa.Table:
    columns: dict[str, Any] = {
        "household_id": pa.array(household_ids, pa.int64()),
        "per_capita_income": pa.array(arrays["per_capita_income"], pa.int64()),
        "threshold": pa.array(arrays["threshold"], pa.int64()),
    }
    for programme in PROGRAMMES:
        fields = arrays[programme]
        columns[f"{programme}_eligible"] = pa.array(fields["eligible"], pa.bool_())
        columns[f"{programme}_monthly_amount"] = pa.array(fields["monthly_amount"], pa.int64())
        columns[f"{programme}_months"] = pa.array(numpy.asarray(fields["months"], numpy.int16), pa.int16())
        columns[f"{programme}_lump_sum"] = pa.array(fields["lump_sum"], pa.int64())
        columns[f"{programme}_reasons"] = pa.array(numpy.asarray(fields["reasons"], numpy.int32), pa.int32())
    return pa.table(columns)


def reassess(
    input_path: str | Path, output_path: str | Path, period: str | None = None, chunk_size: int = 100_000
) -> dict[str, int]:
    """Decide every household of the snapshot for ``period``; write decisions.parquet. Returns counts."""
    period = period or snapshot_period(input_path)
    if not period:
        raise SnapshotError("no period: give --period or set spsr.period in households.parquet")
    metadata = {
        b"spsr.rules_version": RULES_VERSION.encode(),
        b"spsr.period": period.encode(),
        b"spsr.reasons": json.dumps(list(REASONS)).encode(),
    }
    writer: pq.ParquetWriter | None = None
    households = persons = 0
    try:
        for person_table, household_table in iter_chunks(input_path, chunk_size):
            batch = batch_from_tables(period, person_table, household_table)
            simulation = simulate(batch)
            arrays = decide(simulation, period)
            table = decisions_table(_column(household_table, "household_id"), arrays)
            if writer is None:
                writer = pq.ParquetWriter(str(output_path), table.schema.with_metadata(metadata))
            writer.write_table(table.replace_schema_metadata(metadata))
            households += household_table.num_rows
            persons += person_table.num_rows
            # Simulations and populations reference each other; collect the cycle now so a
            # chunk's arrays are freed before the next chunk is built (bounded memory).
            del simulation, arrays, batch, table
            gc.collect()
        if writer is None:
            # An empty snapshot still yields a decisions file with the full schema.
            empty = numpy.zeros(0, dtype=numpy.int64)
            arrays = {"per_capita_income": empty, "threshold": empty}
            arrays.update({p: dict.fromkeys(DECISION_FIELDS, empty) for p in PROGRAMMES})
            table = decisions_table(empty, arrays)
            pq.write_table(table.replace_schema_metadata(metadata), str(output_path))
    finally:
        if writer is not None:
            writer.close()
    return {"households": households, "persons": persons}


# --- conversions between evidence documents and the snapshot ----------------------------------


def write_snapshot(
    documents: Sequence[Mapping[str, Any]], directory: str | Path, household_ids: Sequence[int] | None = None
) -> None:
    """Write validated evidence documents of one period as a snapshot (sp_benefit is not kept)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    batch = batch_from_evidence(documents)
    period = batch.period
    ids = numpy.asarray(household_ids if household_ids is not None else range(len(documents)), numpy.int64)
    member_ids = [m["id"] for d in documents for m in sorted(d["members"], key=lambda m: m["id"])]
    p = batch.person
    until = numpy.where(p["disability_until"] == NO_END, numpy.datetime64("NaT"), p["disability_until"])
    codes = [c if c else None for c in p["disability_condition_code"]]
    person_columns: dict[str, Any] = {
        "household_id": ids[batch.household],
        "member_id": member_ids,
        "birth_date": p["birth_date"],
        "sex": p["sex"],
        "relationship": p["relationship"],
        "parent_1": p["declared_parent_1"],
        "parent_2": p["declared_parent_2"],
        "disability_group": p["disability_group"],
        "disability_until": until,
        "disability_condition_code": codes,
        **{flag: p[flag] for flag in PERSON_FLAGS},
        "employment_sector": p["employment_sector"],
    }
    zeros = numpy.zeros(batch.household.size, numpy.int64)
    for variable in ("income", "alimony_paid"):
        for month, suffix in zip(income_months(period), MONTH_SUFFIXES, strict=True):
            person_columns[f"{variable}_{suffix}"] = batch.monthly[variable].get(month, zeros)
    write_tables(directory, period, person_columns, {"household_id": ids, **batch.household_inputs})


def write_tables(
    directory: Path,
    period: str,
    person_columns: Mapping[str, Any],
    household_columns: Mapping[str, Any],
    row_group_size: int = 1_000_000,
) -> None:
    persons = pa.table(
        {
            name: pa.array(person_columns[name], PERSON_TYPES[name])
            for name in PERSON_TYPES
            if name in person_columns
        }
    )
    households = pa.table(
        {name: pa.array(household_columns[name], HOUSEHOLD_TYPES[name]) for name in HOUSEHOLD_TYPES}
    )
    households = households.replace_schema_metadata({b"spsr.period": period.encode()})
    pq.write_table(persons, directory / "persons.parquet", row_group_size=row_group_size)
    pq.write_table(households, directory / "households.parquet", row_group_size=row_group_size)


SEX_NAMES = ("M", "F")
RELATIONSHIP_NAMES = tuple(m.name for m in Relationship)
SECTOR_NAMES = tuple(m.name for m in EmploymentSector)


def evidence_from_tables(period: str, persons: pa.Table, households: pa.Table) -> list[dict[str, Any]]:
    """Evidence documents for snapshot rows (the per-household path of the benchmark and tests)."""
    months = income_months(period)
    prow = persons.to_pylist()
    docs: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    for h in households.to_pylist():
        assets: dict[str, Any] = {
            "vehicles": [],
            "real_estate": [],
            "securities_market_value": h["securities_market_value"],
        }
        for name, adapted in (
            ("newest_passenger_vehicle_year", False),
            ("newest_adapted_passenger_vehicle_year", True),
        ):
            if h[name]:
                assets["vehicles"].append(
                    {"type": "passenger", "manufactured_year": h[name], "adapted_for_disability": adapted}
                )
        for name in HOUSEHOLD_COUNTS:
            kind = name[: -len("_count")]
            target = "real_estate" if kind in ("dwelling", "non_residential", "land") else "vehicles"
            for _ in range(h[name]):
                assets[target].append(
                    {"kind": kind} if target == "real_estate" else {"type": kind, "manufactured_year": 2000}
                )
        docs[h["household_id"]] = {
            "period": period,
            "iron_notebook": h["iron_notebook"],
            "members": [],
            "assets": assets,
        }
        order.append(h["household_id"])
    for row in prow:
        doc = docs[row["household_id"]]
        k = len(doc["members"])
        member: dict[str, Any] = {
            "id": f"m{k:02d}",
            "birth_date": row["birth_date"].isoformat(),
            "sex": SEX_NAMES[row["sex"]],
            "relationship": RELATIONSHIP_NAMES[row["relationship"]],
            "employment_sector": SECTOR_NAMES[row["employment_sector"]],
            "military_conscript": row["military_conscript"],
            "detained": row["detained"],
            "job_seeker_registered": row["job_seeker_registered"],
            "income": [
                {"month": m, "source": "salary", "amount": row[f"income_{s}"]}
                for m, s in zip(months, MONTH_SUFFIXES, strict=True)
                if row[f"income_{s}"]
            ],
            "alimony_paid": [
                {"month": m, "amount": row[f"alimony_paid_{s}"]}
                for m, s in zip(months, MONTH_SUFFIXES, strict=True)
                if row[f"alimony_paid_{s}"]
            ],
        }
        parents = [f"m{row[c]:02d}" for c in ("parent_1", "parent_2") if row[c] >= 0]
        if parents:
            member["parent_ids"] = parents
        if row["full_time_student"]:
            member["student"] = {"kind": "university", "full_time": True}
        if row["disability_group"]:
            disability: dict[str, Any] = {"group": row["disability_group"]}
            if row["disability_until"] is not None:
                disability["until"] = row["disability_until"].isoformat()
            if row["disability_condition_code"]:
                disability["condition_code"] = row["disability_condition_code"]
            member["disability"] = disability
        doc["members"].append(member)
    return [docs[h] for h in order]
