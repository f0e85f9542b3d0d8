"""Social work cases through the API on moto: opening, the supervisor's view, confidential notes, referrals
with the provider's answers, closure, the audit of every read, and the ministry's counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")
MAHALLA = examples.EXAMPLE_MAHALLA
DISTRICT = examples.EXAMPLE_DISTRICT
SIBLING_MAHALLA = "1726262017"  # another mahalla of the same district


def _post(client: Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.http.post(path, body=json.dumps(body), headers=headers)


def _application(client: Client, token) -> dict[str, Any]:
    created = _post(client, "/applications", examples.APPLICATION, token("mahalla_worker", MAHALLA))
    assert created.status_code == 201, created.body
    return created.json_body


def _household(client: Client, token) -> str:
    return _application(client, token)["household_id"]


def test_a_social_workers_case_with_a_referral_is_seen_by_the_supervisor_and_no_other_mahalla(token) -> None:
    worker = token("social_worker", MAHALLA, subject="sw-1")
    supervisor = token("supervisor", DISTRICT, subject="sup-1")
    elsewhere = token("social_worker", SIBLING_MAHALLA, subject="sw-9")
    with Client(app) as client:
        hid = _household(client, token)
        # Given a social worker opens a case for the family, assesses it and refers it to the employment centre
        opened = _post(client, "/cases", dict(examples.CASE, household_id=hid), worker)
        assert opened.status_code == 201, opened.body
        case_id = opened.json_body["case_id"]
        assert opened.json_body["worker_id"] == "sw-1" and opened.json_body["status"] == "open"
        assessed = _post(client, f"/cases/{case_id}/assessment", examples.CASE_ASSESSMENT, worker)
        assert assessed.status_code == 200, assessed.body
        assert assessed.json_body["status"] == "active"
        assert assessed.json_body["assessment"]["priorities"] == ["employment", "income", "housing"]
        referred = _post(client, f"/cases/{case_id}/referrals", examples.REFERRAL, worker)
        assert referred.status_code == 201, referred.body
        (referral,) = referred.json_body["referrals"]
        assert (referral["service"], referral["status"]) == ("employment_services", "sent")
        assert referral["provider"] == "district employment promotion centre"
        # When the supervisor of the district lists and reads the district's cases
        listed = client.http.get(f"/cases?district={DISTRICT}", headers=supervisor)
        read = client.http.get(f"/cases/{case_id}", headers=supervisor)
        # and a social worker of another mahalla of the district tries
        other_read = client.http.get(f"/cases/{case_id}", headers=elsewhere)
        other_list = client.http.get(f"/cases?mahalla={MAHALLA}", headers=elsewhere)
        own_list = client.http.get("/cases", headers=elsewhere)
        other_district = client.http.get(f"/cases/{case_id}", headers=token("supervisor", "1726264"))
    # Then the supervisor sees the case with its referral
    assert listed.status_code == 200 and [c["case_id"] for c in listed.json_body["items"]] == [case_id]
    assert read.status_code == 200 and read.json_body["referrals"][0]["referral_id"] == referral["referral_id"]
    # and nobody outside the mahalla (or the district) does
    assert other_read.status_code == 404 and other_district.status_code == 404
    assert other_list.status_code == 403 and other_list.json_body["error"]["code"] == "out_of_scope"
    assert own_list.status_code == 200 and own_list.json_body["items"] == []


def test_a_confidential_note_is_for_the_cases_worker_and_the_supervisors_and_every_read_is_audited(token) -> None:
    worker = token("social_worker", MAHALLA, subject="sw-1")
    colleague = token("social_worker", MAHALLA, subject="sw-2")
    supervisor = token("supervisor", DISTRICT, subject="sup-1")
    with Client(app) as client:
        hid = _household(client, token)
        case_id = _post(client, "/cases", dict(examples.CASE, household_id=hid), worker).json_body["case_id"]
        # Given the case's worker records a confidential note and a plain visit
        secret = _post(client, f"/cases/{case_id}/notes", dict(examples.CASE_NOTE, kind="note", confidential=True,
                                                               text="Signs of violence at home."), worker)
        visit = _post(client, f"/cases/{case_id}/notes", examples.CASE_NOTE, worker)
        # and a colleague of the same mahalla may not write a confidential one on it
        refused = _post(client, f"/cases/{case_id}/notes", dict(examples.CASE_NOTE, confidential=True), colleague)
        # When each reads the case
        by_worker = client.http.get(f"/cases/{case_id}", headers=worker).json_body
        by_colleague = client.http.get(f"/cases/{case_id}", headers=colleague).json_body
        by_supervisor = client.http.get(f"/cases/{case_id}", headers=supervisor).json_body
        audit = client.http.get(f"/audit/events?record_id={case_id}", headers=token("auditor")).json_body
    assert secret.status_code == visit.status_code == 201
    assert refused.status_code == 403 and refused.json_body["error"]["code"] == "not_case_worker"
    # Then the worker and the supervisor see both notes, the colleague only the visit
    assert [n["confidential"] for n in by_worker["notes"]] == [True, False]
    assert [n["confidential"] for n in by_supervisor["notes"]] == [True, False]
    assert [n["confidential"] for n in by_colleague["notes"]] == [False]
    assert "violence" not in json.dumps(by_colleague)
    # and every read is in the audit trail, by whom, without the note's text
    reads = [e for e in audit["items"] if e["action"] == "case.read"]
    assert sorted(e["actor"] for e in reads) == ["sup-1", "sw-1", "sw-2"]
    assert "violence" not in json.dumps(audit)


def test_a_case_opened_by_referral_is_taken_by_the_first_social_worker_and_one_is_open_per_family(token) -> None:
    officer = token("pension_fund_officer", DISTRICT, subject="officer-1")
    worker = token("social_worker", MAHALLA, subject="sw-1")
    with Client(app) as client:
        submitted = _application(client, token)
        hid = submitted["household_id"]
        grievance = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid, channel="hotline"),
                          token("hotline_operator"))
        gid = grievance.json_body["grievance_id"]
        # a referral must name a record of the family that can refer it
        wrong = _post(client, "/cases", {"household_id": hid, "origin": {"kind": "grievance", "ref": "gr-elsewhere"}},
                      officer)
        unnamed = _post(client, "/cases", {"household_id": hid, "origin": {"kind": "grievance"}}, officer)
        not_rejected = _post(client, "/cases", {"household_id": hid, "origin": {
            "kind": "rejected_idle_member", "ref": submitted["application_id"]}}, officer)
        # Given the Pension Fund officer refers the family from its grievance
        opened = _post(client, "/cases", {"household_id": hid, "origin": {"kind": "grievance", "ref": gid}}, officer)
        # When a second case is opened for the family
        twice = _post(client, "/cases", dict(examples.CASE, household_id=hid), worker)
        # and the mahalla's social worker assesses the referred case
        case_id = opened.json_body["case_id"]
        assessed = _post(client, f"/cases/{case_id}/assessment", examples.CASE_ASSESSMENT, worker)
        # and the officer who referred it tries to read it
        officer_read = client.http.get(f"/cases/{case_id}", headers=officer)
    assert wrong.status_code == 400 and wrong.json_body["error"]["code"] == "origin_not_found"
    assert unnamed.status_code == 400 and unnamed.json_body["error"]["field"] == "origin.ref"
    assert not_rejected.status_code == 400 and not_rejected.json_body["error"]["code"] == "origin_not_found"
    assert opened.status_code == 201 and opened.json_body["worker_id"] == ""
    assert opened.json_body["origin"] == "grievance" and opened.json_body["origin_ref"] == gid
    assert twice.status_code == 409 and twice.json_body["error"]["code"] == "case_open"
    assert assessed.json_body["worker_id"] == "sw-1"
    assert officer_read.status_code == 403 and officer_read.json_body["error"]["code"] == "role_not_allowed"


def test_referrals_follow_the_providers_answers_and_closure_counts_for_the_ministry(token) -> None:
    worker = token("social_worker", MAHALLA, subject="sw-1")
    with Client(app) as client:
        hid = _household(client, token)
        case_id = _post(client, "/cases", dict(examples.CASE, household_id=hid), worker).json_body["case_id"]
        too_early = _post(client, f"/cases/{case_id}/referrals", examples.REFERRAL, worker)
        incomplete = _post(client, f"/cases/{case_id}/assessment",
                           dict(examples.CASE_ASSESSMENT, needs={"income": 3}), worker)
        _post(client, f"/cases/{case_id}/assessment", examples.CASE_ASSESSMENT, worker)
        jobs = _post(client, f"/cases/{case_id}/referrals", examples.REFERRAL, worker).json_body["referrals"][0]
        again = _post(client, f"/cases/{case_id}/referrals", examples.REFERRAL, worker)
        health = _post(client, f"/cases/{case_id}/referrals", {"service": "health_care"}, worker)
        ids = {r["service"]: r["referral_id"] for r in health.json_body["referrals"]}
        path = f"/cases/{case_id}/referrals/{{}}/answer"
        skipped = _post(client, path.format(jobs["referral_id"]), {"status": "completed"}, worker)
        _post(client, path.format(ids["employment_services"]), examples.REFERRAL_ANSWER, worker)
        _post(client, path.format(ids["health_care"]), {"status": "declined", "note": "No places."}, worker)
        early_close = _post(client, f"/cases/{case_id}/close", {"outcome": "needs_met"}, worker)
        done = _post(client, path.format(ids["employment_services"]), {"status": "completed"}, worker)
        closed = _post(client, f"/cases/{case_id}/close", {"outcome": "needs_met"}, worker)
        after = _post(client, f"/cases/{case_id}/notes", examples.CASE_NOTE, worker)
        reopened = _post(client, "/cases", dict(examples.CASE, household_id=hid), worker)
        stats = client.http.get("/statistics/cases", headers=token("ministry_analyst")).json_body
    assert too_early.status_code == 409 and too_early.json_body["error"]["code"] == "not_assessed"
    assert incomplete.status_code == 400 and incomplete.json_body["error"]["field"].startswith("needs")
    assert again.status_code == 409 and again.json_body["error"]["code"] == "referral_open"
    assert skipped.status_code == 409 and skipped.json_body["error"]["code"] == "invalid_transition"
    assert early_close.status_code == 409 and early_close.json_body["error"]["code"] == "referral_open"
    assert done.status_code == 200 and closed.status_code == 200
    assert closed.json_body["status"] == "closed" and closed.json_body["outcome"] == "needs_met"
    assert after.status_code == 409 and after.json_body["error"]["code"] == "case_closed"
    assert reopened.status_code == 201  # a closed case frees the family for a new one
    assert stats["open"] == 1 and stats["by_origin"] == {"worker": 2} and stats["outcomes"] == {"needs_met": 1}
    assert {(r["service"], r["status"]): r["referrals"] for r in stats["referrals"]} == {
        ("employment_services", "completed"): 1, ("health_care", "declined"): 1}
    assert "1726" in {r["region_code"] for r in stats["rows"]}
