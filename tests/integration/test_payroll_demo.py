"""The demo's payroll month on a real moto server (loopback): files written, books settled."""

from __future__ import annotations

import json
from pathlib import Path

from devstack.payroll_demo import run_month
from devstack.stack import EmbeddedStack, free_port


def test_a_demo_month_writes_every_file_and_the_books_settle(tmp_path: Path) -> None:
    # Given the embedded moto server with the registry's resources and 30 synthetic beneficiaries in one district
    stack = EmbeddedStack(moto_port=free_port(), households=0)
    stack.start_aws()
    try:
        stack.create_resources()
        # When the demo pays December
        result = run_month(stack, "2026-12", tmp_path, synthetic_beneficiaries=30, synthetic_districts=1,
                           max_transactions=12,
                           reject_rate=0.1, return_rate=0.1)
    finally:
        stack.stop()
    # Then every payment ended paid, rejected or returned, and the books balance in som
    t = result["totals"]
    assert result["settled"] and t["balanced"] and t["sent_count"] == 30
    assert t["sent_amount"] == t["paid_amount"] + t["rejected_amount"] + t["returned_amount"]
    assert set(result["callbacks"]) == {202}  # checked, queued, then applied by the queue's consumer
    # and the month's files are on disk: manifest, pre-payrolls, pain.001 (split), pain.002, camt.054, books
    month = tmp_path / "payroll" / "2026-12"
    assert (month / "manifest" / "manifest.json").exists() and (month / "prepayroll" / "summary.csv").exists()
    pain001 = sorted((month / "pain001").glob("*.xml"))
    assert len(pain001) == 3 and len(list((month / "pain002").glob("*.xml"))) == 3
    assert list((month / "camt054").glob("*.xml"))
    manifest = json.loads((month / "pain001" / "manifest.json").read_text())
    assert [f["count"] for f in manifest["files"]] == [12, 12, 6]
    assert json.loads((month / "reconciliation.json").read_text())["totals"]["balanced"]
