"""The vectorised snapshot path decides exactly as the per-household path.

Given a few hundred random households (edges of every rule), When they are assessed one simulation
each through ``assess`` and, written as a snapshot, reassessed in chunked vectorised simulations,
Then every programme's decision and the per-capita income are identical.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chalicelib.rules.codes import PROGRAMMES, reasons_from_bits
from chalicelib.rules.snapshot import (
    SnapshotError,
    evidence_from_tables,
    iter_chunks,
    reassess,
    write_snapshot,
)
from chalicelib.rules.synthetic import random_evidence, synthetic_snapshot
from chalicelib.services.assessment import assess


def vector_rows(tmp_path: Path, documents: list[dict[str, Any]], chunk: int) -> list[dict[str, Any]]:
    write_snapshot(documents, tmp_path / "snap")
    reassess(tmp_path / "snap", tmp_path / "out.parquet", chunk_size=chunk)
    return pq.read_table(tmp_path / "out.parquet").to_pylist()


def as_decision(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "per_capita_income": row["per_capita_income"],
        "threshold": row["threshold"],
        "programmes": {
            p: {
                "eligible": row[f"{p}_eligible"],
                "monthly_amount": row[f"{p}_monthly_amount"],
                "months": row[f"{p}_months"],
                "lump_sum": row[f"{p}_lump_sum"],
                "reasons": reasons_from_bits(row[f"{p}_reasons"]),
            }
            for p in PROGRAMMES
        },
    }


@pytest.mark.parametrize("period", ["2022-03", "2025-03"])
def test_vectorised_equals_per_household_on_random_households(tmp_path: Path, period: str) -> None:
    rng = random.Random(period)
    documents = []
    for _ in range(200):
        evidence = random_evidence(rng, period)
        evidence.pop("programmes", None)
        documents.append(evidence)
    rows = vector_rows(tmp_path, documents, chunk=37)
    assert len(rows) == len(documents)
    eligible = 0
    for evidence, row in zip(documents, rows, strict=True):
        single = assess(evidence)["decision"]
        single.pop("period")
        assert as_decision(row) == single
        eligible += any(v["eligible"] for v in single["programmes"].values())
    # The sample exercises both outcomes, so the comparison is not vacuous.
    assert 0 < eligible < len(documents)


def test_snapshot_rows_round_trip_to_evidence(tmp_path: Path) -> None:
    # Given a synthetic snapshot, When its first households are turned into evidence and assessed,
    synthetic_snapshot(tmp_path / "snap", 120, period="2025-03", seed=3)
    reassess(tmp_path / "snap", tmp_path / "out.parquet", chunk_size=50)
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    persons, households = next(iter_chunks(tmp_path / "snap", 120))
    documents = evidence_from_tables("2025-03", persons, households)
    # Then they decide as the vectorised rows.
    for evidence, row in zip(documents, rows, strict=True):
        single = assess(evidence)["decision"]
        single.pop("period")
        assert as_decision(row) == single


def test_households_out_of_step_are_rejected(tmp_path: Path) -> None:
    documents = [random_evidence(random.Random(i), "2025-03") for i in range(3)]
    write_snapshot(documents, tmp_path / "snap")
    households = pq.read_table(tmp_path / "snap" / "households.parquet")
    shifted = households.set_column(0, "household_id", pa.array([0, 1, 5], pa.int64()))
    pq.write_table(shifted, tmp_path / "snap" / "households.parquet")
    with pytest.raises(SnapshotError):
        reassess(tmp_path / "snap", tmp_path / "out.parquet")
