"""The command line: ``assess`` over JSON Lines and ``reassess`` over a Parquet snapshot.

Given input lines or a snapshot, When the CLI runs, Then results come out in order, bad lines get
an error line naming the field, the rest go on, and the exit code is 0.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from chalicelib.cli import main
from chalicelib.rules.snapshot import write_snapshot

ROOT = Path(__file__).resolve().parents[3]


def household(member_id: str = "a", income: int = 0) -> dict[str, Any]:
    return {
        "period": "2025-03",
        "members": [
            {
                "id": member_id,
                "birth_date": "1950-01-01",
                "sex": "M",
                "relationship": "head",
                "income": [{"month": "2025-01", "source": "pension", "amount": income}],
            }
        ],
    }


def run(lines: list[bytes]) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = main(["assess"], stdin=io.BytesIO(b"\n".join(lines) + b"\n"), stdout=out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def test_assess_keeps_order_and_reports_bad_lines_then_continues() -> None:
    bad = household()
    bad["members"][0]["birth_date"] = "1950-02-30"
    code, results = run(
        [
            json.dumps(household("first")).encode(),
            b"{not json",
            json.dumps({"evidence": bad}).encode(),
            b"",
            b"\xff\xfe",
            json.dumps({"evidence": household("last", income=9_000_000)}).encode(),
        ]
    )
    assert code == 0
    assert [r["line"] for r in results] == [1, 2, 3, 5, 6]
    assert results[0]["decision"]["programmes"]["material_assistance"]["eligible"] is True
    assert results[1]["error"]["code"] == "invalid_json"
    assert results[2]["error"] == {
        "code": "invalid_evidence",
        "message": results[2]["error"]["message"],
        "field": "evidence.members[0].birth_date",
    }
    assert results[3]["error"]["code"] == "invalid_json"
    assert results[4]["decision"]["programmes"]["material_assistance"]["reasons"] == [
        "income_above_threshold"
    ]
    assert results[4]["rules_version"] == results[0]["rules_version"]


def test_assess_runs_as_a_module() -> None:
    # Given one good and one bad line on stdin, When run as python -m chalicelib.cli assess,
    stdin = json.dumps(household()) + "\n" + json.dumps({"period": "2020-01", "members": []}) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "chalicelib.cli", "assess"],
        input=stdin.encode(),
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    # Then exit 0, two lines, the second an error.
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.decode().splitlines()]
    assert "decision" in lines[0]
    assert lines[1]["error"]["field"] == "evidence.members"


def test_reassess_writes_one_decision_per_household(tmp_path: Path) -> None:
    documents = [household("a"), household("b", income=9_000_000), household("c")]
    write_snapshot(documents, tmp_path / "snap", household_ids=[10, 20, 30])
    out = io.StringIO()
    code = main(
        [
            "reassess",
            "--input",
            str(tmp_path / "snap"),
            "--output",
            str(tmp_path / "d.parquet"),
            "--chunk-size",
            "2",
        ],
        stdout=out,
    )
    assert code == 0
    summary = json.loads(out.getvalue())
    assert (summary["households"], summary["persons"]) == (3, 3)
    table = pq.read_table(tmp_path / "d.parquet")
    assert table.column("household_id").to_pylist() == [10, 20, 30]
    assert table.column("material_assistance_eligible").to_pylist() == [True, False, True]
    assert table.column("material_assistance_reasons").to_pylist() == [0, 1, 0]
    assert table.schema.metadata[b"spsr.period"] == b"2025-03"


def test_reassess_rejects_bad_period_and_missing_snapshot(tmp_path: Path) -> None:
    write_snapshot([household()], tmp_path / "snap")
    out = io.StringIO()
    assert (
        main(
            [
                "reassess",
                "--input",
                str(tmp_path / "snap"),
                "--output",
                str(tmp_path / "o.parquet"),
                "--period",
                "2025-3",
            ],
            stdout=out,
        )
        == 2
    )
    assert (
        main(
            [
                "reassess",
                "--input",
                str(tmp_path / "snap"),
                "--output",
                str(tmp_path / "o.parquet"),
                "--period",
                "2021-08",
            ],
            stdout=out,
        )
        == 2
    )
    assert (
        main(
            ["reassess", "--input", str(tmp_path / "none"), "--output", str(tmp_path / "o.parquet")],
            stdout=out,
        )
        == 2
    )


def test_reassess_reports_unwritable_output_and_empty_snapshots(tmp_path: Path) -> None:
    # Given a valid snapshot and an output in a missing directory, Then exit 2 without a traceback.
    write_snapshot([household()], tmp_path / "snap")
    out = io.StringIO()
    missing = tmp_path / "no" / "such" / "dir" / "o.parquet"
    assert main(["reassess", "--input", str(tmp_path / "snap"), "--output", str(missing)], stdout=out) == 2
    # Given a snapshot with no households, Then an empty decisions file with the full schema.
    snap = pq.read_table(tmp_path / "snap" / "persons.parquet").slice(0, 0)
    pq.write_table(snap, tmp_path / "snap" / "persons.parquet")
    households = pq.read_table(tmp_path / "snap" / "households.parquet")
    pq.write_table(households.slice(0, 0), tmp_path / "snap" / "households.parquet")
    code = main(
        [
            "reassess",
            "--input",
            str(tmp_path / "snap"),
            "--output",
            str(tmp_path / "e.parquet"),
            "--period",
            "2025-03",
        ],
        stdout=out,
    )
    assert code == 0
    table = pq.read_table(tmp_path / "e.parquet")
    assert table.num_rows == 0
    assert "maternity_non_state_reasons" in table.column_names
