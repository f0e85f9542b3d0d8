"""Change requests: report a change to a household, list the queue, approve or reject (a second person).

Approving or rejecting is for a pension_fund_officer or district_admin of the household's district,
never the one who reported it (403 ``same_person``).
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api.http import endpoint, int_param, query_param
from chalicelib.api.schemas import ChangeApprovalIn, ChangeCancellationIn, ChangeRejectionIn, ChangeRequestIn
from chalicelib.api.views import change_request_view
from chalicelib.domain import access
from chalicelib.domain.change_requests import STATUSES
from chalicelib.services.change_requests import ChangeReport, Outcome

bp = Blueprint(__name__)
_DECIDED = "the request is decided already (already_decided), or the household moved on (stale_version)"


def _outcome(outcome: Outcome) -> dict[str, Any]:
    return {**change_request_view(outcome.request), "sms_sent": outcome.sms_sent}


@endpoint(bp, "/households/{household_id}/change-requests", "POST", tag="change requests", status=201,
          summary="Report a change to a household; it waits for a second person's approval",
          body=ChangeRequestIn, example=examples.CHANGE_REQUEST,
          responses={409: "stale version, a request of this kind is pending, or the change does not apply"},
          action=access.CHANGE_REQUEST_CREATE)
def submit_change_request(request: Any, principal: Any, body: ChangeRequestIn, household_id: str) -> dict[str, Any]:
    report = ChangeReport(version=body.version, payload=body.to_domain(), note=body.note)
    return change_request_view(bootstrap.services().change_requests.submit(principal, household_id, report))


@endpoint(bp, "/households/{household_id}/change-requests", "GET", tag="change requests",
          summary="A household's change requests, oldest first", action=access.CHANGE_REQUEST_READ)
def household_change_requests(request: Any, principal: Any, body: None, household_id: str) -> dict[str, Any]:
    found = bootstrap.services().change_requests.for_household(principal, household_id)
    return {"items": [change_request_view(r) for r in found]}


@endpoint(bp, "/change-requests", "GET", tag="change requests",
          summary="A district's change requests in one status (pending by default), oldest first",
          query=(("district", "district code (district staff: their own by default)"),
                 ("mahalla", "mahalla code (mahalla workers: their own)"),
                 ("status", "one of " + ", ".join(STATUSES) + "; pending by default"),
                 ("limit", "page size, 1 to 100"), ("cursor", "the next_cursor of the previous page")),
          action=access.CHANGE_REQUEST_LIST)
def list_change_requests(request: Any, principal: Any, body: None) -> dict[str, Any]:
    page = bootstrap.services().change_requests.list(
        principal, district=query_param(request, "district"), mahalla=query_param(request, "mahalla"),
        status=query_param(request, "status") or "pending", limit=int_param(request, "limit", 50, 1, 100),
        cursor=query_param(request, "cursor"))
    return {"items": [change_request_view(r) for r in page.items], "next_cursor": page.cursor}


@endpoint(bp, "/change-requests/{request_id}", "GET", tag="change requests", summary="Read one change request",
          action=access.CHANGE_REQUEST_READ)
def get_change_request(request: Any, principal: Any, body: None, request_id: str) -> dict[str, Any]:
    return change_request_view(bootstrap.services().change_requests.get(principal, request_id))


@endpoint(bp, "/change-requests/{request_id}/approve", "POST", tag="change requests",
          summary="Approve a change request: the household changes now (give the household version you read)",
          body=ChangeApprovalIn, example=examples.CHANGE_APPROVAL, responses={409: _DECIDED},
          action=access.CHANGE_REQUEST_DECIDE)
def approve_change_request(request: Any, principal: Any, body: ChangeApprovalIn, request_id: str) -> dict[str, Any]:
    return _outcome(bootstrap.services().change_requests.approve(principal, request_id, body.version, body.note))


@endpoint(bp, "/change-requests/{request_id}/reject", "POST", tag="change requests",
          summary="Reject a change request with a reason; the household is unchanged",
          body=ChangeRejectionIn, example=examples.CHANGE_REJECTION, responses={409: _DECIDED},
          action=access.CHANGE_REQUEST_DECIDE)
def reject_change_request(request: Any, principal: Any, body: ChangeRejectionIn, request_id: str) -> dict[str, Any]:
    return _outcome(bootstrap.services().change_requests.reject(principal, request_id, body.reason, body.note))


@endpoint(bp, "/change-requests/{request_id}/cancel", "POST", tag="change requests",
          summary="Withdraw a pending change request (whoever reported it)",
          body=ChangeCancellationIn, example=examples.CHANGE_CANCELLATION, responses={409: _DECIDED},
          action=access.CHANGE_REQUEST_CANCEL)
def cancel_change_request(request: Any, principal: Any, body: ChangeCancellationIn,
                          request_id: str) -> dict[str, Any]:
    return change_request_view(bootstrap.services().change_requests.cancel(principal, request_id, body.note))
