"""Change requests in the domain: the transition table, maker-checker, and what an approval does."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from chalicelib.domain.change_requests import (
    REJECTION_REASONS,
    TRANSITIONS,
    AddressChange,
    ChangeDecision,
    ChangeRequest,
    MemberDied,
    MemberMovesIn,
    MemberMovesOut,
    PayoutAccountChange,
    PhoneChange,
    apply,
    decide,
)
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.domain.households import BankAccount, Household
from tests.builders import application_request

NEW_CARD = BankAccount(kind="card", number="9860351234567896")


def household() -> Household:
    req = application_request()
    members = tuple(replace(m, person_id=f"p-{i}") for i, m in enumerate(req.members))
    return Household(household_id="hh-1", address=req.address, members=members, bank_account=req.bank_account)


def pending(payload: object = PayoutAccountChange(NEW_CARD), by: str = "maker") -> ChangeRequest:
    return ChangeRequest(request_id="cr-0001abcdef12", household_id="hh-1", payload=payload,  # type: ignore[arg-type]
                         district_code="1726262", mahalla_code="1726262010", base_version=1, submitted_by=by,
                         submitted_role="mahalla_worker", submitted_at="2026-11-10T09:00:00+00:00")


def act(action: str, by: str = "checker", **kw: object) -> ChangeDecision:
    return ChangeDecision(action, by, "pension_fund_officer", "2026-11-10T10:00:00+00:00", **kw)  # type: ignore[arg-type]


def test_the_transition_table_leaves_pending_only() -> None:
    # Every move starts from pending; decided requests have no way out
    assert {s for s, _ in TRANSITIONS} == {"pending"}
    assert set(TRANSITIONS.values()) == {"approved", "rejected", "cancelled"}
    approved = decide(pending(), act("approve"), applied_version=2)
    for action in ("approve", "reject", "cancel"):
        with pytest.raises(Conflict) as err:
            decide(approved, act(action, by="maker" if action == "cancel" else "checker", reason="duplicate"))
        assert err.value.code == "already_decided"


def test_an_approval_records_who_and_the_version_written() -> None:
    approved = decide(pending(), act("approve", note="seen the letter"), applied_version=2)
    assert (approved.status, approved.decided_by, approved.decided_role, approved.applied_version) == (
        "approved", "checker", "pension_fund_officer", 2)
    assert approved.decision_note == "seen the letter" and approved.reason is None


def test_whoever_reported_a_change_cannot_decide_it() -> None:
    for action in ("approve", "reject"):
        with pytest.raises(Forbidden) as err:
            decide(pending(by="officer-7"), act(action, by="officer-7", reason="duplicate"))
        assert err.value.code == "same_person"


def test_only_the_reporter_cancels() -> None:
    with pytest.raises(Forbidden) as err:
        decide(pending(by="maker"), act("cancel", by="someone-else"))
    assert err.value.code == "not_submitter"
    assert decide(pending(by="maker"), act("cancel", by="maker")).status == "cancelled"


def test_a_rejection_needs_a_known_reason_and_other_needs_a_note() -> None:
    with pytest.raises(ValidationFailed) as err:
        decide(pending(), act("reject"))
    assert (err.value.code, err.value.field) == ("reason_required", "reason")
    with pytest.raises(ValidationFailed) as err:
        decide(pending(), act("reject", reason="because"))
    assert err.value.code == "invalid_choice"
    with pytest.raises(ValidationFailed) as err:
        decide(pending(), act("reject", reason="other", note="  "))
    assert (err.value.code, err.value.field) == ("reason_required", "note")
    for reason in REJECTION_REASONS:
        rejected = decide(pending(), act("reject", reason=reason, note="n"))
        assert (rejected.status, rejected.reason, rejected.applied_version) == ("rejected", reason, None)


def test_a_payout_change_replaces_the_account_and_nothing_else() -> None:
    h = household()
    effect = apply(h, PayoutAccountChange(NEW_CARD))
    assert effect.household.bank_account == NEW_CARD and effect.household.members == h.members
    assert effect.action == "payout_account_changed" and set(effect.new) == {"bank_account"}
    with pytest.raises(ValidationFailed) as err:  # the same account again changes nothing
        apply(effect.household, PayoutAccountChange(NEW_CARD))
    assert err.value.code == "no_change"


def test_phone_and_address_changes() -> None:
    h = household()
    phoned = apply(h, PhoneChange(person_id="p-1", phone="+998977770022"))
    assert phoned.household.member("p-1").phone == "+998977770022" and phoned.target == "member:p-1"
    assert phoned.old == {"phone": "+998935550011"} and phoned.new == {"phone": "+998977770022"}
    moved = apply(h, AddressChange(address=replace(h.address, address_line="Nihol 14")))
    assert moved.household.address.address_line == "Nihol 14" and moved.action == "household_updated"
    with pytest.raises(Conflict) as err:
        apply(h, PhoneChange(person_id="p-nobody", phone="+998977770022"))
    assert err.value.code == "not_applicable"


def test_a_member_moving_in_claims_their_pinfl() -> None:
    h = household()
    newcomer = replace(h.members[1], person_id="p-new", pinfl="41102947269052", relationship="sibling")
    effect = apply(h, MemberMovesIn(member=newcomer))
    assert len(effect.household.members) == 5 and effect.claim_pinfls == ("41102947269052",)
    with pytest.raises(Conflict) as err:  # a person already in the household
        apply(effect.household, MemberMovesIn(member=replace(newcomer, person_id="p-other")))
    assert err.value.code == "not_applicable"


def test_a_member_moving_out_frees_their_pinfl_a_death_does_not() -> None:
    h = household()
    out = apply(h, MemberMovesOut(person_id="p-2"))
    assert [m.person_id for m in out.household.members] == ["p-0", "p-1", "p-3"]
    assert out.release_pinfls == (h.members[2].pinfl,) and out.action == "member_moved_out"
    died = apply(h, MemberDied(person_id="p-2", died_on=date(2026, 11, 1)))
    assert died.release_pinfls == () and died.new == {"died_on": "2026-11-01"} and died.action == "member_died"


def test_when_the_head_leaves_a_new_head_is_named() -> None:
    h = household()
    with pytest.raises(ValidationFailed) as err:
        apply(h, MemberDied(person_id="p-0", died_on=date(2026, 11, 1)))
    assert err.value.code == "one_head_required"
    effect = apply(h, MemberDied(person_id="p-0", died_on=date(2026, 11, 1), new_head_person_id="p-1"))
    assert effect.household.head.person_id == "p-1"
    assert effect.new == {"died_on": "2026-11-01", "new_head_person_id": "p-1"}
    with pytest.raises(ValidationFailed) as err:  # a new head only when the head leaves
        apply(h, MemberMovesOut(person_id="p-2", new_head_person_id="p-1"))
    assert err.value.field == "new_head_person_id"


def test_a_new_card_ending_in_the_same_four_digits_is_still_a_change() -> None:
    # Given a household whose card ends in 9012, When a different card ending in 9012 is reported
    h = household()
    assert h.bank_account is not None and h.bank_account.number.endswith("9012")
    other = BankAccount(kind="card", number="9860111122229012")
    effect = apply(h, PayoutAccountChange(other))
    # Then it is a change (compared as accounts, not as masks); the change record holds the mask only
    assert effect.household.bank_account == other and effect.new == {"bank_account": {
        "kind": "card", "number": "************9012", "bank_code": "XALQ"}}
