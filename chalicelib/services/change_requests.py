"""Reporting a change to a household, and deciding it: the second person's approval (maker-checker).

A citizen (for their own household) or staff in scope reports a change; it waits as a pending
request and the household is untouched. A pension_fund_officer or district_admin of the household's
district, never the reporter, approves it (the change, the household's change record and the
request's new status are one transaction; a stale version writes nothing) or rejects it with a
reason. The family is told the outcome by SMS in its language, at most once per request and outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from aws_lambda_powertools import Logger

from chalicelib.domain import access, geography
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.change_requests import (
    STATUSES,
    AddressChange,
    ChangeDecision,
    ChangeRequest,
    MemberMovesIn,
    Payload,
    apply,
    decide,
)
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.households import ChangeRecord, Household, Member, expect_version
from chalicelib.ports import (
    ChangeRequestPage,
    ChangeRequestQuery,
    ChangeRequestRepository,
    Clock,
    HouseholdRepository,
    HouseholdWrite,
    IdGenerator,
    SmsPort,
)
from chalicelib.services.intake import check_address
from chalicelib.services.reach import household_in_reach

logger = Logger(service="spsr-change-requests")


@dataclass(frozen=True)
class ChangeReport:
    """A change as reported: the household version it was read at, what changes, and why."""

    version: int
    payload: Payload  # a joining member's person_id is empty: the registry gives it
    note: str | None = None


@dataclass(frozen=True)
class Outcome:
    request: ChangeRequest
    sms_sent: bool


class ChangeRequestService:
    def __init__(self, households: HouseholdRepository, requests: ChangeRequestRepository, sms: SmsPort,
                 clock: Clock, ids: IdGenerator, page_size_max: int = 100) -> None:
        self._households = households
        self._requests = requests
        self._sms = sms
        self._clock = clock
        self._ids = ids
        self._page_size_max = page_size_max

    # -- reading ---------------------------------------------------------------------------------
    def _household(self, principal: Principal, household_id: str, action: Action) -> Household:
        return household_in_reach(self._households, principal, household_id, action)

    def _request(self, principal: Principal, request_id: str,
                 action: Action = access.CHANGE_REQUEST_READ) -> tuple[ChangeRequest, Household]:
        request = self._requests.get(request_id)
        household = self._households.get(request.household_id) if request is not None else None
        if request is None or household is None:
            raise NotFound("change request not found", field="request_id")
        authorize(principal, action, Target.of_record(household.address, household.household_id), "change request")
        return request, household

    def get(self, principal: Principal, request_id: str) -> ChangeRequest:
        return self._request(principal, request_id)[0]

    def for_household(self, principal: Principal, household_id: str) -> list[ChangeRequest]:
        self._household(principal, household_id, access.CHANGE_REQUEST_READ)
        return self._requests.for_household(household_id)

    def list(self, principal: Principal, *, district: str | None = None, mahalla: str | None = None,
             status: str = "pending", limit: int = 50, cursor: str | None = None) -> ChangeRequestPage:
        """A district's queue, or one mahalla's, oldest first; by default the caller's own area."""
        authorize(principal, access.CHANGE_REQUEST_LIST)
        if status not in STATUSES:
            raise ValidationFailed("unknown status", field="status", code="invalid_choice")
        if mahalla is not None:
            parent = geography.district_of_mahalla(mahalla)
            if parent is None or district not in (None, parent.code):
                raise ValidationFailed("unknown mahalla code, or not in that district", field="mahalla",
                                       code="unknown_mahalla")
            target, field = Target.area("mahalla", mahalla), "mahalla"
        elif district is not None:
            if geography.district(district) is None:
                raise ValidationFailed("unknown district code", field="district", code="unknown_district")
            target, field = Target.area("district", district), "district"
        elif principal.level in ("mahalla", "district"):
            target, field = Target.area(principal.level, principal.scope), principal.level
        else:
            raise ValidationFailed("name the district", field="district", code="missing_field")
        authorize(principal, access.CHANGE_REQUEST_LIST, target, "the filter", field=field)
        assert target.district is not None
        return self._requests.list(ChangeRequestQuery(
            district_code=target.district, status=status, mahalla_code=target.mahalla,
            limit=min(limit, self._page_size_max), cursor=cursor))

    # -- reporting -------------------------------------------------------------------------------
    def submit(self, principal: Principal, household_id: str, report: ChangeReport) -> ChangeRequest:
        household = self._household(principal, household_id, access.CHANGE_REQUEST_CREATE)
        expect_version(household, report.version)
        payload = report.payload
        if isinstance(payload, AddressChange):
            check_address(payload.address)
        if isinstance(payload, MemberMovesIn):
            payload = MemberMovesIn(member=self._joining(payload.member))
        apply(household, payload)  # refuse now what could never be approved
        request = ChangeRequest(
            request_id=self._ids.new_id("cr"), household_id=household_id, payload=payload,
            district_code=household.address.district_code, mahalla_code=household.address.mahalla_code,
            base_version=household.version, submitted_by=principal.subject, submitted_role=principal.role,
            submitted_at=self._now(), note=report.note)
        waiting = next((r for r in self._requests.for_household(household_id)
                        if r.status == "pending" and r.kind == request.kind and r.target == request.target), None)
        if waiting is not None:
            raise Conflict(f"change request {waiting.request_id} of this kind is waiting for a decision",
                           field="kind", code="change_request_pending")
        self._requests.add(request)
        logger.info("change request submitted", extra={
            "request_id": request.request_id, "household_id": household_id, "kind": request.kind,
            "role": principal.role})
        return request

    def _joining(self, member: Member) -> Member:
        if self._households.find_by_pinfl(member.pinfl) is not None:
            raise Conflict("this person is already registered in a household", field="member.pinfl",
                           code="member_in_other_household")
        return replace(member, person_id=self._ids.new_id("p"))

    # -- deciding --------------------------------------------------------------------------------
    def _decidable(self, principal: Principal, request_id: str) -> tuple[ChangeRequest, Household]:
        return self._request(principal, request_id, access.CHANGE_REQUEST_DECIDE)

    def approve(self, principal: Principal, request_id: str, version: int, note: str | None = None) -> Outcome:
        """Applies the request to the household as it is now (``version``, the one the approver read)."""
        request, household = self._decidable(principal, request_id)
        stamp = self._now()
        decided = decide(request, ChangeDecision("approve", principal.subject, principal.role, stamp, note=note),
                         applied_version=household.version + 1)
        expect_version(household, version)
        effect = apply(household, request.payload)
        updated = replace(effect.household, version=household.version + 1, updated_at=stamp)
        record = ChangeRecord(
            household_id=household.household_id, version=updated.version, at=stamp, actor_id=principal.subject,
            actor_role=principal.role, action=effect.action, target=effect.target, old=effect.old, new=effect.new,
            reason=request.note, request_id=request.request_id, requested_by=request.submitted_by,
            requested_role=request.submitted_role)
        self._requests.decide(decided, HouseholdWrite(updated, household.version, record, effect.claim_pinfls,
                                                      effect.release_pinfls))
        logger.info("change request approved", extra={
            "request_id": request_id, "household_id": household.household_id, "kind": request.kind,
            "version": updated.version})
        return Outcome(decided, self._tell(decided, updated))

    def reject(self, principal: Principal, request_id: str, reason: str | None, note: str | None = None) -> Outcome:
        request, household = self._decidable(principal, request_id)
        decided = decide(request, ChangeDecision("reject", principal.subject, principal.role, self._now(),
                                           reason=reason, note=note))
        self._requests.decide(decided)
        logger.info("change request rejected", extra={
            "request_id": request_id, "household_id": household.household_id, "kind": request.kind,
            "reason": decided.reason})
        return Outcome(decided, self._tell(decided, household))

    def cancel(self, principal: Principal, request_id: str, note: str | None = None) -> ChangeRequest:
        """The reporter withdraws a pending request; nothing else happens."""
        request, _ = self._request(principal, request_id, access.CHANGE_REQUEST_CANCEL)
        decided = decide(request, ChangeDecision("cancel", principal.subject, principal.role, self._now(), note=note))
        self._requests.decide(decided)
        return decided

    def _tell(self, request: ChangeRequest, household: Household) -> bool:
        """The outcome SMS to the household's head (or the first member with a phone), once per outcome.

        The decision is stored already; an SMS that cannot be sent is logged, not raised.
        """
        contact = next((m for m in (household.head, *household.members) if m.phone), None)
        if contact is None or contact.phone is None:
            return False
        event = "change_approved" if request.status == "approved" else "change_rejected"
        try:
            return self._sms.send(f"change_request:{request.request_id}:{request.status}", contact.phone,
                                  contact.language, event,
                                  {"ref": request.reference, "kind": request.kind, "reason": request.reason})
        except Exception:  # the carrier failed; the decision stands and the marker shows the SMS unsent
            logger.exception("change request sms failed", extra={"request_id": request.request_id})
            return False

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")

