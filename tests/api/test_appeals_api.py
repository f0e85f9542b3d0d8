"""Appeals through the API: the OpenAPI document's appeal and re-assessment examples work when posted
against a rejected application; an appeal is one per decision, only against a rejection, and the
re-assessment only of an appeal; the decision history shows the contested decision."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoApplicationRepository, DynamoDecisionRepository
from chalicelib.api import examples, openapi
from chalicelib.domain.decisions import Outcome, decided

pytestmark = pytest.mark.usefixtures("aws")

MAHALLA, DISTRICT = examples.EXAMPLE_MAHALLA, examples.EXAMPLE_DISTRICT


def _example(path: str) -> dict[str, Any]:
    op = openapi.document()["paths"][path]["post"]
    return dict(op["requestBody"]["content"]["application/json"]["examples"]["default"]["value"])


def _post(client: Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.http.post(path, body=json.dumps(body), headers=headers)


def _rejected(client: Client, worker: dict[str, str], created: dict[str, Any] | None = None) -> dict[str, Any]:
    """The example family's application, rejected on income (stored as the workflow stores a decision)."""
    created = created or _post(client, "/applications", examples.APPLICATION, worker).json_body
    settings = bootstrap.services().settings
    db = boto3.client("dynamodb", region_name=settings.region)
    repo = DynamoApplicationRepository(db, settings.applications_table)
    stored = repo.get(created["application_id"])
    repo.save(replace(stored, status="rejected", version=stored.version + 1), stored.version)
    outcome = Outcome.from_dict({"period": stored.cycle_month, "per_capita_income": 1_216_250, "threshold": 669_000,
                                 "programmes": {"child_allowance": {"eligible": False, "monthly_amount": 0,
                                                                    "months": 0, "lump_sum": 0,
                                                                    "reasons": ["income_above_threshold"]}}})
    DynamoDecisionRepository(db, settings.applications_table).add(decided(
        stored.application_id, stored.attempt, outcome, {"per_capita_income": 1_216_250}, "r1",
        "evidence/x.json", "2026-11-10T09:00:00+00:00", ()))
    return created


def test_the_documented_appeal_and_reassessment_examples_work_when_posted(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    officer = token("pension_fund_officer", DISTRICT, subject="officer-1")
    with Client(app) as client:
        # Given a rejected application
        created = _rejected(client, worker)
        app_id = created["application_id"]
        # When the document's appeal example is posted for it
        appeal = _post(client, f"/applications/{app_id}/appeals",
                       _example("/applications/{application_id}/appeals"), worker)
        # and the routed officer posts the document's re-assessment example
        gid = appeal.json_body["grievance_id"]
        reassess = _post(client, f"/grievances/{gid}/reassess", _example("/grievances/{grievance_id}/reassess"),
                         officer)
        application = client.http.get(f"/applications/{app_id}", headers=worker).json_body
        grievance = client.http.get(f"/grievances/{gid}", headers=officer).json_body
        history = client.http.get(f"/applications/{app_id}/decisions", headers=worker).json_body
    # Then the appeal is a decision_appeal grievance, taken in review by the re-assessment as attempt 2
    assert appeal.status_code == 201, appeal.body
    assert appeal.json_body["category"] == "decision_appeal" and appeal.json_body["reference"]
    assert reassess.status_code == 202, reassess.body
    # (no state machine is configured for API tests, so no run starts: the workflow tests run it)
    assert (reassess.json_body["attempt"], reassess.json_body["status"]) == (2, "appealed")
    assert application["status"] == "appealed" and application["attempt"] == 2
    assert grievance["status"] == "in_review"
    # and the contested decision stays in the history, not superseded until the new one is made
    assert [(d["attempt"], d["superseded_by_attempt"]) for d in history["items"]] == [(1, None)]


def test_an_appeal_is_one_per_decision_and_only_against_a_rejection(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    body = dict(examples.APPEAL)
    with Client(app) as client:
        # Given an application still collecting its evidence
        created = _post(client, "/applications", examples.APPLICATION, worker).json_body
        path = f"/applications/{created['application_id']}/appeals"
        # When it is appealed before its decision, then after its rejection twice, and with bad grounds
        collecting = _post(client, path, body, worker)
        _rejected(client, worker, created)
        unknown = _post(client, path, dict(body, grounds=["too_poor"]), worker)
        none = _post(client, path, dict(body, grounds=[]), worker)
        first = _post(client, path, body, worker)
        again = _post(client, path, body, worker)
    # Then only the appeal of the rejection is filed, once; the rest get a stable code naming the field
    assert collecting.status_code == 409 and collecting.json_body["error"]["code"] == "not_appealable"
    assert unknown.status_code == 400 and unknown.json_body["error"]["field"].startswith("grounds")
    assert none.status_code == 400 and none.json_body["error"]["field"] == "grounds"
    assert first.status_code == 201
    assert again.status_code == 409 and again.json_body["error"]["code"] == "appeal_open"
    # and the family's account is never echoed into an error
    assert body["description"] not in json.dumps([again.json_body, collecting.json_body])


def test_only_a_decision_appeal_is_reassessed(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    officer = token("pension_fund_officer", DISTRICT)
    with Client(app) as client:
        # Given a payment grievance of the family
        hid = _post(client, "/applications", examples.APPLICATION, worker).json_body["household_id"]
        g = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid),
                  token("hotline_operator", "")).json_body
        # When an officer tries to re-assess it
        response = _post(client, f"/grievances/{g['grievance_id']}/reassess", examples.REASSESS, officer)
    # Then it is refused: not an appeal
    assert response.status_code == 400 and response.json_body["error"]["code"] == "not_an_appeal"
