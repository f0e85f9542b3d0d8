"""The audit trail through the API: what staff do is recorded, ids only; auditors read it, no one else."""

from __future__ import annotations

import json

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")


def test_writes_and_staff_reads_are_recorded_and_auditors_read_them(token, aws) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    auditor = token("auditor")
    with Client(app) as client:
        # Given a household registered, read, changed and its change log read by a mahalla worker
        created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=worker).json_body
        household_id, application_id = created["household_id"], created["application_id"]
        client.http.get(f"/households/{household_id}", headers=worker)
        client.http.patch(f"/households/{household_id}", body=json.dumps(examples.HOUSEHOLD_PATCH), headers=worker)
        client.http.get(f"/households/{household_id}/changes", headers=worker)
        # When an auditor asks for the household's events, and the application's
        events = client.http.get(f"/audit/events?record_id={household_id}", headers=auditor)
        app_events = client.http.get(f"/audit/events?record_id={application_id}", headers=auditor).json_body
        verify = client.http.get("/audit/verify", headers=auditor).json_body
    # Then each action is there, in order, with actor, role, request id and status
    assert events.status_code == 200
    items = events.json_body["items"]
    assert [e["action"] for e in items] == ["household.read", "household.update", "household.changes"]
    assert {e["actor"] for e in items} == {"dev-mahalla_worker-" + examples.EXAMPLE_MAHALLA}
    assert {e["role"] for e in items} == {"mahalla_worker"} and [e["status"] for e in items] == [200] * 3
    assert all(e["request_id"] and len(e["hash"]) == 64 for e in items)
    assert [e["action"] for e in app_events["items"]] == ["application.submit"]
    assert verify == {"ok": True, "chains": aws.audit_chains, "events": 4, "breaks": []}
    # And no event holds personal data: the table's audit items carry no name, PINFL, phone or number
    db = boto3.client("dynamodb", region_name=aws.region)
    stored = json.dumps(db.scan(TableName=aws.audit_table)["Items"])
    member = examples.APPLICATION["members"][0]
    for value in (member["pinfl"], member["surname"], member["phone"],
                  examples.APPLICATION["bank_account"]["number"], examples.CHANGE_REQUEST["bank_account"]["number"]):
        assert value not in stored


@pytest.mark.parametrize("role,scope", [("mahalla_worker", examples.EXAMPLE_MAHALLA), ("region_admin", "1726"),
                                        ("ministry_analyst", ""), ("payroll_officer", ""), ("citizen", "hh-x")])
def test_only_auditors_read_the_trail(token, role: str, scope: str) -> None:
    with Client(app) as client:
        events = client.http.get("/audit/events?record_id=hh-1", headers=token(role, scope))
        verify = client.http.get("/audit/verify", headers=token(role, scope))
    assert events.status_code == verify.status_code == 403
    assert events.json_body["error"]["code"] == "role_not_allowed"


def test_a_query_names_at_most_one_record_or_actor_and_valid_times(token) -> None:
    auditor = token("auditor")
    with Client(app) as client:
        both = client.http.get("/audit/events?record_id=hh-1&actor=someone", headers=auditor)
        bad_time = client.http.get("/audit/events?record_id=hh-1&from=yesterday", headers=auditor)
        by_actor = client.http.get("/audit/events?actor=someone&from=2026-12-01&to=2026-12-02", headers=auditor)
    assert both.status_code == 400 and both.json_body["error"]["code"] == "invalid_choice"
    assert bad_time.status_code == 400 and bad_time.json_body["error"] == {
        "code": "invalid_date", "field": "from",
        "message": "from is an ISO 8601 date or time (UTC), e.g. 2026-12-01T09:00"}
    assert by_actor.status_code == 200 and by_actor.json_body == {"items": [], "next_cursor": None}


def test_a_citizen_reading_their_own_household_is_not_a_staff_read(token, aws) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=worker).json_body
        household_id = created["household_id"]
        assert client.http.get(f"/households/{household_id}", headers=token("citizen", household_id)).status_code == 200
        items = client.http.get(f"/audit/events?record_id={household_id}", headers=token("auditor")).json_body["items"]
    assert items == []
