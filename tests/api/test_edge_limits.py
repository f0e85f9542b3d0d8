"""Limits at the edge (issue 8 item 4): every attack gets a clear 4xx in the error shape and changes nothing."""

from __future__ import annotations

import copy
import json
import time

import jwt
import pytest
from chalice.test import Client

from app import app
from chalicelib.api import examples
from chalicelib.api.http import MAX_BODY_BYTES, check_json_shape
from chalicelib.config import Settings
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.signatures import sign

pytestmark = pytest.mark.usefixtures("aws")

BANK_SECRET = "spsr-local-bank-secret"


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _error(response) -> tuple[int, str]:
    body = response.json_body
    assert set(body["error"]) == {"code", "message", "field"}, body
    return response.status_code, body["error"]["code"]


def _signed(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    return {"Content-Type": "application/json", "X-Bank-Id": "XALQ", "X-Signature-Timestamp": timestamp,
            "X-Signature": sign(BANK_SECRET, timestamp, body)}


def _registered(client: Client, headers: dict[str, str]) -> dict:
    created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=headers)
    assert created.status_code == 201, created.body
    return client.http.get(f"/households/{created.json_body['household_id']}", headers=headers).json_body


def test_json_nested_1000_deep_is_refused_before_parsing_on_every_route_with_a_body(token) -> None:
    """Given a registered household, When JSON nested 1,000 deep is sent to the application, household
    and bank-callback routes, Then each answers 400 too_deeply_nested and nothing is stored."""
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    deep = _nested(1000)
    with Client(app) as client:
        household = _registered(client, worker)
        path = f"/households/{household['household_id']}"
        answers = [
            client.http.post("/applications", body=deep, headers=worker),
            client.http.patch(path, body=deep, headers=worker),
            client.http.post("/bank/callbacks", body=deep, headers=_signed(deep)),
            client.http.post("/bank/callbacks", body=b"[" * 1000 + b"]" * 1000, headers=_signed(b"[]")),
        ]
        after = client.http.get(path, headers=worker).json_body
        listed = client.http.get("/applications", headers=worker).json_body["items"]
    assert [_error(r) for r in answers] == [(400, "too_deeply_nested")] * 4
    assert after == household and len(listed) == 1


def test_a_body_within_the_depth_limit_is_parsed_and_one_beyond_it_is_not() -> None:
    check_json_shape(_nested(12))
    check_json_shape(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[\\"[[[[["}')  # brackets inside strings do not count
    with pytest.raises(ValidationFailed) as deep:
        check_json_shape(_nested(13))
    with pytest.raises(ValidationFailed) as long:
        check_json_shape(b"[" + b"0," * 1000 + b"0]")
    assert (deep.value.code, long.value.code) == ("too_deeply_nested", "too_many_items")


def test_a_body_larger_than_the_limit_is_413_and_long_arrays_are_400(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    big = json.dumps(dict(examples.APPLICATION, padding="x" * MAX_BODY_BYTES)).encode()
    many = copy.deepcopy(examples.APPLICATION)
    many["members"] = many["members"] * 11  # 44 members: more than a household may have
    with Client(app) as client:
        too_large = client.http.post("/applications", body=big, headers=worker)
        too_many = client.http.post("/applications", body=json.dumps(many), headers=worker)
        callback = client.http.post("/bank/callbacks", body=b" " * (6 * 1024 * 1024 + 1), headers=_signed(b"x"))
        listed = client.http.get("/applications", headers=worker).json_body["items"]
    assert _error(too_large) == (413, "body_too_large") and _error(callback) == (413, "body_too_large")
    assert _error(too_many) == (400, "too_many_items") and too_many.json_body["error"]["field"] == "members"
    assert listed == []


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1", "application/jsonx"])
def test_a_body_without_a_json_content_type_is_415(token, content_type: str | None) -> None:
    """Given a valid application, When it is sent without Content-Type or with another one, Then 415."""
    headers = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    headers.pop("Content-Type")
    if content_type is not None:
        headers["Content-Type"] = content_type
    with Client(app) as client:
        refused = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=headers)
        signed = {k: v for k, v in _signed(b"{}").items() if k != "Content-Type"}
        if content_type is not None:
            signed["Content-Type"] = content_type
        callback = client.http.post("/bank/callbacks", body=b"{}", headers=signed)
        listed = client.http.get("/applications", headers=headers).json_body["items"]
    assert _error(refused) == (415, "unsupported_media_type")
    assert refused.json_body["error"]["field"] == "Content-Type"
    assert _error(callback) == (415, "unsupported_media_type")
    assert listed == []


def test_json_with_a_charset_parameter_is_accepted(token) -> None:
    headers = dict(token("mahalla_worker", examples.EXAMPLE_MAHALLA), **{
        "Content-Type": "Application/JSON; charset=UTF-8"})
    with Client(app) as client:
        created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=headers)
    assert created.status_code == 201, created.body


@pytest.mark.parametrize("version", ["1", "100", True, 1.5, [1], None])
def test_a_string_boolean_or_fraction_for_an_integer_is_refused(token, version: object) -> None:
    """Given a household at version 1, When a patch gives its version as "1", true or 1.5, Then 400 and
    the household is unchanged (1.0 is an integer in JSON Schema's terms, and accepted)."""
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    with Client(app) as client:
        household = _registered(client, worker)
        path = f"/households/{household['household_id']}"
        refused = client.http.patch(path, body=json.dumps(dict(examples.HOUSEHOLD_PATCH, version=version)),
                                    headers=worker)
        after = client.http.get(path, headers=worker).json_body
    assert _error(refused) == (400, "invalid_integer")
    assert refused.json_body["error"]["field"] == "version"
    assert after == household


def test_a_string_for_a_boolean_is_refused(token) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    body = copy.deepcopy(examples.MANUAL_EVIDENCE)
    body["members"][0]["detained"] = "true"
    with Client(app) as client:
        refused = client.http.post("/applications/app-0001/evidence", body=json.dumps(body), headers=worker)
    assert _error(refused) == (400, "invalid_boolean")
    assert refused.json_body["error"]["field"] == "members[0].detained"


def _token(role: str, scope: object) -> dict[str, str]:
    settings = Settings.from_env()
    now = int(time.time())
    claims = {"sub": f"dev-{role}", "custom:role": role, "custom:scope": scope, "iss": settings.jwt_issuer,
              "aud": settings.jwt_audience, "iat": now, "exp": now + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, settings.jwt_secret, algorithm='HS256')}",
            "Content-Type": "application/json"}


@pytest.mark.parametrize(("role", "scope"), [
    ("mahalla_worker", "17"), ("mahalla_worker", "1726262"), ("mahalla_worker", "1726262010 "),
    ("mahalla_worker", "172626201a"), ("mahalla_worker", 1726262010), ("region_admin", "1726262010"),
    ("region_admin", "17"), ("district_admin", "1726"), ("pension_fund_officer", "1726262010"),
    ("citizen", "1726262010"), ("citizen", ""), ("ministry_analyst", "1726"), ("auditor", "hh-1"),
    ("mahalla_worker", "١٧٢٦٢٦٢٠١٠"),
])
def test_a_scope_claim_not_in_its_roles_code_format_is_an_invalid_token(role: str, scope: object) -> None:
    """Given a correctly signed token whose scope is not the code of its role's level, When it is used,
    Then 401 invalid_token and nothing is created."""
    with Client(app) as client:
        refused = client.http.post("/applications", body=json.dumps(examples.APPLICATION),
                                   headers=_token(role, scope))
        listed = client.http.get("/applications", headers=_token("mahalla_worker", examples.EXAMPLE_MAHALLA))
    assert _error(refused) == (401, "invalid_token")
    assert listed.json_body["items"] == []


@pytest.mark.parametrize(("role", "scope"), [("mahalla_worker", "1726262010"), ("district_admin", "1726262"),
                                              ("region_admin", "1726"), ("citizen", "hh-0001"),
                                              ("ministry_analyst", "")])
def test_a_scope_claim_in_its_roles_format_is_accepted(role: str, scope: str) -> None:
    with Client(app) as client:
        answer = client.http.get("/applications/app-0001", headers=_token(role, scope))
    assert answer.status_code in (403, 404) and answer.json_body["error"]["code"] != "invalid_token"


@pytest.mark.parametrize("signature", [
    lambda s: f" {s} ", lambda s: f"{s} ", lambda s: f"\t{s}", lambda s: s[:-1], lambda s: s + "0",
    lambda s: "sha256=" + s, lambda s: s[:32] + " " + s[33:], lambda s: "g" + s[1:], lambda s: s.encode().hex(),
])
def test_a_signature_that_is_not_exactly_64_hex_digits_is_401_before_the_body_is_read(signature) -> None:
    """Given a correctly signed callback whose signature header is reformatted, When it is sent, Then 401
    bad_signature, even though the body is not even JSON."""
    body = b"not json at all"
    headers = _signed(body)
    headers["X-Signature"] = signature(headers["X-Signature"])
    with Client(app) as client:
        refused = client.http.post("/bank/callbacks", body=body, headers=headers)
    assert _error(refused) == (401, "bad_signature")
    assert refused.json_body["error"]["field"] == "X-Signature"


def test_a_replay_is_caught_on_the_normalised_signature() -> None:
    """Given a bank notification applied once, When it is replayed with the signature in upper case or with
    spaces around it, Then the upper-case one is a replay (409) and the spaced one a bad signature (401),
    and neither changes anything."""
    from chalicelib.domain.errors import Conflict, Unauthorized
    from tests.payroll_fakes import fake_world, run_until_sent

    world = fake_world(n=5)
    run_until_sent(world)
    world.bank.clock = lambda: world.service.clock.now().timestamp()
    (xml,) = world.bank.notifications()
    headers, body = world.bank.signed_callback("camt.054", xml)

    def receive(signature: str) -> dict:
        return world.service.receive_callback(bank_id="XALQ", timestamp=headers["X-Signature-Timestamp"],
                                              signature=signature, body=body, message_type="camt.054",
                                              document=xml.decode())

    first = receive(headers["X-Signature"])
    sent = dict(world.sms.sent)
    with pytest.raises(Conflict) as upper:
        receive(headers["X-Signature"].upper())
    with pytest.raises(Unauthorized) as spaced:
        receive(f" {headers['X-Signature']} ")
    assert first["changed"] == 5
    assert (upper.value.code, spaced.value.code) == ("replayed_callback", "bad_signature")
    assert world.sms.sent == sent


def test_the_calculators_evidence_is_bounded_like_its_documented_schema(token) -> None:
    """Given the documented evidence example, When a member id is 65 characters long, Then 400 too_long on
    that field; the example itself is decided."""
    staff = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    long_id = copy.deepcopy(examples.ASSESSMENT_PREVIEW)
    long_id["evidence"]["members"][0]["id"] = "m" * 65
    with Client(app) as client:
        refused = client.http.post("/assessments/preview", body=json.dumps(long_id), headers=staff)
        decided = client.http.post("/assessments/preview", body=json.dumps(examples.ASSESSMENT_PREVIEW),
                                   headers=staff)
    assert _error(refused) == (400, "too_long") and refused.json_body["error"]["field"] == "evidence"
    assert decided.status_code == 200 and decided.json_body["rules_version"]
