"""Manual evidence and the second officer (services on fakes, the real rules).

The attack this closes: with the tax authority down, facts entered "as the tax authority" with no
income and a labour-agency flag for every member made a family eligible although the tax
authority's own data gives 1,216,250 som per capita against a 669,000 threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pytest

from chalicelib.agency_ports import AGENCY_NAMES, AgencyQuery, AgencyUnavailable
from chalicelib.config import Settings
from chalicelib.domain.access import Principal
from chalicelib.domain.applications import Application
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.domain.evidence import AgencyFacts, IncomeFact, PersonFacts
from chalicelib.services.applications import ApplicationService
from chalicelib.services.assessment import assess
from chalicelib.services.intake import IntakeService
from chalicelib.services.workflow import WorkflowService
from tests.agency_fakes import FakeAgency, InMemoryAccessLog
from tests.builders import WORKER, application_request
from tests.fakes import (
    FakeApplications,
    FakeDecisions,
    FakeDocumentStore,
    FakeEvidenceStore,
    FakeHouseholds,
    FakeWorkflow,
    FixedClock,
    SequentialIds,
)
from tests.payroll_fakes import FakeAssignments, FakeSms

DISTRICT = "1726262"
CITIZEN_ROLE = "citizen"
SECOND = Principal("officer-2", "pension_fund_officer", DISTRICT)
SALARY = 4_865_000  # the head's monthly salary: 3 x 4,865,000 / 4 members / 3 months = 1,216,250 per capita


@dataclass
class World:
    applications: ApplicationService
    workflow: WorkflowService
    apps: FakeApplications
    decisions: FakeDecisions
    assignments: FakeAssignments
    sms: FakeSms
    starts: FakeWorkflow
    agency_state: dict[str, bool]
    documents: FakeDocumentStore


def _agencies(world_state: dict[str, bool]) -> list[FakeAgency]:
    def answer(name: str):
        def facts(q: AgencyQuery) -> AgencyFacts:
            if name == "tax" and world_state["tax_down"]:
                raise AgencyUnavailable("tax", "HTTP 503")
            out = AgencyFacts(name)
            for k, ref in enumerate(q.persons):
                head, adult = k == 0, k < 2
                out.persons[ref.person_id] = {
                    "tax": PersonFacts(incomes=[IncomeFact(m, "salary", SALARY) for m in q.months] if head else [],
                                       employment_sector="non_state" if head else "none"),
                    "labour": PersonFacts(job_seeker_registered=adult),
                    "depository": PersonFacts(securities_market_value=0),
                    "local_government": PersonFacts(iron_notebook=False),
                    "defence": PersonFacts(military_conscript=False),
                    "penitentiary": PersonFacts(detained=False),
                }.get(name, PersonFacts())
            if name == "civil_registry":
                births = (date(1988, 3, 14), date(1991, 7, 2), date(2015, 5, 20), date(2023, 1, 9))
                for k, ref in enumerate(q.persons):
                    out.persons[ref.person_id] = PersonFacts(birth_date=births[k], sex="MFMF"[k], parent_pinfls=())
            return out

        return facts

    return [FakeAgency(name, answer(name)) for name in AGENCY_NAMES]


@pytest.fixture
def world() -> World:
    clock, ids, settings = FixedClock(), SequentialIds(), Settings()
    households, apps = FakeHouseholds(), FakeApplications()
    decisions, assignments, sms, starts = FakeDecisions(), FakeAssignments(), FakeSms(), FakeWorkflow()
    state = {"tax_down": True}
    agencies = _agencies(state)
    documents = FakeDocumentStore()
    applications = ApplicationService(apps, documents, clock, ids, settings, starts, decisions,
                                      InMemoryAccessLog())
    workflow = WorkflowService(apps, decisions, assignments, FakeEvidenceStore(), sms, lambda: agencies,
                               InMemoryAccessLog(), assess, clock, settings)
    IntakeService(households, apps, clock, ids, settings, starts).submit(WORKER, application_request())
    return World(applications, workflow, apps, decisions, assignments, sms, starts, state, documents)


def _only(world: World) -> Application:
    return next(iter(world.apps.items.values()))


def _run(world: World, attempt: int) -> dict:
    """The state machine's path for one attempt: Begin, Collect, then Assess/Record/Notify or NeedsReview."""
    app_id = _only(world).application_id
    world.workflow.begin(app_id, attempt)
    collected = world.workflow.collect(app_id, attempt)
    if not collected.complete:
        return world.workflow.needs_review(app_id, attempt, collected.missing)
    world.workflow.assess(app_id, attempt, collected.evidence_key)
    recorded = world.workflow.record(app_id, attempt)
    world.workflow.notify(app_id, attempt)
    return recorded


def _in_review_with_a_document(world: World) -> tuple[Application, str]:
    assert _run(world, 1)["status"] == "needs_review"
    app = _only(world)
    ref, _ = world.applications.request_upload(WORKER, app.application_id, "income_statement", "application/pdf", 1000)
    world.documents.uploaded.add(ref.s3_key)  # the client posted the file to its presigned URL
    return _only(world), ref.document_id


def _zero_tax(app: Application) -> list[tuple[str, PersonFacts]]:
    return [(m.person_id, PersonFacts(incomes=[], employment_sector="none")) for m in app.members]


def test_a_citizen_cannot_enter_evidence(world: World) -> None:
    app, doc = _in_review_with_a_document(world)
    citizen = Principal("citizen-1", CITIZEN_ROLE, app.household_id)
    before, runs = _only(world), dict(world.starts.started)
    with pytest.raises(Forbidden) as err:
        world.applications.enter_evidence(citizen, app.application_id, "tax", _zero_tax(app),
                                          "we have no income at all", doc)
    assert err.value.code == "role_not_allowed"
    assert _only(world) == before and world.starts.started == runs


def test_tax_evidence_cannot_carry_a_labour_agency_flag(world: World) -> None:
    # Given the attack: "tax" facts with zero income and job_seeker_registered for every member
    app, doc = _in_review_with_a_document(world)
    facts = [(m.person_id, PersonFacts(incomes=[], employment_sector="none", job_seeker_registered=True))
             for m in app.members]
    before, runs = _only(world), dict(world.starts.started)
    with pytest.raises(ValidationFailed) as err:
        world.applications.enter_evidence(WORKER, app.application_id, "tax", facts, "tax service is down", doc)
    # Then it is refused naming the field, and nothing changed
    assert (err.value.code, err.value.field) == ("field_not_supplied_by_agency", "members[0].job_seeker_registered")
    assert _only(world) == before and world.starts.started == runs


@pytest.mark.parametrize(("facts", "field", "code"), [
    ([("p-x", PersonFacts())], "members[0].id", "unknown_member"),
    ([("HEAD", PersonFacts(incomes=[IncomeFact("2026-10", "pension", 1)]))], "members[0].incomes[0].source",
     "field_not_supplied_by_agency"),
    ([("HEAD", PersonFacts(incomes=[IncomeFact("2026-11", "salary", 1)]))], "members[0].incomes[0].month",
     "month_outside_window"),
    ([("HEAD", PersonFacts()), ("HEAD", PersonFacts())], "members[1].id", "duplicate_member"),
])
def test_manual_facts_are_checked_member_by_member(world: World, facts, field: str, code: str) -> None:
    app, doc = _in_review_with_a_document(world)
    facts = [(app.applicant_person_id if pid == "HEAD" else pid, f) for pid, f in facts]
    with pytest.raises(ValidationFailed) as err:
        world.applications.enter_evidence(WORKER, app.application_id, "tax", facts, "tax service is down", doc)
    assert (err.value.field, err.value.code) == (field, code)


def test_the_document_must_belong_to_the_application(world: World) -> None:
    app, _ = _in_review_with_a_document(world)
    with pytest.raises(ValidationFailed) as err:
        world.applications.enter_evidence(WORKER, app.application_id, "tax", _zero_tax(app), "tax service down",
                                          "doc-of-someone-else")
    assert (err.value.field, err.value.code) == ("document_id", "unknown_document")
    # and must have been uploaded, not only announced
    ref, _ = world.applications.request_upload(WORKER, app.application_id, "other", "application/pdf", 1000)
    with pytest.raises(ValidationFailed) as err:
        world.applications.enter_evidence(WORKER, app.application_id, "tax", _zero_tax(app), "tax service down",
                                          ref.document_id)
    assert (err.value.field, err.value.code) == ("document_id", "document_not_uploaded")


def test_eligible_on_manual_facts_waits_for_a_second_officer(world: World) -> None:
    # Given staff entering zero tax income by hand while the tax authority is down
    app, doc = _in_review_with_a_document(world)
    moved = world.applications.enter_evidence(WORKER, app.application_id, "tax", _zero_tax(app),
                                              "the family says nobody works", doc)
    assert moved.attempt == 2 and f"{app.application_id}-2" in world.starts.started
    # When the second attempt runs
    recorded = _run(world, 2)
    # Then the decision is eligible but pending: no assignment, no decision SMS
    stored = world.decisions.latest(app.application_id)
    assert stored is not None and stored.eligible and stored.approval.status == "pending"
    assert recorded["status"] == "awaiting_approval" and _only(world).status == "awaiting_approval"
    assert world.assignments.items == {}
    assert not any(k.startswith(f"{app.application_id}:decision") for k in world.sms.sent)
    # and the explanation names who entered the facts
    assert stored.explained()["manual_evidence"][0]["entered_by"] == WORKER.subject
    # When the officer who entered them tries to approve
    with pytest.raises(Forbidden) as err:
        world.workflow.approve(replace(WORKER, role="district_admin", scope=DISTRICT), app.application_id)
    assert err.value.code == "same_officer" and world.assignments.items == {}
    # and a mahalla worker (not an approver)
    with pytest.raises(Forbidden):
        world.workflow.approve(Principal("worker-9", "mahalla_worker", app.address.mahalla_code), app.application_id)
    # Then only a second officer's approval grants, tells the family, and records the pair
    approved = world.workflow.approve(SECOND, app.application_id, "checked with the employer")
    assert approved.status == "assigned"
    assert {a.programme for a in world.assignments.items.values()} == set(stored.eligible)
    assert f"{app.application_id}:decision:2" in world.sms.sent
    final = world.decisions.latest(app.application_id)
    assert final is not None and final.explained()["second_officer"]["by"] == SECOND.subject
    last = approved.history[-1]
    assert (last.actor_id, last.status) == (SECOND.subject, "assigned") and WORKER.subject in (last.note or "")
    assert any(h.actor_id == WORKER.subject and "tax entered by hand" in (h.note or "") for h in approved.history)
    # and approving again is refused
    with pytest.raises(Conflict):
        world.workflow.approve(Principal("officer-3", "district_admin", DISTRICT), app.application_id)


def test_a_rejected_approval_returns_to_review_and_sets_the_facts_aside(world: World) -> None:
    app, doc = _in_review_with_a_document(world)
    world.applications.enter_evidence(WORKER, app.application_id, "tax", _zero_tax(app), "nobody works", doc)
    _run(world, 2)
    rejected = world.workflow.reject(SECOND, app.application_id, "the statement is not signed")
    assert rejected.status == "needs_review" and rejected.manual_evidence == ()
    assert world.assignments.items == {}
    stored = world.decisions.latest(app.application_id)
    assert stored is not None and stored.approval.status == "rejected" and stored.approval.by == SECOND.subject
    # When the tax authority is back and staff run collection again, its own data decides: not eligible
    world.applications.rerun_collection(WORKER, app.application_id, "tax is back")
    world.agency_state["tax_down"] = False
    assert _run(world, 3)["status"] == "rejected"
    decision = world.decisions.latest(app.application_id)
    assert decision is not None and decision.outcome.per_capita_income == 1_216_250
    assert decision.outcome.threshold == 669_000 and world.assignments.items == {}


def test_manual_facts_that_leave_the_family_ineligible_need_no_second_officer(world: World) -> None:
    app, doc = _in_review_with_a_document(world)
    facts = [(app.applicant_person_id, PersonFacts(incomes=[IncomeFact(m, "salary", SALARY)
                                                            for m in ("2026-08", "2026-09", "2026-10")],
                                                   employment_sector="non_state"))]
    world.applications.enter_evidence(WORKER, app.application_id, "tax", facts, "salary statement", doc)
    assert _run(world, 2)["status"] == "rejected"
    stored = world.decisions.latest(app.application_id)
    assert stored is not None and stored.approval.status == "not_required" and stored.manual_evidence



def test_manual_facts_and_decisions_survive_the_stored_form() -> None:
    from chalicelib.adapters import codec
    from chalicelib.domain.decisions import ManualFactsUsed, Outcome, decided, second_officer
    from chalicelib.domain.evidence import ManualEvidence

    facts = {"p-1": PersonFacts(birth_date=date(1990, 1, 2), sex="F", death_date=date(2026, 1, 1),
                                parent_pinfls=("31505880123456",)),
             "p-2": PersonFacts(incomes=[IncomeFact("2026-10", "salary", 5)], alimony_paid=[("2026-09", 7)],
                                vehicles=[{"type": "truck", "manufactured_year": 2001, "owner_id": "p-2",
                                           "adapted_for_disability": False}])}
    manual = ManualEvidence("civil_registry", facts, "why", "doc-1", "w-1", "mahalla_worker", "2026-11-10T09:00:00")
    assert codec.manual_from(codec.manual_to(manual)) == manual
    outcome = Outcome.from_dict({"period": "2026-11", "per_capita_income": 0, "threshold": 669_000, "programmes": {
        "child_allowance": {"eligible": True, "monthly_amount": 400_000, "months": 12, "lump_sum": 0, "reasons": []}}})
    used = (ManualFactsUsed("tax", "w-1", "mahalla_worker", "2026-11-10T09:00:00", "doc-1"),)
    pending = decided("app-1", 2, outcome, {"members": 4}, "r1", "evidence/app-1/0002.json", "2026-11-10", used)
    approved = second_officer(pending, "o-2", "district_admin", "2026-11-11", approve=True, note="ok")
    for d in (pending, approved):
        assert codec.decision_from(codec.decision_to(d)) == d
    assert pending.approval.status == "pending" and not pending.final and approved.final
