"""Starting Step Functions executions, idempotent by execution name."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError


class StepFunctionsWorkflow:
    configured = True

    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def start(self, name: str, payload: dict[str, object]) -> bool:
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
        except ClientError as err:
            if err.response["Error"]["Code"] == "ExecutionAlreadyExists":
                return False
            raise
        return True


class UnconfiguredWorkflow:
    """Stands in when no state machine ARN is configured (API-only runs and tests): starts nothing."""

    configured = False

    def start(self, name: str, payload: dict[str, object]) -> bool:
        return False
