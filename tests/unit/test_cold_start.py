"""Every Lambda imports app.py: the import must not load what only some functions need (bench/cold_start.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The rules (OpenFisca on numpy), SOAP (zeep on lxml), Parquet, boto3, JWT crypto, the holiday calendars
# and phone metadata: each loaded by the first call that needs it.
DEFERRED = ("openfisca_core", "numpy", "numexpr", "zeep", "lxml", "pyarrow", "boto3", "jwt", "cryptography",
            "holidays", "phonenumbers", "chalicelib.services.assessment", "chalicelib.adapters.agencies")


def _loaded(statement: str) -> set[str]:
    probe = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); {probe}"],  # noqa: S603
                         capture_output=True, text=True, check=True, cwd="/").stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_app_loads_none_of_the_heavy_libraries() -> None:
    # When a fresh interpreter imports the Chalice app (every function's cold start)
    loaded = _loaded("import app")
    # Then the routes and functions are registered and nothing heavy is loaded yet
    assert "chalicelib.api.http" in loaded and "chalicelib.tasks.application_workflow" in loaded
    assert not loaded & set(DEFERRED), sorted(loaded & set(DEFERRED))


def test_the_rules_load_when_the_first_assessment_asks_for_them() -> None:
    # The deferral is real: asking bootstrap for the assessment loads OpenFisca, and only then
    loaded = _loaded("import app; from chalicelib import bootstrap; bootstrap.services().assess")
    assert {"openfisca_core", "numpy", "chalicelib.services.assessment"} <= loaded
    assert "zeep" not in loaded
