"""An appeal on moto: the ASL executing the real handlers, agencies on loopback, the payroll freeze on
DynamoDB and S3.

Given a family the tax authority's salary figures reject, when it appeals, the officer enters the
corrected income from the employer's letter and a second officer approves, then the assignment starts
from the month the contested decision would have paid first, and the first payroll run after pays the
months missed as arrears, once.
"""

from __future__ import annotations

import json

import boto3
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.config import Settings
from chalicelib.domain import months
from chalicelib.services.assessment import assess
from devstack.applications import application_payload
from devstack.population import SynthHousehold, evidence_for
from devstack.token import issue
from tests.integration.workflow.test_application_workflow import (  # noqa: F401 (fixtures)
    PERIOD,
    _households,
    agencies,
    flow,
    submit,
    wait_for,
)


def _rejected_on_income_alone() -> SynthHousehold:
    for h in _households(60):
        decision = assess({**evidence_for(h, PERIOD), "programmes": application_payload(h, PERIOD)["programmes"]})
        reasons = {r for p in decision["decision"]["programmes"].values() for r in p["reasons"]}
        salaries = [i for m in evidence_for(h, PERIOD)["members"] for i in m["income"] if i["source"] == "salary"]
        if reasons == {"income_above_threshold"} and salaries:
            return h
    raise AssertionError("no family of the population is rejected on income alone")


def _staff(role: str, scope: str, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(role, scope, subject=subject)}", "Content-Type": "application/json"}


def test_an_upheld_appeal_grants_from_the_contested_month_and_the_next_payroll_pays_the_missed_months_once(
        flow: Settings) -> None:  # noqa: F811
    h = _rejected_on_income_alone()
    district = h.mahalla_code[:7]
    worker = _staff("mahalla_worker", h.mahalla_code, "worker-1")
    officer = _staff("pension_fund_officer", district, "officer-1")
    second = _staff("pension_fund_officer", district, "officer-2")
    with Client(app) as client:
        # Given the family's application is rejected on the tax authority's salary figures
        created = submit(client, h)
        app_id = created["application_id"]
        assert wait_for(app_id)["status"] == "SUCCEEDED"
        assert client.http.get(f"/applications/{app_id}", headers=worker).json_body["status"] == "rejected"
        contested = client.http.get(f"/applications/{app_id}/decision", headers=worker).json_body
        # When it appeals, naming the income as wrong
        appeal = client.http.post(f"/applications/{app_id}/appeals", headers=worker, body=json.dumps({
            "grounds": ["income_wrong"], "channel": "mahalla_office",
            "description": "the head left that job in August"}))
        assert appeal.status_code == 201, appeal.body
        gid = appeal.json_body["grievance_id"]
        # and the officer enters the corrected salaries (a tenth) from the employer's letter
        upload = client.http.post(f"/applications/{app_id}/documents", headers=officer, body=json.dumps(
            {"kind": "income_statement", "content_type": "application/pdf", "size_bytes": 90_000}))
        boto3.client("s3", region_name="us-east-1").put_object(
            Bucket=flow.documents_bucket, Key=upload.json_body["upload"]["fields"]["key"], Body=b"%PDF")
        evidence = {m["id"]: m for m in evidence_for(h, PERIOD)["members"]}
        members = [{"id": pid, "employment_sector": m["employment_sector"],
                    "incomes": [dict(i, amount=i["amount"] // 10) for i in m["income"]
                                if i["source"] in ("salary", "entrepreneurial", "property")]}
                   for pid, m in evidence.items()]
        reassessed = client.http.post(f"/grievances/{gid}/reassess", headers=officer, body=json.dumps({"evidence": {
            "agency": "tax", "members": members, "justification": "employer's letter: a new job since September",
            "document_id": upload.json_body["document_id"]}}))
        assert reassessed.status_code == 202, reassessed.body
        assert reassessed.json_body["attempt"] == 2 and reassessed.json_body["status"] == "appealed"
        assert wait_for(f"{app_id}-2")["status"] == "SUCCEEDED"
        # the new decision rests on facts entered by hand: a second officer approves it
        assert client.http.get(f"/applications/{app_id}", headers=worker).json_body["status"] == "awaiting_approval"
        approved = client.http.post(f"/applications/{app_id}/decision/approve", headers=second,
                                    body=json.dumps({"note": "letter checked with the employer"}))
        assert approved.status_code == 200, approved.body
        answered = client.http.get(f"/grievances/{gid}", headers=officer).json_body
        history = client.http.get(f"/applications/{app_id}/decisions", headers=worker).json_body["items"]
        assignments = bootstrap.services().assignment_repository.for_household(h.household_id)
    # Then the appeal is upheld, both decisions are kept, and what changed is the income
    assert (answered["status"], answered["outcome_code"]) == ("resolved", "upheld")
    changed = answered["appeal"]["what_changed"]
    assert changed["outcome"] == "upheld" and changed["entered_by_hand"] == ["tax"]
    assert changed["per_capita_income"]["before"] == contested["decision"]["per_capita_income"]
    assert changed["per_capita_income"]["after"] < changed["threshold"]["after"]
    assert [(d["attempt"], d["superseded_by_attempt"]) for d in history] == [(1, 2), (2, None)]
    # and the assignments start the month after the contested decision
    first = months.add(contested["decided_at"][:7], 1)
    assert assignments and {a.first_month for a in assignments} == {first}
    # When the payroll runs two months later, its instructions written, and then the month after
    payroll = bootstrap.services().payroll
    run_month = months.add(first, 2)
    for month in (run_month, months.add(run_month, 1)):
        manifest = payroll.freeze(month)
        for batch in json.loads(payroll.ctx.files.get(manifest["batches_key"]) or b"[]"):
            payroll.write_instructions(batch["key"])
    paid = [i for i in payroll.repo.instructions(run_month) if i.line.household_id == h.household_id]
    later = [i for i in payroll.repo.instructions(months.add(run_month, 1)) if i.line.household_id == h.household_id]
    # Then the first run pays its own month and, as arrears, the two months missed; the next pays no arrears
    per_programme = len({a.programme for a in assignments})
    assert sorted(i.line.arrears_of for i in paid if i.line.arrears_of) == sorted(
        [first, months.add(first, 1)] * per_programme)
    assert len([i for i in paid if not i.line.arrears_of]) == per_programme
    assert [i for i in later if i.line.arrears_of] == [] and len(later) == per_programme
