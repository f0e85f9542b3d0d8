"""Decisions, staff re-runs, manual evidence, overdue lists and the what-if calculator through the API."""

from __future__ import annotations

import json
from dataclasses import replace

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoApplicationRepository
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")
MAHALLA = examples.EXAMPLE_MAHALLA


def _submit(client: Client, headers: dict[str, str]) -> dict:
    return client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=headers).json_body


def test_no_decision_before_the_workflow_decides(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    with Client(app) as client:
        created = _submit(client, worker)
        response = client.http.get(f"/applications/{created['application_id']}/decision", headers=worker)
    assert response.status_code == 404 and response.json_body["error"]["code"] == "no_decision"


def test_only_an_application_in_review_can_be_run_again(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    with Client(app) as client:
        created = _submit(client, worker)
        response = client.http.post(f"/applications/{created['application_id']}/collect",
                                    body=json.dumps(examples.RERUN), headers=worker)
    assert response.status_code == 409 and response.json_body["error"]["code"] == "invalid_transition"


def test_manual_evidence_must_name_members_of_the_application(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    with Client(app) as client:
        created = _submit(client, worker)
        path = f"/applications/{created['application_id']}/evidence"
        unknown = client.http.post(path, body=json.dumps(examples.MANUAL_EVIDENCE), headers=worker)
        short = client.http.post(path, body=json.dumps(dict(examples.MANUAL_EVIDENCE, justification="ok")),
                                 headers=worker)
        bad_agency = client.http.post(path, body=json.dumps(dict(examples.MANUAL_EVIDENCE, agency="weather")),
                                      headers=worker)
    assert unknown.status_code == 400 and unknown.json_body["error"]["field"] == "fragment.members[0].id"
    assert short.status_code == 400 and short.json_body["error"]["field"] == "justification"
    assert bad_agency.status_code == 400 and bad_agency.json_body["error"]["field"] == "agency"


def test_overdue_lists_undecided_applications_past_their_due_date(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    with Client(app) as client:
        created = _submit(client, worker)
        listed_before = client.http.get("/overdue-applications", headers=worker).json_body["items"]
        # Given the application's due date has passed (stored as if received two weeks ago)
        settings = bootstrap.services().settings
        repo = DynamoApplicationRepository(boto3.client("dynamodb", region_name=settings.region),
                                           settings.applications_table)
        stored = repo.get(created["application_id"])
        repo.save(replace(stored, due_date="2026-01-05", version=stored.version + 1), stored.version)
        listed_after = client.http.get("/overdue-applications", headers=worker).json_body["items"]
        other = client.http.get("/overdue-applications", headers=token("mahalla_worker", "1726262017")).json_body
    assert listed_before == []
    assert [a["application_id"] for a in listed_after] == [created["application_id"]]
    assert other["items"] == []


def test_the_calculator_decides_and_explains_without_storing(token) -> None:
    with Client(app) as client:
        response = client.http.post("/assessments/preview", body=json.dumps(examples.ASSESSMENT_PREVIEW),
                                    headers=token("pension_fund_officer", "1726262"))
        broken = dict(examples.ASSESSMENT_PREVIEW["evidence"], members=[{"id": "m1", "sex": "M"}])
        bad = client.http.post("/assessments/preview", body=json.dumps({"evidence": broken}),
                               headers=token("pension_fund_officer", "1726262"))
        citizen = client.http.post("/assessments/preview", body=json.dumps(examples.ASSESSMENT_PREVIEW),
                                   headers=token("citizen", "hh-1"))
    assert response.status_code == 200
    body = response.json_body
    assert body["decision"]["programmes"]["child_allowance"] == {
        "eligible": True, "monthly_amount": 400_000, "months": 12, "lump_sum": 0, "reasons": []}
    assert body["rules_version"] and body["explanation"]
    assert bad.status_code == 400 and bad.json_body["error"]["code"] == "invalid_evidence"
    assert bad.json_body["error"]["field"].startswith("evidence.members[0]")
    assert citizen.status_code == 403
