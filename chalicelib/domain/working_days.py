"""Uzbek working days, for the 3-working-day decision target (PKM-654: decide within 3 working days).

Weekends, public holidays and the days off the government moves (a Saturday worked in exchange for a
day off) come from the ``holidays`` package's calendar for Uzbekistan.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays

DECISION_WORKING_DAYS = 3


@lru_cache(maxsize=8)
def _calendar(year: int) -> holidays.HolidayBase:
    import holidays  # its calendars take tens of ms to import: not on the API's cold start

    return holidays.country_holidays("UZ", years=range(year - 1, year + 2))


def is_working_day(day: date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` (``start`` itself does not count)."""
    day = start
    counted = 0
    while counted < n:
        day = date.fromordinal(day.toordinal() + 1)
        if is_working_day(day):
            counted += 1
    return day


def decision_due(received: date) -> date:
    return add_working_days(received, DECISION_WORKING_DAYS)
