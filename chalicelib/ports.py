"""The ports: small interfaces the services need from the outside world.

Adapters in ``chalicelib.adapters`` implement them against AWS; fakes in ``tests/fakes.py``
implement them in memory. Only ``chalicelib.bootstrap`` chooses which.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.applications import Application, PendingStart
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.audit import AuditEntry, AuditEvent, ChainHead
from chalicelib.domain.cases import Case
from chalicelib.domain.change_requests import ChangeRequest
from chalicelib.domain.decisions import Decision
from chalicelib.domain.evidence import CollectedEvidence, CollectionRounds
from chalicelib.domain.grievances import Grievance
from chalicelib.domain.households import ChangeRecord, Household
from chalicelib.domain.payroll import BackPay, Instruction, PayrollRun


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


@dataclass(frozen=True)
class HouseholdWrite:
    """A household update written together with something else (one transaction)."""

    household: Household
    expected_version: int
    change: ChangeRecord
    claim_pinfls: tuple[str, ...] = ()
    release_pinfls: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeRequestQuery:
    """A district's change requests in one status, oldest first; optionally one mahalla of it."""

    district_code: str
    status: str = "pending"
    mahalla_code: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class ChangeRequestPage:
    items: list[ChangeRequest]
    cursor: str | None


class ChangeRequestRepository(Protocol):
    def add(self, request: ChangeRequest) -> None:
        """Stores a new request; Conflict if its id exists."""
        ...

    def get(self, request_id: str) -> ChangeRequest | None: ...

    def for_household(self, household_id: str) -> list[ChangeRequest]:
        """The household's requests, oldest first."""
        ...

    def list(self, query: ChangeRequestQuery) -> ChangeRequestPage: ...

    def decide(self, decided: ChangeRequest, write: HouseholdWrite | None = None) -> None:
        """Stores ``decided`` if the stored request is still pending, and ``write`` in the same transaction.

        Conflict ``already_decided`` when the request was decided meanwhile, ``stale_version`` when the
        household moved on, ``member_in_other_household`` when a joining person was claimed elsewhere;
        nothing is written then.
        """
        ...


@dataclass(frozen=True)
class GrievanceQuery:
    """An area's grievances in one status (or every status), oldest first. ``level``: ``district`` for
    one district's (``code``), ``region`` for one region's, at either level."""

    level: str
    code: str
    status: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class GrievancePage:
    items: list[Grievance]
    cursor: str | None


class GrievanceRepository(Protocol):
    def add(self, grievance: Grievance) -> None:
        """Stores a new grievance and counts it; Conflict ``grievance_exists`` if its id (or reference) exists."""
        ...

    def get(self, grievance_id: str) -> Grievance | None: ...

    def find_by_reference(self, reference: str) -> Grievance | None:
        """The grievance whose SMS reference this is."""
        ...

    def save(self, grievance: Grievance, before: Grievance) -> None:
        """Stores ``grievance`` if the stored one is still ``before`` (its version), and moves the region's
        counters by the difference, in one transaction; Conflict ``stale_version`` otherwise."""
        ...

    def for_household(self, household_id: str) -> list[Grievance]:
        """The household's grievances, oldest first."""
        ...

    def list(self, query: GrievanceQuery) -> GrievancePage: ...

    def open_due_before(self, region_code: str, day: str) -> Iterator[Grievance]:
        """The region's open grievances whose last day is before ``day`` (ISO date), earliest first."""
        ...

    def counters(self, region_code: str) -> dict[str, int]:
        """The region's grievance counters (``grievances.counter_deltas``)."""
        ...


@dataclass(frozen=True)
class CaseQuery:
    """A mahalla's or a district's cases (one status, or all), oldest first."""

    level: str  # mahalla | district
    code: str
    status: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class CasePage:
    items: list[Case]
    cursor: str | None


class CaseRepository(Protocol):
    def add(self, case: Case) -> None:
        """Stores a new case and counts it; Conflict ``case_open`` if the household has an open case."""
        ...

    def get(self, case_id: str) -> Case | None: ...

    def save(self, case: Case, before: Case) -> None:
        """Stores ``case`` if the stored one is still ``before`` (its version), moving the counters; a
        closed case frees its household for a new one. Conflict ``stale_version`` otherwise."""
        ...

    def for_household(self, household_id: str) -> list[Case]: ...

    def list(self, query: CaseQuery) -> CasePage: ...

    def counters(self, region_code: str) -> dict[str, int]: ...


class ApplicationRepository(Protocol):
    def add(self, application: Application) -> None:
        """Stores a new application and, in the same write, its attempt's pending start (the outbox);
        Conflict if the household already filed for that cycle month."""
        ...

    def get(self, application_id: str) -> Application | None: ...

    def save(self, application: Application, expected_version: int, *, start: bool = False) -> None:
        """Stores the application if still at ``expected_version``; with ``start``, the pending start of
        its (new) attempt in the same write."""
        ...

    def pending_starts(self) -> Iterator[PendingStart]:
        """Every attempt whose run is owed and not known to be started, oldest first within a shard."""
        ...

    def started(self, application_id: str, attempt: int) -> None:
        """The attempt's run is started: its pending start is cleared."""
        ...

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

    def exists(self, key: str) -> bool:
        """Has a document been uploaded under ``key``?"""
        ...


class AssignmentRepository(Protocol):
    def add_all(self, assignments: list[Assignment]) -> int:
        """Stores the assignments not stored yet (idempotent on assignment_id); returns how many were new."""
        ...

    def get(self, assignment_id: str) -> Assignment | None: ...

    def for_household(self, household_id: str) -> list[Assignment]: ...

    # Active assignments are stored in this many shards, each one read on its own (the payroll freeze).
    shard_count: int

    def active_in(self, month: str, shard: int | None = None) -> Iterator[Assignment]:
        """Every active assignment that pays in ``month`` (in one shard, 0 <= shard < shard_count, when given)."""
        ...

    def set_status(self, assignment_id: str, status: str, reason: str | None = None) -> None: ...


# ---------------------------------------------------------------- payroll (chalicelib.services.payroll)

class PayrollRepository(Protocol):
    """Payment instructions, payroll runs, payment-file records and the bank messages already handled."""

    def add_instruction(self, instruction: Instruction) -> bool:
        """Stores a new instruction; False (and nothing written) when its id exists already."""
        ...

    def add_instructions(self, instructions: list[Instruction]) -> int:
        """Stores those whose id is new, each conditionally as ``add_instruction``; how many were new."""
        ...

    def get_instruction(self, instruction_id: str) -> Instruction | None: ...

    def move(self, current: Instruction, new: Instruction) -> bool:
        """Replaces ``current`` by ``new`` if the stored status is still ``current.status``; False otherwise."""
        ...

    # A month's instructions are stored in this many shards, each one readable on its own (the books).
    shard_count: int

    def instructions(self, month: str, district_code: str | None = None,
                     shard: int | None = None) -> Iterator[Instruction]:
        """Every instruction of ``month`` (of one district, or one shard, when given), by district, then id."""
        ...

    def mark_for_retry(self, instruction: Instruction) -> None:
        """Remembers a rejected instruction, to be re-paid as arrears once the bank details are corrected."""
        ...

    def mark_back_pay(self, mark: BackPay) -> None:
        """Marks an assignment granted on appeal for the months before it was granted (idempotent)."""
        ...

    def back_pays(self) -> Iterator[BackPay]: ...

    def retries(self) -> Iterator[Instruction]:
        """Every instruction marked for retry (as marked; the caller reads its current status)."""
        ...

    def get_run(self, month: str) -> PayrollRun | None: ...

    def save_run(self, run: PayrollRun) -> bool:
        """Stores ``run`` as version ``run.version + 1`` if the stored one is still at ``run.version`` (absent
        for 0), and bumps ``run.version``; False (nothing stored) when another writer came first."""
        ...

    def runs(self) -> list[PayrollRun]: ...

    def claim_message(self, bank_id: str, msg_id: str, kind: str, at: str) -> bool:
        """Records a bank message as handled; False when it was handled before."""
        ...

    def message_handled(self, bank_id: str, msg_id: str) -> bool: ...

    def claim_signature(self, bank_id: str, signature: str, expires_at: int) -> bool:
        """Records a callback signature; False when the very same signed request came before (a replay)."""
        ...


class BankMessageQueue(Protocol):
    """Signed bank callbacks, acknowledged at once and applied by the queue's consumer (SQS)."""

    def send(self, message: dict[str, str]) -> None: ...


class HouseholdDirectory(Protocol):
    """Households read many at a time (the payroll freeze reads a batch's households in one go)."""

    def get_many(self, household_ids: list[str]) -> dict[str, Household]:
        """The households found among ``household_ids``, by id; missing ones are left out."""
        ...


class FileStore(Protocol):
    """Payroll files (manifests, pre-payrolls, pain.001/002, camt.054) on S3 or a local folder."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def put_path(self, key: str, path: str, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def download_url(self, key: str, expires_in: int) -> str: ...


class DeathRegistry(Protocol):
    """The civil registry's death records (the registry asks before paying anyone)."""

    def deceased(self, pinfls: list[str], month: str) -> set[str]:
        """The PINFLs among ``pinfls`` whose death is registered on or before the end of ``month``."""
        ...


@dataclass(frozen=True)
class FundsAnswer:
    reference: str
    status: str  # accepted, rejected or skipped (no treasury configured: local runs only)


class FundsGateway(Protocol):
    """The Finance Ministry's treasury system (IFMS): the monthly funds request."""

    def request_funds(self, request_id: str, month: str, lines: list[tuple[str, str, int, int]]) -> FundsAnswer:
        """``lines`` are (district_code, programme, count, amount in som); idempotent on request_id."""
        ...


class BankGateway(Protocol):
    def submit(self, bank_code: str, msg_id: str, pain001: bytes) -> bytes:
        """Hands a pain.001 file to the bank; returns its pain.002 status report (the same one for a resubmission)."""
        ...


class PayrollWorkflow(Protocol):
    """The payroll state machine (Step Functions): started by name, resumed by task token."""

    def start(self, name: str, payload: dict[str, object]) -> tuple[str, bool]:
        """(execution arn, True if started now); an existing execution of that name is returned, not restarted."""
        ...

    def execution_arn(self, name: str) -> str:
        """The ARN the execution called ``name`` has (or will have)."""
        ...

    def status(self, execution_arn: str) -> str: ...

    def resume(self, task_token: str, output: dict[str, object]) -> None:
        """Completes a waitForTaskToken step."""
        ...
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
    # False where no state machine is configured (API-only runs and tests): nothing is ever started.
    configured: bool

    def start(self, name: str, payload: dict[str, object]) -> bool:
        """Starts the flow under ``name``; False when a run with that name exists already."""
        ...


class CircuitBreakers(Protocol):
    """One circuit per agency, shared by every execution: after ``failures`` collections in a row found
    an agency down, it is left alone (open) for a while, except one probe per interval."""

    def blocked(self, agencies: Sequence[str], now: float) -> set[str]:
        """The agencies not to ask now: open, with this interval's probe claimed by another caller
        (the caller that claims it asks the agency: the probe)."""
        ...

    def record(self, agency: str, ok: bool, now: float) -> None:
        """The outcome of asking ``agency``: an answer closes its circuit, a failure counts toward opening it."""
        ...


class EvidenceStore(Protocol):
    def put(self, key: str, evidence: CollectedEvidence) -> None: ...

    def get(self, key: str) -> CollectedEvidence: ...

    def put_rounds(self, key: str, rounds: CollectionRounds) -> None:
        """Keeps an attempt's answers between the rounds of a collection that waits for agencies."""
        ...

    def get_rounds(self, key: str) -> CollectionRounds | None: ...


class DecisionRepository(Protocol):
    def add(self, decision: Decision) -> Decision:
        """Stores the decision of an attempt once; returns the stored one (the first, on a retry)."""
        ...

    def latest(self, application_id: str) -> Decision | None: ...

    def get(self, application_id: str, attempt: int) -> Decision | None: ...

    def history(self, application_id: str) -> list[Decision]:
        """Every decision of the application, oldest first (a later one supersedes an earlier)."""
        ...

    def save_approval(self, decision: Decision) -> bool:
        """Stores ``decision.approval`` if the stored decision of that attempt still waits for approval;
        False (nothing written) when it does not."""
        ...


class AppealAnswers(Protocol):
    def answer(self, application: Application, decision: Decision) -> bool:
        """Closes the appeal ``application``'s current attempt answers with ``decision`` (final), and tells
        the family; True when the SMS went out. Idempotent."""
        ...


class BackPayMarks(Protocol):
    def mark_back_pay(self, mark: BackPay) -> None: ...


class AccessLogReader(Protocol):
    def for_application(self, application_id: str) -> list[dict[str, Any]]:
        """The agency queries made for an application, oldest first (ids only)."""
        ...


# ---------------------------------------------------------------- audit trail (chalicelib.services.audit)

@dataclass(frozen=True)
class AuditQuery:
    """Events of one record or one actor, optionally between two times (ISO 8601 prefixes, inclusive)."""

    record_id: str | None = None
    actor: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEvent]
    cursor: str | None


class AuditTrail(Protocol):
    chains: int

    def append(self, entry: AuditEntry) -> AuditEvent:
        """Chains the entry's event once: a retried append of the same event id returns the stored one."""
        ...

    def head(self, chain: str) -> ChainHead: ...

    def events(self, chain: str) -> Iterator[AuditEvent]:
        """The chain's stored events in storage order (sequence 1, 2, ...)."""
        ...

    def find(self, query: AuditQuery) -> AuditPage: ...


class FieldCipher(Protocol):
    """Envelope encryption of single fields (bank account and card numbers)."""

    def seal(self, plain: str, context: str) -> str:
        """The field encrypted, bound to ``context`` (e.g. the household id and field name)."""
        ...

    def reveal(self, sealed: str, context: str) -> str:
        """The clear field; fails when the ciphertext or its context was altered."""
        ...


class BankSecrets(Protocol):
    """Each paying bank's callback secret (Secrets Manager on AWS, the environment locally)."""

    def secret(self, bank_id: str) -> str | None:
        """The bank's HMAC secret, None for a bank with none; ServiceMisconfigured where none can be read."""
        ...


class AgencyCredentials(Protocol):
    """The credentials each agency issued the registry ({agency: {name: value}}), never logged."""

    def credentials(self, agency: str) -> dict[str, str]:
        """The agency's credentials, {} for an agency with none."""
        ...
