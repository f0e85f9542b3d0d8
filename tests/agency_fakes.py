"""Fakes for the agency port and the access log port."""

from __future__ import annotations

import threading
from collections.abc import Callable

from chalicelib.agency_ports import AccessLogEntry, AgencyError, AgencyQuery
from chalicelib.domain.evidence import AgencyFacts


class InMemoryAccessLog:
    """Keeps every entry in a list (thread-safe)."""

    def __init__(self) -> None:
        self.entries: list[AccessLogEntry] = []
        self._lock = threading.Lock()

    def record(self, entries: list[AccessLogEntry]) -> None:
        with self._lock:
            self.entries.extend(entries)

    def for_agency(self, agency: str) -> list[AccessLogEntry]:
        return [e for e in self.entries if e.agency == agency]


class FakeAgency:
    """An agency answering with ``answer(query)``; ``failures`` errors are raised first, one per call."""

    def __init__(
        self,
        name: str,
        answer: Callable[[AgencyQuery], AgencyFacts],
        failures: list[Exception] | None = None,
    ) -> None:
        self.name = name
        self.answer = answer
        self.failures = list(failures or [])
        self.calls = 0

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.answer(query)


def failing(name: str, error: type[AgencyError]) -> FakeAgency:
    """An agency that always fails with ``error``."""

    def answer(q: AgencyQuery) -> AgencyFacts:
        raise error(name, "always failing")

    return FakeAgency(name, answer)
