"""The agency port, re-exported for the connectors (defined in ``chalicelib.agency_ports``).

The definitions live outside ``chalicelib.adapters`` so services can use them without importing an
adapter package (the layering rule tests/unit/test_architecture.py holds).
"""

from chalicelib.agency_ports import (
    AccessLogEntry,
    AccessLogPort,
    AgencyClient,
    AgencyError,
    AgencyFacts,
    AgencyMalformedAnswer,
    AgencyQuery,
    AgencyTimeout,
    AgencyUnavailable,
    IncomeFact,
    PersonFacts,
    PersonNotKnown,
    PersonRef,
)

__all__ = [
    "AccessLogEntry",
    "AccessLogPort",
    "AgencyClient",
    "AgencyError",
    "AgencyFacts",
    "AgencyMalformedAnswer",
    "AgencyQuery",
    "AgencyTimeout",
    "AgencyUnavailable",
    "IncomeFact",
    "PersonFacts",
    "PersonNotKnown",
    "PersonRef",
]
