"""The outbox of workflow starts, on fakes: a run is owed from the write that calls for it, started at
once when the workflow answers, and by the sweep a minute later when it did not; nothing is started
twice, and a pending start of an attempt a later one replaced is dropped."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.config import Settings
from chalicelib.services.intake import IntakeService
from chalicelib.services.workflow_starts import StartSweep
from tests.builders import WORKER, application_request
from tests.fakes import FakeApplications, FakeHouseholds, FakeWorkflow, FixedClock, SequentialIds


class Down(FakeWorkflow):
    """Step Functions unreachable until ``up`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.up = False

    def start(self, name: str, payload: dict[str, object]) -> bool:
        if not self.up:
            raise ConnectionError("unreachable")
        return super().start(name, payload)


def _intake(workflow: FakeWorkflow, clock: FixedClock) -> tuple[IntakeService, FakeApplications]:
    applications = FakeApplications()
    return IntakeService(FakeHouseholds(), applications, clock, SequentialIds(), Settings(), workflow), applications


def test_a_run_started_at_intake_leaves_nothing_for_the_sweep() -> None:
    clock, workflow = FixedClock(), FakeWorkflow()
    intake, applications = _intake(workflow, clock)
    # Given an application submitted while the workflow answers
    app = intake.submit(WORKER, application_request())
    # Then its run started under the attempt's name and no start is pending
    assert list(workflow.started) == [app.application_id] and list(applications.pending_starts()) == []
    # and the sweep, an hour later, finds nothing
    clock.at += timedelta(hours=1)
    assert StartSweep(applications, workflow, clock).run().found == 0


def test_a_start_that_failed_is_made_by_the_sweep_after_a_minute_once() -> None:
    clock, workflow = FixedClock(), Down()
    intake, applications = _intake(workflow, clock)
    # Given an application stored while Step Functions was unreachable (the family still gets its 201)
    app = intake.submit(WORKER, application_request())
    assert [p.application_id for p in applications.pending_starts()] == [app.application_id]
    sweep = StartSweep(applications, workflow, clock)
    workflow.up = True
    # When the sweep runs within the minute, then after it, then again
    early = sweep.run()
    clock.at += timedelta(seconds=61)
    late, again = sweep.run(), sweep.run()
    # Then it waits the minute out, starts the run once, and then finds nothing
    assert (early.found, late.found, late.started, again.found) == (0, 1, 1, 0)
    assert list(workflow.started) == [app.application_id]


def test_a_sweep_that_cannot_start_either_keeps_the_start_pending() -> None:
    clock, workflow = FixedClock(), Down()
    intake, applications = _intake(workflow, clock)
    app = intake.submit(WORKER, application_request())
    clock.at += timedelta(minutes=5)
    # When the sweep runs while the workflow is still down
    done = StartSweep(applications, workflow, clock).run()
    # Then the start is still owed
    assert (done.found, done.started) == (1, 0)
    assert [p.application_id for p in applications.pending_starts()] == [app.application_id]


def test_a_pending_start_of_a_replaced_attempt_is_dropped_not_run() -> None:
    clock, workflow = FixedClock(), Down()
    intake, applications = _intake(workflow, clock)
    app = intake.submit(WORKER, application_request())
    # Given a later attempt stored (a staff re-run) and its run started
    workflow.up = True
    newer = replace(app, attempt=2, version=app.version + 1)
    applications.save(newer, app.version, start=True)
    applications.started(app.application_id, 2)
    clock.at += timedelta(minutes=2)
    # When the sweep finds attempt 1's pending start
    done = StartSweep(applications, workflow, clock).run()
    # Then it drops it instead of running a superseded attempt
    assert (done.found, done.started, done.superseded) == (1, 0, 1) and workflow.started == {}
    assert list(applications.pending_starts()) == []
