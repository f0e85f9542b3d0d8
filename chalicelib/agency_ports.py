"""The agency port: what the registry asks a government agency and what it gets back.

One ``AgencyClient`` per agency (tax, civil registry, ...). A client answers one ``AgencyQuery``
(the members of one application and the income months) with ``AgencyFacts``
(``chalicelib.domain.evidence``): per member, only the facts that agency supplies; ``None`` means
"this agency does not speak about it".

Failures are named so callers can retry or report them by kind:
- ``AgencyTimeout``: no answer within the client's timeout;
- ``AgencyUnavailable``: connection refused/reset, HTTP 5xx, SOAP fault;
- ``AgencyMalformedAnswer``: an answer that does not parse or does not match the agency's schema;
- ``PersonNotKnown``: raised only by single-person lookups (``CivilRegistryClient.lookup``, to check a
  PINFL at intake); a batch ``fetch`` reports members the
  agency has no record of in ``AgencyFacts.not_known`` so one unknown member never hides the facts
  of the others. For most agencies "no record" is a valid empty answer (no income, no vehicle);
  only the civil registry's "not known" is a data problem (see services.evidence_collection).

The access log port records every query an officer's application causes: ids only, never a PINFL
or a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from chalicelib.domain.evidence import SUPPLIED, AgencyFacts

# The agencies the registry asks, in the order collection reports them (the facts each supplies:
# ``chalicelib.domain.evidence.SUPPLIED``).
AGENCY_NAMES = tuple(SUPPLIED)


class AgencyError(Exception):
    """Base of the agency failures; ``kind`` is the stable name used in missing_sources.

    ``partial``: what a connector asking person by person had received before the failure (the
    collection keeps those answers and asks again about the others only)."""

    kind = "agency_error"

    def __init__(self, agency: str, message: str) -> None:
        super().__init__(f"{agency}: {message}")
        self.agency = agency
        self.message = message
        self.partial: AgencyFacts | None = None

    def keeping(self, facts: AgencyFacts, not_known: list[str]) -> AgencyError:
        """This error with the answers received before it (``facts``, ``not_known`` so far)."""
        facts.not_known = tuple(not_known)
        self.partial = facts
        return self


class AgencyTimeout(AgencyError):
    kind = "timeout"


class AgencyUnavailable(AgencyError):
    kind = "unavailable"


class AgencyMalformedAnswer(AgencyError):
    kind = "malformed_answer"


class PersonNotKnown(AgencyError):
    kind = "person_not_known"


@dataclass(frozen=True)
class PersonRef:
    """A member as the agencies are asked about them: the registry's id and the PINFL."""

    person_id: str
    pinfl: str


@dataclass(frozen=True)
class AgencyQuery:
    """One application's question to one agency.

    ``months`` are the income months asked for ("YYYY-MM", oldest first); ``on_date`` is the day the
    status facts (detention, studies, conscription, disability) are wanted for (the first day of the
    application month).
    """

    application_id: str
    period: str
    months: tuple[str, ...]
    on_date: date
    persons: tuple[PersonRef, ...]


@runtime_checkable
class AgencyClient(Protocol):
    """A connector to one agency."""

    name: str

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        """Ask about every person of the query; raise an ``AgencyError`` subclass on failure."""
        ...


@dataclass(frozen=True)
class AccessLogEntry:
    """One query made on behalf of an application: ids only (no PINFL, no name)."""

    agency: str
    person_id: str
    application_id: str
    officer_id: str
    time: datetime
    outcome: str  # "ok", "not_known", "timeout", "unavailable", "malformed_answer", ...
    duration_ms: int
    attempt: int = 1


class AccessLogPort(Protocol):
    def record(self, entries: list[AccessLogEntry]) -> None:
        """Store the entries (one per person queried, per attempt)."""
        ...
