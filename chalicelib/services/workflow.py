"""The per-application workflow's steps: begin, collect evidence, assess, record, notify, review;
and the second officer's approval or rejection of a decision made eligible by facts entered by hand
(``approve``/``reject``, called from the API: an approval records and notifies as the last steps would).

Each step is called by a Step Functions task (``chalicelib/tasks/application_workflow.py``) with the
application id and the run's ``attempt``, and each is idempotent: a retried step finds its own
earlier write (status already moved, decision already stored, assignments already added, SMS already
claimed) and does not repeat it. A run whose attempt is no longer the application's current one (staff
started another) stops with ``StaleRun``.

An attempt that re-assesses a rejection on appeal (``Application.appeal``) differs in three things:
its assignments start from the month the contested decision would have paid first, each marked for
back pay of the months already past (``services/payroll/arrears.py``); and the family hears the
appeal's answer (``AppealAnswers``) instead of a plain decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.agency_ports import AccessLogPort, AgencyClient
from chalicelib.config import Settings
from chalicelib.domain import access, months
from chalicelib.domain.access import Principal, Target, authorize
from chalicelib.domain.applications import Application, transition
from chalicelib.domain.assignments import Assignment, from_decision
from chalicelib.domain.decisions import Decision, ManualFactsUsed, Outcome, decided, second_officer
from chalicelib.domain.errors import Conflict, NotFound, SpsrError
from chalicelib.domain.evidence import TRANSIENT_KINDS, CollectedEvidence, CollectionRounds, MissingSource
from chalicelib.domain.payroll import BackPay
from chalicelib.ports import (
    AppealAnswers,
    ApplicationRepository,
    AssignmentRepository,
    BackPayMarks,
    CircuitBreakers,
    Clock,
    DecisionRepository,
    EvidenceStore,
    SmsPort,
)
from chalicelib.services.evidence_collection import collect_evidence

logger = Logger(service="spsr-workflow")
SYSTEM = "workflow"

Assessor = Callable[[Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Collected:
    """The collection step's result: where the evidence is, and which sources are still missing."""

    application_id: str
    attempt: int
    evidence_key: str
    missing: tuple[MissingSource, ...]
    calls: Mapping[str, tuple[int, str]]  # agency -> (attempts, outcome)
    retry_in_s: int = 0  # > 0: the workflow waits this long and collects the missing sources again
    round: int = 1

    @property
    def complete(self) -> bool:
        return not self.missing

    def to_dict(self) -> dict[str, Any]:
        """The step's JSON output (the state machine reads ``complete``, ``retry_in_s``, ``missing`` and
        ``evidence_key``)."""
        return {"application_id": self.application_id, "attempt": self.attempt, "complete": self.complete,
                "missing": [m.to_dict() for m in self.missing], "evidence_key": self.evidence_key,
                "retry_in_s": self.retry_in_s, "round": self.round,
                "calls": {name: {"attempts": n, "outcome": outcome} for name, (n, outcome) in self.calls.items()}}


class StaleRun(SpsrError):
    """The run is not the application's current attempt, or the application is already decided."""

    code = "stale_run"
    status = 409


class WorkflowService:
    def __init__(self, applications: ApplicationRepository, decisions: DecisionRepository,
                 assignments: AssignmentRepository, evidence: EvidenceStore, sms: SmsPort,
                 agencies: Callable[[], Sequence[AgencyClient]], access_log: AccessLogPort, assessor: Assessor,
                 clock: Clock, settings: Settings, appeals: AppealAnswers | None = None,
                 back_pay: BackPayMarks | None = None, breakers: CircuitBreakers | None = None) -> None:
        self._applications = applications
        self._breakers = breakers
        self._appeals = appeals
        self._back_pay = back_pay
        self._decisions = decisions
        self._assignments = assignments
        self._evidence = evidence
        self._sms = sms
        self._agencies = agencies
        self._access_log = access_log
        self._assess = assessor
        self._clock = clock
        self._settings = settings

    # -- helpers -------------------------------------------------------------------------------
    def _current(self, application_id: str, attempt: int) -> Application:
        app = self._applications.get(application_id)
        if app is None:
            raise NotFound("application not found", field="application_id")
        if app.attempt != attempt or app.decided:
            raise StaleRun(f"run {attempt} of application {application_id} is not current", field="attempt")
        return app

    def _move(self, app: Application, status: str, note: str | None = None) -> Application:
        moved = transition(app, status, at=self._now(), actor_id=SYSTEM, actor_role="system", note=note)
        self._applications.save(moved, app.version)
        return moved

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")

    def _tell(self, app: Application, event: str, key: str, params: dict[str, object]) -> bool:
        applicant = next(m for m in app.members if m.person_id == app.applicant_person_id)
        if not applicant.phone:
            return False
        return self._sms.send(f"{app.application_id}:{key}", applicant.phone, applicant.language, event,
                              {"ref": app.reference, **params})

    # -- steps ---------------------------------------------------------------------------------
    def begin(self, application_id: str, attempt: int) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        if app.status in ("submitted", "needs_review", "appealed"):
            app = self._move(app, "collecting", note=f"run {attempt}")
        if attempt == 1:
            self._tell(app, "received", "received", {"due": app.due_date})
        return {"application_id": application_id, "attempt": attempt}

    def collect(self, application_id: str, attempt: int) -> Collected:
        """One round of the attempt's collection. When only agencies that get over failures by themselves
        are missing (``TRANSIENT_KINDS``) and the patience is not spent, the answers received are kept,
        the family is told once that its decision is delayed, and the workflow waits ``retry_in_s`` and
        runs another round asking the missing agencies only; otherwise the result is final."""
        app = self._current(application_id, attempt)
        rounds_key = f"evidence/{application_id}/{attempt:04d}-rounds.json"
        before = self._evidence.get_rounds(rounds_key)
        now = self._clock.now().timestamp()
        agencies = self._agencies()
        blocked = self._breakers.blocked([a.name for a in agencies], now) if self._breakers else set()
        result = collect_evidence(app.collection_request(), agencies, self._access_log,
                                  manual={m.agency: m.as_agency_facts() for m in app.manual_evidence
                                          if not m.corrects},
                                  corrections={m.agency: m.as_agency_facts() for m in app.manual_evidence
                                               if m.corrects},
                                  known=before.answers if before else None, blocked=blocked,
                                  required=self._settings.required_agencies, retries=self._settings.agency_retries,
                                  backoff_s=self._settings.agency_backoff_s,
                                  timeout_s=self._settings.collection_timeout_s)
        if self._breakers is not None:
            for name, stat in result.stats.items():  # the agencies asked this round, each one's verdict
                if name in blocked or (before and name in before.answers):
                    continue
                if stat.outcome == "ok" or stat.outcome in TRANSIENT_KINDS:
                    self._breakers.record(name, stat.outcome == "ok", now)
        rounds = CollectionRounds(before.rounds + 1 if before else 1, before.first_at if before else self._now(),
                                  {**(before.answers if before else {}), **result.answers})
        wait = self._wait(rounds, result.missing_sources)
        if wait:
            self._evidence.put_rounds(rounds_key, rounds)
            self._tell(app, "decision_delayed", f"delayed:{attempt}", {"due": app.due_date})
        key = f"evidence/{application_id}/{attempt:04d}.json"
        self._evidence.put(key, CollectedEvidence(result.evidence, result.manual_used))
        logger.info("evidence collected", extra={"application_id": application_id, "attempt": attempt,
                                                 "round": rounds.rounds, "retry_in_s": wait,
                                                 "missing": [s.agency for s in result.missing_sources],
                                                 "entered_by_hand": list(result.manual_used),
                                                 "duration_ms": result.duration_ms})
        return Collected(application_id, attempt, key, tuple(result.missing_sources),
                         {name: (s.attempts, s.outcome) for name, s in result.stats.items()}, wait, rounds.rounds)

    def _wait(self, rounds: CollectionRounds, missing: Sequence[MissingSource]) -> int:
        """Seconds to wait before the next round (doubling from ``collection_wait_s``, at most an hour), or 0:
        nothing missing, a source missing for good, or the patience spent (the decision's deadline keeps
        its margin: review, then a staff member, before the third working day)."""
        if not missing or any(m.kind not in TRANSIENT_KINDS for m in missing):
            return 0
        settings = self._settings
        wait = min(settings.collection_wait_s * 2 ** (rounds.rounds - 1), settings.collection_wait_max_s)
        waited = (self._clock.now() - datetime.fromisoformat(rounds.first_at)).total_seconds()
        if waited + wait > settings.collection_patience_s:
            return 0
        return max(1, int(wait))

    def needs_review(self, application_id: str, attempt: int, missing: Sequence[MissingSource] = (),
                     error_name: str | None = None) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        sources = sorted({s.agency for s in missing})
        if app.status != "needs_review":
            if missing:
                note = "missing sources: " + ", ".join(f"{s.agency} ({s.kind})" for s in missing)
            else:
                note = f"system error: {error_name or 'unknown'}"
            app = self._move(app, "needs_review", note=note)
        self._tell(app, "needs_review", f"needs_review:{attempt}",
                   {"sources": sources or ["-"], "due": app.due_date})
        return {"application_id": application_id, "status": "needs_review", "missing_sources": sources}

    def assess(self, application_id: str, attempt: int, evidence_key: str) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        stored = self._decisions.latest(application_id)
        if stored is None or stored.attempt != attempt:
            collected = self._evidence.get(evidence_key)
            result = self._assess(collected.document)
            manual = tuple(ManualFactsUsed(m.agency, m.entered_by, m.entered_role, m.entered_at, m.document_id)
                           for m in app.manual_evidence if m.agency in collected.manual_agencies)
            stored = self._decisions.add(decided(
                application_id, attempt, Outcome.from_dict(result["decision"]), result["explanation"],
                str(result["rules_version"]), evidence_key, self._now(), manual))
        if app.status == "collecting":
            app = self._move(app, "assessed", note=f"rules {stored.rules_version}")
        return {"application_id": application_id, "attempt": attempt, "eligible": list(stored.eligible)}

    def record(self, application_id: str, attempt: int) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        stored = self._decisions.latest(application_id)
        if stored is None or stored.attempt != attempt:
            raise NotFound("no decision to record", field="decision")
        if not stored.final:
            # Eligible on facts entered by hand: nothing is granted until a second officer approves.
            if app.status == "assessed":
                entered = ", ".join(f"{m.agency} by {m.entered_by}" for m in stored.manual_evidence)
                self._move(app, "awaiting_approval", note=f"eligible on facts entered by hand ({entered}); "
                                                          "a second officer approves")
            return {"application_id": application_id, "attempt": attempt, "status": "awaiting_approval",
                    "assignments": []}
        granted = self._grant(app, stored)
        status = "assigned" if granted else "rejected"
        if app.status == "assessed":
            self._move(app, status)
        return {"application_id": application_id, "attempt": attempt, "status": status,
                "assignments": [a.assignment_id for a in granted]}

    def notify(self, application_id: str, attempt: int) -> dict[str, Any]:
        app = self._applications.get(application_id)
        stored = self._decisions.latest(application_id)
        if app is None or stored is None:
            raise NotFound("no decision to notify", field="decision")
        if not stored.final:
            return {"application_id": application_id, "sms_sent": False}  # told once a second officer approves
        return {"application_id": application_id, "sms_sent": self._decided(app, stored)}

    # -- the second officer --------------------------------------------------------------------
    def approve(self, principal: Principal, application_id: str, note: str | None = None) -> Application:
        """A second officer approves an eligible decision resting on facts entered by hand: the
        assignments are made and the family is told. Repeating the call finishes an interrupted one."""
        app, stored = self._awaiting(principal, application_id)
        if stored.approval.status == "approved" and stored.approval.by == principal.subject:
            approved = stored  # this officer's approval was stored; the rest was interrupted
        else:
            approved = second_officer(stored, principal.subject, principal.role, self._now(), approve=True, note=note)
            if not self._decisions.save_approval(approved):
                raise Conflict("the decision was approved or rejected meanwhile", field="decision",
                               code="not_awaiting_approval")
        granted = self._grant(app, approved)
        moved = transition(app, "assigned" if granted else "rejected", at=self._now(), actor_id=principal.subject,
                           actor_role=principal.role, note=f"second officer approved attempt {approved.attempt}; "
                                                           f"{_entered(approved)}")
        self._applications.save(moved, app.version)
        try:
            self._decided(moved, approved)
        except Exception as err:  # the decision and assignments stand; only the SMS failed (as DecidedNotNotified)
            logger.warning("decision SMS not sent", extra={"application_id": application_id,
                                                           "error_type": type(err).__name__})
        return moved

    def reject(self, principal: Principal, application_id: str, reason: str) -> Application:
        """A second officer rejects an eligible decision resting on facts entered by hand. The
        application goes back to needs_review (not to rejected: the family's eligibility is still
        unknown, only the hand-entered facts are refused), and those facts are set aside so the next
        attempt asks the agency again or takes new evidence."""
        app, stored = self._awaiting(principal, application_id)
        rejected = second_officer(stored, principal.subject, principal.role, self._now(), approve=False, note=reason)
        if not self._decisions.save_approval(rejected):
            raise Conflict("the decision was approved or rejected meanwhile", field="decision",
                           code="not_awaiting_approval")
        refused = {m.agency for m in stored.manual_evidence}
        moved = transition(app, "needs_review", at=self._now(), actor_id=principal.subject, actor_role=principal.role,
                           note=f"second officer rejected attempt {stored.attempt}; {_entered(stored)}")
        moved = replace(moved, manual_evidence=tuple(m for m in moved.manual_evidence if m.agency not in refused))
        self._applications.save(moved, app.version)
        return moved

    def _awaiting(self, principal: Principal, application_id: str) -> tuple[Application, Decision]:
        app = self._applications.get(application_id)
        if app is None:
            raise NotFound("application not found", field="application_id")
        authorize(principal, access.DECISION_APPROVE, Target.of_record(app.address, app.household_id), "application")
        stored = self._decisions.latest(application_id)
        if app.status != "awaiting_approval" or stored is None or stored.attempt != app.attempt:
            raise Conflict(f"application {application_id} is {app.status}, not awaiting approval", field="status",
                           code="not_awaiting_approval")
        return app, stored

    def _grant(self, app: Application, decision: Decision) -> list[Assignment]:
        # On appeal, the assignments start when the contested decision's would have (domain/appeals.py).
        decision_month = app.appeal.decision_month if app.appeal else months.of(self._clock.now().date())
        granted = from_decision(
            application_id=app.application_id, household_id=app.household_id,
            beneficiary_person_id=app.applicant_person_id, decision=decision.outcome,
            rules_version=decision.rules_version, decision_month=decision_month,
            decided_at=decision.decided_at, region_code=app.address.region_code,
            district_code=app.address.district_code, mahalla_code=app.address.mahalla_code)
        self._assignments.add_all(granted)
        if app.appeal and granted:
            if self._back_pay is None:
                raise Conflict("back pay is not configured here", code="back_pay_unavailable")
            for assignment in granted:  # before the status moves: a retried step marks them again
                self._back_pay.mark_back_pay(BackPay(assignment.assignment_id, app.appeal.grievance_id, self._now()))
        return granted

    def _decided(self, app: Application, decision: Decision) -> bool:
        """Tells the family the final decision: the plain decision SMS, or the answer to its appeal."""
        if app.appeal is not None and self._appeals is not None:
            told = self._appeals.answer(app, decision)
            if decision.outcome.eligible:  # upheld: the new decision's amounts follow the answer
                told = self._tell_decision(app, decision) and told
            return told
        return self._tell_decision(app, decision)

    def _tell_decision(self, app: Application, decision: Decision) -> bool:
        granted = [(p, r.monthly_amount, r.lump_sum) for p, r in sorted(decision.outcome.programmes.items())
                   if r.eligible]
        key = f"decision:{decision.attempt}"
        if granted:
            first = months.add(app.appeal.decision_month if app.appeal else decision.decided_at[:7], 1)
            return self._tell(app, "assigned", key, {"first": first, "items": granted})
        return self._tell(app, "rejected", key, {"reasons": decision.outcome.reasons()})


def _entered(decision: Decision) -> str:
    return "facts entered by hand: " + ", ".join(f"{m.agency} by {m.entered_by}" for m in decision.manual_evidence)
