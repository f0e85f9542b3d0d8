"""The OpenAPI contract, tested with schemathesis through chalice's test client (issue 8 item 5).

For every documented operation, schemathesis generates requests that conform to ``/openapi.json``
(positive mode) and sends them, with a token of a role that can reach the operation, to the app on
moto holding one registered household. Each answer must pass these checks:

- ``not_a_server_error``: no 5xx;
- ``status_code_conformance``: the status is one the document lists for the operation;
- ``response_schema_conformance``: the body conforms to the documented schema of that status;
- ``positive_data_acceptance``: a request the document calls valid is not refused with 400/413/415/422
  (401, 403, 404 and 409 are answers about who asks and what exists, and stay allowed).

A generated request is a fresh household's data, so the test fixes up, one by one, the rules a JSON
Schema cannot state and the field's description gives (``_fix_household_rules``): the address (and a
region, district or mahalla filter) is the token's mahalla (the reference geography is not enumerated
in the document), exactly one head, each PINFL once, the applicant among the members with a phone,
birth dates between 1900 and today and a passport or ID card from 16 on, a date of death not in the
future. A cursor is opaque (only a
next_cursor the API gave is one), so it is dropped; the calculator's evidence is the documented
example (the evidence schema and its semantic rules are tested in tests/rules and tests/oracle). Path
ids are drawn from the seeded records half of the time, so reads and updates of existing records are
exercised too, not only 404s. Bounded: a few examples per
operation (``SPSR_CONTRACT_EXAMPLES``, default 6), derandomised.
"""

from __future__ import annotations

import os
import random
from datetime import date, timedelta
from typing import Any

import pytest
import requests
import schemathesis
from chalice.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.transport import Response as SchemathesisResponse
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from chalicelib.api import examples, openapi
from chalicelib.domain.identifiers import luhn_check_digit, make_pinfl
from devstack.token import issue

pytestmark = pytest.mark.usefixtures("aws")

EXAMPLES = int(os.environ.get("SPSR_CONTRACT_EXAMPLES", "6"))
BASE = "http://spsr.test"
MAHALLA, DISTRICT, REGION = examples.EXAMPLE_MAHALLA, examples.EXAMPLE_MAHALLA[:7], examples.EXAMPLE_MAHALLA[:4]


@st.composite
def _pinfl(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1901, 1, 1), max_value=date.today()))
    return make_pinfl(draw(st.sampled_from("MF")), born, f"{draw(st.integers(0, 999)):03d}",
                      f"{draw(st.integers(0, 999)):03d}")


@st.composite
def _card(draw: st.DrawFn) -> str:
    partial = draw(st.sampled_from(["8600", "9860"])) + "".join(draw(st.lists(
        st.sampled_from("0123456789"), min_size=11, max_size=11)))
    return partial + luhn_check_digit(partial)


# The document's named formats (see chalicelib/api/schemas.py): values with a valid check digit.
schemathesis.openapi.format("pinfl", _pinfl())
schemathesis.openapi.format("card-number", _card())

SCHEMA = schemathesis.openapi.from_dict(openapi.document())
OPERATIONS = {op.label: op for op in (r.ok() for r in SCHEMA.get_all_operations())}
CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, response_schema_conformance,
          positive_data_acceptance]


def _role_for(path: str, method: str) -> tuple[str, str]:
    """A role that can reach the operation: the roles and scopes of README "Access"."""
    if path.endswith("/approve") or path.endswith("/reject"):
        return "district_admin", DISTRICT
    if path.startswith("/payroll"):
        return "payroll_officer", ""
    if path.startswith("/statistics"):
        return "ministry_analyst", ""
    return "mahalla_worker", MAHALLA


def _adult(rnd: random.Random) -> date:
    return date(rnd.randint(1930, date.today().year - 18), rnd.randint(1, 12), rnd.randint(1, 28))


def _fix_member(member: dict[str, Any], rnd: random.Random) -> None:
    if "birth_date" in member:
        born = date.fromisoformat(member["birth_date"])
        if not date(1900, 1, 1) <= born <= date.today():
            born = _adult(rnd)
        adult = born <= date.today() - timedelta(days=16 * 366)
        if adult and member.get("document", {}).get("kind") == "birth_certificate":
            member["document"] = {"kind": "id_card", "number": "AA1234567"}
        member["birth_date"] = born.isoformat()


def _fix_household_rules(body: Any, rnd: random.Random) -> None:
    """The rules the document states in descriptions only (see the module docstring), applied in place."""
    if not isinstance(body, dict):
        return
    if "address" in body and isinstance(body["address"], dict):
        body["address"].update(region_code=REGION, district_code=DISTRICT, mahalla_code=MAHALLA)
    if isinstance(body.get("died_on"), str) and date.fromisoformat(body["died_on"]) > date.today():
        body["died_on"] = date.today().isoformat()  # a date of death is not in the future
    if isinstance(body.get("member"), dict):
        _fix_member(body["member"], rnd)
        body["member"]["relationship"] = "other" if body["member"]["relationship"] == "head" else \
            body["member"]["relationship"]
    members = body.get("members")
    if isinstance(members, list) and members and isinstance(members[0], dict) and "pinfl" in members[0]:
        seen: set[str] = set()
        for i, member in enumerate(members):
            _fix_member(member, rnd)
            while member["pinfl"] in seen:
                member["pinfl"] = make_pinfl("M", _adult(rnd), f"{rnd.randint(0, 999):03d}",
                                             f"{rnd.randint(0, 999):03d}")
            seen.add(member["pinfl"])
            member["relationship"] = "head" if i == 0 else ("child" if member["relationship"] == "head"
                                                            else member["relationship"])
        members[0]["phone"] = members[0].get("phone") or "+998901112233"
        body["applicant_pinfl"] = members[0]["pinfl"]


def _seed(client: Client) -> dict[str, list[str]]:
    """One household registered through the API: the ids path parameters are drawn from."""
    import json

    worker = {"Authorization": f"Bearer {issue('mahalla_worker', MAHALLA)}", "Content-Type": "application/json"}
    created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=worker).json_body
    household = client.http.get(f"/households/{created['household_id']}", headers=worker).json_body
    return {"application_id": [created["application_id"]], "household_id": [created["household_id"]],
            "person_id": [m["person_id"] for m in household["members"]], "month": ["2026-12"],
            "district_code": [DISTRICT]}


def _send(client: Client, case: Any, role: tuple[str, str]) -> SchemathesisResponse:
    headers = {"Authorization": f"Bearer {issue(*role)}"} if case.operation.definition.raw.get("security") else {}
    kwargs = case.as_transport_kwargs(base_url=BASE, headers=headers)
    kwargs.pop("cookies", None)
    prepared = requests.Request(**kwargs).prepare()
    path = str(prepared.url)[len(BASE):]
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    answer = client.http.request(str(prepared.method), path, headers=dict(prepared.headers), body=body or b"")
    return SchemathesisResponse(
        status_code=answer.status_code, headers={k.lower(): [v] for k, v in answer.headers.items()},
        content=answer.body or b"", request=prepared, elapsed=0.0, verify=False)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_the_api_conforms_to_its_openapi_document(label: str) -> None:
    """Given the app with one registered household, When schemathesis sends requests valid by the document
    to the operation, Then every answer is a documented status with a conforming body, never a 5xx, and no
    valid request is refused as invalid."""
    operation = OPERATIONS[label]
    role = _role_for(operation.path, operation.method.upper())
    with Client(app) as client:
        seeded = _seed(client)

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE), data=st.data())
        def exercise(case: Any, data: st.DataObject) -> None:
            rnd = random.Random(data.draw(st.integers(0, 2**32)))
            for name in list(case.path_parameters or {}):
                if name in seeded and data.draw(st.booleans()):
                    case.path_parameters[name] = data.draw(st.sampled_from(seeded[name]))
            _fix_household_rules(case.body, rnd)
            for name, code in (("region", REGION), ("district", DISTRICT), ("mahalla", MAHALLA)):
                if case.query and name in case.query:  # reference codes, as in an address
                    case.query[name] = code
            if case.query:
                case.query.pop("cursor", None)  # opaque: only a next_cursor the API returned is one
            if operation.path == "/assessments/preview" and isinstance(case.body, dict):
                case.body["evidence"] = examples.ASSESSMENT_PREVIEW["evidence"]
            case.validate_response(_send(client, case, role), checks=CHECKS)

        exercise()
