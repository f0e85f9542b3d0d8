"""In-memory ports for the payroll service (unit and stateful tests): no AWS, no mocks.

``FaultPlan`` lets a test make any side effect crash right after it happened (the write is kept,
then an exception is raised), to show that running the step again repairs everything.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from chalicelib.adapters.dynamodb import _shard as assignment_shard
from chalicelib.adapters.payroll import RUN_SHARDS, HouseholdsByGet
from chalicelib.adapters.payroll import _shard as instruction_shard
from chalicelib.config import Settings
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.payroll import BackPay, Instruction, PayrollRun
from chalicelib.ports import FundsAnswer
from chalicelib.services.payroll import PayrollService
from devstack import payroll_population as pop
from devstack.bank.simulator import BankSimulator
from tests.fakes import FakeHouseholds, FixedClock, fake_cipher, sealed


class Crash(Exception):
    """A simulated crash right after a side effect."""


@dataclass
class FaultPlan:
    """Crash after the ``after``-th side effect (counted across every fake sharing the plan)."""

    after: int | None = None
    count: int = 0

    def tick(self) -> None:
        self.count += 1
        if self.after is not None and self.count >= self.after:
            self.after = None
            raise Crash(f"crash after side effect {self.count}")


@dataclass
class FakeAssignments:
    items: dict[str, Assignment] = field(default_factory=dict)
    shard_count: int = 4

    def add_all(self, assignments: list[Assignment]) -> int:
        new = [a for a in assignments if a.assignment_id not in self.items]
        for a in new:
            self.items[a.assignment_id] = a
        return len(new)

    def get(self, assignment_id: str) -> Assignment | None:
        return self.items.get(assignment_id)

    def for_household(self, household_id: str) -> list[Assignment]:
        return [a for a in self.items.values() if a.household_id == household_id]

    def active_in(self, month: str, shard: int | None = None) -> Iterator[Assignment]:
        for a in sorted(self.items.values(), key=lambda a: a.assignment_id):
            if a.pays_in(month) and shard in (None, int(assignment_shard(a.assignment_id)) % self.shard_count):
                yield a

    def set_status(self, assignment_id: str, status: str, reason: str | None = None) -> None:
        from dataclasses import replace

        self.items[assignment_id] = replace(self.items[assignment_id], status=status, suspended_reason=reason)


@dataclass
class FakePayrollRepo:
    faults: FaultPlan = field(default_factory=FaultPlan)
    items: dict[str, Instruction] = field(default_factory=dict)
    run_items: dict[str, PayrollRun] = field(default_factory=dict)
    messages: set[tuple[str, str]] = field(default_factory=set)
    signatures: set[tuple[str, str]] = field(default_factory=set)
    retry_marks: dict[str, Instruction] = field(default_factory=dict)
    back_pay_marks: dict[str, BackPay] = field(default_factory=dict)
    adds: int = 0  # conditional writes attempted
    shard_count: int = RUN_SHARDS

    def add_instruction(self, instruction: Instruction) -> bool:
        self.adds += 1
        if instruction.instruction_id in self.items:
            return False
        self.items[instruction.instruction_id] = instruction
        self.faults.tick()
        return True

    def add_instructions(self, instructions: list[Instruction]) -> int:
        return sum(self.add_instruction(i) for i in instructions)

    def get_instruction(self, instruction_id: str) -> Instruction | None:
        return self.items.get(instruction_id)

    def mark_for_retry(self, instruction: Instruction) -> None:
        self.retry_marks[instruction.instruction_id] = instruction
        self.faults.tick()

    def retries(self) -> Iterator[Instruction]:
        yield from list(self.retry_marks.values())

    def mark_back_pay(self, mark: BackPay) -> None:
        self.back_pay_marks[mark.assignment_id] = mark

    def back_pays(self) -> Iterator[BackPay]:
        yield from list(self.back_pay_marks.values())

    def move(self, current: Instruction, new: Instruction) -> bool:
        stored = self.items.get(current.instruction_id)
        if stored is None or stored.status != current.status:
            return False
        self.items[current.instruction_id] = new
        self.faults.tick()
        return True

    def instructions(self, month: str, district_code: str | None = None,
                     shard: int | None = None) -> Iterator[Instruction]:
        found = [i for i in self.items.values()
                 if i.line.month == month and district_code in (None, i.line.district_code)
                 and shard in (None, int(instruction_shard(i.instruction_id)))]
        yield from sorted(found, key=lambda i: (i.line.district_code, i.instruction_id))

    def get_run(self, month: str) -> PayrollRun | None:
        run = self.run_items.get(month)
        return copy.deepcopy(run) if run is not None else None

    def save_run(self, run: PayrollRun) -> bool:
        stored = self.run_items.get(run.month)
        if (stored.version if stored else 0) != run.version:
            return False
        run.version += 1
        self.run_items[run.month] = copy.deepcopy(run)
        self.faults.tick()
        return True

    def runs(self) -> list[PayrollRun]:
        return [copy.deepcopy(r) for r in self.run_items.values()]

    def claim_message(self, bank_id: str, msg_id: str, kind: str, at: str) -> bool:
        if (bank_id, msg_id) in self.messages:
            return False
        self.messages.add((bank_id, msg_id))
        self.faults.tick()
        return True

    def message_handled(self, bank_id: str, msg_id: str) -> bool:
        return (bank_id, msg_id) in self.messages

    def claim_signature(self, bank_id: str, signature: str, expires_at: int) -> bool:
        if (bank_id, signature) in self.signatures:
            return False
        self.signatures.add((bank_id, signature))
        return True


@dataclass
class FakeFiles:
    faults: FaultPlan = field(default_factory=FaultPlan)
    objects: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data
        self.faults.tick()

    def put_path(self, key: str, path: str, content_type: str) -> None:
        with open(path, "rb") as f:
            self.put(key, f.read(), content_type)

    def get(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def download_url(self, key: str, expires_in: int) -> str:
        return f"https://files.example/{key}?expires={expires_in}"


@dataclass
class FakeFunds:
    calls: list[tuple[str, int]] = field(default_factory=list)

    def request_funds(self, request_id: str, month: str, lines: list[tuple[str, str, int, int]]) -> FundsAnswer:
        self.calls.append((request_id, sum(a for *_, a in lines)))
        return FundsAnswer(reference=f"REF-{request_id}", status="accepted")


@dataclass
class FakeDeaths:
    pinfls: set[str] = field(default_factory=set)

    def deceased(self, pinfls: list[str], month: str) -> set[str]:
        return {p for p in pinfls if p in self.pinfls}


@dataclass
class FakeSms:
    sent: dict[str, tuple[str, str, str, dict[str, object]]] = field(default_factory=dict)
    attempts: int = 0

    def send(self, key: str, phone: str, language: str, template: str, params: dict[str, object]) -> bool:
        self.attempts += 1
        if key in self.sent:
            return False
        self.sent[key] = (phone, language, template, params)
        return True


@dataclass
class FakePayrollWorkflow:
    executions: dict[str, dict[str, object]] = field(default_factory=dict)
    resumed: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def execution_arn(self, name: str) -> str:
        return f"arn:aws:states:us-east-1:123456789012:execution:spsr-local-payroll:{name}"

    def start(self, name: str, payload: dict[str, object]) -> tuple[str, bool]:
        arn = self.execution_arn(name)
        if name in self.executions:
            return arn, False
        self.executions[name] = payload
        return arn, True

    def status(self, execution_arn: str) -> str:
        return "RUNNING"

    def resume(self, task_token: str, output: dict[str, object]) -> None:
        self.resumed.append((task_token, output))


class InProcessBank:
    """The bank simulator behind the BankGateway port, optionally crashing after it took a file."""

    def __init__(self, simulator: BankSimulator, faults: FaultPlan | None = None) -> None:
        self.simulator = simulator
        self.faults = faults or FaultPlan()

    def submit(self, bank_code: str, msg_id: str, pain001: bytes) -> bytes:
        report: bytes = self.simulator.receive(pain001)
        self.faults.tick()
        return report


@dataclass
class FakeWorld:
    """The payroll service on fakes, with a population of ``n`` synthetic beneficiaries."""

    service: PayrollService
    assignments: FakeAssignments
    households: FakeHouseholds
    repo: FakePayrollRepo
    files: FakeFiles
    bank: BankSimulator
    sms: FakeSms
    deaths: FakeDeaths
    workflow: FakePayrollWorkflow
    faults: FaultPlan


def fake_world(n: int = 40, month: str = "2026-12", *, batch_size: int = 16, max_tx: int = 15,
               auto_approve: bool = True, reject_rate: float = 0.0, return_rate: float = 0.0) -> FakeWorld:
    faults = FaultPlan()
    households, cipher = FakeHouseholds(), fake_cipher()
    hh, asg = pop.build(n, month)
    households.items = {h.household_id: sealed(h, cipher) for h in hh}
    assignments = FakeAssignments({a.assignment_id: a for a in asg})
    repo, files, sms, deaths, workflow = (FakePayrollRepo(faults), FakeFiles(faults), FakeSms(), FakeDeaths(),
                                          FakePayrollWorkflow())
    clock = FixedClock()
    simulator = BankSimulator(reject_rate=reject_rate, return_rate=return_rate,
                              clock=lambda: clock.now().timestamp())
    service = PayrollService(
        assignments=assignments, households=households, directory=HouseholdsByGet(households), payroll=repo,
        files=files, deaths=deaths, funds=FakeFunds(), bank=InProcessBank(simulator, faults), sms=sms,
        workflow=workflow, clock=clock,
        settings=Settings(payroll_batch_size=batch_size, pain001_max_transactions=max_tx,
                          payroll_auto_approve=auto_approve), cipher=cipher)
    return FakeWorld(service, assignments, households, repo, files, simulator, sms, deaths, workflow, faults)


def run_until_sent(world: FakeWorld, month: str = "2026-12") -> None:
    """Freeze, instruct, prepare, request funds, auto-approve, write and send the files."""
    svc = world.service
    out = svc.freeze(month)
    for item in json.loads(world.files.objects[out["batches_key"]]):
        svc.write_instructions(item["key"])
    svc.prepare(month)
    svc.request_funds(month)
    svc.auto_approve(month)
    svc.write_files(month)
    svc.send_files(month)
