"""A small payroll world on moto for integration and API tests: seeded households and assignments,
the local bank and treasury on loopback, the payroll state machine deployed through the Lambda bridge."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from app import app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoAssignmentRepository, DynamoHouseholdRepository
from chalicelib.config import Settings
from chalicelib.domain.households import ChangeRecord
from devstack import lambda_bridge, moto_patches
from devstack import payroll_population as pop
from devstack.bank.server import BankServer
from devstack.bank.simulator import BankSimulator
from devstack.ifms.server import IfmsServer

ASL = Path(__file__).resolve().parents[1] / "statemachines" / "payroll.asl.json"
MONTH = "2026-12"


@dataclass
class World:
    settings: Settings
    bank: BankServer
    ifms: IfmsServer
    sfn: Any
    state_machine_arn: str
    queue_url: str
    households: int

    def wait(self, execution_arn: str, timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.05)
        raise AssertionError("the payroll execution did not finish")


def seed(settings: Settings, n: int, month: str) -> None:
    db = boto3.client("dynamodb", region_name=settings.region)
    households, assignments = pop.build(n, month, districts=3)
    changes = [ChangeRecord(household_id=h.household_id, version=1, at="2026-11-01T00:00:00+00:00",
                            actor_id="seed", actor_role="system", action="register", target="household")
               for h in households]
    repo = DynamoHouseholdRepository(db, settings.registry_table, bootstrap.field_cipher(settings))
    repo.put_seed(households, changes)
    DynamoAssignmentRepository(db, settings.assignments_table).add_all(assignments)


@pytest.fixture(name="world")
def payroll_world(aws: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    bank = BankServer(BankSimulator(clock=time.time)).start()
    ifms = IfmsServer().start()
    sqs = boto3.client("sqs", region_name=aws.region)
    queue_url = sqs.create_queue(QueueName="spsr-payroll-approvals")["QueueUrl"]
    sfn = boto3.client("stepfunctions", region_name=aws.region)
    lambda_bridge.install(app)
    # The Map states run steps in threads; each appends its audit event in a transaction, which moto's
    # own TransactWriteItems (a deep copy of the tables) cannot take beside concurrent writes.
    moto_patches.install()
    arn = lambda_bridge.deploy_state_machine(sfn, "spsr-local-payroll", ASL, app, {
        "PayrollBucket": aws.payroll_bucket, "PayrollApprovalQueueUrl": queue_url})
    for var, value in {"SPSR_PAYROLL_STATE_MACHINE_ARN": arn, "SPSR_BANK_URL": bank.url, "SPSR_IFMS_URL": ifms.url,
                       "SPSR_PAYROLL_AUTO_APPROVE": "true", "SPSR_PAYROLL_BANK_WAIT_SECONDS": "0",
                       "SPSR_PAYROLL_RECONCILE_ROUNDS": "1", "SPSR_PAYROLL_APPROVAL_QUEUE_URL": queue_url,
                       "SPSR_PAYROLL_BATCH_SIZE": "20", "SPSR_PAIN001_MAX_TRANSACTIONS": "25"}.items():
        monkeypatch.setenv(var, value)
    bootstrap.reset()
    settings = Settings.from_env()
    seed(settings, 60, MONTH)
    try:
        yield World(settings, bank, ifms, sfn, arn, queue_url, 60)
    finally:
        moto_patches.uninstall()
        lambda_bridge.uninstall()
        bank.stop()
        ifms.stop()
        bootstrap.reset()


def callback_via(client: Any) -> Any:
    """A bank ``send`` that posts a signed callback through chalice.test.Client; returns the status."""

    def send(headers: dict[str, str], body: bytes) -> int:
        return int(client.http.post("/bank/callbacks", headers=headers, body=body).status_code)

    return send


def loads(body: Any) -> Any:
    return json.loads(body) if isinstance(body, str | bytes) else body
