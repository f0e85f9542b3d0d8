"""Writes that survive their own retries, on moto: when DynamoDB applies a conditional write and its
answer is lost (a read timeout), the SDK sends the same request again, which then fails its
condition against the first one. The repositories recognise their own write: no false 409
``application_exists``, no false ``stale_version`` conflict; a real conflict is still one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoApplicationRepository, DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.errors import Conflict
from chalicelib.services.intake import IntakeService
from devstack.population import household as synthetic_household
from devstack.seed import to_household
from tests.builders import WORKER, application_request, change
from tests.fakes import FixedClock, SequentialIds

WRITES = ("put_item", "transact_write_items")


class AnswerLost:
    """A DynamoDB client whose writes are applied and then sent again, as botocore does after a read
    timeout: the caller gets the second answer (a failed condition, when the write was conditional)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.repeated = 0

    def __getattr__(self, name: str) -> Any:
        call = getattr(self._client, name)
        if name not in WRITES:
            return call

        def twice(**kwargs: Any) -> Any:
            call(**kwargs)
            self.repeated += 1
            return call(**kwargs)

        return twice


@pytest.fixture
def lossy(aws: Settings) -> tuple[DynamoHouseholdRepository, DynamoApplicationRepository, AnswerLost]:
    client = AnswerLost(boto3.client("dynamodb", region_name=aws.region))
    return (DynamoHouseholdRepository(client, aws.registry_table, bootstrap.field_cipher(aws)),
            DynamoApplicationRepository(client, aws.applications_table), client)


def test_an_application_whose_answer_was_lost_is_stored_once_and_not_refused(lossy) -> None:
    households, applications, client = lossy
    # Given a family applying while every write's answer is lost and the write sent again
    service = IntakeService(households, applications, FixedClock(), SequentialIds(), Settings())
    # When the application is submitted
    app = service.submit(WORKER, application_request())
    # Then the family gets its application, not 409 application_exists, and it is stored once
    assert client.repeated >= 2  # the household's transaction and the application's
    assert applications.get(app.application_id) == app
    # and its workflow saves, repeated the same way, are not taken for another writer's
    moved = replace(app, status="collecting", version=app.version + 1)
    applications.save(moved, app.version)
    assert applications.get(app.application_id).status == "collecting"


def test_a_real_second_application_or_a_stale_save_is_still_a_conflict(lossy) -> None:
    households, applications, _ = lossy
    service = IntakeService(households, applications, FixedClock(), SequentialIds(), Settings())
    app = service.submit(WORKER, application_request())
    # When another application for the same family and month is submitted
    with pytest.raises(Conflict) as second:
        service.submit(WORKER, application_request())
    # Then it is refused
    assert second.value.code == "application_exists"
    # and a writer who read an old version is refused too
    applications.save(replace(app, status="collecting", version=2), 1)
    with pytest.raises(Conflict) as stale:
        applications.save(replace(app, status="needs_review", version=2), 1)
    assert stale.value.code == "stale_version"


def test_a_household_write_whose_answer_was_lost_is_not_a_conflict(lossy) -> None:
    households, _, _ = lossy
    h = to_household(synthetic_household(5), "2026-11-01T00:00:00+00:00")
    # When a household is registered and then updated, each transaction sent twice
    households.add(h, change(h, 1, "household_registered"))
    households.save(replace(h, version=2, updated_at="a"), 1, change(h, 2))
    # Then both stand, with one change record each
    assert households.get(h.household_id).version == 2
    assert [c.version for c in households.changes(h.household_id)] == [1, 2]
    # and a writer who read version 1 is still refused
    with pytest.raises(Conflict):
        households.save(replace(h, version=2, updated_at="b"), 1, change(h, 2))
