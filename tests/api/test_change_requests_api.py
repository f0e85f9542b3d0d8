"""Change requests through the API: a reported card change reaches the household only after a second officer
approves it; the maker never approves; a rejection changes nothing and tells the family."""

from __future__ import annotations

import copy
import json

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import app
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")

DISTRICT = examples.EXAMPLE_DISTRICT


def _registered(client: Client, headers: dict[str, str]) -> str:
    created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=headers)
    assert created.status_code == 201, created.body
    return str(created.json_body["household_id"])


def _post(client: Client, path: str, body: dict, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.http.post(path, body=json.dumps(body), headers=headers)


def test_a_citizens_card_change_waits_for_a_second_officer(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    officer = token("pension_fund_officer", DISTRICT, subject="officer-1")
    with Client(app) as client:
        hid = _registered(client, worker)
        citizen = token("citizen", hid, subject="citizen-1")
        # Given the attack of before: a citizen token PATCHes its household's payout card: refused
        patched = client.http.patch(f"/households/{hid}", body=json.dumps(
            {"version": 1, "bank_account": examples.CHANGE_REQUEST["bank_account"]}), headers=citizen)
        assert (patched.status_code, patched.json_body["error"]["code"]) == (403, "role_not_allowed")
        # When the citizen reports the new card as a change request
        reported = _post(client, f"/households/{hid}/change-requests", examples.CHANGE_REQUEST, citizen)
        # Then it waits; the household keeps its card and version
        assert reported.status_code == 201, reported.body
        request = reported.json_body
        assert (request["status"], request["kind"], request["submitted_role"]) == ("pending", "payout_account",
                                                                                   "citizen")
        assert request["payload"]["bank_account"]["number"] == "************7896"
        unchanged = client.http.get(f"/households/{hid}", headers=worker).json_body
        assert unchanged["version"] == 1 and unchanged["bank_account"]["number"].endswith("9012")
        # And it is in the district's queue
        queue = client.http.get("/change-requests", headers=officer).json_body
        assert [r["request_id"] for r in queue["items"]] == [request["request_id"]]
        # When a second person, an officer of the district, approves at the version read
        approved = _post(client, f"/change-requests/{request['request_id']}/approve", examples.CHANGE_APPROVAL,
                         officer)
        after = client.http.get(f"/households/{hid}", headers=worker).json_body
        changes = client.http.get(f"/households/{hid}/changes", headers=worker).json_body["items"]
    # Then the card reaches the household, and the record names the approver and the reporter
    assert approved.status_code == 200, approved.body
    assert approved.json_body["status"] == "approved" and approved.json_body["sms_sent"] is True
    assert after["version"] == 2 and after["bank_account"]["number"].endswith("7896")
    last = changes[-1]
    assert (last["action"], last["actor_role"], last["requested_role"], last["request_id"]) == (
        "payout_account_changed", "pension_fund_officer", "citizen", request["request_id"])
    assert last["new"]["bank_account"]["number"] == "************7896"
    assert "9860351234567896" not in json.dumps(changes) + json.dumps(queue)


def test_the_officer_who_entered_a_payout_change_cannot_approve_it(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    maker = token("pension_fund_officer", DISTRICT, subject="officer-7")
    checker = token("district_admin", DISTRICT, subject="admin-2")
    with Client(app) as client:
        hid = _registered(client, worker)
        # Given an officer changing the payout card through the household update
        submitted = client.http.patch(f"/households/{hid}", body=json.dumps(
            {"version": 1, "bank_account": examples.CHANGE_REQUEST["bank_account"]}), headers=maker)
        # Then it is a pending change request (202), not a change
        assert submitted.status_code == 202, submitted.body
        assert submitted.json_body["status"] == "pending" and submitted.json_body["submitted_by"] == "officer-7"
        rid = submitted.json_body["request_id"]
        own = _post(client, f"/change-requests/{rid}/approve", examples.CHANGE_APPROVAL, maker)
        between = client.http.get(f"/households/{hid}", headers=worker).json_body
        second = _post(client, f"/change-requests/{rid}/approve", examples.CHANGE_APPROVAL, checker)
        again = _post(client, f"/change-requests/{rid}/approve", dict(examples.CHANGE_APPROVAL, version=2), checker)
    assert own.status_code == 403 and own.json_body["error"]["code"] == "same_person"
    assert between["version"] == 1 and between["bank_account"]["number"].endswith("9012")
    assert second.status_code == 200 and second.json_body["decided_by"] == "admin-2"
    assert again.status_code == 409 and again.json_body["error"]["code"] == "already_decided"


def test_a_rejection_changes_nothing_and_the_family_gets_an_sms(token, aws) -> None:
    import boto3

    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    officer = token("pension_fund_officer", DISTRICT)
    with Client(app) as client:
        hid = _registered(client, worker)
        rid = _post(client, f"/households/{hid}/change-requests", examples.CHANGE_REQUEST, worker).json_body[
            "request_id"]
        no_reason = _post(client, f"/change-requests/{rid}/reject", {"note": "no"}, officer)
        rejected = _post(client, f"/change-requests/{rid}/reject", examples.CHANGE_REJECTION, officer)
        after = client.http.get(f"/households/{hid}", headers=worker).json_body
        listed = client.http.get(f"/households/{hid}/change-requests", headers=worker).json_body["items"]
        one = client.http.get(f"/change-requests/{rid}", headers=token("citizen", hid)).json_body
    assert no_reason.status_code == 400 and no_reason.json_body["error"]["code"] == "reason_required"
    assert rejected.status_code == 200 and rejected.json_body["reason"] == "documents_missing"
    assert rejected.json_body["sms_sent"] is True
    assert after["version"] == 1 and after["bank_account"]["number"].endswith("9012")
    assert [r["status"] for r in listed] == ["rejected"] and one["status"] == "rejected"
    # The SMS marker says which template went out, at most once per request and outcome
    marker = boto3.client("dynamodb", region_name=aws.region).get_item(
        TableName=aws.audit_table, Key={"pk": {"S": f"SMS#change_request:{rid}:rejected"}, "sk": {"S": "SMS"}})
    assert marker["Item"]["template"]["S"] == "change_rejected" and marker["Item"]["status"]["S"] == "sent"


def test_refusals_have_stable_codes(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        hid = _registered(client, worker)
        citizen = token("citizen", hid)
        path = f"/households/{hid}/change-requests"
        missing = _post(client, path, {"kind": "phone", "version": 1, "phone": "+998977770022"}, worker)
        foreign = _post(client, path, dict(examples.CHANGE_REQUEST, phone="+998977770022"), worker)
        stale = _post(client, path, dict(examples.CHANGE_REQUEST, version=5), worker)
        first = _post(client, path, examples.CHANGE_REQUEST, citizen)
        twice = _post(client, path, examples.CHANGE_REQUEST, citizen)
        mixed = client.http.patch(f"/households/{hid}", body=json.dumps(dict(
            examples.HOUSEHOLD_PATCH, bank_account=examples.CHANGE_REQUEST["bank_account"])), headers=worker)
        member = client.http.patch(f"/households/{hid}/members/p-x", body=json.dumps(examples.MEMBER_PATCH),
                                   headers=citizen)
        outsider = _post(client, f"/change-requests/{first.json_body['request_id']}/approve",
                         examples.CHANGE_APPROVAL, token("district_admin", "1703202"))
        worker_decides = _post(client, f"/change-requests/{first.json_body['request_id']}/approve",
                               examples.CHANGE_APPROVAL, worker)
        citizen_queue = client.http.get("/change-requests", headers=citizen)
        bad_status = client.http.get("/change-requests?status=done", headers=worker)
    assert (missing.status_code, missing.json_body["error"]["code"], missing.json_body["error"]["field"]) == (
        400, "missing_field", "person_id")
    assert (foreign.status_code, foreign.json_body["error"]["code"]) == (400, "unknown_field")
    assert (stale.status_code, stale.json_body["error"]["code"]) == (409, "stale_version")
    assert first.status_code == 201
    assert (twice.status_code, twice.json_body["error"]["code"]) == (409, "change_request_pending")
    assert (mixed.status_code, mixed.json_body["error"]["code"]) == (400, "one_change_per_request")
    assert (member.status_code, member.json_body["error"]["code"]) == (403, "role_not_allowed")
    assert outsider.status_code == 404
    assert (worker_decides.status_code, worker_decides.json_body["error"]["code"]) == (403, "role_not_allowed")
    assert (citizen_queue.status_code, citizen_queue.json_body["error"]["code"]) == (403, "role_not_allowed")
    assert (bad_status.status_code, bad_status.json_body["error"]["code"]) == (400, "invalid_choice")


def test_a_death_reported_by_a_citizen_applies_on_approval(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        hid = _registered(client, worker)
        household = client.http.get(f"/households/{hid}", headers=worker).json_body
        head, spouse = household["members"][0]["person_id"], household["members"][1]["person_id"]
        reported = _post(client, f"/households/{hid}/change-requests", {
            "kind": "death", "version": 1, "person_id": head, "died_on": "2026-10-30",
            "new_head_person_id": spouse, "note": "death certificate seen"}, token("citizen", hid))
        approved = _post(client, f"/change-requests/{reported.json_body['request_id']}/approve",
                         examples.CHANGE_APPROVAL, token("district_admin", DISTRICT))
        after = client.http.get(f"/households/{hid}", headers=worker).json_body
    assert reported.status_code == 201, reported.body
    assert approved.status_code == 200, approved.body
    assert [m["person_id"] for m in after["members"] if m["relationship"] == "head"] == [spouse]
    assert len(after["members"]) == 3


_KIND_BODIES = [
    examples.CHANGE_REQUEST,
    {"kind": "phone", "version": 1, "person_id": "p-x", "phone": "+998977770022"},
    {"kind": "address", "version": 1, "address": examples.HOUSEHOLD_PATCH["address"]},
    {"kind": "member_moves_in", "version": 1, "member": examples.MEMBER_ADD["member"]},
    {"kind": "member_moves_out", "version": 1, "person_id": "p-x", "new_head_person_id": "p-y"},
    {"kind": "death", "version": 1, "person_id": "p-x", "died_on": "2026-10-30"},
]
_JUNK = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**20, max_value=10**20),
                  st.text(max_size=20), st.lists(st.integers(), max_size=2),
                  st.sampled_from(["payout_account", "death", "p-1", "2026-13-01"]))


@st.composite
def _mutated(draw: st.DrawFn) -> dict:
    body = copy.deepcopy(draw(st.sampled_from(_KIND_BODIES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        key = draw(st.sampled_from(sorted({*body, "kind", "person_id", "died_on", "bank_account", "member"})))
        if draw(st.booleans()):
            body[key] = draw(_JUNK)
        else:
            body.pop(key, None)
    return body


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_mutated())
def test_mutated_change_requests_never_get_a_500(token, body: dict) -> None:
    with Client(app) as client:
        response = client.http.post("/households/hh-missing/change-requests", body=json.dumps(body),
                                    headers=token("mahalla_worker", examples.EXAMPLE_MAHALLA))
    # The household does not exist: a body that parses ends in 404, any other in a 400 with its code
    assert response.status_code in (400, 404), response.body
    assert response.json_body["error"]["code"] != "internal_error"
