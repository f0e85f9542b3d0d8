"""Appeals against a rejection, end to end on fakes with the real rules: filing, the officer's
re-assessment (agencies asked again, or corrected facts with their evidence), the new decision that
supersedes the old one and answers the appeal, and the back pay it marks for the payroll.

The household: the tax authority reports the head's salary, 1,216,250 som per capita against a
669,000 threshold, so attempt 1 rejects it. The family says the salary is a job the head left.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from chalicelib.config import Settings
from chalicelib.domain import months
from chalicelib.domain.access import Principal
from chalicelib.domain.applications import Application
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.domain.evidence import PersonFacts
from chalicelib.services.appeals import AppealFiling, AppealService, CorrectedFacts
from chalicelib.services.applications import ApplicationService
from chalicelib.services.assessment import assess
from chalicelib.services.grievances import GrievanceService
from chalicelib.services.intake import IntakeService
from chalicelib.services.workflow import WorkflowService
from tests.agency_fakes import InMemoryAccessLog
from tests.builders import WORKER, application_request
from tests.fakes import (
    FakeApplications,
    FakeDecisions,
    FakeDocumentStore,
    FakeEvidenceStore,
    FakeGrievances,
    FakeHouseholds,
    FakeWorkflow,
    FixedClock,
    SequentialIds,
)
from tests.payroll_fakes import FakeAssignments, FakePayrollRepo, FakeSms
from tests.unit.test_manual_evidence import DISTRICT, _agencies

OFFICER = Principal("officer-1", "pension_fund_officer", DISTRICT)
SECOND = Principal("officer-2", "pension_fund_officer", DISTRICT)
FILING = AppealFiling(("income_wrong",), "mahalla_office", "the salary is from a job the head left")


@dataclass
class World:
    clock: FixedClock
    apps: FakeApplications
    applications: ApplicationService
    workflow: WorkflowService
    appeals: AppealService
    grievances: FakeGrievances
    decisions: FakeDecisions
    assignments: FakeAssignments
    payroll: FakePayrollRepo
    sms: FakeSms
    starts: FakeWorkflow
    documents: FakeDocumentStore


@pytest.fixture
def world() -> World:
    clock, ids, settings = FixedClock(), SequentialIds(), Settings()
    households, apps, decisions = FakeHouseholds(), FakeApplications(), FakeDecisions()
    assignments, payroll, sms, starts, documents = (FakeAssignments(), FakePayrollRepo(), FakeSms(), FakeWorkflow(),
                                                    FakeDocumentStore())
    agencies = _agencies({"tax_down": False})
    applications = ApplicationService(apps, documents, clock, ids, settings, starts, decisions, InMemoryAccessLog())
    grievance_repo = FakeGrievances()
    grievances = GrievanceService(grievance_repo, households, apps, documents, sms, clock, ids, settings)
    appeals = AppealService(grievances, grievance_repo, applications, apps, decisions, starts, clock)
    workflow = WorkflowService(apps, decisions, assignments, FakeEvidenceStore(), sms, lambda: agencies,
                               InMemoryAccessLog(), assess, clock, settings, appeals=appeals, back_pay=payroll)
    IntakeService(households, apps, clock, ids, settings, starts).submit(WORKER, application_request())
    return World(clock, apps, applications, workflow, appeals, grievance_repo, decisions, assignments, payroll, sms,
                 starts, documents)


def _app(world: World) -> Application:
    return next(iter(world.apps.items.values()))


def _run(world: World) -> dict:
    """The state machine's path for the application's current attempt."""
    app = _app(world)
    world.workflow.begin(app.application_id, app.attempt)
    collected = world.workflow.collect(app.application_id, app.attempt)
    assert collected.complete
    world.workflow.assess(app.application_id, app.attempt, collected.evidence_key)
    recorded = world.workflow.record(app.application_id, app.attempt)
    world.workflow.notify(app.application_id, app.attempt)
    return recorded


def _rejected(world: World) -> Application:
    assert _run(world)["status"] == "rejected"
    return _app(world)


def _document(world: World, app: Application) -> str:
    ref, _ = world.applications.request_upload(OFFICER, app.application_id, "income_statement", "application/pdf", 900)
    world.documents.uploaded.add(ref.s3_key)
    return ref.document_id


def _no_salary(app: Application, document_id: str) -> CorrectedFacts:
    return CorrectedFacts("tax", [(m.person_id, PersonFacts(incomes=[], employment_sector="none"))
                                  for m in app.members], "the employer's letter: the head left in August", document_id)


def _sms_templates(world: World) -> list[str]:
    return [template for _, _, template, _ in world.sms.sent.values()]


def test_an_appeal_with_corrected_income_turns_the_rejection_into_an_assignment_from_the_month_it_would_have_started(
        world: World) -> None:
    # Given a rejected application, decided in November
    app = _rejected(world)
    contested_month = months.of(world.clock.now().date())
    # When the family appeals it through the mahalla worker
    g = world.appeals.file(WORKER, app.application_id, FILING)
    # and, in January, the officer enters the corrected tax facts from the employer's letter
    world.clock.at = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
    started = world.appeals.reassess(OFFICER, g.grievance_id, _no_salary(app, _document(world, app)))
    assert started.application.status == "appealed" and started.application.attempt == 2 and started.started
    assert world.starts.started[f"{app.application_id}-2"] == {"application_id": app.application_id, "attempt": 2}
    # and the workflow runs attempt 2
    assert _run(world)["status"] == "awaiting_approval"  # eligible on facts entered by hand
    assert world.grievances.get(g.grievance_id).open
    # and a second officer approves
    approved = world.workflow.approve(SECOND, app.application_id)
    # Then the application is assigned from December, the month the contested decision would have paid first
    assert approved.status == "assigned"
    granted = world.assignments.for_household(app.household_id)
    assert granted and {a.first_month for a in granted} == {months.add(contested_month, 1)} == {"2026-12"}
    # and each assignment is marked for back pay of the months already past
    assert set(world.payroll.back_pay_marks) == {a.assignment_id for a in granted}
    # and both decisions are kept, the new one superseding the old
    _, history = world.applications.decisions(OFFICER, app.application_id)
    assert [(d.attempt, d.eligible) for d in history] == [(1, ()), (2, history[1].eligible)] and history[1].eligible
    # and the appeal is resolved upheld, explained old against new
    answered = world.appeals.explain(OFFICER, g.grievance_id)
    assert answered.grievance.status == "resolved" and answered.grievance.outcome_code == "upheld"
    assert answered.grievance.appeal is not None and answered.grievance.appeal.answered_by_attempt == 2
    changed = answered.what_changed
    assert changed is not None and changed.upheld
    assert changed.per_capita_income_before == 1_216_250 and changed.per_capita_income_after == 0
    assert changed.entered_by_hand == ("tax",)
    assert any(p.eligible_after and not p.eligible_before for p in changed.programmes)
    # and the family heard the appeal's answer, then the new decision with its first month
    templates = _sms_templates(world)
    assert templates.count("appeal_upheld") == 1 and templates[-1] == "assigned"
    assert list(world.sms.sent.values())[-1][3]["first"] == "2026-12"
    # and the ministry's counters count the appeal upheld on its ground
    counts = world.grievances.counters(app.address.region_code)
    assert counts["appeal#upheld"] == 1 and counts["appeal#income_wrong#upheld"] == 1


def test_an_appeal_the_agencies_confirm_is_denied_with_the_reasons_and_cannot_be_appealed_again(world: World) -> None:
    # Given a rejected application under appeal
    app = _rejected(world)
    g = world.appeals.file(WORKER, app.application_id, FILING)
    # When the officer asks the agencies again and they give the same facts
    world.appeals.reassess(OFFICER, g.grievance_id, None)
    assert _run(world)["status"] == "rejected"
    # Then the appeal is rejected as denied, and the new decision stands beside the old
    closed = world.grievances.get(g.grievance_id)
    assert closed.status == "rejected" and closed.outcome_code == "appeal_denied"
    _, history = world.applications.decisions(OFFICER, app.application_id)
    assert [d.attempt for d in history] == [1, 2]
    # and the family is told why, in the appeal_denied SMS (which names the district administration, then the court)
    denied = [params for _, _, template, params in world.sms.sent.values() if template == "appeal_denied"]
    assert len(denied) == 1 and denied[0]["reasons"] == history[1].outcome.reasons() != []
    # and nothing is granted or marked for back pay
    assert world.assignments.for_household(app.household_id) == [] and world.payroll.back_pay_marks == {}
    # and a second appeal of the same application is refused
    with pytest.raises(Conflict) as again:
        world.appeals.file(WORKER, app.application_id, FILING)
    assert again.value.code == "appeal_answered"
    counts = world.grievances.counters(app.address.region_code)
    assert counts["appeal#denied"] == 1 and counts["appeal#income_wrong#denied"] == 1


def test_a_notify_step_retried_after_the_answer_sends_nothing_twice(world: World) -> None:
    app = _rejected(world)
    g = world.appeals.file(WORKER, app.application_id, FILING)
    world.appeals.reassess(OFFICER, g.grievance_id, None)
    _run(world)
    sent, version = len(world.sms.sent), world.grievances.get(g.grievance_id).version
    # When Step Functions retries the notify step
    world.workflow.notify(app.application_id, 2)
    # Then the grievance is as it was and no SMS is added
    assert world.grievances.get(g.grievance_id).version == version and len(world.sms.sent) == sent


def test_only_a_rejection_is_appealed_and_only_once(world: World) -> None:
    # Given an application still being collected
    app = _app(world)
    with pytest.raises(Conflict) as early:
        world.appeals.file(WORKER, app.application_id, FILING)
    assert early.value.code == "not_appealable"
    # When it is rejected (a ground outside the list is refused) and appealed
    _rejected(world)
    with pytest.raises(ValidationFailed):
        world.appeals.file(WORKER, app.application_id, replace(FILING, grounds=("bad_luck",)))
    world.appeals.file(WORKER, app.application_id, FILING)
    # Then a second filing is refused while the first is open
    with pytest.raises(Conflict) as twice:
        world.appeals.file(WORKER, app.application_id, replace(FILING, grounds=("member_missing",)))
    assert twice.value.code == "appeal_open"


def test_the_reassessment_is_the_routed_officers_and_the_corrected_facts_follow_the_manual_evidence_rules(
        world: World) -> None:
    app = _rejected(world)
    g = world.appeals.file(WORKER, app.application_id, FILING)
    # a mahalla worker may file, not re-assess
    with pytest.raises(Forbidden):
        world.appeals.reassess(WORKER, g.grievance_id, None)
    # facts for a member not of the application are refused, and nothing moves
    bad = CorrectedFacts("tax", [("p-elsewhere", PersonFacts(incomes=[]))], "the employer's letter", "doc-x")
    with pytest.raises(ValidationFailed) as refused:
        world.appeals.reassess(OFFICER, g.grievance_id, bad)
    assert refused.value.code == "unknown_member"
    assert _app(world).status == "rejected" and world.grievances.get(g.grievance_id).status == "received"
    # a document that is not the application's is refused
    with pytest.raises(ValidationFailed) as undocumented:
        world.appeals.reassess(OFFICER, g.grievance_id, _no_salary(app, "doc-elsewhere"))
    assert undocumented.value.code == "unknown_document"
    # the re-assessment takes the appeal into review; repeating the call starts nothing new
    first = world.appeals.reassess(OFFICER, g.grievance_id, None)
    again = world.appeals.reassess(OFFICER, g.grievance_id, None)
    assert first.grievance.status == "in_review" and again.application.attempt == first.application.attempt == 2
    assert first.started and not again.started  # the same run name: one run
    # an appeal is not resolved by hand
    with pytest.raises(Conflict) as by_hand:
        world.appeals._grievances.resolve(OFFICER, g.grievance_id, "upheld", None)
    assert by_hand.value.code == "appeal_reassess"
