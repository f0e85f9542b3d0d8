"""The household a caller names, found and checked against the caller's reach for an action (the
services of change requests, grievances and cases each start from one)."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain import access, geography
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.errors import NotFound
from chalicelib.domain.households import Household
from chalicelib.ports import HouseholdRepository


def household_in_reach(households: HouseholdRepository, principal: Principal, household_id: str, action: Action,
                       field: str | None = None) -> Household:
    """The household, if ``principal`` may do ``action`` on it; 404 when it is missing or out of reach."""
    household = households.get(household_id)
    if household is None:
        raise NotFound("household not found", field="household_id")
    authorize(principal, action, Target.of_record(household.address, household.household_id), "household",
              field=field)
    return household


def counters_in_reach(principal: Principal, counters: Callable[[str], dict[str, int]]) -> tuple[
        dict[str, dict[str, int]], dict[str, int]]:
    """The statistics counters of each region ``principal`` may read (``statistics.read``), and their sum."""
    authorize(principal, access.STATISTICS_READ)
    by_region: dict[str, dict[str, int]] = {}
    total: dict[str, int] = {}
    for region in geography.regions():
        if not access.permits(principal, access.STATISTICS_READ, Target.area("region", region.code)):
            continue
        by_region[region.code] = counters(region.code)
        for name, n in by_region[region.code].items():
            total[name] = total.get(name, 0) + n
    return by_region, total
