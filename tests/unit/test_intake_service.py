"""Submitting applications (service on fakes): registration, the one-per-month rule, scopes."""

from dataclasses import replace

import pytest

from chalicelib.config import Settings
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.services.intake import IntakeService
from tests.builders import WORKER, application_payload, application_request
from tests.fakes import FakeApplications, FakeHouseholds, FixedClock, SequentialIds


@pytest.fixture
def world() -> tuple[IntakeService, FakeHouseholds, FakeApplications]:
    households, applications = FakeHouseholds(), FakeApplications()
    return IntakeService(households, applications, FixedClock(), SequentialIds(), Settings()), households, applications


def test_a_new_family_is_registered_and_its_application_filed(world) -> None:
    service, households, applications = world
    # When a mahalla worker submits the example application
    app = service.submit(WORKER, application_request())
    # Then the household exists with every member and a person id each, and one change record
    household = households.get(app.household_id)
    assert household is not None and len(household.members) == 4
    assert all(m.person_id.startswith("p-") for m in household.members)
    assert [c.action for c in households.changes(app.household_id)] == ["household_registered"]
    # And the application is submitted for November (the 10th is before the cut-off)
    assert (app.status, app.cycle_month) == ("submitted", "2026-11")
    assert app.applicant_person_id == household.head.person_id
    assert applications.get(app.application_id) == app


def test_the_same_household_cannot_apply_twice_in_one_cycle(world) -> None:
    service, _, applications = world
    service.submit(WORKER, application_request())
    # When the same family applies again in the same month
    with pytest.raises(Conflict) as err:
        service.submit(WORKER, application_request())
    # Then it is refused and nothing more is stored
    assert err.value.code == "application_exists"
    assert len(applications.items) == 1


def test_a_known_family_applies_again_next_cycle_without_a_new_household(world) -> None:
    service, households, applications = world
    first = service.submit(WORKER, application_request())
    # Given the same registry a month later
    december = FixedClock(FixedClock().at.replace(month=12))
    later = IntakeService(households, applications, december, SequentialIds(), Settings())
    # When the family applies again, Then it is the same household in the December cycle
    second = later.submit(WORKER, application_request())
    assert second.household_id == first.household_id and second.cycle_month == "2026-12"
    assert len(households.items) == 1


def test_a_worker_cannot_register_a_family_in_another_mahalla(world) -> None:
    service, households, _ = world
    other = Principal(subject="w2", role="mahalla_worker", scope="1726262017")
    with pytest.raises(Forbidden):
        service.submit(other, application_request())
    assert households.items == {}


def test_a_member_registered_in_another_household_is_refused(world) -> None:
    service, _, _ = world
    service.submit(WORKER, application_request())
    # Given the spouse now applies as head of a new household with a different head
    payload = application_payload()
    payload["members"] = [dict(payload["members"][1], relationship="head"),
                          dict(payload["members"][2], relationship="child")]
    payload["applicant_pinfl"] = payload["members"][0]["pinfl"]
    # When submitted, Then the registry refuses to put her in two households
    with pytest.raises(Conflict) as err:
        service.submit(WORKER, application_request(payload))
    assert err.value.code in ("member_in_other_household", "application_exists")


def test_the_applicant_must_be_a_member_with_a_phone(world) -> None:
    service, _, _ = world
    request = application_request()
    no_phone = replace(request, members=tuple(replace(m, phone=None) for m in request.members))
    with pytest.raises(ValidationFailed) as err:
        service.submit(WORKER, no_phone)
    assert err.value.field == "members[0].phone"


def test_an_unknown_mahalla_is_refused_with_the_field(world) -> None:
    service, _, _ = world
    payload = application_payload()
    payload["address"] = dict(payload["address"], mahalla_code="1726262999")
    with pytest.raises(ValidationFailed) as err:
        service.submit(WORKER, application_request(payload))
    assert (err.value.field, err.value.code) == ("address.mahalla_code", "unknown_mahalla")


def test_analysts_cannot_submit(world) -> None:
    service, _, _ = world
    with pytest.raises(Forbidden):
        service.submit(Principal(subject="a", role="ministry_analyst", scope=""), application_request())
