"""Appeals: contest a rejected application's decision, and re-assess it (the new decision answers the
appeal); an application's decisions, oldest first, each naming the one that superseded it."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api import responses as out
from chalicelib.api.http import endpoint
from chalicelib.api.schemas import AppealIn, ReassessIn
from chalicelib.api.views import decision_history_view, grievance_view
from chalicelib.domain import access
from chalicelib.services.appeals import AppealFiling, CorrectedFacts

bp = Blueprint(__name__)


@endpoint(bp, "/applications/{application_id}/appeals", "POST", tag="grievances", status=201,
          summary="Appeal a rejected application's decision, naming the grounds: a decision_appeal grievance "
                  "routed to the district's Pension Fund officers, with its reference and last day by SMS",
          body=AppealIn, example=examples.APPEAL, response=out.GrievanceOut,
          responses={404: "the application is not found (or outside the token's scope)",
                     409: "the application is not rejected (not_appealable), is under appeal (appeal_open) or "
                          "was re-assessed on appeal already (appeal_answered)"},
          action=access.APPEAL_FILE)
def file_appeal(request: Any, principal: Any, body: AppealIn, application_id: str) -> dict[str, Any]:
    services = bootstrap.services()
    g = services.appeals.file(principal, application_id,
                              AppealFiling(tuple(body.grounds), body.channel, body.description))
    return grievance_view(g, services.grievances.today())


@endpoint(bp, "/grievances/{grievance_id}/reassess", "POST", tag="grievances", status=202,
          summary="Re-assess an appealed decision as a new attempt: the agencies asked again, or one agency's "
                  "corrected facts entered from a document uploaded to the application (an eligible decision on "
                  "them waits for a second officer); the new decision answers the appeal",
          body=ReassessIn, example=examples.REASSESS, response=out.ReassessmentOut,
          responses={400: "not an appeal, or corrected facts that break the manual evidence rules",
                     403: "the grievance is routed to another role, or facts entered by a role that may not",
                     409: "the grievance is closed or at the other level, or the re-assessment is under way"},
          action=access.APPEAL_REASSESS)
def reassess_appeal(request: Any, principal: Any, body: ReassessIn, grievance_id: str) -> dict[str, Any]:
    corrected = None
    if body.evidence is not None:
        e = body.evidence
        corrected = CorrectedFacts(e.agency, [(m.id, m.to_domain()) for m in e.members], e.justification,
                                   e.document_id)
    done = bootstrap.services().appeals.reassess(principal, grievance_id, corrected)
    return {"grievance_id": done.grievance.grievance_id, "application_id": done.application.application_id,
            "attempt": done.application.attempt, "status": done.application.status, "started": done.started}


@endpoint(bp, "/applications/{application_id}/decisions", "GET", tag="applications",
          summary="Every decision of the application, oldest first: a re-assessment on appeal adds one and "
                  "supersedes the one before, never edits it",
          response=out.DecisionHistoryOut, responses={404: "no decision yet (no_decision)"},
          action=access.DECISION_READ)
def decision_history(request: Any, principal: Any, body: None, application_id: str) -> dict[str, Any]:
    return decision_history_view(*bootstrap.services().applications.decisions(principal, application_id))
