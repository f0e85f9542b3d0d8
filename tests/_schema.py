"""Where the tests find assessment.schema.json: the repository's copy first, then the shared contracts."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_CANDIDATES = (
    os.environ.get("SPSR_ASSESSMENT_SCHEMA", ""),
    str(_ROOT / "contracts" / "assessment.schema.json"),
    str(_ROOT / "chalicelib" / "rules" / "assessment.schema.json"),
    "/work/shared/contracts/assessment.schema.json",
)


def assessment_schema() -> dict[str, Any] | None:
    for c in _CANDIDATES:
        if c and Path(c).is_file():
            return json.loads(Path(c).read_text(encoding="utf-8"))
    return None


def evidence_validator() -> Any:
    """A jsonschema validator for the schema's ``evidence`` object, or None when no schema is found."""
    import jsonschema

    schema = assessment_schema()
    if schema is None:
        return None
    sub = {"$schema": schema["$schema"], "$defs": schema["$defs"], **schema["properties"]["evidence"]}
    return jsonschema.Draft202012Validator(sub, format_checker=jsonschema.FormatChecker())
