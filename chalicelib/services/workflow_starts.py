"""Starting an application's workflow run at least once: the outbox and its sweep.

The write that calls for a run (intake's new application; a staff re-run, an appeal's re-assessment
or a restart, each a new attempt) stores a pending start in the same DynamoDB transaction
(``ApplicationRepository.add`` / ``save(start=True)``). ``start_run`` then starts the run named by
the attempt (``domain.applications.run_name``: a second start of the same name starts nothing) and
clears the pending start; a start that fails leaves it. ``StartSweep`` (a schedule every minute on
AWS, a thread under ``make run``) starts what it finds pending for over a minute: in normal operation
it finds nothing, and the ``PendingStartsFound`` metric counts what it does find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools import Logger

from chalicelib.domain.applications import Application, run_name
from chalicelib.ports import ApplicationRepository, Clock, Workflow

logger = Logger(service="spsr-workflow")


def start_run(applications: ApplicationRepository, workflow: Workflow | None, app: Application) -> bool:
    """Starts the run of ``app``'s attempt and clears its pending start; False when it could not be started
    now (no workflow here, or the start failed: the sweep starts it later) or was started before."""
    if workflow is None or not workflow.configured:
        return False  # pending until a workflow is there to start it
    try:
        started = workflow.start(run_name(app.application_id, app.attempt),
                                 {"application_id": app.application_id, "attempt": app.attempt})
    except Exception:  # the pending start stays: the sweep starts the run later, nothing is lost
        logger.exception("workflow start failed", extra={"application_id": app.application_id,
                                                         "attempt": app.attempt})
        return False
    applications.started(app.application_id, app.attempt)
    return started


@dataclass(frozen=True)
class SweepResult:
    found: int  # pending for longer than the grace period
    started: int  # runs started now
    superseded: int  # pending starts of attempts a later one replaced, or of applications gone


class StartSweep:
    def __init__(self, applications: ApplicationRepository, workflow: Workflow | None, clock: Clock,
                 grace: timedelta = timedelta(minutes=1)) -> None:
        self._applications = applications
        self._workflow = workflow
        self._clock = clock
        self._grace = grace

    def run(self) -> SweepResult:
        """Starts every run pending for longer than the grace period (younger ones are being started)."""
        cutoff = self._clock.now() - self._grace
        found = started = superseded = 0
        for pending in self._applications.pending_starts():
            if datetime.fromisoformat(pending.since) > cutoff:
                continue
            found += 1
            app = self._applications.get(pending.application_id)
            if app is None or app.attempt != pending.attempt:
                self._applications.started(pending.application_id, pending.attempt)
                superseded += 1
                continue
            started += start_run(self._applications, self._workflow, app)
        if found:
            logger.warning("pending workflow starts found", extra={"found": found, "started": started,
                                                                  "superseded": superseded})
        return SweepResult(found, started, superseded)
