"""In-memory implementations of the ports, for unit tests of the services (no AWS, no mocks)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from chalicelib.adapters.crypto import EnvelopeCipher
from chalicelib.domain.applications import Application, PendingStart
from chalicelib.domain.change_requests import ChangeRequest
from chalicelib.domain.decisions import Decision
from chalicelib.domain.errors import Conflict
from chalicelib.domain.evidence import CollectedEvidence, CollectionRounds
from chalicelib.domain.grievances import Grievance, counter_deltas
from chalicelib.domain.households import ChangeRecord, Household, bank_context
from chalicelib.ports import (
    ApplicationQuery,
    ChangeRequestPage,
    ChangeRequestQuery,
    FieldCipher,
    GrievancePage,
    GrievanceQuery,
    HouseholdWrite,
    Page,
    UploadTicket,
)
from devstack.local_kms import InMemoryKms


@dataclass
class FixedClock:
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 10, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at


class SequentialIds:
    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._n):04d}"


class FakeHouseholds:
    def __init__(self) -> None:
        self.items: dict[str, Household] = {}
        self.pinfls: dict[str, tuple[str, str]] = {}
        self.change_log: dict[str, list[ChangeRecord]] = {}

    def get(self, household_id: str) -> Household | None:
        return self.items.get(household_id)

    def find_by_pinfl(self, pinfl: str) -> tuple[str, str] | None:
        return self.pinfls.get(pinfl)

    def _claim(self, household: Household, pinfls: tuple[str, ...]) -> None:
        if any(p in self.pinfls for p in pinfls):
            raise Conflict("member registered elsewhere", field="members", code="member_in_other_household")
        ids = {m.pinfl: m.person_id for m in household.members}
        for p in pinfls:
            self.pinfls[p] = (household.household_id, ids[p])

    def add(self, household: Household, change: ChangeRecord) -> None:
        if household.household_id in self.items:
            raise Conflict("exists", code="household_exists")
        self._claim(household, tuple(m.pinfl for m in household.members))
        self.items[household.household_id] = household
        self.change_log[household.household_id] = [change]

    def save(self, household: Household, expected_version: int, change: ChangeRecord,
             claim_pinfls: tuple[str, ...] = ()) -> None:
        if self.items[household.household_id].version != expected_version:
            raise Conflict("stale", field="version", code="stale_version")
        self._claim(household, claim_pinfls)
        self.items[household.household_id] = household
        self.change_log[household.household_id].append(change)

    def changes(self, household_id: str) -> list[ChangeRecord]:
        return list(self.change_log.get(household_id, []))


class FakeApplications:
    def __init__(self) -> None:
        self.items: dict[str, Application] = {}
        self.guards: dict[tuple[str, str], str] = {}
        self.outbox: dict[tuple[str, int], PendingStart] = {}

    def add(self, application: Application) -> None:
        key = (application.household_id, application.cycle_month)
        if key in self.guards:
            raise Conflict("already applied", field="household", code="application_exists")
        self.guards[key] = application.application_id
        self.items[application.application_id] = application
        self._owe(application)

    def get(self, application_id: str) -> Application | None:
        return self.items.get(application_id)

    def save(self, application: Application, expected_version: int, *, start: bool = False) -> None:
        if self.items[application.application_id].version != expected_version:
            raise Conflict("stale", field="version", code="stale_version")
        self.items[application.application_id] = application
        if start:
            self._owe(application)

    def _owe(self, application: Application) -> None:
        since = application.history[-1].at if application.history else application.created_at
        key = (application.application_id, application.attempt)
        self.outbox[key] = PendingStart(application.application_id, application.attempt, since)

    def pending_starts(self) -> Iterator[PendingStart]:
        yield from sorted(self.outbox.values(), key=lambda p: p.since)

    def started(self, application_id: str, attempt: int) -> None:
        self.outbox.pop((application_id, attempt), None)

    def list(self, query: ApplicationQuery) -> Page:
        def matches(a: Application) -> bool:
            code = {"mahalla": a.address.mahalla_code, "district": a.address.district_code,
                    "region": a.address.region_code, "household": a.household_id, "national": ""}[query.level]
            return (code == query.code and (query.cycle_month in (None, a.cycle_month))
                    and (query.status in (None, a.status)))

        found = sorted((a for a in self.items.values() if matches(a)), key=lambda a: a.created_at)
        start = int(query.cursor or 0)
        page = found[start:start + query.limit]
        more = start + query.limit < len(found)
        return Page(items=page, cursor=str(start + query.limit) if more else None)

    def count_by(self, cycle_month: str) -> dict[tuple[str, str, str], int]:
        counts: dict[tuple[str, str, str], int] = {}
        for a in self.items.values():
            if a.cycle_month == cycle_month:
                for p in a.programmes:
                    key = (a.address.region_code, a.status, p)
                    counts[key] = counts.get(key, 0) + 1
        return counts


class FakeDocumentStore:
    def __init__(self) -> None:
        self.tickets: list[tuple[str, str, int]] = []
        self.uploaded: set[str] = set()  # keys a client has uploaded to

    def upload_ticket(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> UploadTicket:
        self.tickets.append((key, content_type, max_bytes))
        return UploadTicket(url="https://uploads.example/" + key, fields={"key": key}, expires_in=expires_in)

    def exists(self, key: str) -> bool:
        return key in self.uploaded


class FakeDecisions:
    """Decisions by (application, attempt), written once; only a pending approval is updated."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, int], Decision] = {}

    def add(self, decision: Decision) -> Decision:
        return self.items.setdefault((decision.application_id, decision.attempt), decision)

    def latest(self, application_id: str) -> Decision | None:
        mine = [d for (a, _), d in sorted(self.items.items()) if a == application_id]
        return mine[-1] if mine else None

    def get(self, application_id: str, attempt: int) -> Decision | None:
        return self.items.get((application_id, attempt))

    def history(self, application_id: str) -> list[Decision]:
        return [d for (a, _), d in sorted(self.items.items()) if a == application_id]

    def save_approval(self, decision: Decision) -> bool:
        key = (decision.application_id, decision.attempt)
        if key not in self.items or self.items[key].approval.status != "pending":
            return False
        self.items[key] = replace(self.items[key], approval=decision.approval)
        return True


class FakeEvidenceStore:
    def __init__(self) -> None:
        self.items: dict[str, CollectedEvidence] = {}
        self.rounds: dict[str, CollectionRounds] = {}

    def put_rounds(self, key: str, rounds: CollectionRounds) -> None:
        self.rounds[key] = rounds

    def get_rounds(self, key: str) -> CollectionRounds | None:
        return self.rounds.get(key)

    def put(self, key: str, evidence: CollectedEvidence) -> None:
        self.items[key] = evidence

    def get(self, key: str) -> CollectedEvidence:
        return self.items[key]


class FakeWorkflow:
    """Records the runs started, by name (a name starts once)."""

    configured = True

    def __init__(self) -> None:
        self.started: dict[str, dict[str, object]] = {}

    def start(self, name: str, payload: dict[str, object]) -> bool:
        if name in self.started:
            return False
        self.started[name] = payload
        return True

def fake_cipher() -> EnvelopeCipher:
    return EnvelopeCipher(InMemoryKms(), "alias/spsr-test-data")


def sealed(household: Household, cipher: FieldCipher) -> Household:
    """The household as the repository stores it: its bank number sealed."""
    bank = household.bank_account
    if bank is None or bank.sealed:
        return household
    return replace(household, bank_account=bank.sealed_with(cipher.seal(bank.number,
                                                                         bank_context(household.household_id))))


class FakeChangeRequests:
    """Change requests beside ``FakeHouseholds``; a decision and its household write succeed or fail together."""

    def __init__(self, households: FakeHouseholds) -> None:
        self.items: dict[str, ChangeRequest] = {}
        self._households = households

    def add(self, request: ChangeRequest) -> None:
        if request.request_id in self.items:
            raise Conflict("exists", code="change_request_exists")
        self.items[request.request_id] = request

    def get(self, request_id: str) -> ChangeRequest | None:
        return self.items.get(request_id)

    def for_household(self, household_id: str) -> list[ChangeRequest]:
        return sorted((r for r in self.items.values() if r.household_id == household_id),
                      key=lambda r: (r.submitted_at, r.request_id))

    def list(self, query: ChangeRequestQuery) -> ChangeRequestPage:
        found = sorted((r for r in self.items.values() if r.district_code == query.district_code
                        and r.status == query.status and query.mahalla_code in (None, r.mahalla_code)),
                       key=lambda r: (r.submitted_at, r.request_id))
        start = int(query.cursor or 0)
        more = start + query.limit < len(found)
        return ChangeRequestPage(items=found[start:start + query.limit],
                                 cursor=str(start + query.limit) if more else None)

    def decide(self, decided: ChangeRequest, write: HouseholdWrite | None = None) -> None:
        if self.items[decided.request_id].status != "pending":
            raise Conflict("decided", field="status", code="already_decided")
        if write is not None:
            hid = write.household.household_id
            if self._households.items[hid].version != write.expected_version:
                raise Conflict("stale", field="version", code="stale_version")
            if any(self._households.pinfls.get(p, (hid,))[0] != hid for p in write.release_pinfls):
                raise Conflict("claimed elsewhere", code="member_in_other_household")
            self._households.save(write.household, write.expected_version, write.change, write.claim_pinfls)
            for p in write.release_pinfls:
                self._households.pinfls.pop(p, None)
        self.items[decided.request_id] = decided



class FakeGrievances:
    """Grievances by id with the region counters (``grievances.counter_deltas``), saved on version."""

    def __init__(self) -> None:
        self.items: dict[str, Grievance] = {}
        self.counts: dict[str, dict[str, int]] = {}

    def _count(self, region: str, deltas: dict[str, int]) -> None:
        mine = self.counts.setdefault(region, {})
        for name, n in deltas.items():
            mine[name] = mine.get(name, 0) + n

    def add(self, grievance: Grievance) -> None:
        if grievance.grievance_id in self.items or self.find_by_reference(grievance.reference):
            raise Conflict("exists", field="grievance_id", code="grievance_exists")
        self.items[grievance.grievance_id] = grievance
        self._count(grievance.region_code, counter_deltas(None, grievance))

    def get(self, grievance_id: str) -> Grievance | None:
        return self.items.get(grievance_id)

    def find_by_reference(self, reference: str) -> Grievance | None:
        return next((g for g in self.items.values() if g.reference == reference), None)

    def save(self, grievance: Grievance, before: Grievance) -> None:
        if self.items[grievance.grievance_id].version != before.version:
            raise Conflict("stale", field="version", code="stale_version")
        self.items[grievance.grievance_id] = grievance
        self._count(grievance.region_code, counter_deltas(before, grievance))

    def for_household(self, household_id: str) -> list[Grievance]:
        return sorted((g for g in self.items.values() if g.household_id == household_id),
                      key=lambda g: (g.received_at, g.grievance_id))

    def list(self, query: GrievanceQuery) -> GrievancePage:
        code = {"district": lambda g: g.district_code, "region": lambda g: g.region_code}[query.level]
        found = [g for g in self.items.values() if code(g) == query.code and query.status in (None, g.status)]
        return GrievancePage(sorted(found, key=lambda g: g.received_at)[:query.limit], None)

    def open_due_before(self, region_code: str, day: str) -> Iterator[Grievance]:
        found = [g for g in self.items.values()
                 if g.region_code == region_code and g.open and g.due < day]
        yield from sorted(found, key=lambda g: g.due)

    def counters(self, region_code: str) -> dict[str, int]:
        return dict(self.counts.get(region_code, {}))
