"""The whole application workflow on moto: the ASL executing the real handlers, agencies on loopback.

Given a seeded household and the 13 agency stubs answering from the same synthetic population,
when a mahalla worker submits its application, then the Step Functions run collects, assesses,
records and notifies, and the decision is the one the rules give for the agencies' evidence.
Each kind of agency fault ends in needs_review with the source named, and nothing is lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.applications import cycle_month
from chalicelib.services.assessment import assess
from devstack import lambda_bridge
from devstack.agencies.run import RunningAgencies, start_all
from devstack.applications import applicants, application_payload
from devstack.population import SynthHousehold, evidence_for, household
from devstack.seed import to_household
from devstack.token import issue

ASL = lambda_bridge.ROOT / "statemachines" / "application.asl.json"
PERIOD = cycle_month(datetime.now(UTC), 15)
POPULATION = 60


@pytest.fixture(scope="module")
def agencies() -> Iterator[RunningAgencies]:
    running = start_all(POPULATION, seed=2026, reference_month=PERIOD)
    yield running
    running.stop()


@pytest.fixture
def flow(aws: Settings, agencies: RunningAgencies, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """moto with the application state machine deployed and the registry seeded with the population."""
    agencies.clear_faults()
    lambda_bridge.install(app)
    sfn = boto3.client("stepfunctions", region_name=aws.region)
    arn = lambda_bridge.deploy_state_machine(sfn, "spsr-application", ASL, app)
    monkeypatch.setenv("SPSR_APPLICATION_STATE_MACHINE_ARN", arn)
    monkeypatch.setenv("SPSR_AGENCY_URLS", json.dumps(agencies.urls))
    monkeypatch.setenv("SPSR_AGENCY_TIMEOUT_S", "0.5")
    monkeypatch.setenv("SPSR_AGENCY_RETRIES", "1")
    monkeypatch.setenv("SPSR_AGENCY_BACKOFF_S", "0")
    # An agency down is waited for 1 s, then 2 s, for 2 s in all (seconds where AWS has a day): a fault that
    # lasts goes to review after two rounds.
    monkeypatch.setenv("SPSR_COLLECTION_WAIT_S", "1")
    monkeypatch.setenv("SPSR_COLLECTION_WAIT_MAX_S", "2")
    monkeypatch.setenv("SPSR_COLLECTION_PATIENCE_S", "2")
    settings = Settings.from_env()
    repo = DynamoHouseholdRepository(boto3.client("dynamodb", region_name=aws.region), settings.registry_table,
                                     bootstrap.field_cipher(settings))
    households = [to_household(household(i, reference_month=PERIOD), "2026-11-01T00:00:00+00:00")
                  for i in range(POPULATION)]
    repo.put_seed(households, [_registered(h) for h in households])
    bootstrap.reset()
    yield settings
    agencies.clear_faults()
    lambda_bridge.uninstall()


def _registered(h):  # the change record the seeder writes
    from chalicelib.domain.households import ChangeRecord

    return ChangeRecord(household_id=h.household_id, version=1, at="2026-11-01T00:00:00+00:00", actor_id="seeder",
                        actor_role="system", action="household_registered", target="household")


def submit(client: Client, h: SynthHousehold) -> dict:
    headers = {"Authorization": f"Bearer {issue('mahalla_worker', h.mahalla_code)}",
               "Content-Type": "application/json"}
    response = client.http.post("/applications", body=json.dumps(application_payload(h, PERIOD)), headers=headers)
    assert response.status_code == 201, response.body
    return response.json_body


def wait_for(execution_name: str, timeout: float = 60.0) -> dict:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = Settings.from_env().application_state_machine_arn
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{execution_name}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.1)
    raise AssertionError(f"{execution_name} still running after {timeout} s")


def _sms_sent(settings: Settings, application_id: str) -> list[dict]:
    db = boto3.client("dynamodb", region_name=settings.region)
    items = db.scan(TableName=settings.audit_table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith(f"SMS#{application_id}:")]


def _households(n: int) -> list[SynthHousehold]:
    return applicants(0, n, reference_month=PERIOD)


def test_applications_are_decided_as_the_rules_decide_the_agencies_evidence(flow: Settings) -> None:
    with Client(app) as client:
        for h in _households(3):
            created = submit(client, h)
            run = wait_for(created["application_id"])
            assert run["status"] == "SUCCEEDED", run
            app_id = created["application_id"]
            worker = {"Authorization": f"Bearer {issue('mahalla_worker', h.mahalla_code)}"}
            final = client.http.get(f"/applications/{app_id}", headers=worker).json_body
            decision = client.http.get(f"/applications/{app_id}/decision", headers=worker).json_body
            # The decision is what the rules say for the evidence the agencies hold
            expected = assess({**evidence_for(h, PERIOD), "programmes": application_payload(h, PERIOD)["programmes"]})
            assert decision["decision"] == expected["decision"]
            assert final["status"] == ("assigned" if any(
                p["eligible"] for p in expected["decision"]["programmes"].values()) else "rejected")
            assert [s["status"] for s in final["history"]] == ["submitted", "collecting", "assessed", final["status"]]
            # Every agency was asked about every member, on the worker's behalf, with ids only
            log = client.http.get(f"/applications/{app_id}/access-log", headers=worker).json_body["items"]
            members = application_payload(h, PERIOD)["members"]
            assert {e["agency"] for e in log} == set(flow.required_agencies)
            assert len({(e["agency"], e["person_id"]) for e in log}) == len(flow.required_agencies) * len(members)
            assert all(e["application_id"] == app_id for e in log)
            assert not any(m["pinfl"] in json.dumps(log) for m in members)
            # Two SMS: received and the decision, once each
            assert sorted(i["template"]["S"] for i in _sms_sent(flow, app_id)) == sorted(
                ["received", "assigned" if final["status"] == "assigned" else "rejected"])


@pytest.mark.parametrize("mode", ["timeout", "http_500", "soap_fault", "malformed"])
def test_an_agency_fault_that_lasts_sends_the_application_to_review_naming_the_source(
        flow: Settings, agencies, mode) -> None:
    agency = "cadastre" if mode == "soap_fault" else "tax"
    agencies.set_faults(agency, mode=mode, timeout_s=1.0)
    h = _households(1)[0]
    with Client(app) as client:
        created = submit(client, h)
        run = wait_for(created["application_id"])
        worker = {"Authorization": f"Bearer {issue('mahalla_worker', h.mahalla_code)}"}
        final = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    assert run["status"] == "SUCCEEDED"
    assert final["status"] == "needs_review"
    assert agency in final["history"][-1]["note"]
    # An agency that is down is waited for (one "delayed" SMS) before the review; a malformed answer is not
    sms = sorted(i["template"]["S"] for i in _sms_sent(flow, created["application_id"]))
    assert sms == sorted(["received", "needs_review"] + (["decision_delayed"] if mode != "malformed" else []))


def test_an_outage_is_waited_out_and_the_family_decided_without_review(flow: Settings, agencies,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    # Given the tax authority down when the family applies, and back a few seconds later
    monkeypatch.setenv("SPSR_COLLECTION_PATIENCE_S", "60")
    bootstrap.reset()
    agencies.set_faults("tax", mode="http_500")
    threading.Timer(2.5, agencies.clear_faults).start()
    h = _households(2)[1]
    with Client(app) as client:
        created = submit(client, h)
        app_id = created["application_id"]
        run = wait_for(app_id, timeout=90)
        worker = {"Authorization": f"Bearer {issue('mahalla_worker', h.mahalla_code)}"}
        final = client.http.get(f"/applications/{app_id}", headers=worker).json_body
        log = client.http.get(f"/applications/{app_id}/access-log", headers=worker).json_body["items"]
    # Then the workflow waited, asked the tax authority again, and decided: no review, no staff work
    assert run["status"] == "SUCCEEDED" and final["status"] in ("assigned", "rejected")
    assert [s["status"] for s in final["history"]] == ["submitted", "collecting", "assessed", final["status"]]
    # and the family got one SMS that its decision is delayed, however many rounds it took
    sms = sorted(i["template"]["S"] for i in _sms_sent(flow, app_id))
    assert sms == sorted(["received", "decision_delayed", final["status"]])
    # and the agencies that had answered were not asked again: one success per agency and member
    answered = [(e["agency"], e["person_id"]) for e in log if e["outcome"] in ("ok", "not_known")]
    assert len(answered) == len(set(answered)) == len(flow.required_agencies) * len(h.members)


def test_staff_rerun_after_the_agency_recovers_decides_the_application(flow: Settings, agencies) -> None:
    h = _households(2)[1]
    agencies.set_faults("tax", mode="http_500")
    worker = {"Authorization": f"Bearer {issue('mahalla_worker', h.mahalla_code)}", "Content-Type": "application/json"}
    with Client(app) as client:
        created = submit(client, h)
        wait_for(created["application_id"])
        # Given the tax authority is back, When staff run collection again
        agencies.clear_faults()
        rerun = client.http.post(f"/applications/{created['application_id']}/collect",
                                 body=json.dumps({"note": "tax service restored"}), headers=worker)
        assert rerun.status_code == 202 and rerun.json_body["attempt"] == 2
        run = wait_for(f"{created['application_id']}-2")
        final = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    # Then the second run decides it, and the history keeps both runs
    assert run["status"] == "SUCCEEDED"
    assert final["status"] in ("assigned", "rejected") and final["attempt"] == 2
    statuses = [s["status"] for s in final["history"]]
    assert statuses[:3] == ["submitted", "collecting", "needs_review"] and statuses[-1] == final["status"]


def _household(household_id: str) -> SynthHousehold:
    return next(h for h in _households(30) if h.household_id == household_id)


def _staff(role: str, scope: str, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(role, scope, subject=subject)}", "Content-Type": "application/json"}


def _in_review_with_a_document(client: Client, agencies, h: SynthHousehold, worker: dict[str, str]) -> tuple[dict, str]:
    agencies.set_faults("tax", mode="http_500")
    created = submit(client, h)
    wait_for(created["application_id"])
    upload = client.http.post(f"/applications/{created['application_id']}/documents", headers=worker,
                              body=json.dumps({"kind": "income_statement", "content_type": "application/pdf",
                                               "size_bytes": 120_000}))
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=Settings.from_env().documents_bucket, Key=upload.json_body["upload"]["fields"]["key"], Body=b"%PDF")
    in_review = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    assert in_review["status"] == "needs_review" and upload.status_code == 201
    return in_review, upload.json_body["document_id"]


def _zero_tax(app: dict, document_id: str, **extra: object) -> str:
    return json.dumps({"agency": "tax", "justification": "the family says nobody has worked since the summer",
                       "document_id": document_id,
                       "members": [{"id": m["person_id"], "incomes": [], "employment_sector": "none", **extra}
                                   for m in app["members"]]})


def _assignments(settings: Settings, application_id: str) -> list[dict]:
    db = boto3.client("dynamodb", region_name=settings.region)
    items = db.scan(TableName=settings.assignments_table)["Items"]
    return [i for i in items if i["application_id"]["S"] == application_id]


def test_the_attack_fails_and_the_agencys_own_data_decides(flow: Settings, agencies) -> None:
    # Given the family whose tax data gives 1,216,250 som per capita (threshold 669,000), with tax down
    h = _household("hh-0000024")
    worker = _staff("mahalla_worker", h.mahalla_code, "worker-24")
    with Client(app) as client:
        in_review, doc = _in_review_with_a_document(client, agencies, h, worker)
        path = f"/applications/{in_review['application_id']}/evidence"
        # When the citizen posts "tax" evidence with zero income and a labour-agency flag for every member
        citizen = client.http.post(path, body=_zero_tax(in_review, doc, job_seeker_registered=True),
                                   headers=_staff("citizen", in_review["household_id"], "citizen-24"))
        # and staff post the same
        staff = client.http.post(path, body=_zero_tax(in_review, doc, job_seeker_registered=True), headers=worker)
        unchanged = client.http.get(f"/applications/{in_review['application_id']}", headers=worker).json_body
        # Then both fail and nothing changed
        assert citizen.status_code == 403 and citizen.json_body["error"]["code"] == "role_not_allowed"
        assert staff.status_code == 400 and staff.json_body["error"]["code"] == "field_not_supplied_by_agency"
        assert staff.json_body["error"]["field"] == "members[0].job_seeker_registered"
        assert unchanged == in_review
        # When the tax authority is back and staff run collection again, its own data decides
        agencies.clear_faults()
        client.http.post(f"/applications/{in_review['application_id']}/collect",
                         body=json.dumps({"note": "tax service restored"}), headers=worker)
        wait_for(f"{in_review['application_id']}-2")
        decision = client.http.get(f"/applications/{in_review['application_id']}/decision", headers=worker).json_body
    assert decision["status"] == "rejected"
    assert (decision["decision"]["per_capita_income"], decision["decision"]["threshold"]) == (1_216_250, 669_000)
    assert _assignments(flow, in_review["application_id"]) == []


def test_manual_facts_that_make_a_family_eligible_wait_for_a_second_officer(flow: Settings, agencies) -> None:
    # Given a family the tax authority's data makes ineligible, with tax down
    h = _household("hh-0000006")
    worker = _staff("mahalla_worker", h.mahalla_code, "worker-6")
    with Client(app) as client:
        in_review, doc = _in_review_with_a_document(client, agencies, h, worker)
        app_id = in_review["application_id"]
        # When staff enter zero tax income by hand
        entered = client.http.post(f"/applications/{app_id}/evidence", body=_zero_tax(in_review, doc), headers=worker)
        run = wait_for(f"{app_id}-2")
        waiting = client.http.get(f"/applications/{app_id}", headers=worker).json_body
        pending = client.http.get(f"/applications/{app_id}/decision", headers=worker).json_body
        # Then the eligible decision waits: no assignment, no decision SMS
        assert entered.status_code == 202 and run["status"] == "SUCCEEDED"
        assert waiting["status"] == "awaiting_approval" and pending["approval"]["status"] == "pending"
        assert pending["explanation"]["manual_evidence"][0]["entered_by"] == "worker-6"
        assert _assignments(flow, app_id) == []
        assert not any(i["template"]["S"] in ("assigned", "rejected") for i in _sms_sent(flow, app_id))
        # When the same officer, now as district admin, approves: refused
        same = client.http.post(f"/applications/{app_id}/decision/approve", body=json.dumps({}),
                                headers=_staff("district_admin", h.district_code, "worker-6"))
        assert same.status_code == 403 and _assignments(flow, app_id) == []
        # When a second officer approves
        approved = client.http.post(f"/applications/{app_id}/decision/approve",
                                    body=json.dumps({"note": "checked with the employer"}),
                                    headers=_staff("pension_fund_officer", h.district_code, "officer-6"))
        final = client.http.get(f"/applications/{app_id}", headers=worker).json_body
        decision = client.http.get(f"/applications/{app_id}/decision", headers=worker).json_body
    # Then the assignments are made, the family is told, and the pair is in the history and explanation
    assert approved.status_code == 200 and final["status"] == "assigned"
    assert {i["programme"]["S"] for i in _assignments(flow, app_id)} == set(
        p for p, r in decision["decision"]["programmes"].items() if r["eligible"])
    assert "assigned" in {i["template"]["S"] for i in _sms_sent(flow, app_id)}
    assert decision["explanation"]["second_officer"]["by"] == "officer-6"
    assert final["history"][-1]["actor_id"] == "officer-6" and "tax by worker-6" in final["history"][-1]["note"]
    assert any(s["actor_id"] == "worker-6" and "tax entered by hand" in (s["note"] or "") for s in final["history"])
    assert [s["status"] for s in final["history"]][-3:] == ["assessed", "awaiting_approval", "assigned"]


def test_the_sweep_starts_the_run_of_an_application_whose_start_failed(flow: Settings) -> None:
    from datetime import timedelta

    from chalicelib.adapters.dynamodb import DynamoApplicationRepository
    from chalicelib.adapters.system import RandomIds, SystemClock
    from chalicelib.domain.access import Principal
    from chalicelib.services.intake import IntakeService
    from chalicelib.tasks.application_workflow import start_pending_workflows
    from tests.builders import application_request

    class Broken:
        configured = True

        def start(self, name: str, payload: dict[str, object]) -> bool:
            raise ConnectionError("Step Functions unreachable")

    # Given an application stored while its workflow could not be started
    h = _households(5)[4]
    db = boto3.client("dynamodb", region_name=flow.region)
    applications = DynamoApplicationRepository(db, flow.applications_table)
    broken = IntakeService(DynamoHouseholdRepository(db, flow.registry_table, bootstrap.field_cipher(flow)),
                           applications, SystemClock(), RandomIds(), flow, workflow=Broken())
    stored = broken.submit(Principal("w", "mahalla_worker", h.mahalla_code),
                           application_request(application_payload(h, PERIOD)))
    event = json.loads((lambda_bridge.ROOT / "events" / "schedules" / "start_pending_workflows.json").read_text())
    event.pop("_function")
    # When the scheduled sweep runs at once, then a minute and a half later, then again
    at_once = start_pending_workflows(event, None)
    later = SystemClock()
    later.now = lambda: datetime.now(UTC) + timedelta(seconds=90)  # type: ignore[method-assign]
    services = bootstrap.services()
    services.__dict__.pop("start_sweep", None)
    services.__dict__["clock"] = later
    first = start_pending_workflows(event, None)
    run = wait_for(stored.application_id)
    second = start_pending_workflows(event, None)
    # Then the sweep leaves a start a minute to happen, starts the run once after, and finds nothing more
    assert at_once == {"found": 0, "started": 0, "superseded": 0}
    assert first == {"found": 1, "started": 1, "superseded": 0}
    assert second == {"found": 0, "started": 0, "superseded": 0}
    assert run["status"] == "SUCCEEDED" and list(applications.pending_starts()) == []


def test_a_started_run_leaves_no_pending_start(flow: Settings) -> None:
    from chalicelib.adapters.dynamodb import DynamoApplicationRepository

    # Given an application submitted through the API with the workflow configured
    h = _households(6)[5]
    with Client(app) as client:
        created = submit(client, h)
    # Then its run started at intake and its pending start is cleared: the sweep has nothing to do
    assert wait_for(created["application_id"])["status"] == "SUCCEEDED"
    applications = DynamoApplicationRepository(boto3.client("dynamodb", region_name=flow.region),
                                               flow.applications_table)
    assert [p for p in applications.pending_starts() if p.application_id == created["application_id"]] == []


def test_a_family_unknown_to_the_civil_registry_goes_to_review(flow: Settings) -> None:
    from chalicelib.api import examples

    # Given a family none of the agencies knows (the documented example), When it applies
    worker = {"Authorization": f"Bearer {issue('mahalla_worker', examples.EXAMPLE_MAHALLA)}",
              "Content-Type": "application/json"}
    with Client(app) as client:
        created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=worker).json_body
        run = wait_for(created["application_id"])
        final = client.http.get(f"/applications/{created['application_id']}", headers=worker).json_body
    # Then nothing is decided on missing data: the application waits for staff, naming the source
    assert run["status"] == "SUCCEEDED" and final["status"] == "needs_review"
    assert "civil_registry (person_not_known)" in final["history"][-1]["note"]
