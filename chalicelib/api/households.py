"""Households and members: read, update with optimistic locking, add a member, read the change log."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.api.http import endpoint, json_response
from chalicelib.api.schemas import HouseholdPatch, MemberAdd, MemberPatch
from chalicelib.api.views import change_request_view, change_view, household_view
from chalicelib.domain import access
from chalicelib.domain.change_requests import ChangeRequest
from chalicelib.services.households import HouseholdChange, MemberChange

bp = Blueprint(__name__)
_STALE = {409: "the version given is not the current one; nothing was changed"}


@endpoint(bp, "/households/{household_id}", "GET", summary="Read a household with its members", tag="households",
          action=access.HOUSEHOLD_READ)
def get_household(request: Any, principal: Any, body: None, household_id: str) -> dict[str, Any]:
    return household_view(bootstrap.services().households.get(principal, household_id))


@endpoint(bp, "/households/{household_id}", "PATCH", tag="households",
          responses={**_STALE, 202: "a payout account change (whoever sends it): the pending change request it "
                                    "became; the household is unchanged until a second person approves it"},
          summary="Change a household's address (give the version you read); a bank account change becomes "
                  "a change request (202)",
          body=HouseholdPatch, example=examples.HOUSEHOLD_PATCH, action=access.HOUSEHOLD_UPDATE)
def update_household(request: Any, principal: Any, body: HouseholdPatch, household_id: str) -> Any:
    result = bootstrap.services().households.update(principal, household_id, HouseholdChange(
        version=body.version, address=body.address.to_domain() if body.address else None,
        bank_account=body.bank_account.to_domain() if body.bank_account else None, reason=body.reason))
    if isinstance(result, ChangeRequest):
        return json_response(change_request_view(result), 202)
    return household_view(result)


@endpoint(bp, "/households/{household_id}/members", "POST", tag="households", responses=_STALE, status=201,
          summary="Add a member to a household", body=MemberAdd, example=examples.MEMBER_ADD,
          action=access.MEMBER_ADD)
def add_member(request: Any, principal: Any, body: MemberAdd, household_id: str) -> dict[str, Any]:
    household, member = bootstrap.services().households.add_member(
        principal, household_id, body.version, body.member.to_domain(), body.reason)
    return {"person_id": member.person_id, "household": household_view(household)}


@endpoint(bp, "/households/{household_id}/members/{person_id}", "PATCH", tag="households", responses=_STALE,
          summary="Change a member's details (give the household version you read)",
          body=MemberPatch, example=examples.MEMBER_PATCH, action=access.MEMBER_UPDATE)
def update_member(request: Any, principal: Any, body: MemberPatch, household_id: str,
                  person_id: str) -> dict[str, Any]:
    household = bootstrap.services().households.update_member(
        principal, household_id, person_id,
        MemberChange(version=body.version, fields=body.changed_fields(), reason=body.reason))
    return household_view(household)


@endpoint(bp, "/households/{household_id}/changes", "GET", tag="households",
          summary="The household's change records, oldest first", action=access.HOUSEHOLD_CHANGES)
def household_changes(request: Any, principal: Any, body: None, household_id: str) -> dict[str, Any]:
    return {"items": [change_view(c) for c in bootstrap.services().households.changes(principal, household_id)]}
