"""The application life cycle and the cycle month (pure domain)."""

from datetime import UTC, datetime

import pytest

from chalicelib.config import Settings
from chalicelib.domain.applications import Application, cycle_month, transition
from chalicelib.domain.errors import Conflict
from chalicelib.services.intake import IntakeService
from tests.builders import WORKER, application_request
from tests.fakes import FakeApplications, FakeHouseholds, FixedClock, SequentialIds


@pytest.mark.parametrize(
    ("utc_time", "expected"),
    [
        # Given a time in UTC, When the cycle month is computed in Tashkent time (UTC+5), Then:
        (datetime(2026, 11, 15, 18, 59, tzinfo=UTC), "2026-11"),  # 23:59 on the 15th: still this month
        (datetime(2026, 11, 15, 19, 0, tzinfo=UTC), "2026-12"),  # 00:00 on the 16th: next month
        (datetime(2026, 12, 20, 8, 0, tzinfo=UTC), "2027-01"),  # after the cut-off in December: January
        (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), "2026-11"),
    ],
)
def test_cycle_month_follows_the_cut_off_in_tashkent_time(utc_time: datetime, expected: str) -> None:
    assert cycle_month(utc_time, cutoff_day=15) == expected


def test_cycle_month_cut_off_is_configurable() -> None:
    # Given a cut-off on the 20th, When an application arrives on the 18th, Then it joins this month
    assert cycle_month(datetime(2026, 11, 18, 6, tzinfo=UTC), cutoff_day=20) == "2026-11"
    assert cycle_month(datetime(2026, 11, 18, 6, tzinfo=UTC), cutoff_day=15) == "2026-12"


def test_cycle_month_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        cycle_month(datetime(2026, 11, 18, 6), cutoff_day=15)


def _submitted() -> Application:
    service = IntakeService(FakeHouseholds(), FakeApplications(), FixedClock(), SequentialIds(), Settings())
    return service.submit(WORKER, application_request())


def test_transition_appends_history_and_bumps_version() -> None:
    # Given a submitted application
    app = _submitted()
    # When it moves to collecting
    moved = transition(app, "collecting", at="2026-11-10T09:01:00+00:00", actor_id="workflow", actor_role="system")
    # Then the history keeps both changes in order and the version grows
    assert [h.status for h in moved.history] == ["submitted", "collecting"]
    assert moved.version == app.version + 1
    assert moved.history[-1].actor_id == "workflow"


def test_transition_refuses_a_jump_the_life_cycle_does_not_allow() -> None:
    # Given a submitted application, When it is marked assigned directly, Then it is refused
    with pytest.raises(Conflict) as err:
        transition(_submitted(), "assigned", at="t", actor_id="x", actor_role="system")
    assert err.value.code == "invalid_transition"
