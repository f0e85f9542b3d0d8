"""The decision deadline in Uzbek working days."""

from datetime import date

import pytest

from chalicelib.domain.working_days import add_working_days, decision_due, is_working_day


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 11, 18), date(2026, 11, 23)),  # Wednesday -> Thu, Fri, (weekend), Mon
        (date(2026, 11, 20), date(2026, 11, 25)),  # Friday -> Mon, Tue, Wed
        (date(2026, 12, 4), date(2026, 12, 10)),  # Friday before Constitution Day (Tue 8 Dec) -> Thu
        (date(2026, 12, 10), date(2026, 12, 14)),  # Saturday 12 Dec 2026 is a working day (moved day off)
        (date(2026, 12, 29), date(2027, 1, 5)),  # 31 Dec and 1 Jan are days off
    ],
)
def test_decision_due_counts_uzbek_working_days(received: date, due: date) -> None:
    assert decision_due(received) == due


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 9, 1))  # Independence Day
    assert is_working_day(date(2026, 11, 23))
    assert add_working_days(date(2026, 11, 23), 0) == date(2026, 11, 23)
