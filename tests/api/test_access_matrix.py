"""The access matrix: every route x every role x in scope / out of scope, generated from the one table.

For each route (``OPERATIONS``) and role, the expected answer follows from the route's action in
``chalicelib/domain/access.py``:

- a role the action is not granted to: 403 (``role_not_allowed``, or ``aggregates_only``), in or out of scope;
- a granted role in scope: not refused (no 401, 403 or 404 ``not_found``, no 5xx); a read answers 200;
- a granted role out of scope: 404 ``not_found`` for a record named in the path, 403 ``out_of_scope`` for
  an area the request names (filter, address, district); where the service narrows what it shows
  (payroll reads, statistics, a listing without a filter) the answer holds nothing of the seeded family.

Every refused call must leave the stored data exactly as it was. A route added without an action, or
with an action the table does not know, fails here; new routes are covered without editing this file
as long as their path parameters are among ``PATH_PARAMS`` and their example body is valid.

One moto world per module (seeded once: a family with an application and a decision in Nihol MFY,
a second family in Andijon, a payroll run awaiting its districts' approval).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

import app as app_module
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoDecisionRepository
from chalicelib.api import examples
from chalicelib.api.http import OPERATIONS, Operation
from chalicelib.config import Settings
from chalicelib.domain import access
from chalicelib.domain.decisions import Outcome, ProgrammeResult, decided
from chalicelib.domain.identifiers import pinfl_check_digit
from chalicelib.domain.payroll import DistrictState, PayrollRun, execution_name
from devstack import access_table
from devstack.token import issue
from infra.resources import create_all
from tests.conftest import MOTO_CONFIG

app = app_module.app
MONTH = "2026-12"
IN_SCOPE = {"mahalla": examples.EXAMPLE_MAHALLA, "district": "1726262", "region": "1726"}
# Out of scope, as near as possible: a sibling mahalla, a sibling district, another region.
OUT_OF_SCOPE = {"mahalla": "1726262017", "district": "1726264", "region": "1703"}
OTHER_MAHALLA = "1703401010"  # the second family's, in Andijon
PATH_PARAMS = {"household_id", "application_id", "person_id", "month", "district_code", "request_id", "grievance_id",
               "reference", "case_id", "referral_id"}


@dataclass
class World:
    settings: Settings
    household_id: str
    application_id: str
    person_ids: tuple[str, ...]
    other_household_id: str
    request_id: str  # a pending change request of the family, reported by a caseworker of another subject
    grievance_id: str  # a grievance of the family about a payment (routed to the pension fund officers)
    reference: str  # its SMS reference
    case_id: str  # the family's social work case, with a referral
    referral_id: str

    def path_values(self) -> dict[str, str]:  # one value for each of PATH_PARAMS
        return {"household_id": self.household_id, "application_id": self.application_id,
                "person_id": self.person_ids[1], "month": MONTH, "district_code": IN_SCOPE["district"],
                "request_id": self.request_id, "grievance_id": self.grievance_id,
                "reference": self.reference, "case_id": self.case_id, "referral_id": self.referral_id}

    def scope(self, role: str, inside: bool) -> str:
        level = access.SCOPE_LEVEL[role]
        if level == "national":
            return ""
        if level == "household":
            return self.household_id if inside else self.other_household_id
        return (IN_SCOPE if inside else OUT_OF_SCOPE)[level]

    def markers(self) -> tuple[str, ...]:
        """Strings that betray the seeded family or its district in an answer."""
        return (self.household_id, self.application_id, *self.person_ids, f'"{IN_SCOPE["district"]}"')


def _pinfl(i: int) -> str:
    first13 = f"3010180703{400 + i:03d}"
    return first13 + pinfl_check_digit(first13)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "SPSR_APPLICATION_STATE_MACHINE_ARN",
                    "SPSR_PAYROLL_STATE_MACHINE_ARN"):
            mp.delenv(var, raising=False)
        for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                           ("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_REGION", "us-east-1")):
            mp.setenv(var, value)
        settings = Settings.from_env()
        with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
            create_all(boto3.client("dynamodb", region_name=settings.region),
                       boto3.client("s3", region_name=settings.region), settings,
                       boto3.client("kms", region_name=settings.region))
            bootstrap.reset()
            yield _seed(settings)
            bootstrap.reset()


def _seed(settings: Settings) -> World:
    with Client(app) as client:
        worker = _headers("mahalla_worker", IN_SCOPE["mahalla"])
        created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=worker)
        assert created.status_code == 201, created.body
        app_id, hid = created.json_body["application_id"], created.json_body["household_id"]
        household = client.http.get(f"/households/{hid}", headers=worker).json_body
        head = dict(examples.MEMBER_ADD["member"], pinfl=_pinfl(1), relationship="head")
        other = dict(examples.APPLICATION, members=[head], applicant_pinfl=head["pinfl"],
                     address=dict(examples.APPLICATION["address"], region_code="1703", district_code="1703401",
                                  mahalla_code=OTHER_MAHALLA))
        other_created = client.http.post("/applications", body=json.dumps(other),
                                         headers=_headers("mahalla_worker", OTHER_MAHALLA))
        assert other_created.status_code == 201, other_created.body
        reported = client.http.post(f"/households/{hid}/change-requests", body=json.dumps(examples.CHANGE_REQUEST),
                                    headers={**worker, "Authorization": "Bearer " + issue(
                                        "mahalla_worker", IN_SCOPE["mahalla"], subject="matrix-reporter")})
        assert reported.status_code == 201, reported.body
        grievance = client.http.post("/grievances", body=json.dumps(dict(examples.GRIEVANCE, household_id=hid)),
                                     headers=_headers("hotline_operator", ""))
        assert grievance.status_code == 201, grievance.body
        social = _headers("social_worker", IN_SCOPE["mahalla"])
        case = client.http.post("/cases", body=json.dumps(dict(examples.CASE, household_id=hid)), headers=social)
        assert case.status_code == 201, case.body
        case_id = case.json_body["case_id"]
        assessed = client.http.post(f"/cases/{case_id}/assessment", body=json.dumps(examples.CASE_ASSESSMENT),
                                    headers=social)
        assert assessed.status_code == 200, assessed.body
        referred = client.http.post(f"/cases/{case_id}/referrals", body=json.dumps(examples.REFERRAL), headers=social)
        assert referred.status_code == 201, referred.body
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    outcome = Outcome(period=MONTH, per_capita_income=900_000, threshold=669_000, programmes={
        "child_allowance": ProgrammeResult(False, 0, 0, 0, ("income_above_threshold",))})
    DynamoDecisionRepository(dynamodb, settings.applications_table).add(
        decided(app_id, 1, outcome, {}, "matrix", f"evidence/{app_id}/0001.json", f"{MONTH}-01T00:00:00+00:00"))
    districts = {IN_SCOPE["district"]: DistrictState("1726", 3, 900_000),
                 OUT_OF_SCOPE["district"]: DistrictState("1726", 2, 600_000),
                 "1703401": DistrictState("1703", 1, 300_000)}
    assert bootstrap.services().payroll.repo.save_run(PayrollRun(
        month=MONTH, execution_name=execution_name(MONTH), status="awaiting_approval", districts=districts))
    return World(settings, hid, app_id, tuple(m["person_id"] for m in household["members"]),
                 other_created.json_body["household_id"], reported.json_body["request_id"],
                 grievance.json_body["grievance_id"], grievance.json_body["reference"], case_id,
                 referred.json_body["referrals"][0]["referral_id"])


def _headers(role: str, scope: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(role, scope, subject=f'matrix-{role}-{scope}')}",
            "Content-Type": "application/json"}


def _snapshot(settings: Settings) -> dict[str, Any]:
    """Everything a call could change: the registry's tables (not the audit trail) and the buckets."""
    dynamodb = boto3.client("dynamodb", region_name=settings.region)
    s3 = boto3.client("s3", region_name=settings.region)
    out: dict[str, Any] = {}
    for table in (settings.registry_table, settings.applications_table, settings.assignments_table,
                  settings.payroll_table):
        items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
        out[table] = sorted(json.dumps(i, sort_keys=True) for i in items)
    for bucket in (settings.documents_bucket, settings.payroll_bucket):
        out[bucket] = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    return out


def _request(op: Operation, role: str, world: World) -> tuple[str, str | None, bool]:
    """The route's valid request as this role would send it: (url, body, whether it aims at an area)."""
    values = world.path_values()
    path = op.path.format(**{name: values[name] for name in _path_params(op.path)})
    level = access.SCOPE_LEVEL[role]
    names_area = any(param.name == level for param in op.query)
    if names_area:  # a listing filtered to the seeded family's area at the role's level
        path += f"?{level}={IN_SCOPE[level]}"
    example = op.example
    if example is not None and "household_id" in example:  # a body naming the household: the seeded one
        example = dict(example, household_id=world.household_id)
    body = json.dumps(example) if op.body is not None else None
    return path, body, names_area or op.method != "GET"


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _call(client: Client, method: str, path: str, body: str | None, headers: dict[str, str]) -> Any:
    return client.http.request(method, path, headers=headers, body=(body or "").encode())


def _code(response: Any) -> str | None:
    try:
        return str(json.loads(response.body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


def _check(op: Operation, role: str, inside: bool, response: Any, aims: bool, world: World) -> str | None:
    """What is wrong with the answer, or None. ``aims``: the request names an area (filter, address, district)."""
    assert op.action is not None
    action, status, code = op.action, response.status_code, _code(response)
    got = f"{status} {code}"
    if role not in action.grants:
        want = "aggregates_only" if action.personal and role in access.AGGREGATE_ONLY else "role_not_allowed"
        return None if (status, code) == (403, want) else f"expected 403 {want}, got {got}"
    refused = status >= 500 or status in (401, 403) or (status == 404 and code == "not_found")
    if inside:
        if refused:
            return f"expected to be allowed, got {got}"
        if op.method == "GET" and status != 200:
            return f"expected 200 for a read in scope, got {got}"
        return None
    if action.kind is access.Kind.RECORD:
        return None if (status, code) == (404, "not_found") else f"expected 404 not_found, got {got}"
    if action.kind is access.Kind.AREA and aims:
        return None if (status, code) == (403, "out_of_scope") else f"expected 403 out_of_scope, got {got}"
    # The service narrows the answer to the caller's reach: allowed, but nothing of the seeded family.
    if refused:
        return f"expected an answer narrowed to the scope, got {got}"
    text = response.body.decode() if isinstance(response.body, bytes) else str(response.body or "")
    leaked = [m for m in world.markers() if m in text]
    return f"the answer shows records outside the scope: {leaked}" if leaked else None


def _has_out_of_scope(role: str, action: access.Action) -> bool:
    grant = action.grants.get(role)
    return access.SCOPE_LEVEL[role] != "national" and grant is not access.Reach.NATIONAL


PROTECTED = [op for op in OPERATIONS if not op.public]


def _refused(op: Operation, role: str, inside: bool, aims: bool) -> bool:
    """Does the table refuse this call (so it must change nothing)?"""
    assert op.action is not None
    if role not in op.action.grants:
        return True
    return not inside and (op.action.kind is access.Kind.RECORD or (op.action.kind is access.Kind.AREA and aims))


@pytest.mark.parametrize("op", PROTECTED, ids=[f"{op.method} {op.path}" for op in PROTECTED])
def test_every_role_in_and_out_of_scope_gets_what_the_table_says(op: Operation, world: World) -> None:
    """Given the seeded world, When the route is called as every role with a token in and out of scope,
    Then each answer is the one the access table gives, and the refused calls changed nothing."""
    assert op.action is not None, f"{op.method} {op.path} names no access action"
    calls = [(role, inside) for role in access.ROLES for inside in (True, False)
             if inside or _has_out_of_scope(role, op.action)]  # a national role has no outside
    # The refused calls first, between two snapshots of the stored data; then the allowed ones.
    calls.sort(key=lambda c: not _refused(op, c[0], c[1], _request(op, c[0], world)[2]))
    failures: list[str] = []
    before = _snapshot(world.settings)
    checked_nothing_changed = False
    with Client(app) as client:
        for role, inside in calls:
            path, body, aims = _request(op, role, world)
            if not checked_nothing_changed and not _refused(op, role, inside, aims):
                checked_nothing_changed = True
                if _snapshot(world.settings) != before:
                    failures.append("the refused calls changed the stored data")
            response = _call(client, op.method, path, body, _headers(role, world.scope(role, inside)))
            problem = _check(op, role, inside, response, aims, world)
            if problem:
                failures.append(f"{role} {'in' if inside else 'out of'} scope: {problem}")
        if not checked_nothing_changed and _snapshot(world.settings) != before:
            failures.append("the refused calls changed the stored data")
    assert not failures, f"{op.method} {op.path} ({op.action.name}):\n" + "\n".join(failures)


def test_every_route_names_a_known_action_and_public_routes_none() -> None:
    """A new route must say which action it needs, or the matrix above cannot cover it."""
    for op in OPERATIONS:
        if op.public:
            assert op.action is None, f"{op.method} {op.path} is public but names {op.action}"
        else:
            assert op.action is not None, f"{op.method} {op.path} names no access action"
            assert access.BY_NAME.get(op.action.name) is op.action, f"{op.action.name} is not in the table"
    unknown = {name for op in PROTECTED for name in _path_params(op.path)} - PATH_PARAMS
    assert not unknown, f"add a seeded value for {sorted(unknown)} to World.path_values"


def test_the_readme_access_table_is_the_generated_one() -> None:
    """Given the README, Then its access table is exactly what the code's table generates."""
    readme = access_table.README.read_text(encoding="utf-8")
    assert access_table.section(readme) == access_table.render(), \
        "README.md's access table is stale: run .venv/bin/python -m devstack.access_table --write"


def test_a_citizen_cannot_change_their_household_or_its_application(world: World) -> None:
    """The attack of issue 8: a citizen's token for their own household changed the payout card, added
    members, uploaded documents, re-ran collection and posted manual evidence. Now each is refused with
    403 role_not_allowed and nothing changes; reading their own records and applying still work."""
    citizen = _headers("citizen", world.household_id)
    hid, aid = world.household_id, world.application_id
    attacks = [
        ("PATCH", f"/households/{hid}", examples.HOUSEHOLD_PATCH),
        ("POST", f"/households/{hid}/members", examples.MEMBER_ADD),
        ("PATCH", f"/households/{hid}/members/{world.person_ids[1]}", examples.MEMBER_PATCH),
        ("POST", f"/applications/{aid}/documents", examples.DOCUMENT_UPLOAD),
        ("POST", f"/applications/{aid}/collect", examples.RERUN),
        ("POST", f"/applications/{aid}/evidence", examples.MANUAL_EVIDENCE),
    ]
    with Client(app) as client:
        before = _snapshot(world.settings)
        answers = [(m, p, _call(client, m, p, json.dumps(b), citizen)) for m, p, b in attacks]
        after = _snapshot(world.settings)
        own = [client.http.get(p, headers=citizen).status_code
               for p in (f"/households/{hid}", f"/applications/{aid}", f"/applications/{aid}/decision")]
        applied = _call(client, "POST", "/applications", json.dumps(examples.APPLICATION), citizen)
    for method, path, response in answers:
        assert (response.status_code, _code(response)) == (403, "role_not_allowed"), (method, path, response.body)
    assert after == before
    assert own == [200, 200, 200]
    # Applying for their own household passes the access check (and meets the one-per-month rule)
    assert (applied.status_code, _code(applied)) == (409, "application_exists")
