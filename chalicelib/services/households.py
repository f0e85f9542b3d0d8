"""Reading and changing household records, with a versioned change record for every change.

Updates name the version they were read at; a stale version is refused (409) and nothing is
overwritten. The change record (who, when, old, new) is written in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain import access
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.households import (
    Address,
    BankAccount,
    ChangeRecord,
    Household,
    Member,
    as_plain,
    check_members,
    diff,
    expect_version,
    with_member_replaced,
)
from chalicelib.ports import Clock, HouseholdRepository, IdGenerator
from chalicelib.services.intake import check_address

MEMBER_FIELDS = ("surname", "given_name", "patronymic", "phone", "language", "relationship", "document")


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
    def __init__(self, households: HouseholdRepository, clock: Clock, ids: IdGenerator) -> None:
        self._households = households
        self._clock = clock
        self._ids = ids

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

    def update(self, principal: Principal, household_id: str, change: HouseholdChange) -> Household:
        household = self._writable(principal, household_id, change.version, access.HOUSEHOLD_UPDATE)
        updated = household
        if change.address is not None:
            check_address(change.address)
            # Moving a household out of one's own scope would hide it from its caseworker.
            authorize(principal, access.HOUSEHOLD_UPDATE, Target.at(change.address), "the new address")
            updated = replace(updated, address=change.address)
        if change.bank_account is not None:
            updated = replace(updated, bank_account=change.bank_account)
        old, new = diff(_household_fields(household), _household_fields(updated))
        if change.bank_account is not None and "bank_account" not in new:
            # The stored number is sealed and not decrypted to compare: a number given is a change,
            # even where its mask matches the old one.
            old["bank_account"], new["bank_account"] = _household_fields(household)["bank_account"], \
                _household_fields(updated)["bank_account"]
        if not new:
            return household
        updated, record = self._record(principal, updated, "household_updated", "household", old, new,
                                       change.reason)
        self._households.save(updated, change.version, record)
        return updated

    def update_member(self, principal: Principal, household_id: str, person_id: str,
                      change: MemberChange) -> Household:
        household = self._writable(principal, household_id, change.version, access.MEMBER_UPDATE)
        member = household.member(person_id)
        if member is None:
            raise NotFound("member not found", field="person_id")
        updated_member = replace(member, **change.fields)
        updated = with_member_replaced(household, updated_member)
        check_members(updated.members)
        old, new = diff(_member_fields(member), _member_fields(updated_member))
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
                                       _member_fields(member), reason)
        self._households.save(updated, version, record, claim_pinfls=(member.pinfl,))
        return updated, member


def _household_fields(h: Household) -> dict[str, Any]:
    # Change records hold the mask only: the number itself lives sealed in the household item.
    return {"address": as_plain(h.address), "bank_account": h.bank_account.shown() if h.bank_account else None}


def _member_fields(m: Member) -> dict[str, Any]:
    plain: dict[str, Any] = as_plain(m)
    return {k: plain[k] for k in ("pinfl", "birth_date", "sex", *MEMBER_FIELDS)}
