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


def _repo() -> DynamoApplicationRepository:
    settings = bootstrap.services().settings
    return DynamoApplicationRepository(boto3.client("dynamodb", region_name=settings.region),
                                       settings.applications_table)


def _in_review(client: Client, headers: dict[str, str]) -> tuple[dict, str]:
    """A submitted application moved to needs_review (as the workflow does when tax is down), with a document."""
    created = _submit(client, headers)
    repo = _repo()
    stored = repo.get(created["application_id"])
    repo.save(replace(stored, status="needs_review", version=stored.version + 1), stored.version)
    upload = client.http.post(f"/applications/{created['application_id']}/documents",
                              body=json.dumps(examples.DOCUMENT_UPLOAD), headers=headers)
    # the client posts the file to the presigned URL (here straight to moto's bucket)
    settings = bootstrap.services().settings
    boto3.client("s3", region_name=settings.region).put_object(
        Bucket=settings.documents_bucket, Key=upload.json_body["upload"]["fields"]["key"], Body=b"%PDF-1.7")
    return created, upload.json_body["document_id"]


def _manual(created: dict, document_id: str, **fields) -> str:
    members = [{"id": m["person_id"], "incomes": [], "employment_sector": "none", **fields}
               for m in created["members"]]
    return json.dumps({"agency": "tax", "members": members, "justification": "the tax service is down today",
                       "document_id": document_id})


def test_the_attack_through_the_api_fails_and_changes_nothing(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    with Client(app) as client:
        created, doc = _in_review(client, worker)
        path = f"/applications/{created['application_id']}/evidence"
        before = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
        # When the citizen posts "tax" evidence for their own household
        citizen = client.http.post(path, body=_manual(created, doc), headers=token("citizen", created["household_id"]))
        # and staff post "tax" evidence carrying the labour agency's flag
        foreign = client.http.post(path, body=_manual(created, doc, job_seeker_registered=True), headers=worker)
        after = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    # Then both are refused and the application is as it was
    assert citizen.status_code == 403 and citizen.json_body["error"]["code"] == "role_not_allowed"
    assert foreign.status_code == 400
    assert foreign.json_body["error"] == {"code": "field_not_supplied_by_agency",
                                          "field": "members[0].job_seeker_registered",
                                          "message": "tax does not supply job_seeker_registered"}
    assert after == before


def test_manual_evidence_is_checked_before_anything_is_stored(token) -> None:
    worker = token("mahalla_worker", MAHALLA, subject="worker-test")
    with Client(app) as client:
        created, doc = _in_review(client, worker)
        path = f"/applications/{created['application_id']}/evidence"
        unknown = client.http.post(path, body=json.dumps(dict(examples.MANUAL_EVIDENCE, document_id=doc)),
                                   headers=worker)
        body = json.loads(_manual(created, doc))
        short = client.http.post(path, body=json.dumps(dict(body, justification="ok")), headers=worker)
        bad_agency = client.http.post(path, body=json.dumps(dict(body, agency="weather")), headers=worker)
        no_document = client.http.post(path, body=json.dumps({k: v for k, v in body.items() if k != "document_id"}),
                                       headers=worker)
        other_document = client.http.post(path, body=json.dumps(dict(body, document_id="doc-elsewhere")),
                                          headers=worker)
        announced = client.http.post(f"/applications/{created['application_id']}/documents",
                                     body=json.dumps(examples.DOCUMENT_UPLOAD), headers=worker).json_body
        not_uploaded = client.http.post(path, body=json.dumps(dict(body, document_id=announced["document_id"])),
                                        headers=worker)
        unknown_fact = client.http.post(path, body=json.dumps(dict(body, members=[
            dict(body["members"][0], salary_band="low")])), headers=worker)
        accepted = client.http.post(path, body=_manual(created, doc), headers=worker)
        again = client.http.post(path, body=_manual(created, doc), headers=worker)
        final = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    assert unknown.status_code == 400 and unknown.json_body["error"]["field"] == "members[0].id"
    assert short.status_code == 400 and short.json_body["error"]["field"] == "justification"
    assert bad_agency.status_code == 400 and bad_agency.json_body["error"]["field"] == "agency"
    assert no_document.status_code == 400 and no_document.json_body["error"]["field"] == "document_id"
    assert other_document.json_body["error"] == {"code": "unknown_document", "field": "document_id",
                                                 "message": "not a document of this application (upload it first)"}
    assert not_uploaded.status_code == 400 and not_uploaded.json_body["error"]["code"] == "document_not_uploaded"
    assert unknown_fact.status_code == 400 and unknown_fact.json_body["error"]["code"] == "unknown_field"
    assert accepted.status_code == 202 and accepted.json_body["attempt"] == 2
    # a second entry for the same agency (the run has not begun yet) replaces the first
    assert again.status_code == 202 and again.json_body["attempt"] == 3 and len(final["manual_evidence"]) == 1
    entry = final["manual_evidence"][0]
    assert (entry["agency"], entry["document_id"], entry["entered_by"], entry["entered_role"]) == (
        "tax", doc, "worker-test", "mahalla_worker")
    assert "the tax service is down today" not in json.dumps(final["history"])  # free text stays out of the history


def _awaiting_approval(client: Client, worker: dict[str, str], entered_by: str) -> dict:
    """An application whose eligible decision rests on tax facts entered by ``entered_by``."""
    from chalicelib.adapters.dynamodb import DynamoDecisionRepository
    from chalicelib.domain.decisions import ManualFactsUsed, Outcome, decided

    created = _submit(client, worker)
    repo = _repo()
    stored = repo.get(created["application_id"])
    repo.save(replace(stored, status="awaiting_approval", version=stored.version + 1), stored.version)
    settings = bootstrap.services().settings
    decisions = DynamoDecisionRepository(boto3.client("dynamodb", region_name=settings.region),
                                         settings.applications_table)
    outcome = Outcome.from_dict({"period": stored.cycle_month, "per_capita_income": 0, "threshold": 669_000,
                                 "programmes": {"child_allowance": {"eligible": True, "monthly_amount": 400_000,
                                                                    "months": 12, "lump_sum": 0, "reasons": []}}})
    entered = ManualFactsUsed("tax", entered_by, "mahalla_worker", "2026-11-10T08:00:00+00:00", "doc-1")
    decisions.add(decided(stored.application_id, stored.attempt, outcome, {"per_capita_income": 0}, "r1",
                          "evidence/x.json", "2026-11-10T09:00:00+00:00", (entered,)))
    return created


def test_a_decision_on_manual_facts_needs_a_second_officer(token) -> None:
    worker = token("mahalla_worker", MAHALLA, subject="worker-a")
    with Client(app) as client:
        created = _awaiting_approval(client, worker, entered_by="officer-a")
        path = f"/applications/{created['application_id']}/decision"
        body = json.dumps(examples.DECISION_APPROVAL)
        pending = client.http.get(path, headers=worker).json_body
        same = client.http.post(f"{path}/approve", body=body, headers=token("district_admin", "1726262",
                                                                            subject="officer-a"))
        mahalla = client.http.post(f"{path}/approve", body=body, headers=worker)
        citizen = client.http.post(f"{path}/approve", body=body, headers=token("citizen", created["household_id"]))
        approved = client.http.post(f"{path}/approve", body=body, headers=token("pension_fund_officer", "1726262",
                                                                                subject="officer-b"))
        twice = client.http.post(f"{path}/reject", body=json.dumps(examples.DECISION_REJECTION),
                                 headers=token("district_admin", "1726262", subject="officer-c"))
        decision = client.http.get(path, headers=worker).json_body
        final = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    assert pending["approval"]["status"] == "pending" and pending["status"] == "awaiting_approval"
    assert pending["explanation"]["manual_evidence"][0]["entered_by"] == "officer-a"
    assert same.status_code == 403 and same.json_body["error"]["code"] == "same_officer"
    assert mahalla.status_code == 403 and mahalla.json_body["error"]["code"] == "role_not_allowed"
    assert citizen.status_code == 403
    assert approved.status_code == 200 and approved.json_body["status"] == "assigned"
    assert twice.status_code == 409 and twice.json_body["error"]["code"] == "not_awaiting_approval"
    assert decision["explanation"]["second_officer"] == {"status": "approved", "by": "officer-b",
                                                         "role": "pension_fund_officer",
                                                         "at": decision["approval"]["at"]}
    assert final["history"][-1]["actor_id"] == "officer-b" and "tax by officer-a" in final["history"][-1]["note"]


def test_a_second_officer_may_reject_and_the_application_returns_to_review(token) -> None:
    worker = token("mahalla_worker", MAHALLA)
    with Client(app) as client:
        created = _awaiting_approval(client, worker, entered_by="officer-a")
        path = f"/applications/{created['application_id']}/decision/reject"
        short = client.http.post(path, body=json.dumps({"reason": "no"}), headers=token("district_admin", "1726262"))
        rejected = client.http.post(path, body=json.dumps(examples.DECISION_REJECTION),
                                    headers=token("district_admin", "1726262", subject="officer-b"))
    assert short.status_code == 400 and short.json_body["error"]["field"] == "reason"
    assert rejected.status_code == 200 and rejected.json_body["status"] == "needs_review"


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
