"""The OpenAPI document: valid 3.1, every route documented, and every example request works."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from chalicelib.api import examples

pytestmark = pytest.mark.usefixtures("aws")


def test_openapi_document_is_valid_and_public() -> None:
    with Client(app) as client:
        response = client.http.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json_body
    validate(spec)
    assert spec["openapi"] == "3.1.0"


def test_every_route_is_documented_and_every_post_and_patch_has_an_example() -> None:
    with Client(app) as client:
        spec = client.http.get("/openapi.json").json_body
    routes = {(path, method.lower()) for path, entry in app.routes.items() for method in entry}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert routes == documented
    for path, method in documented:
        if method in ("post", "patch"):
            media = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
            assert media["examples"]["default"]["value"], (path, method)


def test_the_documented_examples_work_in_order(token) -> None:
    """Given a worker token, When each documented request is sent in a natural order, Then each succeeds."""
    with Client(app) as client:
        spec = client.http.get("/openapi.json").json_body
        headers = token("mahalla_worker", examples.EXAMPLE_MAHALLA)

        def example(path: str, method: str) -> dict:
            return spec["paths"][path][method]["requestBody"]["content"]["application/json"]["examples"]["default"][
                "value"]

        created = client.http.post("/applications", body=json.dumps(example("/applications", "post")),
                                   headers=headers)
        assert created.status_code == 201
        app_id, hid = created.json_body["application_id"], created.json_body["household_id"]
        upload = client.http.post(f"/applications/{app_id}/documents",
                                  body=json.dumps(example("/applications/{application_id}/documents", "post")),
                                  headers=headers)
        assert upload.status_code == 201
        patched = client.http.patch(f"/households/{hid}", body=json.dumps(example("/households/{household_id}",
                                                                                  "patch")), headers=headers)
        assert patched.status_code == 200, patched.body
        spouse = patched.json_body["members"][1]["person_id"]
        member_patch = dict(example("/households/{household_id}/members/{person_id}", "patch"), version=2)
        assert client.http.patch(f"/households/{hid}/members/{spouse}", body=json.dumps(member_patch),
                                 headers=headers).status_code == 200
        member_add = dict(example("/households/{household_id}/members", "post"), version=3)
        assert client.http.post(f"/households/{hid}/members", body=json.dumps(member_add),
                                headers=headers).status_code == 201
        # A payout card change: reported by the worker, decided by a district officer
        officer = token("pension_fund_officer", examples.EXAMPLE_DISTRICT)
        report = dict(example("/households/{household_id}/change-requests", "post"), version=4)

        def submit() -> str:
            created = client.http.post(f"/households/{hid}/change-requests", body=json.dumps(report),
                                       headers=headers)
            assert created.status_code == 201, created.body
            return str(created.json_body["request_id"])

        for action, who, version in (("cancel", headers, None), ("reject", officer, None),
                                     ("approve", officer, 4)):
            body = example("/change-requests/{request_id}/" + action, "post")
            body = dict(body, version=version) if version else body
            decided = client.http.post(f"/change-requests/{submit()}/{action}", body=json.dumps(body), headers=who)
            assert decided.status_code == 200, (action, decided.body)
