"""The packaged contract is the project's contract: the copy in chalicelib/rules equals its source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "contracts" / "assessment.schema.json"


@pytest.mark.skipif(not SOURCE.is_file(), reason="../shared sits beside a development checkout only")
def test_the_packaged_schema_equals_the_contract() -> None:
    packaged = json.loads((ROOT / "chalicelib" / "rules" / "assessment.schema.json").read_text(encoding="utf-8"))
    assert packaged == json.loads(SOURCE.read_text(encoding="utf-8"))
