"""Reading and changing household records, with a versioned change record for every change.

Updates name the version they were read at; a stale version is refused (409) and nothing is
overwritten. The change record (who, when, old, new) is written in the same transaction.

Staff edit addresses and members directly. A payout account change never is direct, whoever sends
it: it becomes a change request that a second person approves (``services.change_requests``).
Citizens report their changes as change requests (they are not granted these direct edits).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain import access
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.change_requests import ChangeRequest, PayoutAccountChange
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.households import (
    Address,
    BankAccount,
    ChangeRecord,
    Household,
    Member,
    check_members,
    diff,
    expect_version,
    household_fields,
    member_fields,
    with_member_replaced,
)
from chalicelib.ports import Clock, HouseholdRepository, IdGenerator
from chalicelib.services.change_requests import ChangeReport, ChangeRequestService
from chalicelib.services.intake import check_address


@dataclass(frozen=True)
class HouseholdChange:
    version: int
    address: Address | None = None
    bank_account: BankAccount | None = None
    reason: str | None = None


@dataclass(frozen=True)
class MemberChange:
    version: int
    fields: dict[str, Any]  # a subset of MEMBER_FIELDS, already validated at the edge
    reason: str | None = None


class HouseholdService:
    def __init__(self, households: HouseholdRepository, clock: Clock, ids: IdGenerator,
                 change_requests: ChangeRequestService) -> None:
        self._households = households
        self._clock = clock
        self._ids = ids
        self._change_requests = change_requests

    def get(self, principal: Principal, household_id: str,
            action: Action = access.HOUSEHOLD_READ) -> Household:
        household = self._households.get(household_id)
        if household is None:
            raise NotFound("household not found", field="household_id")
        authorize(principal, action, Target.of_record(household.address, household.household_id), "household")
        return household

    def changes(self, principal: Principal, household_id: str) -> list[ChangeRecord]:
        self.get(principal, household_id, access.HOUSEHOLD_CHANGES)
        return self._households.changes(household_id)

    def _writable(self, principal: Principal, household_id: str, version: int, action: Action) -> Household:
        household = self.get(principal, household_id, action)
        expect_version(household, version)
        return household

    def _record(self, principal: Principal, household: Household, action: str, target: str,
                old: dict[str, Any], new: dict[str, Any], reason: str | None) -> tuple[Household, ChangeRecord]:
        stamp = self._clock.now().isoformat(timespec="seconds")
        version = household.version + 1
        change = ChangeRecord(household_id=household.household_id, version=version, at=stamp,
                              actor_id=principal.subject, actor_role=principal.role, action=action,
                              target=target, old=old, new=new, reason=reason)
        return replace(household, version=version, updated_at=stamp), change

    def update(self, principal: Principal, household_id: str,
               change: HouseholdChange) -> Household | ChangeRequest:
        """The updated household; or, for a payout account change (whoever sends it), the pending change
        request it became (the household is untouched until a second person approves it)."""
        if change.bank_account is not None:
            return self._report(principal, household_id, change)
        household = self._writable(principal, household_id, change.version, access.HOUSEHOLD_UPDATE)
        updated = household
        if change.address is not None:
            check_address(change.address)
            # Moving a household out of one's own scope would hide it from its caseworker.
            authorize(principal, access.HOUSEHOLD_UPDATE, Target.at(change.address), "the new address")
            updated = replace(updated, address=change.address)
        old, new = diff(household_fields(household), household_fields(updated))
        if not new:
            return household
        updated, record = self._record(principal, updated, "household_updated", "household", old, new,
                                       change.reason)
        self._households.save(updated, change.version, record)
        return updated

    def _report(self, principal: Principal, household_id: str, change: HouseholdChange) -> ChangeRequest:
        assert change.bank_account is not None
        self.get(principal, household_id, access.HOUSEHOLD_UPDATE)  # the route's own action, then the request's
        if change.address is not None:
            raise ValidationFailed("a payout account change is a change request of its own: send the address "
                                   "separately", field="address", code="one_change_per_request")
        return self._change_requests.submit(principal, household_id, ChangeReport(
            version=change.version, payload=PayoutAccountChange(bank_account=change.bank_account), note=change.reason))

    def update_member(self, principal: Principal, household_id: str, person_id: str,
                      change: MemberChange) -> Household:
        household = self._writable(principal, household_id, change.version, access.MEMBER_UPDATE)
        member = household.member(person_id)
        if member is None:
            raise NotFound("member not found", field="person_id")
        updated_member = replace(member, **change.fields)
        updated = with_member_replaced(household, updated_member)
        check_members(updated.members)
        old, new = diff(member_fields(member), member_fields(updated_member))
        if not new:
            return household
        updated, record = self._record(principal, updated, "member_updated", f"member:{person_id}", old, new,
                                       change.reason)
        self._households.save(updated, change.version, record)
        return updated

    def add_member(self, principal: Principal, household_id: str, version: int, member: Member,
                   reason: str | None) -> tuple[Household, Member]:
        household = self._writable(principal, household_id, version, access.MEMBER_ADD)
        if self._households.find_by_pinfl(member.pinfl) is not None:
            raise Conflict("this person is already registered in a household", field="member.pinfl",
                           code="member_in_other_household")
        member = replace(member, person_id=self._ids.new_id("p"))
        updated = replace(household, members=(*household.members, member))
        check_members(updated.members)
        updated, record = self._record(principal, updated, "member_added", f"member:{member.person_id}", {},
                                       member_fields(member), reason)
        self._households.save(updated, version, record, claim_pinfls=(member.pinfl,))
        return updated, member

