"""The OpenAPI document: valid 3.1, every route documented, and every example request works."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client
from openapi_spec_validator import validate

from app import app
from chalicelib.api import examples, openapi
from chalicelib.domain import identifiers

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


def _walk(node: object, defs: dict, path: str = "", seen: frozenset = frozenset()):
    """Every (path, schema) leaf of a request schema, following references."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                yield from _walk(defs[name], defs, path, seen | {name})
            return
        yield path, node
        for key in ("properties",):
            for name, child in (node.get(key) or {}).items():
                yield from _walk(child, defs, f"{path}.{name}", seen)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                yield from _walk(node[key], defs, f"{path}[]", seen)
        for key in ("anyOf", "oneOf", "allOf"):
            for child in node.get(key) or []:
                yield from _walk(child, defs, path, seen)


def test_the_document_is_as_strict_as_the_api() -> None:
    """Given the document, Then every string a client sends has a pattern, an enum, a format or a length
    bound, every array and map a size bound, every parameter its pattern, enum or bounds, and the paging
    parameters are typed."""
    spec = openapi.document()
    defs = spec["components"]["schemas"]
    loose = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for param in op.get("parameters", []):
                schema = param["schema"]
                if not ({"pattern", "enum", "maximum"} & set(schema)):
                    loose.append(f"{method} {path} {param['name']}")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for where, node in _walk(body, defs) if body else ():
                kind = node.get("type")
                if kind == "string" and not ({"pattern", "enum", "format", "maxLength", "const"} & set(node)):
                    loose.append(f"{method} {path} {where}")
                if kind == "array" and "maxItems" not in node:
                    loose.append(f"{method} {path} {where} (array)")
                if kind == "object" and node.get("additionalProperties") not in (False, None) \
                        and "maxProperties" not in node:
                    loose.append(f"{method} {path} {where} (map)")
    assert loose == []
    params = {p["name"]: p["schema"] for p in spec["paths"]["/applications"]["get"]["parameters"]}
    assert params["limit"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert params["status"]["enum"] and params["cycle_month"]["pattern"] == identifiers.MONTH
    member = defs["MemberIn"]["properties"]
    assert member["pinfl"]["pattern"] == "^[1-6][0-9]{13}$" and member["pinfl"]["format"] == "pinfl"
    assert "pattern" in member["phone"]["anyOf"][0]
    numbers = {v["properties"]["kind"]["enum"][0]: v["properties"]["number"]
               for v in defs["BankAccountIn"]["oneOf"]}
    assert numbers["card"]["pattern"] == "^[0-9]{16}$" and numbers["account"]["pattern"] == "^[0-9]{20}$"


def test_every_route_documents_a_typed_success_and_every_error_it_can_answer() -> None:
    spec = openapi.document()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            statuses = {int(s) for s in op["responses"]}
            success = [s for s in statuses if s < 300]
            assert success, (method, path)
            for status in success:  # a response model for each, not a bare object
                schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
                assert "$ref" in schema and schema != {"$ref": "#/components/schemas/ErrorOut"}, (method, path)
            for status in statuses - set(success):
                assert op["responses"][str(status)]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
            assert 500 in statuses
            if "requestBody" in op:
                assert {400, 413, 415} <= statuses, (method, path)
            if "security" in op:
                assert {401, 403} <= statuses, (method, path)
    callback = spec["paths"]["/bank/callbacks"]["post"]
    assert {int(s) for s in callback["responses"]} == {200, 202, 400, 401, 409, 413, 415, 500, 503}
    assert callback["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CallbackQueuedOut"}
    patch = spec["paths"]["/households/{household_id}"]["patch"]["responses"]
    assert patch["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HouseholdOut"}
    assert patch["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChangeRequestOut"}
    signature = next(p for p in callback["parameters"] if p["name"] == "X-Signature")
    assert signature["required"] and signature["schema"]["pattern"] == "^[0-9a-fA-F]{64}$"
