"""The change request service on fakes: nothing changes until a second person approves, outcomes by SMS."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from chalicelib.config import Settings
from chalicelib.domain.access import Principal
from chalicelib.domain.change_requests import (
    AddressChange,
    MemberDied,
    MemberMovesIn,
    MemberMovesOut,
    PayoutAccountChange,
    PhoneChange,
)
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.households import BankAccount, Household
from chalicelib.services.change_requests import ChangeReport, ChangeRequestService
from chalicelib.services.households import HouseholdChange, HouseholdService, MemberChange
from chalicelib.services.intake import IntakeService
from tests.builders import WORKER, application_request
from tests.fakes import FakeApplications, FakeChangeRequests, FakeHouseholds, FixedClock, SequentialIds
from tests.payroll_fakes import FakeSms

NEW_CARD = BankAccount(kind="card", number="9860351234567896")
OFFICER = Principal(subject="officer-1", role="pension_fund_officer", scope="1726262")
ADMIN = Principal(subject="admin-1", role="district_admin", scope="1726262")


class World:
    def __init__(self) -> None:
        self.households = FakeHouseholds()
        self.requests = FakeChangeRequests(self.households)
        self.sms = FakeSms()
        ids = SequentialIds()
        self.service = ChangeRequestService(self.households, self.requests, self.sms, FixedClock(), ids)
        self.household_service = HouseholdService(self.households, FixedClock(), ids, self.service)
        app = IntakeService(self.households, FakeApplications(), FixedClock(), ids, Settings()).submit(
            WORKER, application_request())
        self.hid = app.household_id

    @property
    def household(self) -> Household:
        return self.households.items[self.hid]

    def citizen(self) -> Principal:
        return Principal(subject="citizen-1", role="citizen", scope=self.hid)


@pytest.fixture
def world() -> World:
    return World()


def test_a_citizens_new_card_reaches_the_household_only_after_a_second_officer_approves(world: World) -> None:
    before = world.household
    # Given a citizen reporting a new card for their own household
    request = world.service.submit(world.citizen(), world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    # Then it waits and the household is untouched
    assert request.status == "pending" and world.household == before
    assert world.service.list(OFFICER).items == [request]
    # When an officer of the district approves it at the version read
    outcome = world.service.approve(OFFICER, request.request_id, version=1)
    # Then the card is the household's, with a change record naming both people
    assert outcome.request.status == "approved" and outcome.request.applied_version == 2
    assert world.household.bank_account == NEW_CARD and world.household.version == 2
    record = world.households.changes(world.hid)[-1]
    assert (record.action, record.actor_id, record.requested_by, record.requested_role, record.request_id) == (
        "payout_account_changed", "officer-1", "citizen-1", "citizen", request.request_id)
    # And the family is told once, in the head's language
    key = f"change_request:{request.request_id}:approved"
    phone, language, template, params = world.sms.sent[key]
    assert (phone, language, template, params["kind"]) == ("+998901234567", "uz-Latn", "change_approved",
                                                           "payout_account")
    assert world.service.list(OFFICER).items == []


def test_a_staff_payout_change_through_patch_is_a_request_its_maker_cannot_approve(world: World) -> None:
    maker = Principal(subject="officer-7", role="pension_fund_officer", scope="1726262")
    # When an officer changes the payout card through the household update
    result = world.household_service.update(maker, world.hid, HouseholdChange(version=1, bank_account=NEW_CARD))
    # Then it is a pending request, not a change
    assert getattr(result, "status", None) == "pending" and world.household.bank_account != NEW_CARD
    # And the same officer cannot approve it; a second one can
    with pytest.raises(Forbidden) as err:
        world.service.approve(maker, result.request_id, version=1)  # type: ignore[union-attr]
    assert err.value.code == "same_person" and world.household.version == 1
    world.service.approve(ADMIN, result.request_id, version=1)  # type: ignore[union-attr]
    assert world.household.bank_account == NEW_CARD


def test_a_rejected_request_changes_nothing_and_tells_the_family(world: World) -> None:
    before = world.household
    request = world.service.submit(WORKER, world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    with pytest.raises(ValidationFailed) as err:
        world.service.reject(OFFICER, request.request_id, None)
    assert err.value.code == "reason_required"
    outcome = world.service.reject(OFFICER, request.request_id, "documents_missing", "no bank letter")
    assert outcome.request.status == "rejected" and outcome.sms_sent
    assert world.household == before and len(world.households.changes(world.hid)) == 1
    _, _, template, params = world.sms.sent[f"change_request:{request.request_id}:rejected"]
    assert template == "change_rejected" and params["reason"] == "documents_missing"
    # A second decision is refused and sends nothing more
    with pytest.raises(Conflict) as conflict:
        world.service.approve(ADMIN, request.request_id, version=1)
    assert conflict.value.code == "already_decided" and len(world.sms.sent) == 1


def test_who_may_decide(world: World) -> None:
    request = world.service.submit(world.citizen(), world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    # A mahalla worker writes but does not decide; a citizen neither
    for who in (WORKER, world.citizen()):
        with pytest.raises(Forbidden) as err:
            world.service.approve(who, request.request_id, version=1)
        assert err.value.code in ("role_not_allowed", "same_person")
    # An officer of another district does not even see it
    with pytest.raises(NotFound):
        world.service.approve(Principal("officer-9", "pension_fund_officer", "1703202"), request.request_id, 1)
    assert world.household.version == 1


def test_a_stale_approval_writes_nothing(world: World) -> None:
    request = world.service.submit(WORKER, world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    # Given the household moved on after the officer read it
    world.household_service.update(WORKER, world.hid, HouseholdChange(
        version=1, address=replace(world.household.address, address_line="Nihol 14")))
    with pytest.raises(Conflict) as err:
        world.service.approve(OFFICER, request.request_id, version=1)
    assert err.value.code == "stale_version"
    assert world.requests.get(request.request_id).status == "pending"  # type: ignore[union-attr]
    # At the current version it applies on top of the newer household
    world.service.approve(OFFICER, request.request_id, version=2)
    assert world.household.bank_account == NEW_CARD and world.household.address.address_line == "Nihol 14"


def test_submission_checks(world: World) -> None:
    citizen = world.citizen()
    with pytest.raises(Conflict) as err:
        world.service.submit(citizen, world.hid, ChangeReport(7, PayoutAccountChange(NEW_CARD)))
    assert err.value.code == "stale_version"
    world.service.submit(citizen, world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    with pytest.raises(Conflict) as err:  # one pending request per kind and target
        world.service.submit(citizen, world.hid, ChangeReport(1, PayoutAccountChange(
            BankAccount(kind="account", number="20208000900123456001"))))
    assert err.value.code == "change_request_pending"
    with pytest.raises(NotFound):  # another household
        world.service.submit(Principal("c-2", "citizen", "hh-other"), world.hid,
                             ChangeReport(1, PhoneChange("p-0003", "+998977770022")))
    with pytest.raises(ValidationFailed) as bad:
        world.service.submit(citizen, world.hid, ChangeReport(1, AddressChange(
            replace(world.household.address, mahalla_code="1703202001"))))
    assert bad.value.code == "unknown_mahalla"


def test_members_move_in_and_out_and_a_death_on_approval(world: World) -> None:
    h = world.household
    newcomer = replace(h.members[1], person_id="", pinfl="41102947269052", relationship="sibling")
    joining = world.service.submit(WORKER, world.hid, ChangeReport(1, MemberMovesIn(newcomer)))
    assert joining.payload.member.person_id  # type: ignore[union-attr]
    assert world.households.find_by_pinfl("41102947269052") is None  # not claimed until approved
    world.service.approve(OFFICER, joining.request_id, version=1)
    assert len(world.household.members) == 5 and world.households.find_by_pinfl("41102947269052")
    child = h.members[2]
    leaving = world.service.submit(WORKER, world.hid, ChangeReport(2, MemberMovesOut(child.person_id)))
    world.service.approve(OFFICER, leaving.request_id, version=2)
    assert world.household.member(child.person_id) is None and world.households.find_by_pinfl(child.pinfl) is None
    head, spouse = h.members[0], h.members[1]
    death = world.service.submit(WORKER, world.hid, ChangeReport(3, MemberDied(
        head.person_id, date(2026, 11, 1), new_head_person_id=spouse.person_id)))
    outcome = world.service.approve(ADMIN, death.request_id, version=3)
    assert world.household.head.person_id == spouse.person_id
    assert world.households.find_by_pinfl(head.pinfl) is not None  # the dead stay claimed
    # The outcome goes to the new head, in her language
    assert outcome.sms_sent
    assert world.sms.sent[f"change_request:{death.request_id}:approved"][:2] == ("+998935550011", "uz-Cyrl")


def test_a_citizen_edits_nothing_directly(world: World) -> None:
    citizen = world.citizen()
    for edit in (lambda: world.household_service.update(citizen, world.hid, HouseholdChange(
                     version=1, bank_account=NEW_CARD)),
                 lambda: world.household_service.update(citizen, world.hid, HouseholdChange(
                     version=1, address=replace(world.household.address, address_line="Nihol 14"))),
                 lambda: world.household_service.update_member(citizen, world.hid, world.household.members[1].person_id,
                                                               MemberChange(version=1,
                                                                            fields={"phone": "+998977770022"}))):
        with pytest.raises(Forbidden) as err:
            edit()
        assert err.value.code == "role_not_allowed"
    assert world.household.version == 1 and world.requests.items == {}
    with pytest.raises(ValidationFailed) as mixed:
        world.household_service.update(WORKER, world.hid, HouseholdChange(
            version=1, bank_account=NEW_CARD, address=world.household.address))
    assert mixed.value.code == "one_change_per_request"


def test_the_queue_is_scoped(world: World) -> None:
    request = world.service.submit(WORKER, world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    assert world.service.list(WORKER).items == [request]  # a mahalla worker sees their mahalla
    assert world.service.list(WORKER, mahalla=world.household.address.mahalla_code).items == [request]
    assert world.service.list(ADMIN, district="1726262").items == [request]
    for who, district, code in ((OFFICER, "1703202", "out_of_scope"), (world.citizen(), None, "role_not_allowed"),
                                (WORKER, "1726262", "out_of_scope"),  # a mahalla worker: not the whole district
                                (Principal("r", "region_admin", "1726"), "1726262", "role_not_allowed"),
                                (Principal("a", "ministry_analyst", ""), None, "aggregates_only")):
        with pytest.raises(Forbidden) as err:
            world.service.list(who, district=district)
        assert err.value.code == code
    with pytest.raises(Forbidden):
        world.service.list(WORKER, mahalla="1726262017")  # a sibling mahalla
    with pytest.raises(ValidationFailed) as bad:
        world.service.list(OFFICER, district="1726262", mahalla="1703202001")
    assert bad.value.code == "unknown_mahalla"
    assert world.service.list(OFFICER, status="approved").items == []


def test_cancel_by_the_reporter(world: World) -> None:
    request = world.service.submit(WORKER, world.hid, ChangeReport(1, PayoutAccountChange(NEW_CARD)))
    with pytest.raises(Forbidden):
        world.service.cancel(OFFICER, request.request_id)
    assert world.service.cancel(WORKER, request.request_id, "mistake").status == "cancelled"
    assert world.household.bank_account != NEW_CARD and world.sms.sent == {}
