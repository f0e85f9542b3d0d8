"""End to end on the embedded local stack: moto server, seeded registry, ``chalice local`` over HTTP.

This is what ``make run`` serves; the test walks the checks a new user makes by hand.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api import examples
from devstack.population import household
from devstack.stack import EmbeddedStack, free_port
from devstack.token import issue

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    log = Path(tmp_path_factory.mktemp("stack")) / "chalice-local.log"
    with EmbeddedStack(moto_port=free_port(), api_port=free_port(), households=200, api_log=log) as running:
        yield running


def call(stack: EmbeddedStack, method: str, path: str, token: str | None = None,
         body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(stack.api_url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_a_new_user_walks_through_the_registry(stack: EmbeddedStack) -> None:
    worker = issue("mahalla_worker", examples.EXAMPLE_MAHALLA)
    # The OpenAPI document is served without a token
    status, spec = call(stack, "GET", "/openapi.json")
    assert status == 200 and spec["openapi"] == "3.1.0"
    example = spec["paths"]["/applications"]["post"]["requestBody"]["content"]["application/json"]["examples"][
        "default"]["value"]
    # The example, posted by a worker of that mahalla, gets 201 and an id; again, 409
    status, created = call(stack, "POST", "/applications", worker, example)
    assert status == 201 and created["application_id"]
    status, again = call(stack, "POST", "/applications", worker, example)
    assert status == 409 and again["error"]["code"] == "application_exists"
    # A malformed PINFL gets 400 naming the field
    status, bad = call(stack, "POST", "/applications", worker, dict(example, applicant_pinfl="1234"))
    assert status == 400 and bad["error"]["field"] == "applicant_pinfl"
    # A token scoped to another district gets 404 on that application
    status, _ = call(stack, "GET", f"/applications/{created['application_id']}",
                     issue("pension_fund_officer", "1726264"))
    assert status == 404


def test_a_citizen_sees_only_their_own_seeded_household(stack: EmbeddedStack) -> None:
    # Given two households the seeder wrote
    own = household(0, reference_month=stack.reference_month)
    other = household(1, reference_month=stack.reference_month)
    citizen = issue("citizen", own.household_id)
    # When the citizen reads both, Then only their own is there, with its members
    status, body = call(stack, "GET", f"/households/{own.household_id}", citizen)
    assert status == 200 and [m["person_id"] for m in body["members"]] == [p.person_id for p in own.members]
    status, _ = call(stack, "GET", f"/households/{other.household_id}", citizen)
    assert status == 404


def test_a_seeded_family_s_application_is_decided_by_the_workflow(stack: EmbeddedStack) -> None:
    from devstack.applications import applicants, application_payload

    # Given a seeded household, When its mahalla worker files its application over HTTP
    h = applicants(5, 1, seed=stack.seed_value, reference_month=stack.reference_month)[0]
    worker = issue("mahalla_worker", h.mahalla_code)
    status, created = call(stack, "POST", "/applications", worker, application_payload(h, stack.reference_month))
    assert status == 201, created
    # Then the workflow on the local stack decides it within a minute, and the decision is readable
    deadline = time.monotonic() + 60
    current = created
    while time.monotonic() < deadline and current["status"] not in ("assigned", "rejected", "needs_review"):
        time.sleep(0.5)
        _, current = call(stack, "GET", f"/applications/{created['application_id']}", worker)
    assert current["status"] in ("assigned", "rejected"), current["history"]
    status, decision = call(stack, "GET", f"/applications/{created['application_id']}/decision", worker)
    assert status == 200 and decision["decision"]["period"] == created["cycle_month"]
