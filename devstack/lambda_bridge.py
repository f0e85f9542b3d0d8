"""Runs the Chalice Lambda functions inside moto, so Step Functions Task states execute the real code.

moto's Docker-free Lambda backend only echoes its input. ``install(app)`` routes its ``invoke`` to
the app's ``@app.lambda_function`` handlers, in process, by function name (``spsr-<stage>-<name>``
or plain ``<name>``). A handler that raises returns a Lambda function error whose ``errorType`` is
the exception's class name, so the ASL can Retry/Catch by name as on AWS.

``deploy_state_machine`` creates a state machine from a file in statemachines/, filling the
``${<Name>Arn}`` placeholders with the ARNs of the app's functions, as the CDK app does on AWS.
"""

from __future__ import annotations

import json
import re
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chalice import Chalice
from moto.awslambda_simple.models import LambdaSimpleBackend

from infra.statemachines import placeholder

ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGE = "local"
ROOT = Path(__file__).resolve().parent.parent

_lock = threading.Lock()
_handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
_original_invoke = LambdaSimpleBackend.invoke


class _Context:
    def __init__(self, name: str) -> None:
        self.function_name = name
        self.aws_request_id = "local"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = function_arn(name)

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 900_000


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:spsr-{STAGE}-{name}"


def _bridged_invoke(self: LambdaSimpleBackend, function_name: str, qualifier: str | None, body: Any,
                    headers: Any, response_headers: Any) -> bytes | str | None:
    name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
    name = name.removeprefix(f"spsr-{STAGE}-")
    handler = _handlers.get(name)
    if handler is None:
        return _original_invoke(self, function_name, qualifier, body, headers, response_headers)
    raw = body.decode() if isinstance(body, bytes) else (body or "{}")
    event = json.loads(raw) if raw else {}
    try:
        result = handler(event, _Context(name))
    except Exception as err:  # a Lambda function error, as AWS reports it
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(err).__name__, "errorMessage": str(err),
                           "stackTrace": traceback.format_exception_only(err)}).encode()
    return json.dumps(result).encode()


def install(app: Chalice) -> None:
    """Routes moto's Lambda invocations to ``app``'s lambda functions (idempotent)."""
    with _lock:
        for fn in app.pure_lambda_functions:
            _handlers[fn.name] = fn
        LambdaSimpleBackend.invoke = _bridged_invoke  # type: ignore[method-assign]


def installed() -> bool:
    """Whether moto's Lambda invocations are routed to an app now (one run may leave another's bridge)."""
    return LambdaSimpleBackend.invoke is _bridged_invoke


def uninstall() -> None:
    with _lock:
        _handlers.clear()
        LambdaSimpleBackend.invoke = _original_invoke  # type: ignore[method-assign]


def definition(path: Path, app: Chalice, extra: dict[str, str] | None = None) -> str:
    """The ASL text of ``path`` with every ``${...Arn}`` placeholder filled in."""
    values = {placeholder(fn.name): function_arn(fn.name) for fn in app.pure_lambda_functions}
    values.update(extra or {})
    text = path.read_text(encoding="utf-8")
    missing = sorted(set(re.findall(r"\$\{(\w+)\}", text)) - set(values))
    if missing:
        raise ValueError(f"{path.name}: no value for {', '.join(missing)}")
    return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text)


def deploy_state_machine(sfn: Any, name: str, path: Path, app: Chalice,
                         extra: dict[str, str] | None = None) -> str:
    """Creates (or updates) the state machine ``name``; returns its ARN."""
    role = f"arn:aws:iam::{ACCOUNT}:role/spsr-{STAGE}-stepfunctions"
    text = definition(path, app, extra)
    for machine in sfn.list_state_machines()["stateMachines"]:
        if machine["name"] == name:
            sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=text)
            return str(machine["stateMachineArn"])
    return str(sfn.create_state_machine(name=name, definition=text, roleArn=role)["stateMachineArn"])
