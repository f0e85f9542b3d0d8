"""The agency stubs on loopback (random ports) for a small population, shared by this package's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.agencies.run import RunningAgencies, start_all

POPULATION = 300
PERIOD = "2026-11"


@pytest.fixture(scope="session")
def agencies() -> Iterator[RunningAgencies]:
    running = start_all(POPULATION, seed=2026, reference_month=PERIOD)
    yield running
    running.stop()


@pytest.fixture
def clean_agencies(agencies: RunningAgencies) -> Iterator[RunningAgencies]:
    """The running agencies with every fault cleared before and after the test."""
    agencies.clear_faults()
    yield agencies
    agencies.clear_faults()
