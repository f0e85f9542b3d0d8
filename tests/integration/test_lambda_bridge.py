"""The moto Lambda bridge runs real handlers from Step Functions, errors included."""

from __future__ import annotations

import json
import time
from pathlib import Path

import boto3
import pytest
from chalice import Chalice

from devstack import lambda_bridge

ASL = {
    "StartAt": "Double",
    "States": {
        "Double": {"Type": "Task", "Resource": "${DoubleArn}", "Next": "Check",
                   "Catch": [{"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Refused"}]},
        "Check": {"Type": "Succeed"},
        "Refused": {"Type": "Pass", "Result": "refused", "ResultPath": "$.outcome", "End": True},
    },
}


@pytest.fixture
def toy_app(tmp_path: Path):
    app = Chalice(app_name="toy")

    @app.lambda_function(name="double")
    def double(event, context):
        if event["n"] < 0:
            raise ValueError("negative")
        return {"n": event["n"] * 2}

    lambda_bridge.install(app)
    path = tmp_path / "toy.asl.json"
    path.write_text(json.dumps(ASL))
    yield app, path
    lambda_bridge.uninstall()


def _run(sfn, arn: str, name: str, payload: dict) -> dict:
    execution = sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]
    for _ in range(100):
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


@pytest.mark.usefixtures("aws")
def test_task_states_run_the_handler_and_errors_are_caught_by_name(toy_app) -> None:
    app, path = toy_app
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = lambda_bridge.deploy_state_machine(sfn, "toy", path, app)
    ok = _run(sfn, arn, "ok-1", {"n": 21})
    refused = _run(sfn, arn, "neg-1", {"n": -1})
    assert ok["status"] == "SUCCEEDED" and json.loads(ok["output"]) == {"n": 42}
    out = json.loads(refused["output"])
    assert refused["status"] == "SUCCEEDED" and out["outcome"] == "refused"
    assert out["error"]["Error"] == "ValueError"
