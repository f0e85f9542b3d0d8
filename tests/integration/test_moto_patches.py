"""The local stack's faster TransactWriteItems keeps all-or-nothing semantics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.errors import Conflict
from chalicelib.domain.households import ChangeRecord
from devstack import moto_patches
from devstack.population import household
from devstack.seed import to_household


@pytest.fixture
def repo(aws: Settings) -> Iterator[DynamoHouseholdRepository]:
    moto_patches.install()
    yield DynamoHouseholdRepository(boto3.client("dynamodb", region_name=aws.region), aws.registry_table,
                                    bootstrap.field_cipher(aws))
    moto_patches.uninstall()


def _change(household_id: str, version: int) -> ChangeRecord:
    return ChangeRecord(household_id=household_id, version=version, at="t", actor_id="w", actor_role="r",
                        action="a", target="household")


def test_a_failed_condition_writes_nothing_and_a_good_transaction_writes_all(repo) -> None:
    h = to_household(household(7), "t")
    repo.add(h, _change(h.household_id, 1))
    stored = repo.get(h.household_id)
    assert stored is not None and stored.bank_account is not None and stored.bank_account.sealed  # sealed on write
    assert replace(stored, bank_account=h.bank_account) == h and len(repo.changes(h.household_id)) == 1
    # Given a second household repeating one registered person, When it is added, Then nothing of it is stored
    other = replace(h, household_id="hh-second", members=(h.members[0],))
    with pytest.raises(Conflict):
        repo.add(other, _change("hh-second", 1))
    assert repo.get("hh-second") is None and repo.changes("hh-second") == []
    # A stale save changes nothing either
    with pytest.raises(Conflict):
        repo.save(replace(h, version=3), 2, _change(h.household_id, 3))
    assert repo.get(h.household_id).version == 1 and len(repo.changes(h.household_id)) == 1
    assert DynamoDBBackend.transact_write_items is moto_patches.transact_write_items  # the patch did the work
