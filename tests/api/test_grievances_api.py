"""Grievances through the API: filed by the hotline with a reference by SMS, routed to the district's
officers by category, answered, rated; a grievance past its deadline escalated to the region by the
daily sweep and counted overdue; the ministry's counts without personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from app import app
from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.tasks import grievances as tasks

pytestmark = pytest.mark.usefixtures("aws")

DISTRICT, REGION = examples.EXAMPLE_DISTRICT, examples.EXAMPLE_DISTRICT[:4]


SWEEP = {k: v for k, v in json.loads(
    (Path(__file__).parents[2] / "events" / "schedules" / "grievance_sweep.json").read_text()).items()
    if k != "_function"}


def grievance_sweep() -> dict[str, Any]:
    return tasks.grievance_sweep(SWEEP, None)  # type: ignore[no-any-return]


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> MovableClock:
    # Tuesday 1 December 2026, 09:00 in Tashkent
    moved = MovableClock(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    bootstrap.services().__dict__["clock"] = moved
    return moved


def _post(client: Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.http.post(path, body=json.dumps(body), headers=headers)


def _texts() -> list[str]:
    backend = sns_backends[DEFAULT_ACCOUNT_ID][boto3.session.Session().region_name or "us-east-1"]
    return [text for _, text, *_ in backend.sms_messages.values()]


def _family(client: Client, token: Any) -> str:
    created = _post(client, "/applications", examples.APPLICATION, token("mahalla_worker", examples.EXAMPLE_MAHALLA))
    assert created.status_code == 201, created.body
    return str(created.json_body["household_id"])


def test_a_hotline_grievance_is_routed_answered_and_rated(token, clock: MovableClock) -> None:
    hotline = token("hotline_operator", subject="hotline-1")
    officer = token("pension_fund_officer", DISTRICT, subject="officer-1")
    with Client(app) as client:
        hid = _family(client, token)
        citizen = token("citizen", hid, subject="citizen-1")
        # When the hotline files a grievance that a payment did not arrive
        filed = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid), hotline)
        assert filed.status_code == 201, filed.body
        g = filed.json_body
        # Then it is received, due 15 days after the day of receipt, in the pension fund officers' queue,
        # and the family has its reference by SMS
        assert (g["status"], g["due"], g["level"], g["handler_role"], g["filed_role"]) == (
            "received", "2026-12-16", "district", "pension_fund_officer", "hotline_operator")
        assert any(g["reference"] in text for text in _texts())
        queue = client.http.get("/grievances?status=received", headers=officer).json_body["items"]
        assert [x["grievance_id"] for x in queue] == [g["grievance_id"]]
        # And the hotline may read it, and find it by the reference the family quotes, but works nothing
        assert client.http.get(f"/grievances/{g['grievance_id']}", headers=hotline).status_code == 200
        found = client.http.get(f"/grievances/by-reference/{g['reference'].lower()}", headers=hotline)
        assert found.status_code == 200 and found.json_body["grievance_id"] == g["grievance_id"]
        missing = client.http.get("/grievances/by-reference/G000000000", headers=hotline)
        assert (missing.status_code, missing.json_body["error"]["field"]) == (404, "reference")
        refused = _post(client, f"/grievances/{g['grievance_id']}/assign", {}, hotline)
        assert (refused.status_code, refused.json_body["error"]["code"]) == (403, "role_not_allowed")
        # And the region cannot take what is still with the district
        region = _post(client, f"/grievances/{g['grievance_id']}/assign", {}, token("region_admin", REGION))
        assert (region.status_code, region.json_body["error"]["code"]) == (409, "wrong_level")
        # When the officer takes it and resolves it as paid
        taken = _post(client, f"/grievances/{g['grievance_id']}/assign", {}, officer)
        assert (taken.status_code, taken.json_body["status"], taken.json_body["assignee"]) == (
            200, "in_review", "officer-1")
        early = _post(client, f"/grievances/{g['grievance_id']}/rate", {"rating": 5}, citizen)
        assert (early.status_code, early.json_body["error"]["code"]) == (409, "not_closed")
        clock.at += timedelta(days=3)
        resolved = _post(client, f"/grievances/{g['grievance_id']}/resolve", examples.GRIEVANCE_RESOLVE, officer)
        assert resolved.status_code == 200, resolved.body
        # Then the family rates it once
        rated = _post(client, f"/grievances/{g['grievance_id']}/rate", examples.GRIEVANCE_RATING, citizen)
        again = _post(client, f"/grievances/{g['grievance_id']}/rate", {"rating": 1}, citizen)
        own = client.http.get(f"/households/{hid}/grievances", headers=citizen).json_body["items"]
        stats = client.http.get("/statistics/grievances", headers=token("ministry_analyst")).json_body
    body = resolved.json_body
    assert (body["status"], body["outcome_code"], body["closed_on"], body["overdue"]) == (
        "resolved", "paid", "2026-12-04", False)
    assert [e["status"] for e in body["history"]] == ["received", "in_review", "resolved"]
    assert rated.status_code == 200 and rated.json_body["rating"] == 4
    assert (again.status_code, again.json_body["error"]["code"]) == (409, "already_rated")
    assert [x["grievance_id"] for x in own] == [g["grievance_id"]]
    # And the ministry's counts hold it, with no personal data
    assert stats["rows"] == [{"region_code": REGION, "category": "payment_not_received", "status": "resolved",
                              "grievances": 1}]
    assert (stats["closed"], stats["median_days_to_answer"], stats["share_answered_in_time"]) == (1, 3, 1.0)
    assert stats["ratings"]["4"] == 1
    assert hid not in json.dumps(stats) and "card" not in json.dumps(stats)


def test_a_staff_conduct_complaint_goes_to_the_district_administration(token, clock: MovableClock) -> None:
    with Client(app) as client:
        hid = _family(client, token)
        filed = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid, category="staff_conduct",
                                                  channel="web"), token("citizen", hid, subject="citizen-1"))
        gid = filed.json_body["grievance_id"]
        officer = _post(client, f"/grievances/{gid}/assign", {}, token("pension_fund_officer", DISTRICT))
        admin = _post(client, f"/grievances/{gid}/assign", {}, token("district_admin", DISTRICT, subject="adm-1"))
    assert filed.status_code == 201 and filed.json_body["handler_role"] == "district_admin"
    assert (officer.status_code, officer.json_body["error"]["code"]) == (403, "routed_elsewhere")
    assert admin.status_code == 200 and admin.json_body["status"] == "in_review"


def test_a_grievance_past_its_deadline_is_escalated_and_counted_overdue(token, clock: MovableClock) -> None:
    officer = token("pension_fund_officer", DISTRICT)
    region = token("region_admin", REGION, subject="region-1")
    with Client(app) as client:
        hid = _family(client, token)
        gid = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid),
                     token("hotline_operator")).json_body["grievance_id"]
        # Given its last day, 16 December, passes with no answer
        clock.at = datetime(2026, 12, 16, 18, 0, tzinfo=UTC)  # 23:00 on the 16th in Tashkent: still in time
        assert grievance_sweep() == {"escalated": 0, "overdue": 0}
        clock.at = datetime(2026, 12, 16, 19, 10, tzinfo=UTC)  # 00:10 on the 17th in Tashkent
        # When the daily sweep runs (twice: a retry escalates nothing twice)
        first = grievance_sweep()
        second = grievance_sweep()
        clock.at += timedelta(minutes=5)
        g = client.http.get(f"/grievances/{gid}", headers=officer).json_body
        overdue = client.http.get(f"/grievances/overdue?region={REGION}", headers=region).json_body["items"]
        district_overdue = client.http.get("/grievances/overdue", headers=officer).json_body["items"]
        late = _post(client, f"/grievances/{gid}/assign", {}, officer)
        taken = _post(client, f"/grievances/{gid}/assign", {}, region)
        other = client.http.get("/grievances/overdue", headers=token("region_admin", "1703")).json_body["items"]
        stats = client.http.get("/statistics/grievances", headers=token("ministry_analyst")).json_body
    # Then it is with the region, with a new period from the escalation, and the family is told
    assert first == {"escalated": 1, "overdue": 1} and second == {"escalated": 0, "overdue": 1}
    assert (g["status"], g["level"], g["escalated_on"], g["region_due"], g["handler_role"], g["overdue"]) == (
        "escalated", "region", "2026-12-17", "2027-01-04", "region_admin", True)
    assert g["history"][-1]["actor_role"] == "system" and g["history"][-1]["note_code"] == "deadline_breached"
    assert sum(g["reference"] in text for text in _texts()) == 3  # received, escalated, in review
    # And the district's officers can no longer take it; the region can
    assert (late.status_code, late.json_body["error"]["code"]) == (409, "wrong_level")
    assert taken.status_code == 200 and taken.json_body["status"] == "in_review"
    # And the overdue lists of its region and district show it (a breach stays overdue), not another region's
    assert [x["grievance_id"] for x in overdue] == [gid] and [x["grievance_id"] for x in district_overdue] == [gid]
    assert other == []
    assert stats["escalated"] == 1


def test_bad_input_is_a_clear_400_and_writes_nothing(token, clock: MovableClock) -> None:
    hotline = token("hotline_operator")
    with Client(app) as client:
        hid = _family(client, token)
        appeal = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid, category="decision_appeal"),
                       hotline)
        empty = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid, description=""), hotline)
        unknown = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id="hh-0"), hotline)
        foreign = _post(client, "/grievances", dict(examples.GRIEVANCE, household_id=hid, application_id="app-0"),
                        hotline)
        listed = client.http.get(f"/households/{hid}/grievances", headers=hotline).json_body["items"]
    assert (appeal.status_code, appeal.json_body["error"]["field"]) == (400, "category")
    assert (empty.status_code, empty.json_body["error"]["field"]) == (400, "description")
    assert (unknown.status_code, unknown.json_body["error"]["code"]) == (404, "not_found")
    assert (foreign.status_code, foreign.json_body["error"]["field"]) == (400, "application_id")
    assert listed == []
