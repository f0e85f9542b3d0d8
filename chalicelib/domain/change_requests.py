"""Change requests: what a family or a caseworker reports about a household, decided by a second person.

A reported change (a new payout card or account, a new phone, a new address, a member moving in or
out, a death) does not touch the household when it is reported. It waits as a ``pending`` request
until a pension_fund_officer or district_admin of the household's district approves it (the change
is then applied, in the same transaction as the household's change record) or rejects it with a
reason. Whoever reported it never decides it (maker-checker): redirecting a payment is the classic
fraud, so a payout account change by staff is a change request too (Cabinet resolution PKM-654 on
the single registry: changes to a beneficiary's details are verified before they take effect).

Pure Python: the state machine is the ``TRANSITIONS`` table; ``apply`` computes what an approval
does to a household without writing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ClassVar

from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.domain.households import (
    Address,
    BankAccount,
    Household,
    Member,
    as_plain,
    check_members,
    diff,
    household_fields,
    member_fields,
    with_member_replaced,
)

STATUSES = ("pending", "approved", "rejected", "cancelled")
ACTIONS = ("approve", "reject", "cancel")

# (status, action) -> next status. Anything else is refused: a decided request stays decided.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "cancel"): "cancelled",
}

# Why a request was rejected: a code the family is told in its own language (SMS), plus a free
# note for the record. "other" needs the note.
REJECTION_REASONS = ("documents_missing", "not_confirmed", "duplicate", "no_longer_applies", "other")


@dataclass(frozen=True)
class PayoutAccountChange:
    """Benefits are to be paid to another card or bank account."""

    kind: ClassVar[str] = "payout_account"
    bank_account: BankAccount


@dataclass(frozen=True)
class PhoneChange:
    kind: ClassVar[str] = "phone"
    person_id: str
    phone: str


@dataclass(frozen=True)
class AddressChange:
    kind: ClassVar[str] = "address"
    address: Address


@dataclass(frozen=True)
class MemberMovesIn:
    """A person joins the household; their person id is given when the request is made."""

    kind: ClassVar[str] = "member_moves_in"
    member: Member


@dataclass(frozen=True)
class MemberMovesOut:
    """A member leaves; when the head leaves, ``new_head_person_id`` names who heads the household now."""

    kind: ClassVar[str] = "member_moves_out"
    person_id: str
    new_head_person_id: str | None = None


@dataclass(frozen=True)
class MemberDied:
    kind: ClassVar[str] = "death"
    person_id: str
    died_on: date
    new_head_person_id: str | None = None


Payload = PayoutAccountChange | PhoneChange | AddressChange | MemberMovesIn | MemberMovesOut | MemberDied
PAYLOAD_TYPES: dict[str, type[Payload]] = {t.kind: t for t in (
    PayoutAccountChange, PhoneChange, AddressChange, MemberMovesIn, MemberMovesOut, MemberDied)}
KINDS = tuple(PAYLOAD_TYPES)


@dataclass(frozen=True)
class ChangeRequest:
    request_id: str
    household_id: str
    payload: Payload
    district_code: str  # the household's district when reported: the queue it waits in
    mahalla_code: str
    base_version: int  # the household version the reporter read
    submitted_by: str  # token subject
    submitted_role: str
    submitted_at: str
    status: str = "pending"
    note: str | None = None
    decided_by: str | None = None
    decided_role: str | None = None
    decided_at: str | None = None
    reason: str | None = None  # a REJECTION_REASONS code
    decision_note: str | None = None
    applied_version: int | None = None  # the household version the approval wrote

    @property
    def kind(self) -> str:
        return self.payload.kind

    @property
    def reference(self) -> str:
        """The short reference told to the family (SMS, counter receipt)."""
        return self.request_id.split("-")[-1][:10].upper()

    @property
    def target(self) -> str:
        """What the request changes: ``household`` or ``member:<person_id>`` (one pending request each)."""
        person = getattr(self.payload, "person_id", None)
        if isinstance(self.payload, MemberMovesIn):
            person = self.payload.member.person_id
        return f"member:{person}" if person else "household"


@dataclass(frozen=True)
class ChangeDecision:
    action: str  # approve, reject or cancel
    actor_id: str
    actor_role: str
    at: str
    reason: str | None = None
    note: str | None = None


def decide(request: ChangeRequest, decision: ChangeDecision, applied_version: int | None = None) -> ChangeRequest:
    """The request after ``decision``; refuses a transition the table does not allow and self-approval."""
    status = TRANSITIONS.get((request.status, decision.action))
    if status is None:
        raise Conflict(f"change request {request.request_id} is {request.status} already",
                       field="status", code="already_decided")
    if decision.action == "cancel":
        if decision.actor_id != request.submitted_by:
            raise Forbidden("only whoever reported a change can cancel it", code="not_submitter")
    elif decision.actor_id == request.submitted_by:
        # maker-checker: the person who entered a change never decides it
        raise Forbidden(f"change request {request.request_id} was reported by this user; "
                        "a second person decides it", code="same_person")
    reason = None
    if decision.action == "reject":
        reason = decision.reason
        if reason is None:
            raise ValidationFailed("a rejection needs a reason", field="reason", code="reason_required")
        if reason not in REJECTION_REASONS:
            raise ValidationFailed("unknown rejection reason", field="reason", code="invalid_choice")
        if reason == "other" and not (decision.note or "").strip():
            raise ValidationFailed("the reason 'other' needs a note", field="note", code="reason_required")
    return replace(request, status=status, decided_by=decision.actor_id, decided_role=decision.actor_role,
                   decided_at=decision.at, reason=reason, decision_note=decision.note,
                   applied_version=applied_version if status == "approved" else None)


@dataclass(frozen=True)
class Effect:
    """What approving a request does to a household (nothing is written here)."""

    household: Household  # the household after the change, at the same version
    action: str  # the change record's action
    target: str
    old: dict[str, Any]
    new: dict[str, Any]
    claim_pinfls: tuple[str, ...] = ()  # people who join: their PINFL is claimed for this household
    release_pinfls: tuple[str, ...] = ()  # people who leave alive: free to join another household


def _not_applicable(what: str, field: str) -> Conflict:
    return Conflict(f"{what}; the request no longer applies to the household", field=field,
                    code="not_applicable")


def _member(household: Household, person_id: str, field: str) -> Member:
    member = household.member(person_id)
    if member is None:
        raise _not_applicable(f"member {person_id} is not in household {household.household_id}", field)
    return member


def _without(household: Household, leaving: Member, new_head_id: str | None) -> Household:
    members = tuple(m for m in household.members if m.person_id != leaving.person_id)
    if new_head_id is not None:
        if leaving.relationship != "head":
            raise ValidationFailed("a new head is named only when the head leaves",
                                   field="new_head_person_id", code="invalid_choice")
        new_head = next((m for m in members if m.person_id == new_head_id), None)
        if new_head is None:
            raise _not_applicable(f"member {new_head_id} is not in household {household.household_id}",
                                  "new_head_person_id")
        members = tuple(replace(m, relationship="head") if m.person_id == new_head_id else m for m in members)
    updated = replace(household, members=members)
    check_members(updated.members, field_prefix="person_id")
    return updated


def apply(household: Household, payload: Payload) -> Effect:
    """The household with ``payload`` applied; refuses a change that no longer fits it or changes nothing."""
    effect = _apply(household, payload)
    if not effect.new and not effect.old:
        raise ValidationFailed("the change request changes nothing", field="kind", code="no_change")
    return effect


def _apply(h: Household, payload: Payload) -> Effect:
    if isinstance(payload, PayoutAccountChange):
        updated = replace(h, bank_account=payload.bank_account)
        if h.bank_account == payload.bank_account:
            return Effect(updated, "payout_account_changed", "household", {}, {})
        # Compared as accounts, not as their record form: records may show masks only, and a new card
        # can end in the same four digits as the old one.
        return Effect(updated, "payout_account_changed", "household",
                      {"bank_account": household_fields(h)["bank_account"]},
                      {"bank_account": household_fields(updated)["bank_account"]})
    if isinstance(payload, AddressChange):
        updated = replace(h, address=payload.address)
        old, new = diff(household_fields(h), household_fields(updated))
        return Effect(updated, "household_updated", "household", old, new)
    if isinstance(payload, PhoneChange):
        member = _member(h, payload.person_id, "person_id")
        changed = replace(member, phone=payload.phone)
        old, new = diff(member_fields(member), member_fields(changed))
        return Effect(with_member_replaced(h, changed), "member_updated", f"member:{member.person_id}", old, new)
    if isinstance(payload, MemberMovesIn):
        joining = payload.member
        if any(m.pinfl == joining.pinfl for m in h.members):
            raise _not_applicable("this person is a member already", "member.pinfl")
        updated = replace(h, members=(*h.members, joining))
        check_members(updated.members)
        return Effect(updated, "member_added", f"member:{joining.person_id}", {}, member_fields(joining),
                      claim_pinfls=(joining.pinfl,))
    if isinstance(payload, MemberMovesOut):
        leaving = _member(h, payload.person_id, "person_id")
        updated = _without(h, leaving, payload.new_head_person_id)
        return Effect(updated, "member_moved_out", f"member:{leaving.person_id}", member_fields(leaving),
                      _new_head(payload.new_head_person_id), release_pinfls=(leaving.pinfl,))
    # A death keeps the person's PINFL claimed: nobody registers them anywhere else.
    dead = _member(h, payload.person_id, "person_id")
    updated = _without(h, dead, payload.new_head_person_id)
    return Effect(updated, "member_died", f"member:{dead.person_id}", member_fields(dead),
                  {"died_on": payload.died_on.isoformat(), **_new_head(payload.new_head_person_id)})


def _new_head(person_id: str | None) -> dict[str, Any]:
    return {"new_head_person_id": person_id} if person_id else {}


def payload_fields(payload: Payload) -> dict[str, Any]:
    """The payload as plain data, with its kind."""
    out: dict[str, Any] = {"kind": payload.kind, **as_plain(payload)}
    return out
