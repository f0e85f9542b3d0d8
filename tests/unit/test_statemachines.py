"""Every state machine in statemachines/ passes statelint once its ARNs are filled in, and names real tasks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import app
from devstack import lambda_bridge

MACHINES = sorted((lambda_bridge.ROOT / "statemachines").glob("*.asl.json"))
STATELINT = Path(sys.executable).parent / "statelint"


def test_there_are_state_machines() -> None:
    assert any(p.name == "application.asl.json" for p in MACHINES)


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.name)
def test_statelint_accepts_the_definition(path: Path, tmp_path: Path) -> None:
    filled = tmp_path / path.name
    filled.write_text(lambda_bridge.definition(path, app, extra=_service_placeholders(path)), encoding="utf-8")
    result = subprocess.run([str(STATELINT), str(filled)], capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.name)
def test_every_placeholder_names_a_function_of_the_app(path: Path) -> None:
    names = {lambda_bridge.placeholder(fn.name) for fn in app.pure_lambda_functions}
    used = set(re.findall(r"\$\{(\w+Arn)\}", path.read_text(encoding="utf-8")))
    assert used - set(_service_placeholders(path)) <= names


def test_the_application_happy_path_stays_within_twelve_transitions() -> None:
    """Step Functions bills transitions: count the states from StartAt to the end on success."""
    spec = json.loads((lambda_bridge.ROOT / "statemachines" / "application.asl.json").read_text())
    states, name, seen = spec["States"], spec["StartAt"], []
    while name:
        seen.append(name)
        state = states[name]
        # the first choice of a Choice state is the complete-evidence path
        name = state["Choices"][0]["Next"] if state["Type"] == "Choice" else state.get("Next")
    assert seen[-1] == "Notify" and len(seen) <= 12


def _service_placeholders(path: Path) -> dict[str, str]:
    """Placeholders that are not Lambda functions (queues, buckets...), filled with plausible ARNs."""
    text = path.read_text(encoding="utf-8")
    out = {}
    for name in set(re.findall(r"\$\{(\w+)\}", text)):
        if not name.endswith("Arn") or name.startswith(("Queue", "Bucket", "Table", "Topic")):
            out[name] = f"arn:aws:s3:::spsr-{name.lower()}"
    return out
