"""The per-application workflow's steps: begin, collect evidence, assess, record, notify, review.

Each step is called by a Step Functions task (``chalicelib/tasks/application_workflow.py``) with the
application id and the run's ``attempt``, and each is idempotent: a retried step finds its own
earlier write (status already moved, decision already stored, assignments already added, SMS already
claimed) and does not repeat it. A run whose attempt is no longer the application's current one (staff
started another) stops with ``StaleRun``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.agency_ports import AccessLogPort, AgencyClient
from chalicelib.config import Settings
from chalicelib.domain import months
from chalicelib.domain.applications import Application, transition
from chalicelib.domain.assignments import from_decision
from chalicelib.domain.errors import NotFound, SpsrError
from chalicelib.domain.evidence import merge_fragment
from chalicelib.ports import (
    ApplicationRepository,
    AssignmentRepository,
    Clock,
    DecisionRepository,
    EvidenceStore,
    SmsPort,
)
from chalicelib.services.evidence_collection import collect_evidence

logger = Logger(service="spsr-workflow")
SYSTEM = "workflow"

Assessor = Callable[[Mapping[str, Any]], dict[str, Any]]


class StaleRun(SpsrError):
    """The run is not the application's current attempt, or the application is already decided."""

    code = "stale_run"
    status = 409


class WorkflowService:
    def __init__(self, applications: ApplicationRepository, decisions: DecisionRepository,
                 assignments: AssignmentRepository, evidence: EvidenceStore, sms: SmsPort,
                 agencies: Callable[[], Sequence[AgencyClient]], access_log: AccessLogPort, assessor: Assessor,
                 clock: Clock, settings: Settings) -> None:
        self._applications = applications
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
        if app.status in ("submitted", "needs_review"):
            app = self._move(app, "collecting", note=f"run {attempt}")
        if attempt == 1:
            self._tell(app, "received", "received", {"due": app.due_date})
        return {"application_id": application_id, "attempt": attempt}

    def collect(self, application_id: str, attempt: int) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        request = {
            "application_id": app.application_id, "period": app.cycle_month, "officer_id": app.created_by,
            "programmes": list(app.programmes),
            "members": [{"person_id": m.person_id, "pinfl": m.pinfl, "birth_date": m.birth_date,
                         "sex": m.sex, "relationship": m.relationship} for m in app.members],
        }
        clients = self._agencies()
        result = collect_evidence(request, clients, self._access_log,
                                  retries=self._settings.agency_retries, timeout_s=self._settings.collection_timeout_s)
        evidence = result.evidence
        missing = [s.to_dict() for s in result.missing_sources]
        # An agency with no connector configured is a missing source, never an empty answer: deciding
        # without, say, the tax authority would find every family without income.
        configured = {c.name for c in clients}
        missing += [{"agency": name, "kind": "not_configured", "detail": "", "person_ids": []}
                    for name in self._settings.required_agencies if name not in configured]
        for manual in app.manual_evidence:
            if any(s["agency"] == manual.agency for s in missing):
                evidence = merge_fragment(evidence, manual.fragment)
                missing = [s for s in missing if s["agency"] != manual.agency]
        key = f"evidence/{application_id}/{attempt:04d}.json"
        self._evidence.put(key, evidence)
        logger.info("evidence collected", extra={"application_id": application_id, "attempt": attempt,
                                                 "missing": [s["agency"] for s in missing],
                                                 "duration_ms": result.duration_ms})
        return {"application_id": application_id, "attempt": attempt, "complete": not missing,
                "missing": missing, "evidence_key": key,
                "calls": {name: {"attempts": s.attempts, "outcome": s.outcome} for name, s in result.stats.items()}}

    def needs_review(self, application_id: str, attempt: int, missing: Sequence[Mapping[str, Any]] = (),
                     error: Mapping[str, Any] | None = None) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        sources = sorted({str(s["agency"]) for s in missing})
        if app.status != "needs_review":
            if missing:
                note = "missing sources: " + ", ".join(f"{s['agency']} ({s['kind']})" for s in missing)
            else:
                note = f"system error: {(error or {}).get('Error', 'unknown')}"
            app = self._move(app, "needs_review", note=note)
        self._tell(app, "needs_review", f"needs_review:{attempt}",
                   {"sources": sources or ["-"], "due": app.due_date})
        return {"application_id": application_id, "status": "needs_review", "missing_sources": sources}

    def assess(self, application_id: str, attempt: int, evidence_key: str) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        stored = self._decisions.latest(application_id)
        if stored is None or stored.get("attempt") != attempt:
            result = self._assess(self._evidence.get(evidence_key))
            stored = self._decisions.add(application_id, attempt, {
                "attempt": attempt, "decision": result["decision"], "explanation": result["explanation"],
                "rules_version": result["rules_version"], "evidence_key": evidence_key, "decided_at": self._now(),
            })
        if app.status == "collecting":
            app = self._move(app, "assessed", note=f"rules {stored['rules_version']}")
        eligible = sorted(p for p, r in stored["decision"]["programmes"].items() if r["eligible"])  # type: ignore[index]
        return {"application_id": application_id, "attempt": attempt, "eligible": eligible}

    def record(self, application_id: str, attempt: int) -> dict[str, Any]:
        app = self._current(application_id, attempt)
        stored = self._decisions.latest(application_id)
        if stored is None:
            raise NotFound("no decision to record", field="decision")
        decided_at = str(stored["decided_at"])
        granted = from_decision(
            application_id=app.application_id, household_id=app.household_id,
            beneficiary_person_id=app.applicant_person_id, decision=stored["decision"],  # type: ignore[arg-type]
            rules_version=str(stored["rules_version"]), decision_month=months.of(self._clock.now().date()),
            decided_at=decided_at, region_code=app.address.region_code, district_code=app.address.district_code,
            mahalla_code=app.address.mahalla_code)
        self._assignments.add_all(granted)
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
        programmes: dict[str, Any] = stored["decision"]["programmes"]  # type: ignore[index]
        granted = [(p, int(r["monthly_amount"]), int(r["lump_sum"])) for p, r in sorted(programmes.items())
                   if r["eligible"]]
        if granted:
            first = months.add(str(stored["decided_at"])[:7], 1)
            sent = self._tell(app, "assigned", f"decision:{attempt}", {"first": first, "items": granted})
        else:
            reasons = _reasons_in_order(programmes)
            sent = self._tell(app, "rejected", f"decision:{attempt}", {"reasons": reasons})
        return {"application_id": application_id, "sms_sent": sent}


def _reasons_in_order(programmes: Mapping[str, Any]) -> list[str]:
    """Every reason of every programme, once, in the order the first programme lists them."""
    out: list[str] = []
    for _, result in sorted(programmes.items()):
        for reason in result["reasons"]:
            if reason not in out:
                out.append(reason)
    return out
