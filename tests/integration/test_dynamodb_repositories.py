"""The DynamoDB repositories on moto: conditional writes, version checks, PINFL claims, item shapes."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoApplicationRepository, DynamoHouseholdRepository, from_item
from chalicelib.config import Settings
from chalicelib.domain.errors import Conflict
from chalicelib.ports import ApplicationQuery
from chalicelib.services.intake import IntakeService
from devstack.population import household as synthetic_household
from devstack.seed import to_household
from tests.builders import WORKER, application_request, change
from tests.fakes import FixedClock, SequentialIds


@pytest.fixture
def repos(aws: Settings) -> tuple[DynamoHouseholdRepository, DynamoApplicationRepository, object]:
    client = boto3.client("dynamodb", region_name=aws.region)
    return (DynamoHouseholdRepository(client, aws.registry_table, bootstrap.field_cipher(aws)),
            DynamoApplicationRepository(client, aws.applications_table), client)


def test_a_household_round_trips_and_its_people_are_findable_by_pinfl(repos) -> None:
    households, _, _ = repos
    h = to_household(synthetic_household(3), "2026-11-01T00:00:00+00:00")
    households.add(h, change(h, 1, "household_registered"))
    stored = households.get(h.household_id)
    assert stored is not None and h.bank_account is not None and stored.bank_account is not None
    # the bank number comes back sealed, with its mask; everything else as written
    assert replace(stored, bank_account=h.bank_account) == h
    assert stored.bank_account.sealed and stored.bank_account.masked() == h.bank_account.masked()
    assert households.find_by_pinfl(h.members[0].pinfl) == (h.household_id, h.members[0].person_id)


def test_a_second_household_claiming_a_registered_person_writes_nothing(repos) -> None:
    households, _, _ = repos
    h = to_household(synthetic_household(3), "t")
    households.add(h, change(h, 1, "household_registered"))
    # Given a new household that repeats one registered member
    intruder = replace(h, household_id="hh-other", members=(h.members[0],))
    # When it is added, Then it is refused as a whole: no household item, no change record
    with pytest.raises(Conflict):
        households.add(intruder, change(intruder, 1, "household_registered"))
    assert households.get("hh-other") is None
    assert households.changes("hh-other") == []


def test_a_stale_version_overwrites_nothing(repos) -> None:
    households, _, _ = repos
    h = to_household(synthetic_household(4), "t")
    households.add(h, change(h, 1, "household_registered"))
    first = replace(h, version=2, updated_at="a")
    households.save(first, 1, change(h, 2))
    # When a writer who read version 1 saves again
    with pytest.raises(Conflict):
        households.save(replace(h, version=2, updated_at="b"), 1, change(h, 2))
    # Then the first write stands and the log has one update
    assert households.get(h.household_id).updated_at == "a"
    assert [c.version for c in households.changes(h.household_id)] == [1, 2]


def test_items_hold_integers_never_floats(repos) -> None:
    _, applications, client = repos
    service = IntakeService(repos[0], applications, FixedClock(), SequentialIds(), Settings())
    app = service.submit(WORKER, application_request())
    raw = client.get_item(TableName=Settings().applications_table, Key={"pk": {"S": f"APP#{app.application_id}"},
                                                                        "sk": {"S": "META"}})["Item"]
    numbers = [v["N"] for v in _walk(raw)]
    assert numbers and all("." not in n and "e" not in n.lower() for n in numbers)
    assert isinstance(from_item(raw)["version"], int)


def test_listing_by_each_scope_level_finds_the_application(repos) -> None:
    households, applications, _ = repos
    app = IntakeService(households, applications, FixedClock(), SequentialIds(), Settings()).submit(
        WORKER, application_request())
    for level, code in (("mahalla", app.address.mahalla_code), ("district", app.address.district_code),
                        ("region", app.address.region_code), ("household", app.household_id), ("national", "")):
        page = applications.list(ApplicationQuery(level=level, code=code, cycle_month=app.cycle_month))
        assert [a.application_id for a in page.items] == [app.application_id], level
    other_month = applications.list(ApplicationQuery(level="mahalla", code=app.address.mahalla_code,
                                                     cycle_month="2025-01"))
    assert other_month.items == []


def _walk(value: object):
    if isinstance(value, dict):
        if set(value) == {"N"}:
            yield value
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v)
