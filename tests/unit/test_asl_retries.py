"""Every Lambda task of every state machine retries transient Lambda errors with backoff and full
jitter, and gives its function time to finish: the state's timeout is longer than the function's
(``.chalice/config.json``), so Lambda's own timeout, not Step Functions', ends a slow invocation."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MACHINES = sorted((ROOT / "statemachines").glob("*.json"))
TRANSIENT = {"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
             "Lambda.TooManyRequestsException"}
# The state may wait this much longer than the function: the invocation's own overhead.
TIMEOUT_MARGIN = range(5, 61)


def function_timeouts() -> dict[str, int]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    default = int(config.get("lambda_timeout", 60))
    return {name: int(fn.get("lambda_timeout", default)) for name, fn in config["lambda_functions"].items()}


def lambda_tasks(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(state name, state, function name) for every Task calling one of the app's functions."""
    for name, state in states.items():
        match = re.fullmatch(r"\$\{(\w+)Arn\}", str(state.get("Resource", "")))
        if state["Type"] == "Task" and match:
            yield name, state, re.sub(r"(?<!^)([A-Z])", r"_\1", match.group(1)).lower()
        if "ItemProcessor" in state:
            yield from lambda_tasks(state["ItemProcessor"]["States"])
        for branch in state.get("Branches", []):
            yield from lambda_tasks(branch["States"])


def all_tasks() -> list[tuple[str, str, dict[str, Any], str]]:
    return [(path.name, name, state, fn) for path in MACHINES
            for name, state, fn in lambda_tasks(json.loads(path.read_text(encoding="utf-8"))["States"])]


def test_the_machines_have_lambda_tasks() -> None:
    # Given the two state machines, when their tasks are listed, then both have Lambda tasks
    assert {machine for machine, *_ in all_tasks()} == {"application.asl.json", "payroll.asl.json"}


@pytest.mark.parametrize(("machine", "name", "state", "function"), all_tasks(),
                         ids=[f"{m}:{n}" for m, n, *_ in all_tasks()])
def test_each_lambda_task_retries_transient_errors_with_full_jitter(
        machine: str, name: str, state: dict[str, Any], function: str) -> None:
    # Given a Lambda task, when its retriers are read, then the first retrier matching each transient
    # Lambda error backs off exponentially with full jitter
    retriers = state.get("Retry", [])
    for error in TRANSIENT:
        first = next((r for r in retriers if error in r["ErrorEquals"] or "States.ALL" in r["ErrorEquals"]), None)
        assert first is not None, f"{machine} {name} does not retry {error}"
        assert first.get("JitterStrategy") == "FULL", f"{machine} {name}: {error} retried without full jitter"
        assert first.get("BackoffRate", 2.0) > 1 and first.get("MaxAttempts", 3) >= 3


# What a task's own AWS calls can raise when the network or a service is slow (botocore's names, as
# Lambda reports an unhandled exception), an audit chain contended by many executions at once, and Step
# Functions' own task timeout: every step is safe to run again, so each is retried rather than sent to
# review.
SDK_TRANSIENT = {"ClientError", "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                 "ConnectionClosedError", "AuditAppendFailed", "States.Timeout"}


@pytest.mark.parametrize(("machine", "name", "state", "function"), all_tasks(),
                         ids=[f"{m}:{n}" for m, n, *_ in all_tasks()])
def test_each_lambda_task_retries_the_sdks_transient_errors_and_its_own_timeout(
        machine: str, name: str, state: dict[str, Any], function: str) -> None:
    # Given a Lambda task, when its retriers are read, then each transient SDK error and the task's
    # timeout is retried with jitter before any catcher sees it
    retried = {e for r in state.get("Retry", []) if r.get("JitterStrategy") == "FULL" and r.get("MaxAttempts", 3) > 0
               for e in r["ErrorEquals"]}
    assert retried >= SDK_TRANSIENT or "States.ALL" in retried, (
        f"{machine} {name} does not retry {sorted(SDK_TRANSIENT - retried)}")


@pytest.mark.parametrize(("machine", "name", "state", "function"), all_tasks(),
                         ids=[f"{m}:{n}" for m, n, *_ in all_tasks()])
def test_each_lambda_task_waits_a_little_longer_than_its_function(
        machine: str, name: str, state: dict[str, Any], function: str) -> None:
    # Given the function's timeout in .chalice/config.json, then the state's timeout is a little longer
    timeouts = function_timeouts()
    assert function in timeouts, f"{function} has no lambda_timeout in .chalice/config.json"
    assert "TimeoutSeconds" in state, f"{machine} {name} has no TimeoutSeconds"
    assert state["TimeoutSeconds"] - timeouts[function] in TIMEOUT_MARGIN, (
        f"{machine} {name}: state timeout {state['TimeoutSeconds']} s, function timeout {timeouts[function]} s")


def test_asl_validator_accepts_every_machine() -> None:
    # Given asl-validator (npm, installed by make install), when it checks every definition, then it passes
    validator = ROOT / "node_modules" / ".bin" / "asl-validator"
    if not validator.exists():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed: asl-validator cannot run")
        pytest.fail("node_modules/.bin/asl-validator is missing: run make install")
    args = [str(validator)] + [arg for path in MACHINES for arg in ("--json-path", str(path))]
    out = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120)  # noqa: S603
    assert out.returncode == 0, out.stdout + out.stderr
