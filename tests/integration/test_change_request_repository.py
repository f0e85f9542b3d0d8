"""Change requests on moto: beside the household, found by id, the district queue, one-transaction decisions."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.change_requests import DynamoChangeRequestRepository
from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.change_requests import (
    ChangeDecision,
    ChangeRequest,
    MemberMovesIn,
    MemberMovesOut,
    PayoutAccountChange,
    apply,
    decide,
)
from chalicelib.domain.errors import Conflict
from chalicelib.domain.households import BankAccount, ChangeRecord, Household, bank_context, sealed_ciphertext
from chalicelib.ports import ChangeRequestQuery, HouseholdWrite
from devstack.population import household as synthetic_household
from devstack.seed import to_household

NEW_CARD = BankAccount(kind="card", number="9860351234567896")


def _opened(aws: Settings, household_id: str, account: BankAccount | None) -> BankAccount:
    """The stored account with its number opened: stored sealed, it must still be the number given."""
    assert account is not None and account.sealed
    number = bootstrap.field_cipher(aws).reveal(sealed_ciphertext(account.number), bank_context(household_id))
    return replace(account, number=number)


def _plain_request(aws: Settings, r: ChangeRequest | None) -> ChangeRequest | None:
    if r is None or not isinstance(r.payload, PayoutAccountChange):
        return r
    return replace(r, payload=PayoutAccountChange(_opened(aws, r.household_id, r.payload.bank_account)))


@pytest.fixture
def repos(aws: Settings) -> tuple[DynamoHouseholdRepository, DynamoChangeRequestRepository]:
    client = boto3.client("dynamodb", region_name=aws.region)
    households = DynamoHouseholdRepository(client, aws.registry_table, bootstrap.field_cipher(aws))
    return households, DynamoChangeRequestRepository(client, aws.registry_table, households)


def _registered(households: DynamoHouseholdRepository, seed: int = 3) -> Household:
    h = to_household(synthetic_household(seed), "2026-11-01T00:00:00+00:00")
    households.add(h, ChangeRecord(household_id=h.household_id, version=1, at="t", actor_id="w",
                                   actor_role="mahalla_worker", action="household_registered", target="household"))
    return h


def _request(h: Household, rid: str, payload: object = PayoutAccountChange(NEW_CARD), at: str = "2026-11-10T09:00:00"
             ) -> ChangeRequest:
    return ChangeRequest(request_id=rid, household_id=h.household_id, payload=payload,  # type: ignore[arg-type]
                         district_code=h.address.district_code, mahalla_code=h.address.mahalla_code,
                         base_version=h.version, submitted_by="maker", submitted_role="mahalla_worker",
                         submitted_at=at)


def _approval(h: Household, request: ChangeRequest) -> tuple[ChangeRequest, HouseholdWrite]:
    effect = apply(h, request.payload)
    updated = replace(effect.household, version=h.version + 1)
    record = ChangeRecord(household_id=h.household_id, version=h.version + 1, at="t2", actor_id="checker",
                          actor_role="pension_fund_officer", action=effect.action, target=effect.target,
                          old=effect.old, new=effect.new, request_id=request.request_id)
    decided = decide(request, ChangeDecision("approve", "checker", "pension_fund_officer", "t2"), h.version + 1)
    return decided, HouseholdWrite(updated, h.version, record, effect.claim_pinfls, effect.release_pinfls)


def test_a_request_round_trips_by_id_and_by_household(repos, aws) -> None:
    households, requests = repos
    h = _registered(households)
    request = _request(h, "cr-1")
    requests.add(request)
    # the new number waits sealed, and opens to the number reported
    assert _plain_request(aws, requests.get("cr-1")) == request and requests.get("cr-nope") is None
    assert [_plain_request(aws, r) for r in requests.for_household(h.household_id)] == [request]
    with pytest.raises(Conflict):
        requests.add(request)


def test_the_district_queue_pages_oldest_first_and_drops_decided_requests(repos) -> None:
    households, requests = repos
    h = _registered(households)
    for i in range(3):
        requests.add(_request(h, f"cr-{i}", at=f"2026-11-10T09:0{i}:00"))
    query = ChangeRequestQuery(district_code=h.address.district_code, limit=2)
    first = requests.list(query)
    second = requests.list(replace(query, cursor=first.cursor))
    assert [r.request_id for r in first.items + second.items] == ["cr-0", "cr-1", "cr-2"]
    assert second.cursor is None or requests.list(replace(query, cursor=second.cursor)).items == []
    rejected = decide(requests.get("cr-0"),
                      ChangeDecision("reject", "checker", "district_admin", "t", reason="duplicate"))
    requests.decide(rejected)
    assert [r.request_id for r in requests.list(replace(query, limit=10)).items] == ["cr-1", "cr-2"]
    assert [r.request_id for r in requests.list(replace(query, status="rejected")).items] == ["cr-0"]
    other_mahalla = requests.list(replace(query, mahalla_code="0000000000"))
    assert other_mahalla.items == []


def test_an_approval_writes_household_change_record_and_request_together(repos, aws) -> None:
    households, requests = repos
    h = _registered(households)
    request = _request(h, "cr-1")
    requests.add(request)
    decided, write = _approval(h, request)
    requests.decide(decided, write)
    assert _opened(aws, h.household_id, households.get(h.household_id).bank_account) == NEW_CARD
    assert households.changes(h.household_id)[-1].request_id == "cr-1"
    assert requests.get("cr-1").status == "approved"
    # A second decision is refused and writes nothing
    with pytest.raises(Conflict) as err:
        requests.decide(decided, replace(write, expected_version=2))
    assert err.value.code == "already_decided" and households.get(h.household_id).version == 2


def test_a_stale_household_writes_nothing_at_all(repos, aws) -> None:
    households, requests = repos
    h = _registered(households)
    request = _request(h, "cr-1")
    requests.add(request)
    decided, write = _approval(h, request)
    # Given the household moved to version 2 meanwhile
    households.save(replace(h, version=2), 1, ChangeRecord(household_id=h.household_id, version=2, at="t",
                                                           actor_id="w", actor_role="mahalla_worker",
                                                           action="household_updated", target="household"))
    with pytest.raises(Conflict) as err:
        requests.decide(decided, write)
    # Then neither the household nor the request changed
    assert err.value.code == "stale_version"
    assert _opened(aws, h.household_id, households.get(h.household_id).bank_account) == h.bank_account
    assert requests.get("cr-1").status == "pending" and len(households.changes(h.household_id)) == 2


def test_moving_in_claims_and_moving_out_releases_pinfls(repos) -> None:
    households, requests = repos
    h = _registered(households, 3)
    other = _registered(households, 4)
    leaving = h.members[-1]
    out = _request(h, "cr-out", MemberMovesOut(person_id=leaving.person_id))
    requests.add(out)
    requests.decide(*_approval(h, out))
    assert households.find_by_pinfl(leaving.pinfl) is None
    # A person of another household cannot move in before leaving there
    h2 = households.get(h.household_id)
    intruder = replace(other.members[-1], person_id="p-new", relationship="other")
    joining = _request(h2, "cr-in", MemberMovesIn(member=intruder))
    requests.add(joining)
    with pytest.raises(Conflict) as err:
        requests.decide(*_approval(h2, joining))
    assert err.value.code == "member_in_other_household"
    assert households.get(h.household_id).version == 2 and requests.get("cr-in").status == "pending"
    # The person who left can join another household
    welcome = _request(other, "cr-welcome", MemberMovesIn(member=replace(leaving, relationship="other")))
    requests.add(welcome)
    requests.decide(*_approval(other, welcome))
    assert households.find_by_pinfl(leaving.pinfl) == (other.household_id, leaving.person_id)
