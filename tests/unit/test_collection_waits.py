"""The workflow's collection waits out an agency outage, on fakes: a round missing only agencies that
are down asks for a wait (doubling), keeps the answers received so the next round asks the missing
agencies only, tells the family once; the circuit breakers are consulted and told each verdict; the
patience spent, or a source missing for good, ends the waiting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from chalicelib.config import Settings
from chalicelib.services.assessment import assess
from chalicelib.services.intake import IntakeService
from chalicelib.services.workflow import WorkflowService
from tests.agency_fakes import InMemoryAccessLog
from tests.builders import WORKER, application_request
from tests.fakes import (
    FakeApplications,
    FakeDecisions,
    FakeEvidenceStore,
    FakeHouseholds,
    FakeWorkflow,
    FixedClock,
    SequentialIds,
)
from tests.payroll_fakes import FakeAssignments, FakeSms
from tests.unit.test_manual_evidence import _agencies


class RecordingBreakers:
    def __init__(self, blocked: set[str] | None = None) -> None:
        self.blocked_now = set(blocked or ())
        self.verdicts: list[tuple[str, bool]] = []

    def blocked(self, agencies: Sequence[str], now: float) -> set[str]:
        return self.blocked_now & set(agencies)

    def record(self, agency: str, ok: bool, now: float) -> None:
        self.verdicts.append((agency, ok))


def _world(breakers: RecordingBreakers | None = None, **settings: float):  # type: ignore[no-untyped-def]
    clock, apps, sms = FixedClock(), FakeApplications(), FakeSms()
    state = {"tax_down": True}
    agencies = _agencies(state)
    config = Settings(collection_wait_s=60, collection_wait_max_s=3600, collection_patience_s=86400, **settings)
    workflow = WorkflowService(apps, FakeDecisions(), FakeAssignments(), FakeEvidenceStore(), sms, lambda: agencies,
                               InMemoryAccessLog(), assess, clock, config, breakers=breakers)
    app = IntakeService(FakeHouseholds(), apps, clock, SequentialIds(), config, FakeWorkflow()).submit(
        WORKER, application_request())
    workflow.begin(app.application_id, 1)
    return workflow, app.application_id, clock, state, agencies, sms


def test_a_round_missing_an_agency_that_is_down_waits_and_the_next_asks_it_alone() -> None:
    workflow, app_id, clock, state, agencies, sms = _world()
    # When the first round finds the tax authority down
    first = workflow.collect(app_id, 1)
    # Then the workflow is asked to wait a minute, and the family is told its decision is delayed
    assert not first.complete and first.retry_in_s == 60 and first.round == 1
    assert [t for _, _, t, _ in sms.sent.values()].count("decision_delayed") == 1
    # When the second round finds it still down, the wait doubles and no second SMS is sent
    clock.at += timedelta(seconds=60)
    second = workflow.collect(app_id, 1)
    assert second.retry_in_s == 120 and second.round == 2
    assert [t for _, _, t, _ in sms.sent.values()].count("decision_delayed") == 1
    # When it is back, the third round asks it alone and the evidence is complete
    calls_before = {a.name: a.calls for a in agencies}
    state["tax_down"] = False
    clock.at += timedelta(seconds=120)
    third = workflow.collect(app_id, 1)
    assert third.complete and third.retry_in_s == 0 and third.round == 3
    assert {a.name for a in agencies if a.calls != calls_before[a.name]} == {"tax"}


def test_the_wait_ends_when_the_patience_is_spent() -> None:
    workflow, app_id, clock, _, _, _ = _world()
    assert workflow.collect(app_id, 1).retry_in_s == 60
    # When a day has passed with the agency down
    clock.at += timedelta(hours=24)
    last = workflow.collect(app_id, 1)
    # Then the round is final: the application goes to review
    assert not last.complete and last.retry_in_s == 0


def test_the_circuit_breakers_are_consulted_and_told_each_verdict() -> None:
    # Given the cadastre's circuit open and the tax authority down
    breakers = RecordingBreakers({"cadastre"})
    workflow, app_id, _, _, agencies, _ = _world(breakers)
    done = workflow.collect(app_id, 1)
    # Then the cadastre is not asked and counts as down (the workflow waits), the tax failure is recorded
    assert next(a for a in agencies if a.name == "cadastre").calls == 0
    assert {(m.agency, m.kind) for m in done.missing} == {("cadastre", "circuit_open"), ("tax", "unavailable")}
    assert done.retry_in_s > 0
    assert ("tax", False) in breakers.verdicts and ("civil_registry", True) in breakers.verdicts
    assert all(agency != "cadastre" for agency, _ in breakers.verdicts)
