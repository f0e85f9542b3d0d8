"""Every sample event in events/ is replayed through the real Lambda entry point, in order."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app import app
from devstack.token import issue

EVENTS = Path(__file__).resolve().parents[2] / "events"
API_EVENTS = sorted((EVENTS / "api").glob("*.json"))


class LambdaContext:
    function_name = "spsr-dev-APIHandler"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:spsr-dev-APIHandler"
    aws_request_id = "7f9f3c5e-0000-4000-8000-000000000001"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def _fill(text: str, ids: dict[str, str]) -> str:
    def token(match: re.Match[str]) -> str:
        role, _, scope = match.group(1).partition(":")
        return issue(role, scope)

    for name, value in ids.items():  # first: a citizen's token names its household
        text = text.replace("${" + name + "}", value)
    text = re.sub(r"\$\{DATE:\+([0-9]+)\}", lambda m: (date.today() + timedelta(days=int(m.group(1)))).isoformat(),
                  text)
    return re.sub(r"\$\{TOKEN:([a-z_]+:?[0-9a-z-]*)\}", token, text)


@pytest.mark.usefixtures("aws")
def test_every_api_event_replays_with_its_expected_status() -> None:
    routes = {(path, method) for path, entry in app.routes.items() for method in entry}
    replayed = {(json.loads(p.read_text())["resource"], json.loads(p.read_text())["httpMethod"]) for p in API_EVENTS}
    assert replayed == routes, "an event per route"
    ids: dict[str, str] = {}
    for path in API_EVENTS:
        # Given the sample event with fresh tokens and the ids created so far
        event: dict[str, Any] = json.loads(_fill(path.read_text(encoding="utf-8"), ids))
        expected = event.pop("_expect_status")
        # When the Lambda handler receives it
        response = app(event, LambdaContext())
        # Then it answers with the expected status and JSON
        assert response["statusCode"] == expected, (path.name, response["body"])
        body = json.loads(response["body"])
        if path.name.endswith("submit_application.json"):
            ids["APPLICATION_ID"] = body["application_id"]
            ids["HOUSEHOLD_ID"] = body["household_id"]
            ids["PERSON_ID"] = body["members"][1]["person_id"]
        if path.name.endswith("submit_change_request.json"):
            ids["REQUEST_ID"] = body["request_id"]
        if path.name.endswith("file_grievance.json"):
            ids["GRIEVANCE_ID"] = body["grievance_id"]
            ids["GRIEVANCE_REFERENCE"] = body["reference"]
        if path.name.endswith("open_case.json"):
            ids["CASE_ID"] = body["case_id"]
        if path.name.endswith("refer_case.json"):
            ids["REFERRAL_ID"] = body["referrals"][0]["referral_id"]
        if path.name.endswith("request_document_upload.json"):
            ids["DOCUMENT_ID"] = body["document_id"]
    assert "${" not in json.dumps(ids)
