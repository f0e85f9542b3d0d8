"""Appeals against a decision: filed against a rejected application, re-assessed by an officer, answered
by the new decision.

1. ``file``: the family (or staff for it) contests the rejection naming its grounds. The appeal is a
   ``decision_appeal`` grievance (one per application: ``appeal_grievance_id``), routed, dated and
   escalated like any other (``services/grievances.py``).
2. ``reassess``: the officer the grievance is routed to asks the agencies again, or enters corrected
   facts with their evidence (the manual evidence rules of ``ApplicationService.manual_evidence``
   apply, and an eligible decision on them waits for a second officer). The application goes from
   rejected to appealed and runs the workflow as a new attempt.
3. ``answer`` (the workflow's last step, through ``ports.AppealAnswers``): the new decision supersedes the
   contested one (both stay: ``DecisionRepository.history``); what changed between them decides the
   appeal (``domain/appeals.what_changed``): upheld, the grievance is resolved ``upheld`` and the
   assignments run from the month the contested decision would have paid first, the months missed
   paid as arrears in the next payroll run; denied, it is rejected ``appeal_denied`` and the family is
   told why and where to go further (the district administration, then the court).

Grounds, descriptions and the corrected facts are never logged: ids and codes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from chalicelib.domain import access
from chalicelib.domain import grievances as gr
from chalicelib.domain.access import Principal
from chalicelib.domain.appeals import WhatChanged, what_changed
from chalicelib.domain.applications import AppealRef, Application, transition
from chalicelib.domain.decisions import Decision
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.evidence import PersonFacts
from chalicelib.domain.grievances import Appeal, Grievance
from chalicelib.ports import ApplicationRepository, Clock, DecisionRepository, GrievanceRepository, Workflow
from chalicelib.services.applications import ApplicationService
from chalicelib.services.grievances import GrievanceService
from chalicelib.services.workflow_starts import start_run

logger = Logger(service="spsr-appeals")
SYSTEM_ACTOR = "system:appeals"


@dataclass(frozen=True)
class AppealFiling:
    grounds: tuple[str, ...]
    channel: str
    description: str


@dataclass(frozen=True)
class CorrectedFacts:
    """Facts an officer enters for one agency on re-assessment, with the document that shows them."""

    agency: str
    facts: Sequence[tuple[str, PersonFacts]]
    justification: str
    document_id: str


@dataclass(frozen=True)
class Reassessment:
    grievance: Grievance
    application: Application
    started: bool  # False: this attempt's run had started already (the call repeated)


@dataclass(frozen=True)
class AppealAnswer:
    """An appeal with, once answered, what changed between the contested decision and the new one."""

    grievance: Grievance
    what_changed: WhatChanged | None


class AppealService:
    def __init__(self, grievances: GrievanceService, grievance_repo: GrievanceRepository,
                 applications: ApplicationService, application_repo: ApplicationRepository,
                 decisions: DecisionRepository, workflow: Workflow | None, clock: Clock) -> None:
        self._grievances = grievances
        self._grievance_repo = grievance_repo
        self._applications = applications
        self._application_repo = application_repo
        self._decisions = decisions
        self._workflow = workflow
        self._clock = clock

    # -- filing --------------------------------------------------------------------------------
    def file(self, principal: Principal, application_id: str, filing: AppealFiling) -> Grievance:
        app = self._applications.get(principal, application_id, access.APPEAL_FILE)
        if app.appeal is not None:
            raise Conflict("this application's decision was re-assessed on appeal already; a further appeal goes "
                           "to the district administration, then the court", field="application_id",
                           code="appeal_answered")
        if app.status != "rejected":
            raise Conflict(f"application {app.application_id} is {app.status}; a rejection is appealed",
                           field="status", code="not_appealable")
        contested = self._decisions.latest(app.application_id)
        if contested is None or contested.attempt != app.attempt:
            raise Conflict("the application has no decision to appeal", field="application_id", code="no_decision")
        grievance_id = gr.appeal_grievance_id(app.application_id)
        if self._grievance_repo.get(grievance_id) is not None:
            raise Conflict(f"the decision is under appeal already: grievance {grievance_id}", field="application_id",
                           code="appeal_open")
        household = self._grievances.household(principal, app.household_id, access.APPEAL_FILE)
        address = household.address
        appeal = Appeal(application_id=app.application_id, attempt=contested.attempt,
                        decision_month=contested.decided_at[:7], grounds=tuple(dict.fromkeys(filing.grounds)))
        g = gr.new_grievance(
            grievance_id=grievance_id, household_id=app.household_id, category="decision_appeal",
            channel=filing.channel, filed_by=principal.subject, filed_role=principal.role,
            received_at=self._now(), received_on=self._grievances.today(), region_code=address.region_code,
            district_code=address.district_code, mahalla_code=address.mahalla_code, description=filing.description,
            application_id=app.application_id, appeal=appeal)
        try:
            self._grievance_repo.add(g)
        except Conflict:  # a concurrent or repeated filing won the conditional write
            raise Conflict(f"the decision is under appeal already: grievance {grievance_id}", field="application_id",
                           code="appeal_open") from None
        logger.info("appeal filed", extra={"grievance_id": grievance_id, "application_id": app.application_id,
                                           "attempt": contested.attempt, "grounds": list(appeal.grounds),
                                           "role": principal.role})
        self._grievances.tell(g, household, "grievance_received", {"due": g.due})
        return g

    # -- the re-assessment -----------------------------------------------------------------------
    def reassess(self, principal: Principal, grievance_id: str, corrected: CorrectedFacts | None) -> Reassessment:
        """Runs the rejected application again as a new attempt: the agencies asked again, with ``corrected``
        facts for one agency when given. Repeating the call restarts an interrupted start, nothing more."""
        g = self._grievances.handled(principal, grievance_id)
        contested = g.appeal
        if contested is None:
            raise ValidationFailed("only a decision appeal is re-assessed", field="grievance_id",
                                   code="not_an_appeal")
        if not g.open:
            raise Conflict(f"grievance {grievance_id} is {g.status}", field="status", code="not_open")
        app = self._applications.get(principal, contested.application_id, access.APPEAL_REASSESS)
        if self._workflow is None:
            raise Conflict("the workflow is not configured here", code="workflow_unavailable")
        if app.appeal is not None:
            if app.status != "appealed" or app.appeal.grievance_id != g.grievance_id:
                raise Conflict(f"the re-assessment is under way (application {app.status})", field="status",
                               code="reassessment_started")
            started = self._start(app)  # the earlier call stored the attempt; its run may not have started
            return Reassessment(g, app, started)
        if app.status != "rejected":
            raise Conflict(f"application {app.application_id} is {app.status}, not rejected", field="status",
                           code="invalid_transition")
        manual = app.manual_evidence
        how = "agencies asked again"
        if corrected is not None:
            entered = self._applications.manual_evidence(principal, app, corrected.agency, corrected.facts,
                                                         corrected.justification, corrected.document_id)
            manual = (*[m for m in manual if m.agency != corrected.agency], replace(entered, corrects=True))
            how = f"{corrected.agency} entered by hand from document {corrected.document_id}"
        if g.status != "in_review":
            g = self._grievances.take(principal, grievance_id)
        moved = transition(app, "appealed", at=self._now(), actor_id=principal.subject, actor_role=principal.role,
                           note=f"appeal {g.reference}: re-assessment of attempt {contested.attempt}, {how}")
        moved = replace(moved, attempt=app.attempt + 1, manual_evidence=manual,
                        appeal=AppealRef(g.grievance_id, contested.attempt, contested.decision_month))
        self._application_repo.save(moved, app.version, start=True)
        logger.info("appeal re-assessment started", extra={"grievance_id": g.grievance_id,
                                                           "application_id": app.application_id,
                                                           "attempt": moved.attempt,
                                                           "entered_by_hand": corrected.agency if corrected else None})
        return Reassessment(g, moved, self._start(moved))

    def _start(self, app: Application) -> bool:
        return start_run(self._application_repo, self._workflow, app)

    # -- the answer ------------------------------------------------------------------------------
    def answer(self, application: Application, decision: Decision) -> bool:
        """Closes the appeal with the final decision of its re-assessment and tells the family (once: a
        repeated call finds the grievance closed and re-sends the same keyed SMS)."""
        ref = application.appeal
        if ref is None:
            raise ValidationFailed("the application's attempt answers no appeal", field="application_id",
                                   code="not_an_appeal")
        g = self._grievance_repo.get(ref.grievance_id)
        contested = self._decisions.get(application.application_id, ref.contested_attempt)
        if g is None or g.appeal is None or contested is None:
            raise NotFound("the appeal or its contested decision is missing", field="grievance_id")
        changed = what_changed(contested, decision)
        if g.open:
            today = self._grievances.today()
            current = g
            if current.status != "in_review":  # escalated (or never taken) while the re-assessment ran
                current = gr.move(current, "in_review", at=self._now(), actor_id=SYSTEM_ACTOR, actor_role="system",
                                  today=today)
            status, code = ("resolved", "upheld") if changed.upheld else ("rejected", "appeal_denied")
            closed = gr.move(current, status, at=self._now(), actor_id=SYSTEM_ACTOR, actor_role="system", today=today,
                             note_code=code)
            before, g = g, replace(closed, appeal=replace(g.appeal, answered_by_attempt=decision.attempt))
            self._grievance_repo.save(g, before)
            logger.info("appeal answered", extra={"grievance_id": g.grievance_id,
                                                  "application_id": application.application_id,
                                                  "attempt": decision.attempt, "outcome": code})
        if g.outcome_code == "upheld":
            return self._grievances.tell(g, None, "appeal_upheld", {})
        return self._grievances.tell(g, None, "appeal_denied", {"reasons": decision.outcome.reasons() or ["-"]})

    # -- reading ---------------------------------------------------------------------------------
    def explain(self, principal: Principal, grievance_id: str) -> AppealAnswer:
        """The appeal with what changed, once answered (for staff and the family in scope)."""
        g = self._grievances.get(principal, grievance_id)
        if g.appeal is None or g.appeal.answered_by_attempt is None:
            return AppealAnswer(g, None)
        before = self._decisions.get(g.appeal.application_id, g.appeal.attempt)
        after = self._decisions.get(g.appeal.application_id, g.appeal.answered_by_attempt)
        return AppealAnswer(g, what_changed(before, after) if before and after else None)

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")
