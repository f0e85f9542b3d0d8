"""The tasks of the per-application workflow (statemachines/application.asl.json) and its schedules.

Each task takes ``{"application_id", "attempt"}`` (plus what the step needs), calls one step of
``WorkflowService`` and returns a small JSON result the state machine keeps under its own path.
Exceptions keep their class name as the Step Functions error name (``StaleRun``,
``ValidationFailed``...), so the ASL can catch them by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib import bootstrap
from chalicelib.api.http import validation_error
from chalicelib.domain.access import Principal
from chalicelib.domain.applications import Application
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.evidence import MissingSource
from chalicelib.ports import Page
from chalicelib.tasks import audit
from chalicelib.tasks.audit import audited_task

bp = Blueprint(__name__)
logger = Logger(service="spsr-workflow")
metrics = Metrics(namespace="SPSR", service="workflow")

SYSTEM_PRINCIPAL = Principal(subject="workflow", role="auditor", scope="")


class StepInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    application_id: str = Field(min_length=1, max_length=64)
    attempt: int = Field(ge=1)
    evidence_key: str | None = None
    state: dict[str, Any] = Field(default_factory=dict)


def _input(event: dict[str, Any]) -> StepInput:
    try:
        return StepInput.model_validate(event)
    except ValidationError as err:
        raise validation_error(err) from None


@bp.lambda_function(name="begin_application")
@audited_task("begin_application", audit.application, audit.application_attempt)
def begin_application(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = _input(event)
    return bootstrap.services().workflow.begin(step.application_id, step.attempt)


@bp.lambda_function(name="collect_evidence")
@audited_task("collect_evidence", audit.application, audit.application_attempt)
def collect_evidence(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = _input(event)
    return bootstrap.services().workflow.collect(step.application_id, step.attempt).to_dict()


@bp.lambda_function(name="assess_application")
@audited_task("assess_application", audit.application, audit.application_attempt)
def assess_application(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = _input(event)
    if not step.evidence_key:
        raise ValidationFailed("the assessment needs the evidence key", field="evidence_key", code="missing_field")
    return bootstrap.services().workflow.assess(step.application_id, step.attempt, step.evidence_key)


@bp.lambda_function(name="record_decision")
@audited_task("record_decision", audit.application, audit.application_attempt)
def record_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = _input(event)
    return bootstrap.services().workflow.record(step.application_id, step.attempt)


@bp.lambda_function(name="notify_decision")
@audited_task("notify_decision", audit.application, audit.application_attempt)
def notify_decision(event: dict[str, Any], context: Any) -> dict[str, Any]:
    step = _input(event)
    return bootstrap.services().workflow.notify(step.application_id, step.attempt)


@bp.lambda_function(name="mark_needs_review")
@audited_task("mark_needs_review", audit.application, audit.application_attempt)
def mark_needs_review(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reached when sources are missing (``state.collection.missing``) or a step failed (``state.error``)."""
    step = _input(event)
    collection = step.state.get("collection") or {}
    error = step.state.get("error")
    if error:
        logger.warning("step failed", extra={"application_id": step.application_id, "error": error.get("Error")})
    missing = tuple(MissingSource.from_dict(m) for m in collection.get("missing", []))
    return bootstrap.services().workflow.needs_review(step.application_id, step.attempt, missing,
                                                      str(error.get("Error", "unknown")) if error else None)


@bp.schedule("rate(1 minute)", name="start_pending_workflows")
def start_pending_workflows(event: Any) -> dict[str, Any]:
    """Starts the runs still pending a minute after the write that called for them (the outbox's
    safety net: a start that failed at intake, a re-run or an appeal); metric ``PendingStartsFound``."""
    done = bootstrap.services().start_sweep.run()
    metrics.add_metric(name="PendingStartsFound", unit=MetricUnit.Count, value=done.found)
    metrics.flush_metrics()
    logger.info("pending workflow starts", extra={"found": done.found, "started": done.started,
                                                 "superseded": done.superseded})
    return {"found": done.found, "started": done.started, "superseded": done.superseded}


@bp.schedule("cron(0 1 * * ? *)", name="report_overdue")
def report_overdue(event: Any) -> dict[str, Any]:
    """Counts undecided applications past their 3-working-day due date (metric ``OverdueApplications``)."""
    services = bootstrap.services()
    overdue = 0
    for cycle in services.applications.open_cycles():
        overdue += sum(1 for _ in _every(services.applications.overdue, cycle_month=cycle))
    metrics.add_metric(name="OverdueApplications", unit=MetricUnit.Count, value=overdue)
    metrics.flush_metrics()
    logger.info("overdue applications", extra={"overdue": overdue})
    return {"overdue": overdue}


def _every(listing: Callable[..., Page], **query: Any) -> Iterator[Application]:
    """Every item of a paginated, nationwide listing."""
    cursor: str | None = None
    while True:
        current = listing(SYSTEM_PRINCIPAL, limit=100, cursor=cursor, **query)
        yield from current.items
        cursor = current.cursor
        if not cursor:
            return
