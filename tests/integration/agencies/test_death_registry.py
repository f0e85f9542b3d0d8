"""The payroll asks the civil registry (DCI) who has died: the deaths the population holds come back."""

from __future__ import annotations

from chalicelib.adapters.agencies import build_agency_client
from chalicelib.adapters.payments import CivilRegistryDeaths
from devstack.agencies.run import start_all
from devstack.population import household

MONTH = "2026-12"
WITH_A_DEATH = 437  # household 437 of the seed-2026 population for 2026-12 has a member who died in October 2026


def test_deaths_are_reported_up_to_the_end_of_the_month_asked() -> None:
    family = household(WITH_A_DEATH, reference_month=MONTH)
    dead = next(p for p in family.members if p.death_date is not None)
    living = [p.pinfl for i in range(4) for p in household(i, reference_month=MONTH).members if p.death_date is None]
    with start_all(WITH_A_DEATH + 1, reference_month=MONTH, agencies=("civil_registry",)) as agencies:
        deaths = CivilRegistryDeaths(build_agency_client("civil_registry", agencies.urls["civil_registry"]), batch=5)
        # Given people alive and one who died in October, When the December payroll asks, Then only the death
        assert deaths.deceased([*living, dead.pinfl], MONTH) == {dead.pinfl}
        # and for a month that ended before the death, nobody is reported
        assert deaths.deceased([dead.pinfl], "2026-09") == set()
    assert dead.death_date is not None and dead.death_date.isoformat() == "2026-10-14"
