"""Grievances: file one, read, list an area's and the overdue ones, work one through (take, extend,
resolve, reject, escalate), attach files, rate it once closed; the ministry's counts."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api import responses as out
from chalicelib.api.applications import CURSOR, LIMIT
from chalicelib.api.http import Param, endpoint, int_param, query_param
from chalicelib.api.schemas import (
    AttachmentUploadIn,
    GrievanceIn,
    GrievanceRatingIn,
    GrievanceRejectIn,
    GrievanceResolveIn,
    GrievanceTakeIn,
    GrievanceVersionIn,
)
from chalicelib.api.views import grievance_view
from chalicelib.domain import access, identifiers
from chalicelib.domain.grievances import STATUSES as GRIEVANCE_STATUSES
from chalicelib.domain.grievances import Grievance
from chalicelib.services.grievances import Filing

bp = Blueprint(__name__)
TAG = "grievances"
_MOVED = ("the grievance cannot make this move from its status (invalid_transition), is at the other level "
          "(wrong_level), changed meanwhile (stale_version), or is an appeal (appeal_reassess)")
DISTRICT = Param("district", "district code (district staff: their own by default)", pattern=identifiers.DISTRICT_CODE)
REGION = Param("region", "region code (region staff: their own by default)", pattern=identifiers.REGION_CODE)


def _view(g: Grievance) -> dict[str, Any]:
    return grievance_view(g, bootstrap.services().grievances.today())


@endpoint(bp, "/grievances", "POST", tag=TAG, status=201,
          summary="File a grievance for a household; the family gets its reference and last day by SMS",
          body=GrievanceIn, example=examples.GRIEVANCE, response=out.GrievanceOut,
          responses={404: "the household is not found (or outside the token's scope)"}, action=access.GRIEVANCE_FILE)
def file_grievance(request: Any, principal: Any, body: GrievanceIn) -> dict[str, Any]:
    filing = Filing(category=body.category, channel=body.channel, description=body.description,
                    application_id=body.application_id, payment_ref=body.payment_ref)
    return _view(bootstrap.services().grievances.file(principal, body.household_id, filing))


@endpoint(bp, "/grievances", "GET", tag=TAG, summary="An area's grievances, oldest first (one status, or all)",
          query=(DISTRICT, REGION, Param("status", "the grievance's status", enum=GRIEVANCE_STATUSES), LIMIT, CURSOR),
          response=out.GrievancePage, action=access.GRIEVANCE_LIST)
def list_grievances(request: Any, principal: Any, body: None) -> dict[str, Any]:
    page = bootstrap.services().grievances.list(
        principal, district=query_param(request, "district"), region=query_param(request, "region"),
        status=query_param(request, "status"), limit=int_param(request, "limit", 50, 1, 100),
        cursor=query_param(request, "cursor"))
    return {"items": [_view(g) for g in page.items], "next_cursor": page.cursor}


@endpoint(bp, "/grievances/overdue", "GET", tag=TAG,
          summary="An area's open grievances past their last day, earliest deadline first",
          query=(DISTRICT, REGION), response=out.GrievancesOut, action=access.GRIEVANCE_LIST)
def overdue_grievances(request: Any, principal: Any, body: None) -> dict[str, Any]:
    found = bootstrap.services().grievances.overdue(principal, district=query_param(request, "district"),
                                                    region=query_param(request, "region"))
    return {"items": [_view(g) for g in found]}


@endpoint(bp, "/grievances/{grievance_id}", "GET", tag=TAG,
          summary="Read a grievance with its history (an answered appeal: what changed between the decisions)",
          response=out.GrievanceOut, action=access.GRIEVANCE_READ)
def get_grievance(request: Any, principal: Any, body: None, grievance_id: str) -> dict[str, Any]:
    answered = bootstrap.services().appeals.explain(principal, grievance_id)
    return grievance_view(answered.grievance, bootstrap.services().grievances.today(), answered.what_changed)


@endpoint(bp, "/grievances/by-reference/{reference}", "GET", tag=TAG,
          summary="Find a grievance by the reference the family was sent by SMS (the hotline's lookup)",
          response=out.GrievanceOut, action=access.GRIEVANCE_READ)
def grievance_by_reference(request: Any, principal: Any, body: None, reference: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.by_reference(principal, reference))


@endpoint(bp, "/households/{household_id}/grievances", "GET", tag=TAG,
          summary="A household's grievances and appeals, oldest first", response=out.GrievancesOut,
          action=access.GRIEVANCE_READ)
def household_grievances(request: Any, principal: Any, body: None, household_id: str) -> dict[str, Any]:
    return {"items": [_view(g) for g in bootstrap.services().grievances.for_household(principal, household_id)]}


@endpoint(bp, "/grievances/{grievance_id}/attachments", "POST", tag=TAG, status=201,
          summary="Get a presigned upload (S3 POST) for a file attached to an open grievance",
          body=AttachmentUploadIn, example=examples.ATTACHMENT_UPLOAD, response=out.AttachmentUploadOut,
          responses={409: "the grievance is closed"}, action=access.GRIEVANCE_ATTACH)
def attach_to_grievance(request: Any, principal: Any, body: AttachmentUploadIn, grievance_id: str) -> dict[str, Any]:
    attachment, ticket = bootstrap.services().grievances.request_upload(principal, grievance_id, body.content_type,
                                                                        body.size_bytes)
    return {"document_id": attachment.document_id,
            "upload": {"url": ticket.url, "fields": ticket.fields, "expires_in": ticket.expires_in}}


@endpoint(bp, "/grievances/{grievance_id}/assign", "POST", tag=TAG,
          summary="Take the grievance into review, or give it to a colleague (as its category routes it)",
          body=GrievanceTakeIn, example=examples.GRIEVANCE_TAKE, responses={409: _MOVED}, response=out.GrievanceOut,
          action=access.GRIEVANCE_HANDLE)
def assign_grievance(request: Any, principal: Any, body: GrievanceTakeIn, grievance_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.take(principal, grievance_id, body.assignee))


@endpoint(bp, "/grievances/{grievance_id}/extend", "POST", tag=TAG,
          summary="Extra study or checks are needed: the answer period becomes one month",
          body=GrievanceVersionIn, example=examples.GRIEVANCE_VERSION, responses={409: _MOVED},
          response=out.GrievanceOut, action=access.GRIEVANCE_HANDLE)
def extend_grievance(request: Any, principal: Any, body: GrievanceVersionIn, grievance_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.extend(principal, grievance_id, body.version))


@endpoint(bp, "/grievances/{grievance_id}/resolve", "POST", tag=TAG,
          summary="Resolve the grievance with its outcome and the answer to the family",
          body=GrievanceResolveIn, example=examples.GRIEVANCE_RESOLVE, responses={409: _MOVED},
          response=out.GrievanceOut, action=access.GRIEVANCE_HANDLE)
def resolve_grievance(request: Any, principal: Any, body: GrievanceResolveIn, grievance_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.resolve(principal, grievance_id, body.outcome, body.answer))


@endpoint(bp, "/grievances/{grievance_id}/reject", "POST", tag=TAG,
          summary="Reject the grievance with its reason; the family is told where to go further",
          body=GrievanceRejectIn, example=examples.GRIEVANCE_REJECT, responses={409: _MOVED},
          response=out.GrievanceOut, action=access.GRIEVANCE_HANDLE)
def reject_grievance(request: Any, principal: Any, body: GrievanceRejectIn, grievance_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.reject(principal, grievance_id, body.outcome, body.answer))


@endpoint(bp, "/grievances/{grievance_id}/escalate", "POST", tag=TAG,
          summary="Hand the grievance to the region (a breach of the deadline does this by itself)",
          body=GrievanceVersionIn, example=examples.GRIEVANCE_VERSION, responses={409: _MOVED},
          response=out.GrievanceOut, action=access.GRIEVANCE_HANDLE)
def escalate_grievance(request: Any, principal: Any, body: GrievanceVersionIn, grievance_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.escalate(principal, grievance_id, body.version))


@endpoint(bp, "/grievances/{grievance_id}/rate", "POST", tag=TAG,
          summary="The family rates how its closed grievance was handled, once",
          body=GrievanceRatingIn, example=examples.GRIEVANCE_RATING,
          responses={409: "the grievance is still open (not_closed) or rated already (already_rated)"},
          response=out.GrievanceOut, action=access.GRIEVANCE_RATE)
def rate_grievance(request: Any, principal: Any, body: GrievanceRatingIn, grievance_id: str) -> dict[str, Any]:
    return _view(bootstrap.services().grievances.rate(principal, grievance_id, body.rating))


@endpoint(bp, "/statistics/grievances", "GET", tag="statistics",
          summary="Grievances by region, category and status; time to answer; appeals by ground (no personal data)",
          response=out.GrievanceStatisticsOut, action=access.STATISTICS_READ)
def grievance_statistics(request: Any, principal: Any, body: None) -> dict[str, Any]:
    return bootstrap.services().grievances.statistics(principal)
