"""The payroll API through chalice.test.Client on moto: start a run, district approval through the
task token, summaries by scope, file links, and the signed bank callback."""

from __future__ import annotations

import json
import time

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.domain.access import Principal
from chalicelib.domain.signatures import sign
from chalicelib.ports import AuditQuery
from tests.payroll_world import MONTH, World, callback_via, loads, payroll_world  # noqa: F401 (the fixture)


def _approval_message(world: World, timeout: float = 60.0) -> str:
    sqs = boto3.client("sqs", region_name=world.settings.region)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = sqs.receive_message(QueueUrl=world.queue_url, MaxNumberOfMessages=1)
        if out.get("Messages"):
            return str(out["Messages"][0]["Body"])
        time.sleep(0.05)
    raise AssertionError("the state machine sent no approval message")


def test_districts_approve_through_the_api_and_the_waiting_run_resumes(world: World, token, monkeypatch) -> None:
    """Given approval by district administrations (no auto-approve), When a run is started twice and
    the districts decide through the API, Then one run waits for them and resumes once all decided."""
    monkeypatch.setenv("SPSR_PAYROLL_AUTO_APPROVE", "false")
    bootstrap.reset()
    with Client(app) as client:
        # When the ministry starts December's payroll, twice
        start = json.dumps({"month": MONTH})
        started = client.http.post("/payroll/runs", headers=token("payroll_officer"), body=start)
        again = client.http.post("/payroll/runs", headers=token("payroll_officer"), body=start)
        assert started.status_code == again.status_code == 201, started.body
        assert started.json_body["execution_arn"] == again.json_body["execution_arn"]
        # Then the run waits for approval; the queue consumer keeps its task token
        body = _approval_message(world)
        client.lambda_.invoke("payroll_approval_token", client.events.generate_sqs_event(
            queue_name="spsr-payroll-approvals", message_bodies=[body]))
        run = client.http.get(f"/payroll/runs/{MONTH}", headers=token("auditor")).json_body
        assert "approval_token" not in run and run["status"] == "awaiting_approval"
        districts = run["awaiting_decision"]
        assert districts
        # A district admin cannot decide for another district, nor a region admin at all
        other = client.http.post(f"/payroll/runs/{MONTH}/districts/{districts[0]}/approve",
                                 headers=token("district_admin", "9999999"), body="{}")
        region = client.http.post(f"/payroll/runs/{MONTH}/districts/{districts[0]}/approve",
                                  headers=token("region_admin", "1726"), body="{}")
        assert (other.status_code, other.json_body["error"]["code"]) == (403, "out_of_scope")
        assert (region.status_code, region.json_body["error"]["code"]) == (403, "role_not_allowed")
        # A rejection needs a reason
        no_reason = client.http.post(f"/payroll/runs/{MONTH}/districts/{districts[0]}/reject",
                                     headers=token("district_admin", districts[0]), body="{}")
        assert (no_reason.status_code, no_reason.json_body["error"]["field"]) == (400, "reason")
        # When the first district rejects with a reason and every other approves
        rejected = client.http.post(f"/payroll/runs/{MONTH}/districts/{districts[0]}/reject",
                                    headers=token("district_admin", districts[0]),
                                    body=json.dumps({"reason": "two mahallas are missing"}))
        assert rejected.status_code == 200, rejected.body
        assert list(rejected.json_body["districts"]) == [districts[0]]  # sees its own district only
        ok = client.http.post(f"/payroll/runs/{MONTH}/districts/{districts[1]}/approve",
                              headers=token("district_admin", districts[1]), body=json.dumps({"note": "checked"}))
        assert ok.status_code == 200, ok.body
        svc = bootstrap.services().payroll
        for code in districts[2:]:  # the same service call the route makes, without fifty more requests
            svc.decide(Principal(f"admin-{code}", "district_admin", code), MONTH, code, True)
        # Then the execution resumes and finishes; the rejected district's payments are held
        assert world.wait(started.json_body["execution_arn"])["status"] == "SUCCEEDED"
        summary = client.http.get(f"/payroll/runs/{MONTH}/summary", headers=token("ministry_analyst")).json_body
        assert summary["districts"][districts[0]]["totals"]["held_count"] > 0
        assert summary["districts"][districts[0]]["totals"]["sent_count"] == 0
        assert summary["totals"]["balanced"]
        # A district admin's summary holds its district only
        own = client.http.get(f"/payroll/runs/{MONTH}/summary", headers=token("district_admin", districts[1]))
        assert list(own.json_body["districts"]) == [districts[1]]


def test_file_links_are_short_lived_and_scoped_and_analysts_get_none(world: World, token) -> None:
    svc = bootstrap.services().payroll
    run = svc.start(None, MONTH)
    assert world.wait(run.execution_arn)["status"] == "SUCCEEDED"
    district = sorted(svc.repo.get_run(MONTH).districts)[0]
    with Client(app) as client:
        audit = client.http.get(f"/payroll/runs/{MONTH}/files", headers=token("auditor")).json_body
        local = client.http.get(f"/payroll/runs/{MONTH}/files", headers=token("district_admin", district)).json_body
        analyst = client.http.get(f"/payroll/runs/{MONTH}/files", headers=token("ministry_analyst"))
        listing = client.http.get("/payroll/runs", headers=token("region_admin", "1726"))
    kinds = {f["kind"] for f in audit["files"]}
    assert {"pain001", "prepayroll", "prepayroll_summary", "manifest", "reconciliation"} <= kinds
    assert audit["expires_in"] <= 3600 and all("Expires" in f["url"] for f in audit["files"])
    assert [f["district_code"] for f in local["files"]] == [district]
    assert (analyst.status_code, analyst.json_body["error"]["code"]) == (403, "role_not_allowed")
    assert listing.status_code == 200 and listing.json_body["items"][0]["month"] == MONTH


def test_the_bank_callback_takes_signed_messages_only_once(world: World) -> None:
    svc = bootstrap.services().payroll
    run = svc.start(None, MONTH)
    assert world.wait(run.execution_arn)["status"] == "SUCCEEDED"
    (xml,) = world.bank.simulator.notifications(per_message=1000)
    headers, body = world.bank.simulator.signed_callback("camt.054", xml)
    with Client(app) as client:
        anonymous = client.http.post("/bank/callbacks", headers={"Content-Type": "application/json"}, body=body)
        unsigned = client.http.post("/bank/callbacks", headers={"Content-Type": "application/json",
                                                                "X-Bank-Id": "XALQ"}, body=body)
        forged = client.http.post("/bank/callbacks", headers={**headers, "X-Signature": sign("guess", "1", body)},
                                  body=body)
        stale_ts = str(int(time.time()) - 3600)
        stale_sig = sign("spsr-local-bank-secret", stale_ts, body)
        stale = client.http.post("/bank/callbacks", body=body, headers={
            **headers, "X-Signature-Timestamp": stale_ts, "X-Signature": stale_sig})
        before = {i.instruction_id: i.status for i in svc.repo.instructions(MONTH)}
        first = client.http.post("/bank/callbacks", headers=headers, body=body)
        replay = client.http.post("/bank/callbacks", headers=headers, body=body)
        after_first = {i.instruction_id: i.status for i in svc.repo.instructions(MONTH)}
        time.sleep(1.01)  # a new timestamp: a new signature for the same message
        resent = world.bank.simulator.signed_callback("camt.054", xml)
        duplicate = client.http.post("/bank/callbacks", headers=resent[0], body=resent[1])
    assert [r.status_code for r in (anonymous, unsigned, forged, stale)] == [401, 401, 401, 401]
    assert [r.json_body["error"]["code"] for r in (anonymous, unsigned, forged, stale)] == [
        "missing_signature", "missing_signature", "bad_signature", "stale_signature"]  # headers are read first
    assert "accepted" in set(before.values())  # nothing refused above changed anything
    assert first.status_code == 200 and first.json_body["changed"] > 0
    assert (replay.status_code, replay.json_body["error"]["code"]) == (409, "replayed_callback")
    assert (duplicate.status_code, duplicate.json_body["duplicate"]) == (200, True)
    assert {i.instruction_id: i.status for i in svc.repo.instructions(MONTH)} == after_first != before
    # The two accepted callbacks are in the audit trail with the bank as the actor; the refused ones are not
    trail = bootstrap.services().audit.events(Principal("auditor-1", "auditor", ""),
                                              AuditQuery(actor="bank:XALQ"))
    assert [(e.action, e.record_id, e.status) for e in trail.items] == [
        ("bank.callback", first.json_body["msg_id"], 200)] * 2


@pytest.mark.usefixtures("aws")
def test_payroll_routes_need_a_payroll_role(token) -> None:
    with Client(app) as client:
        worker = client.http.get("/payroll/runs", headers=token("mahalla_worker", "1726262010"))
        bad_month = client.http.post("/payroll/runs", headers=token("payroll_officer"),
                                     body=json.dumps({"month": "2026-13"}))
        anonymous = client.http.get("/payroll/runs")
    assert (worker.status_code, worker.json_body["error"]["code"]) == (403, "role_not_allowed")
    assert (bad_month.status_code, bad_month.json_body["error"]["field"]) == (400, "month")
    assert anonymous.status_code == 401


def test_a_queued_bank_callback_is_checked_at_once_and_applied_once_by_the_consumer(world: World,
                                                                                   monkeypatch) -> None:
    sqs = boto3.client("sqs", region_name=world.settings.region)
    queue_url = sqs.create_queue(QueueName="spsr-payroll-bank-callbacks")["QueueUrl"]
    svc = bootstrap.services().payroll
    run = svc.start(None, MONTH)
    assert world.wait(run.execution_arn)["status"] == "SUCCEEDED"
    # Given callbacks go through the bank-message queue
    monkeypatch.setenv("SPSR_PAYROLL_BANK_QUEUE_URL", queue_url)
    bootstrap.reset()
    svc = bootstrap.services().payroll
    (xml,) = world.bank.simulator.notifications(per_message=1000)
    headers, body = world.bank.simulator.signed_callback("camt.054", xml)
    before = {i.instruction_id: i.status for i in svc.repo.instructions(MONTH)}
    with Client(app) as client:
        # When the bank posts a notification, a forged copy and a replay
        forged = client.http.post("/bank/callbacks", headers={**headers, "X-Signature": sign("guess", "1", body)},
                                  body=body)
        first = client.http.post("/bank/callbacks", headers=headers, body=body)
        replay = client.http.post("/bank/callbacks", headers=headers, body=body)
        # Then the checks answer at once (401, 409) and the message is acknowledged with 202, not yet applied
        assert (forged.status_code, forged.json_body["error"]["code"]) == (401, "bad_signature")
        assert (first.status_code, first.json_body["queued"]) == (202, True)
        assert (replay.status_code, replay.json_body["error"]["code"]) == (409, "replayed_callback")
        assert {i.instruction_id: i.status for i in svc.repo.instructions(MONTH)} == before
        (message,) = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
        # When the consumer gets it twice (SQS delivers at least once) beside a record it cannot apply
        event = client.events.generate_sqs_event(queue_name="spsr-payroll-bank-callbacks", message_bodies=[
            message["Body"], message["Body"], json.dumps({"bank_id": "XALQ", "message_type": "camt.054",
                                                          "key": "payroll/callbacks/XALQ/missing.xml",
                                                          "msg_id": "X-1"})])
        for n, record in enumerate(event["Records"]):
            record["messageId"] = f"m-{n}"
        answer = loads(client.lambda_.invoke("payroll_bank_messages", event).payload)
    # Then the message is applied once, and only the bad record is reported back to the queue
    after = {i.instruction_id: i.status for i in svc.repo.instructions(MONTH)}
    assert after != before and "paid" in set(after.values())
    ids = [r["messageId"] for r in event["Records"]]
    assert answer == {"batchItemFailures": [{"itemIdentifier": ids[2]}]}
    assert svc.summary(Principal("aud", "auditor", ""), MONTH)["totals"]["balanced"]
    # And the audit trail has the accepted callback (the bank as actor) and its application once, not the
    # bad record's
    auditor = Principal("auditor-1", "auditor", "")
    received = bootstrap.services().audit.events(auditor, AuditQuery(actor="bank:XALQ")).items
    applied = bootstrap.services().audit.events(auditor, AuditQuery(actor="system:payroll_bank_messages")).items
    assert [e.action for e in received] == ["bank.callback"]
    queued_msg_id = json.loads(message["Body"])["msg_id"]
    assert [(e.action, e.record_id) for e in applied] == [("payroll_bank_message", queued_msg_id)]
