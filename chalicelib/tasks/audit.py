"""Audit events of the workflow and payroll tasks: actor ``system:<task>``, ids only.

A task's request id is its execution's own key (application and attempt, payroll month and step
argument), not the Lambda request id, so a step that Step Functions retries appends its event once.
An event that cannot be appended fails the task: the retry appends it (the step itself is idempotent).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from chalicelib import bootstrap

Handler = Callable[[dict[str, Any], Any], Any]


def audited_task(name: str, record: Callable[[dict[str, Any]], str],
                 request: Callable[[dict[str, Any]], str]) -> Callable[[Handler], Handler]:
    """After the task succeeds, appends (system:<name>, action <name>, record(event), request(event))."""

    def decorate(fn: Handler) -> Handler:
        @functools.wraps(fn)
        def task(event: dict[str, Any], context: Any) -> Any:
            out = fn(event, context)
            bootstrap.services().audit.record(actor=f"system:{name}", role="system", action=name,
                                              record_id=record(event), request_id=f"{name}:{request(event)}")
            return out

        return task

    return decorate


def application(event: dict[str, Any]) -> str:
    return str(event["application_id"])


def application_attempt(event: dict[str, Any]) -> str:
    return f"{event['application_id']}#{event['attempt']}"


def month(event: dict[str, Any]) -> str:
    return str(event["month"])


def month_and(*keys: str) -> Callable[[dict[str, Any]], str]:
    return lambda event: "#".join([str(event["month"]), *(str(event.get(k, "")) for k in keys)])
