"""The payroll benchmark runs (at a small size) so it never rots: its SQLite stand-in for the payroll
table keeps the repository contract, the flow reaches the files and every line is in one of them."""

from __future__ import annotations

from pathlib import Path

from bench import payroll_bench


def test_the_payroll_bench_runs_the_whole_flow_at_a_small_size(tmp_path: Path) -> None:
    # Given 3,000 synthetic beneficiaries, one in 10,000 reported dead
    # When the bench runs the flow from the freeze to the payment files
    result = payroll_bench.run(3000, tmp_path, max_tx=400, batch_size=100)
    # Then every line has its instruction and is in exactly one validated file
    assert result["lines"] == 3000 - result["suspended"] and result["suspended"] == 1
    assert result["instructions"] == result["lines"]
    assert result["files_checked"] and result["files_validated"] == result["files"] > 0
    assert set(result["cpu_s"]) >= {"freeze (manifest)", "instructions (Map)", "pre-payrolls", "pain.001 + manifest"}
