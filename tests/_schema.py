"""The evidence schema the tests check documents against: the copy packaged with the rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_SCHEMA = Path(__file__).resolve().parent.parent / "chalicelib" / "rules" / "assessment.schema.json"


def assessment_schema() -> dict[str, Any]:
    """The packaged copy of the contract (tests/unit/test_contract_copy.py keeps it equal to the source)."""
    schema: dict[str, Any] = json.loads(_SCHEMA.read_text(encoding="utf-8"))
    return schema


def evidence_validator() -> Any:
    """A jsonschema validator for the schema's ``evidence`` object."""
    import jsonschema

    schema = assessment_schema()
    sub = {"$schema": schema["$schema"], "$defs": schema["$defs"], **schema["properties"]["evidence"]}
    return jsonschema.Draft202012Validator(sub, format_checker=jsonschema.FormatChecker())
