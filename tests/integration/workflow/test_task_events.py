"""The sample task and schedule events in events/ replay through the functions the Lambda handler strings name."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.access import Principal
from chalicelib.ports import AuditQuery
from devstack.agencies.run import RunningAgencies, start_all
from devstack.applications import applicants, application_payload
from devstack.population import household
from devstack.seed import to_household
from devstack.token import issue
from tests.integration.workflow.test_application_workflow import PERIOD, _registered

EVENTS = Path(__file__).resolve().parents[3] / "events"
HANDLERS = {fn.name: fn for fn in app.pure_lambda_functions}
SCHEDULES = {e.name: e.handler_string for e in app.event_sources}


class Context:
    aws_request_id = "replay"
    function_name = "replay"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


AUDITOR = Principal("auditor-1", "auditor", "")


@pytest.fixture(scope="module")
def agencies() -> Iterator[RunningAgencies]:
    running = start_all(20, seed=2026, reference_month=PERIOD)
    yield running
    running.stop()


@pytest.fixture
def registry(aws: Settings, agencies: RunningAgencies, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("SPSR_AGENCY_URLS", json.dumps(agencies.urls))
    settings = Settings.from_env()
    repo = DynamoHouseholdRepository(boto3.client("dynamodb", region_name=aws.region), settings.registry_table,
                                     bootstrap.field_cipher(settings))
    families = [to_household(household(i, reference_month=PERIOD), "2026-11-01T00:00:00+00:00") for i in range(20)]
    repo.put_seed(families, [_registered(h) for h in families])
    bootstrap.reset()
    return settings


def _load(path: Path, ids: dict[str, str]) -> tuple[str, dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    for name, value in ids.items():
        text = text.replace("${" + name + "}", value)
    assert "${" not in text, f"{path.name}: unfilled placeholder"
    event = json.loads(text)
    return event.pop("_function"), event


def _handler(function: str) -> Any:
    if function in HANDLERS:
        return HANDLERS[function]
    module, _, name = SCHEDULES[function].rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_task_and_schedule_events_replay_in_workflow_order(registry: Settings) -> None:
    families = applicants(2, 2, reference_month=PERIOD)
    with Client(app) as client:
        created = [client.http.post("/applications", body=json.dumps(application_payload(h, PERIOD)), headers={
            "Authorization": f"Bearer {issue('mahalla_worker', h.mahalla_code)}",
            "Content-Type": "application/json"}).json_body for h in families]
    ids = {"APPLICATION_ID": created[0]["application_id"], "REVIEW_APPLICATION_ID": created[1]["application_id"]}
    _handler("begin_application")({"application_id": ids["REVIEW_APPLICATION_ID"], "attempt": 1}, Context())
    results: dict[str, Any] = {}
    for path in sorted((EVENTS / "tasks").glob("*.json")) + sorted((EVENTS / "schedules").glob("*.json")):
        function, event = _load(path, ids)
        results[function] = _handler(function)(event, Context())
        if function == "collect_evidence":
            assert results[function]["complete"] is True, results[function]["missing"]
            ids["EVIDENCE_KEY"] = results[function]["evidence_key"]
    assert results["record_decision"]["status"] in ("assigned", "rejected")
    assert results["notify_decision"]["sms_sent"] is True
    assert results["mark_needs_review"] == {"application_id": ids["REVIEW_APPLICATION_ID"], "status": "needs_review",
                                            "missing_sources": ["tax"]}
    # The workflow's writes are in the audit trail, as system actors, once each
    trail = bootstrap.services().audit
    decided = trail.events(AUDITOR, AuditQuery(record_id=ids["APPLICATION_ID"])).items
    steps = ("begin_application", "collect_evidence", "assess_application", "record_decision", "notify_decision")
    assert sorted((e.actor, e.action) for e in decided if e.role == "system") == sorted(
        (f"system:{step}", step) for step in steps)
    assert trail.verify().ok
    # no workflow configured in this test: the starts are pending, none for over a minute yet
    assert results["start_pending_workflows"] == {"found": 0, "started": 0, "superseded": 0}
    assert results["report_overdue"] == {"overdue": 0}
    assert results["grievance_sweep"] == {"escalated": 0, "overdue": 0}
    # Every entry point but the payroll's (those are in events/payroll/ and
    # tests/unit/test_payroll_events.py).
    ours = {name for name in set(HANDLERS) | set(SCHEDULES) if not name.startswith("payroll")}
    assert set(results) == ours, "an event for every entry point"
