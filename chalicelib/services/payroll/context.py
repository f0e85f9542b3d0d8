"""What every payroll use case shares: the ports, the settings, the run record and who may do what."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import access
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.payroll import PayrollRun, execution_name
from chalicelib.ports import (
    AssignmentRepository,
    BankGateway,
    BankMessageQueue,
    BankSecrets,
    Clock,
    DeathRegistry,
    FieldCipher,
    FileStore,
    FundsGateway,
    HouseholdDirectory,
    HouseholdRepository,
    PayrollRepository,
    PayrollWorkflow,
    SmsPort,
)

# Who may do what with payroll runs is in the access table (``domain/access.py``, ``payroll.*``):
# ``payroll_officer`` is the ministry's finance department (national scope); ministry analysts read the
# aggregates; district admins approve their district.


@dataclass
class PayrollContext:
    assignments: AssignmentRepository
    households: HouseholdRepository
    directory: HouseholdDirectory
    repo: PayrollRepository
    files: FileStore
    deaths: DeathRegistry
    funds: FundsGateway
    bank: BankGateway
    sms: SmsPort
    workflow: PayrollWorkflow | None
    clock: Clock
    settings: Settings
    # Opens the sealed account numbers: for the payment-file writer only (``Files.reveal_account``).
    cipher: FieldCipher
    bank_queue: BankMessageQueue | None = None
    # Secrets Manager on AWS (bootstrap); without one, SPSR_BANK_CALLBACK_SECRETS (local runs, tests).
    bank_secrets: BankSecrets | None = None

    def now(self) -> str:
        return self.clock.now().astimezone(UTC).isoformat(timespec="seconds")

    def update(self, month: str, change: Callable[[PayrollRun], None], create: bool = False) -> PayrollRun:
        """Read, change, store the run, conditional on the version read; again from a fresh read if another
        writer (a district's decision, the approval token, a task) came in between."""
        for _ in range(20):
            run = self.repo.get_run(month)
            if run is None:
                if not create:
                    raise NotFound(f"no payroll run for {month}", code="not_found")
                run = PayrollRun(month=month, execution_name=execution_name(month), started_at=self.now())
            change(run)
            run.updated_at = self.now()
            if self.repo.save_run(run):
                return run
        raise Conflict(f"payroll {month} is changing too fast; try again", code="stale_version")

    def run(self, month: str) -> PayrollRun:
        check_month(month)
        run = self.repo.get_run(month)
        if run is None:
            raise NotFound(f"no payroll run for {month}", code="not_found")
        return run

    def get_json(self, key: str) -> Any:
        raw = self.files.get(key)
        return json.loads(raw) if raw is not None else None

    def put_json(self, key: str, data: Any, indent: int | None = None) -> None:
        self.files.put(key, json.dumps(data, indent=indent).encode(), "application/json")


def sees(principal: Principal, district: str, region: str, action: Action = access.PAYROLL_READ) -> bool:
    return access.permits(principal, action, Target(region=region, district=district))


def require(principal: Principal, action: Action) -> None:
    authorize(principal, action)


def check_month(month: str) -> None:
    ok = len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit() \
        and 1 <= int(month[5:]) <= 12
    if not ok:
        raise ValidationFailed("month is YYYY-MM", field="month", code="invalid_format")
