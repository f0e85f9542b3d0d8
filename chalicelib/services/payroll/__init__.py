"""The monthly payroll, as use cases: freeze, instructions, pre-payrolls and funds, approval, payment
files, bank messages, books and queries (one module each); ``layout`` says where every file lives,
``domain.payroll`` holds the instruction and run life cycles (``RUN_TRANSITIONS``).

Each step is safe to run again after a crash at any point. At national scale the state machine
(``statemachines/payroll.asl.json``) runs the heavy steps in units: the freeze per assignment shard,
the instructions per manifest part, pre-payrolls and payment files per district, each file to the
bank on its own, the books per instruction shard; the whole-month methods here (``freeze``,
``prepare``, ``write_files``, ``reconcile``) run the same units one after another (tests, the bench).

``PayrollService`` builds the use cases over one set of ports and hands each call to its use case;
the task handlers and the API call it, never a use case's internals.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain import months
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
from chalicelib.services.payroll.approval import Approval
from chalicelib.services.payroll.arrears import Arrears
from chalicelib.services.payroll.bank_messages import BankMessages
from chalicelib.services.payroll.books import Books
from chalicelib.services.payroll.context import PayrollContext
from chalicelib.services.payroll.files import Files
from chalicelib.services.payroll.freeze import Freeze
from chalicelib.services.payroll.instructions import Instructions
from chalicelib.services.payroll.prepayrolls import Prepayrolls
from chalicelib.services.payroll.queries import Queries, run_view

__all__ = ["PayrollContext", "PayrollService", "default_month", "run_view"]


class PayrollService:
    def __init__(self, *, assignments: AssignmentRepository, households: HouseholdRepository,
                 directory: HouseholdDirectory, payroll: PayrollRepository, files: FileStore,
                 deaths: DeathRegistry, funds: FundsGateway, bank: BankGateway, sms: SmsPort,
                 workflow: PayrollWorkflow | None, clock: Clock, settings: Settings, cipher: FieldCipher,
                 bank_queue: BankMessageQueue | None = None, bank_secrets: BankSecrets | None = None) -> None:
        ctx = self.ctx = PayrollContext(
            assignments=assignments, households=households, directory=directory, repo=payroll, files=files,
            deaths=deaths, funds=funds, bank=bank, sms=sms, workflow=workflow, clock=clock, settings=settings,
            cipher=cipher, bank_queue=bank_queue, bank_secrets=bank_secrets)
        self.freezing = Freeze(ctx, Arrears(ctx))
        self.instructions = Instructions(ctx, self.freezing)
        self.prepayrolls = Prepayrolls(ctx, self.freezing)
        self.approval = Approval(ctx)
        self.bank_messages = BankMessages(ctx)
        self.payment_files = Files(ctx, self.freezing, self.bank_messages)
        self.books = Books(ctx, self.payment_files)
        self.queries = Queries(ctx, self.books)
        # The use cases' entry points, by the names the tasks, the API and the tests call.
        f, p, a, b, pf, bk, q = (self.freezing, self.prepayrolls, self.approval, self.bank_messages,
                                 self.payment_files, self.books, self.queries)
        self.start, self.plan_freeze, self.freeze_shard, self.seal_manifest = f.start, f.plan, f.freeze_shard, f.seal
        self.freeze, self.manifest, self.batch = f.freeze, f.manifest, f.batch
        self.write_instructions = self.instructions.write
        self.prepare, self.prepare_district, self.summarize = p.prepare, p.prepare_district, p.summarize
        self.request_funds = p.request_funds
        self.auto_approve, self.await_approval, self.decide = a.auto_approve, a.await_approval, a.decide
        self.write_files, self.write_district_files, self.seal_files = pf.write_files, pf.write_district, pf.seal
        self.reveal_account = pf.reveal_account
        self.file_manifest, self.send_files, self.send_file, self.mark_sent = (
            pf.file_manifest, pf.send_files, pf.send_file, pf.mark_sent)
        self.apply_status_report, self.apply_notification = b.apply_status_report, b.apply_notification
        self.receive_callback, self.apply_queued = b.receive_callback, b.apply_queued
        self.plan_books, self.count_books, self.close_books, self.reconcile = (
            bk.plan, bk.count_shard, bk.close, bk.reconcile)
        self.runs, self.run, self.summary, self.summary_for_system, self.file_links = (
            q.runs, q.run, q.summary, q.summary_for_system, q.file_links)
        self.unapproved_districts = q.unapproved_districts

    # The ports, read and replaced through the context every use case shares (tests swap the bank).
    def __getattr__(self, name: str) -> Any:
        if name in PayrollContext.__dataclass_fields__:
            return getattr(self.__dict__["ctx"], name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in PayrollContext.__dataclass_fields__ and "ctx" in self.__dict__:
            setattr(self.ctx, name, value)
        else:
            super().__setattr__(name, value)


def default_month(now: datetime) -> str:
    """The month a scheduled run on the 1st pays: the current month (Tashkent time is UTC+5)."""
    return months.of((now + timedelta(hours=5)).date())
