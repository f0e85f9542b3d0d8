"""The ports: small interfaces the services need from the outside world.

Adapters in ``chalicelib.adapters`` implement them against AWS; fakes in ``tests/fakes.py``
implement them in memory. Only ``chalicelib.bootstrap`` chooses which.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.applications import Application
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.households import ChangeRecord, Household


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdGenerator(Protocol):
    def new_id(self, prefix: str) -> str: ...


@dataclass(frozen=True)
class ApplicationQuery:
    """A listing: one scope level and code (or national), and optional filters."""

    level: str  # mahalla, district, region, household or national
    code: str
    cycle_month: str | None = None
    status: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Application]
    cursor: str | None


class HouseholdRepository(Protocol):
    def get(self, household_id: str) -> Household | None: ...

    def find_by_pinfl(self, pinfl: str) -> tuple[str, str] | None:
        """(household_id, person_id) of the person with this PINFL, if registered."""
        ...

    def add(self, household: Household, change: ChangeRecord) -> None:
        """Registers a new household and claims its members' PINFLs; Conflict if any is taken."""
        ...

    def save(self, household: Household, expected_version: int, change: ChangeRecord,
             claim_pinfls: tuple[str, ...] = ()) -> None:
        """Stores ``household`` if the stored one is still at ``expected_version``; Conflict otherwise."""
        ...

    def changes(self, household_id: str) -> list[ChangeRecord]: ...


class ApplicationRepository(Protocol):
    def add(self, application: Application) -> None:
        """Stores a new application; Conflict if the household already filed for that cycle month."""
        ...

    def get(self, application_id: str) -> Application | None: ...

    def save(self, application: Application, expected_version: int) -> None: ...

    def list(self, query: ApplicationQuery) -> Page: ...

    def count_by(self, cycle_month: str) -> dict[tuple[str, str, str], int]:
        """Number of applications per (region, status, first programme) for a cycle month."""
        ...


@dataclass(frozen=True)
class UploadTicket:
    url: str
    fields: dict[str, str]
    expires_in: int


class DocumentStore(Protocol):
    def upload_ticket(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadTicket: ...


class AssignmentRepository(Protocol):
    def add_all(self, assignments: list[Assignment]) -> int:
        """Stores the assignments not stored yet (idempotent on assignment_id); returns how many were new."""
        ...

    def get(self, assignment_id: str) -> Assignment | None: ...

    def for_household(self, household_id: str) -> list[Assignment]: ...

    def active_in(self, month: str) -> Iterator[Assignment]:
        """Every active assignment that pays in ``month``."""
        ...

    def set_status(self, assignment_id: str, status: str, reason: str | None = None) -> None: ...


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Sends one SMS; returns the carrier's message id."""
        ...


class NotificationLog(Protocol):
    def claim(self, key: str, record: dict[str, object]) -> bool:
        """Records that the SMS ``key`` is being sent; False when it was claimed before."""
        ...

    def mark_sent(self, key: str, message_id: str) -> None: ...


class SmsPort(Protocol):
    def send(self, key: str, phone: str, language: str, template: str, params: dict[str, object]) -> bool:
        """Sends the SMS at most once per ``key``; True when it was sent now."""
        ...


class Workflow(Protocol):
    def start(self, name: str, payload: dict[str, object]) -> bool:
        """Starts the flow under ``name``; False when a run with that name exists already."""
        ...


class EvidenceStore(Protocol):
    def put(self, key: str, document: dict[str, object]) -> None: ...

    def get(self, key: str) -> dict[str, object]: ...


class DecisionRepository(Protocol):
    def add(self, application_id: str, attempt: int, record: dict[str, object]) -> dict[str, object]:
        """Stores the decision of an attempt once; returns the stored one (the first, on a retry)."""
        ...

    def latest(self, application_id: str) -> dict[str, object] | None: ...


class AccessLogReader(Protocol):
    def for_application(self, application_id: str) -> list[dict[str, Any]]:
        """The agency queries made for an application, oldest first (ids only)."""
        ...
