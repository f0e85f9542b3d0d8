"""statemachines/payroll.asl.json: valid ASL by statelint (with the ARNs filled in), and the shape moto
and AWS both run: a Distributed Map listing the manifest's batch objects on S3, no ItemBatcher, no
nested executions."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import app
from devstack import lambda_bridge

ASL = Path(__file__).resolve().parents[2] / "statemachines" / "payroll.asl.json"
EXTRA = {"PayrollBucket": "spsr-payroll-files",
         "PayrollApprovalQueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/spsr-payroll-approvals"}


def test_statelint_accepts_the_filled_definition(tmp_path: Path) -> None:
    statelint = shutil.which("statelint") or str(Path(sys.executable).parent / "statelint")
    if not Path(statelint).exists():
        pytest.skip("statelint is not installed")
    path = tmp_path / "payroll.json"
    path.write_text(lambda_bridge.definition(ASL, app, EXTRA), encoding="utf-8")
    out = subprocess.run([statelint, str(path)], capture_output=True, text=True, check=False)  # noqa: S603
    assert out.returncode == 0, out.stdout


def test_the_definition_uses_only_what_moto_and_aws_both_run() -> None:
    text = ASL.read_text(encoding="utf-8")
    states = json.loads(text)["States"]
    assert "ItemBatcher" not in text and "startExecution" not in text and "JSONata" not in text
    mapped = states["WriteInstructions"]
    assert mapped["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    # the manifest's batch objects, listed: no ReaderConfig (statelint 3.1 knows no InputType, and moto
    # needs one to parse a JSON list it would get with s3:getObject)
    assert mapped["ItemReader"]["Resource"] == "arn:aws:states:::s3:listObjectsV2"
    assert states["AwaitApproval"]["Resource"].endswith("sqs:sendMessage.waitForTaskToken")
    assert states["WaitForBank"]["SecondsPath"] == "$.books.wait_seconds"  # a parameter, not a constant
    # every lambda placeholder names a function of the app
    assert lambda_bridge.definition(ASL, app, EXTRA)
