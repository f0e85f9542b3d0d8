"""Applications: submit, read, list, documents, statistics, decisions, staff re-runs, overdue lists."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api.http import endpoint, int_param, query_param
from chalicelib.api.schemas import (
    ApplicationIn,
    DocumentUploadIn,
    ManualEvidenceIn,
    RerunIn,
    SecondOfficerApprovalIn,
    SecondOfficerRejectionIn,
)
from chalicelib.api.views import application_view, decision_view
from chalicelib.domain import access
from chalicelib.domain.applications import STATUSES
from chalicelib.domain.errors import ValidationFailed
from chalicelib.services.intake import ApplicationRequest

bp = Blueprint(__name__)

_MONTH_HELP = "cycle month, YYYY-MM"


@endpoint(bp, "/applications", "POST", summary="Submit an application for a household", tag="applications",
          body=ApplicationIn, example=examples.APPLICATION, status=201, action=access.APPLICATION_SUBMIT,
          responses={409: "the household already applied for this cycle month"})
def submit_application(request: Any, principal: Any, body: ApplicationIn) -> dict[str, Any]:
    app = bootstrap.services().intake.submit(principal, ApplicationRequest(
        programmes=tuple(body.programmes),
        channel=body.channel,
        address=body.address.to_domain(),
        members=tuple(m.to_domain() for m in body.members),
        applicant_pinfl=body.applicant_pinfl,
        bank_account=body.bank_account.to_domain() if body.bank_account else None,
    ))
    return application_view(app)


@endpoint(bp, "/applications", "GET", summary="List applications in the caller's scope", tag="applications",
          action=access.APPLICATION_LIST,
          query=(("region", "region code"), ("district", "district code"), ("mahalla", "mahalla code"),
                 ("cycle_month", _MONTH_HELP), ("status", "one of " + ", ".join(STATUSES)),
                 ("limit", "page size, 1 to 100"), ("cursor", "the next_cursor of the previous page")))
def list_applications(request: Any, principal: Any, body: None) -> dict[str, Any]:
    status = query_param(request, "status")
    if status is not None and status not in STATUSES:
        raise ValidationFailed("unknown status", field="status", code="invalid_choice")
    cycle = query_param(request, "cycle_month")
    if cycle is not None and not _is_month(cycle):
        raise ValidationFailed("cycle_month is YYYY-MM", field="cycle_month", code="invalid_format")
    page = bootstrap.services().applications.list(
        principal, region=query_param(request, "region"), district=query_param(request, "district"),
        mahalla=query_param(request, "mahalla"), cycle_month=cycle, status=status,
        limit=int_param(request, "limit", 50, 1, 100), cursor=query_param(request, "cursor"))
    return {"items": [application_view(a) for a in page.items], "next_cursor": page.cursor}


@endpoint(bp, "/applications/{application_id}", "GET", summary="Read one application", tag="applications",
          action=access.APPLICATION_READ)
def get_application(request: Any, principal: Any, body: None, application_id: str) -> dict[str, Any]:
    return application_view(bootstrap.services().applications.get(principal, application_id))


@endpoint(bp, "/applications/{application_id}/documents", "POST", tag="applications",
          summary="Get a presigned upload (S3 POST) for a document of the application",
          body=DocumentUploadIn, example=examples.DOCUMENT_UPLOAD, status=201, action=access.DOCUMENT_UPLOAD)
def request_document_upload(request: Any, principal: Any, body: DocumentUploadIn,
                            application_id: str) -> dict[str, Any]:
    ref, ticket = bootstrap.services().applications.request_upload(
        principal, application_id, body.kind, body.content_type, body.size_bytes)
    return {"document_id": ref.document_id, "status": ref.status, "upload": {
        "url": ticket.url, "fields": ticket.fields, "expires_in": ticket.expires_in}}


@endpoint(bp, "/statistics/applications", "GET", tag="statistics",
          summary="Application counts per region, status and programme (no personal data)",
          query=(("cycle_month", _MONTH_HELP),), action=access.STATISTICS_READ)
def application_statistics(request: Any, principal: Any, body: None) -> dict[str, Any]:
    cycle = query_param(request, "cycle_month")
    if cycle is not None and not _is_month(cycle):
        raise ValidationFailed("cycle_month is YYYY-MM", field="cycle_month", code="invalid_format")
    return bootstrap.services().applications.statistics(principal, cycle)


def _is_month(value: str) -> bool:
    return len(value) == 7 and value[4] == "-" and value[:4].isdigit() and value[5:].isdigit() \
        and 1 <= int(value[5:]) <= 12


@endpoint(bp, "/applications/{application_id}/decision", "GET", tag="applications",
          summary="The latest decision with its explanation (reasons, figures, parameters and rules version)",
          action=access.DECISION_READ)
def get_decision(request: Any, principal: Any, body: None, application_id: str) -> dict[str, Any]:
    return decision_view(*bootstrap.services().applications.decision(principal, application_id))


@endpoint(bp, "/applications/{application_id}/access-log", "GET", tag="applications",
          summary="The agency queries made for the application: agency, member id, officer, time, outcome",
          action=access.ACCESS_LOG_READ)
def get_access_log(request: Any, principal: Any, body: None, application_id: str) -> dict[str, Any]:
    return {"items": bootstrap.services().applications.access_log(principal, application_id)}


@endpoint(bp, "/applications/{application_id}/collect", "POST", tag="applications", status=202,
          summary="Run evidence collection again for an application in review (e.g. after an agency recovered)",
          body=RerunIn, example=examples.RERUN, responses={409: "the application is not in review"},
          action=access.EVIDENCE_COLLECT)
def rerun_collection(request: Any, principal: Any, body: RerunIn, application_id: str) -> dict[str, Any]:
    app = bootstrap.services().applications.rerun_collection(principal, application_id, body.note)
    return {"application_id": app.application_id, "attempt": app.attempt, "status": app.status}


@endpoint(bp, "/applications/{application_id}/evidence", "POST", tag="applications", status=202,
          summary="Staff enter an unavailable agency's facts by hand (only the facts it supplies), with a "
                  "justification and an uploaded document; the decision follows",
          body=ManualEvidenceIn, example=examples.MANUAL_EVIDENCE,
          responses={400: "a fact the agency does not supply (field_not_supplied_by_agency), an unknown member "
                          "or document", 403: "not staff", 409: "the application is not in review"},
          action=access.EVIDENCE_MANUAL)
def enter_evidence(request: Any, principal: Any, body: ManualEvidenceIn, application_id: str) -> dict[str, Any]:
    app = bootstrap.services().applications.enter_evidence(
        principal, application_id, body.agency, [(m.id, m.to_domain()) for m in body.members],
        body.justification, body.document_id)
    return {"application_id": app.application_id, "attempt": app.attempt, "status": app.status}


@endpoint(bp, "/applications/{application_id}/decision/approve", "POST", tag="applications",
          summary="A second officer approves an eligible decision resting on facts entered by hand: "
                  "assignments and SMS follow",
          body=SecondOfficerApprovalIn, example=examples.DECISION_APPROVAL,
          responses={403: "not a pension fund officer or district admin, or the officer who entered the facts",
                     409: "the application is not awaiting approval"},
          action=access.DECISION_APPROVE)
def approve_decision(request: Any, principal: Any, body: SecondOfficerApprovalIn,
                     application_id: str) -> dict[str, Any]:
    app = bootstrap.services().workflow.approve(principal, application_id, body.note)
    return {"application_id": app.application_id, "attempt": app.attempt, "status": app.status}


@endpoint(bp, "/applications/{application_id}/decision/reject", "POST", tag="applications",
          summary="A second officer rejects an eligible decision resting on facts entered by hand: "
                  "the application returns to review and those facts are set aside",
          body=SecondOfficerRejectionIn, example=examples.DECISION_REJECTION,
          responses={403: "not a pension fund officer or district admin, or the officer who entered the facts",
                     409: "the application is not awaiting approval"},
          action=access.DECISION_APPROVE)
def reject_decision(request: Any, principal: Any, body: SecondOfficerRejectionIn,
                    application_id: str) -> dict[str, Any]:
    app = bootstrap.services().workflow.reject(principal, application_id, body.reason)
    return {"application_id": app.application_id, "attempt": app.attempt, "status": app.status}


@endpoint(bp, "/overdue-applications", "GET", tag="applications",
          summary="Undecided applications past their 3-working-day due date, in the caller's scope",
          query=(("cycle_month", _MONTH_HELP), ("limit", "page size, 1 to 100"),
                 ("cursor", "the next_cursor of the previous page")), action=access.APPLICATION_LIST)
def overdue_applications(request: Any, principal: Any, body: None) -> dict[str, Any]:
    cycle = query_param(request, "cycle_month")
    if cycle is not None and not _is_month(cycle):
        raise ValidationFailed("cycle_month is YYYY-MM", field="cycle_month", code="invalid_format")
    page = bootstrap.services().applications.overdue(
        principal, cycle_month=cycle, limit=int_param(request, "limit", 50, 1, 100),
        cursor=query_param(request, "cursor"))
    return {"items": [application_view(a) for a in page.items], "next_cursor": page.cursor}
