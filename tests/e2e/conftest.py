"""End-to-end tests run against the embedded stack, which sets its own loopback environment."""

import pytest


@pytest.fixture(autouse=True)
def _no_real_aws() -> None:
    """Overrides the suite-wide guard: the stack's environment already points every client at loopback
    with fake credentials, and resetting it between tests would cut the running workflow off."""
