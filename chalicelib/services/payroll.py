"""The monthly payroll: freeze, instruct, pre-payrolls, funds, approval, payment files, bank, books.

Each step is one method, called by a Step Functions task (``chalicelib/tasks/payroll.py``) or by the
API, and each is safe to run again after a crash at any point:

- ``freeze``: the month's active assignments become a manifest on the file store, one CSV object
  per batch of lines (households read a batch at a time) plus the list of batch keys (what the
  Distributed Map reads). A manifest, once complete, is never rebuilt: a re-run reuses it.
  Beneficiaries the civil registry reports dead are left out and their assignments suspended;
  lines without a bank account on record are listed in the manifest (``without_account``).
- ``write_instructions``: one instruction per (beneficiary, programme, month), conditional writes.
- ``prepare``: a pre-payroll CSV per district (lines per programme, totals per programme and
  district) and a national summary; checks that every manifest line has its instruction.
- ``request_funds``: the treasury (IFMS) funds request, idempotent on the month's request id.
- ``decide`` / ``auto_approve`` / ``await_approval``: district administrations approve or reject
  their district's pre-payroll; a rejected district's instructions are held, not paid.
- ``write_files``: pain.001 per bank, split at a count of transactions, validated against the XSD,
  with a SHA-256 manifest. Deterministic: a re-run produces the same files and MsgIds.
- ``send_file`` (one per inline Map child) / ``mark_sent``: each file goes to the bank, whose
  pain.002 is applied. The bank sees a resubmitted MsgId as the same file.
- ``apply_status_report`` / ``apply_notification``: pain.002 and camt.054 move instructions forward
  only (``domain.payroll.advance``); a message id handled before changes nothing.
- ``reconcile``: the books per run, district and programme: sent = paid + rejected + returned + pending.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

from chalicelib import iso20022
from chalicelib.config import Settings
from chalicelib.domain import access, months
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.households import Household, bank_context, mask_number, sealed_ciphertext
from chalicelib.domain.payroll import (
    LINE_FIELDS,
    DistrictState,
    Instruction,
    PaymentLine,
    PayrollRun,
    Totals,
    execution_name,
    instruction_id,
    reconcile,
)
from chalicelib.domain.signatures import verify
from chalicelib.ports import (
    AssignmentRepository,
    BankGateway,
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

CSV_HEADER = ("instruction_id", "programme", "mahalla_code", "beneficiary_person_id", "household_id",
              "amount_som", "lump_sum_som", "bank_code", "account")


def prefix(month: str) -> str:
    return f"payroll/{month}"


@dataclass(frozen=True)
class Beneficiary:
    """What a manifest line needs from the household record."""

    pinfl: str
    name: str
    bank_code: str
    account_kind: str
    account_number: str


class PayrollService:
    def __init__(self, *, assignments: AssignmentRepository, households: HouseholdRepository,
                 directory: HouseholdDirectory, payroll: PayrollRepository, files: FileStore,
                 deaths: DeathRegistry, funds: FundsGateway, bank: BankGateway, sms: SmsPort,
                 workflow: PayrollWorkflow | None, clock: Clock, settings: Settings,
                 cipher: FieldCipher, bank_secrets: BankSecrets | None = None) -> None:
        self.assignments = assignments
        self.households = households
        self.directory = directory
        self.repo = payroll
        self.files = files
        self.deaths = deaths
        self.funds = funds
        self.bank = bank
        self.sms = sms
        self.workflow = workflow
        self.clock = clock
        self.settings = settings
        self.cipher = cipher  # opens the sealed account numbers, for the payment-file writer only
        # Secrets Manager on AWS (bootstrap); without one, SPSR_BANK_CALLBACK_SECRETS (local runs, tests).
        self.bank_secrets = bank_secrets

    # ------------------------------------------------------------------ start

    def start(self, principal: Principal | None, month: str) -> PayrollRun:
        """Starts the month's run, or returns the one already started: one execution per month, by name."""
        if principal is not None:  # None: the monthly schedule
            authorize(principal, access.PAYROLL_START)
        _check_month(month)
        if self.workflow is None:
            raise Conflict("no payroll state machine is configured", code="payroll_unavailable")
        name = execution_name(month)
        arn = self.workflow.execution_arn(name)

        def record(run: PayrollRun) -> None:
            run.execution_arn = run.execution_arn or arn

        # Recorded before the execution starts: its first task reads and updates this record.
        run = self._update(month, record, create=True)
        self.workflow.start(name, {"month": month})
        return run

    # ------------------------------------------------------------------ freeze

    def freeze(self, month: str) -> dict[str, Any]:
        _check_month(month)
        base = prefix(month)
        existing = self.files.get(f"{base}/manifest/manifest.json")
        if existing is not None:  # a complete manifest is frozen for good
            return self._record_freeze(json.loads(existing))
        size = self.settings.payroll_batch_size
        # Each attempt writes its batches under its own prefix, which the state machine's Map lists; a
        # crashed attempt's objects are never listed, so a re-run never mixes two attempts.
        batches_prefix = f"{base}/manifest/batches/{self.clock.now().strftime('%Y%m%dT%H%M%S%f')}/"
        batch_keys: list[dict[str, str]] = []
        per_district: dict[str, list[int]] = {}
        regions: dict[str, str] = {}
        lines_total = amount_total = suspended = 0
        without_account: list[str] = []
        due: list[tuple[Assignment, int]] = []

        def flush() -> None:
            nonlocal lines_total, amount_total, suspended
            if not due:
                return
            # One batched read of the batch's households (BatchGetItem on AWS), not one read per line.
            found = self.directory.get_many(sorted({a.household_id for a, _ in due}))
            pending: list[tuple[PaymentLine, str]] = []
            for assignment, amount in due:
                who = _beneficiary(found.get(assignment.household_id), assignment.beneficiary_person_id)
                if who is None:  # nobody lost: listed in the manifest, paid once an account is on record
                    without_account.append(assignment.assignment_id)
                    continue
                a = assignment
                pending.append((PaymentLine(  # positional, in field order: millions of these
                    instruction_id(a.beneficiary_person_id, a.programme, month), month, a.assignment_id,
                    a.household_id, a.beneficiary_person_id, a.programme, amount,
                    a.lump_sum if month == a.first_month else 0, a.region_code, a.district_code, a.mahalla_code,
                    who.bank_code, who.account_kind, who.account_number, who.name), who.pinfl))
            due.clear()
            dead = self.deaths.deceased(sorted({p for _, p in pending}), month) if pending else set()
            kept = []
            for line, pinfl in pending:
                if pinfl in dead:
                    self.assignments.set_status(line.assignment_id, "suspended", "beneficiary_deceased")
                    suspended += 1
                    continue
                kept.append(line)
            if not kept:
                return
            key = f"{batches_prefix}batch-{len(batch_keys) + 1:05d}.csv"
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(LINE_FIELDS)
            writer.writerows(line.as_row() for line in kept)
            self.files.put(key, buf.getvalue().encode(), "text/csv")
            batch_keys.append({"key": key})
            for line in kept:
                counts = per_district.setdefault(line.district_code, [0, 0])
                counts[0] += 1
                counts[1] += line.amount
                regions[line.district_code] = line.region_code
                lines_total += 1
                amount_total += line.amount

        for assignment in self.assignments.active_in(month):
            amount = assignment.amount_for(month)
            if amount > 0:
                due.append((assignment, amount))
            if len(due) >= size:
                flush()
        flush()
        manifest = {
            "month": month, "frozen_at": self._now(), "bucket_prefix": base,
            "batches_key": f"{base}/manifest/batches.json", "batches_prefix": batches_prefix,
            "batch_count": len(batch_keys), "lines": lines_total, "amount": amount_total, "suspended": suspended,
            "without_account": sorted(without_account),
            "districts": {d: {"region_code": regions[d], "count": c, "amount": a}
                          for d, (c, a) in sorted(per_district.items())},
        }
        self.files.put(f"{base}/manifest/batches.json", json.dumps(batch_keys).encode(), "application/json")
        # Written last: its presence says the manifest is complete.
        self.files.put(f"{base}/manifest/manifest.json", json.dumps(manifest).encode(), "application/json")
        return self._record_freeze(manifest)

    def _record_freeze(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """The run records the frozen manifest (again after a crash between the manifest and the record)."""

        def frozen(run: PayrollRun) -> None:
            if run.status == "started":
                run.status = "frozen"
            run.lines, run.amount = manifest["lines"], manifest["amount"]
            run.suspended, run.without_account = manifest["suspended"], len(manifest["without_account"])

        self._update(manifest["month"], frozen, create=True)
        return _freeze_output(manifest)

    def manifest(self, month: str) -> dict[str, Any]:
        raw = self.files.get(f"{prefix(month)}/manifest/manifest.json")
        if raw is None:
            raise NotFound(f"payroll {month} is not frozen", code="not_found")
        data: dict[str, Any] = json.loads(raw)
        return data

    def batch(self, key: str) -> Iterator[PaymentLine]:
        raw = self.files.get(key)
        if raw is None:
            raise NotFound(f"manifest batch {key} not found", code="not_found")
        rows = csv.reader(io.StringIO(raw.decode()))
        if next(rows, None) != list(LINE_FIELDS):
            raise Conflict(f"manifest batch {key} has an unexpected header", code="manifest_format")
        for row in rows:
            yield PaymentLine.from_row(row)

    # ------------------------------------------------------------------ instructions

    def write_instructions(self, key: str) -> dict[str, int]:
        written = existing = 0
        at = self._now()
        for line in self.batch(key):
            if self.repo.add_instruction(Instruction(line=line, updated_at=at)):
                written += 1
            else:
                existing += 1
        return {"written": written, "existing": existing}

    # ------------------------------------------------------------------ pre-payrolls and funds

    def prepare(self, month: str) -> dict[str, Any]:
        manifest = self.manifest(month)
        self._run(month)
        base = prefix(month)
        states: dict[str, tuple[int, int, dict[str, list[int]]]] = {}
        summary_rows: list[tuple[str, str, int, int]] = []
        found: dict[str, tuple[int, int]] = {}
        # One pass over the month in district order: one district's lines in memory at a time.
        for district, group in groupby(self.repo.instructions(month), key=lambda i: i.line.district_code):
            by_programme: dict[str, list[Instruction]] = defaultdict(list)
            for ins in group:
                by_programme[ins.line.programme].append(ins)
            self.files.put(f"{base}/prepayroll/{district}.csv", _prepayroll_csv(month, district, by_programme),
                           "text/csv")
            programmes = {p: [len(items), sum(i.line.amount for i in items)]
                          for p, items in sorted(by_programme.items())}
            summary_rows += [(district, p, c, a) for p, (c, a) in programmes.items()]
            found[district] = (sum(c for c, _ in programmes.values()), sum(a for _, a in programmes.values()))
            states[district] = (found[district][0], found[district][1], programmes)
        expected = {d: (v["count"], v["amount"]) for d, v in manifest["districts"].items()}
        if found != expected:
            # Nobody lost: the Map wrote fewer (or other) instructions than the frozen manifest holds.
            missing = sorted(d for d in expected if found.get(d) != expected[d])
            raise Conflict(f"instructions differ from the manifest in {len(missing)} districts "
                           f"(first {missing[:1]})", code="instructions_incomplete")
        self.files.put(f"{base}/prepayroll/summary.csv", _summary_csv(month, summary_rows), "text/csv")

        def prepared(run: PayrollRun) -> None:
            for district, (count, amount, programmes) in states.items():
                state = run.districts.get(district) or DistrictState(
                    region_code=manifest["districts"][district]["region_code"])
                state.count, state.amount, state.programmes = count, amount, programmes
                run.districts[district] = state  # a decision already made is kept
            run.status = "instructed" if run.status in ("started", "frozen") else run.status

        self._update(month, prepared)
        return {"districts": len(states), "lines": manifest["lines"], "amount": manifest["amount"]}

    def request_funds(self, month: str) -> dict[str, Any]:
        run = self._run(month)
        lines = [(district, p, c, a) for district, d in sorted(run.districts.items())
                 for p, (c, a) in sorted(d.programmes.items())]
        answer = self.funds.request_funds(f"FR-{month}", month, lines)

        def requested(run: PayrollRun) -> None:
            run.funds_reference, run.funds_status = answer.reference, answer.status
            run.status = "awaiting_approval" if run.status == "instructed" else run.status

        self._update(month, requested)
        return {"reference": answer.reference, "status": answer.status,
                "auto_approve": self.settings.payroll_auto_approve}

    # ------------------------------------------------------------------ approval

    def auto_approve(self, month: str) -> dict[str, Any]:
        def approve_all(run: PayrollRun) -> None:
            for code in run.undecided():
                d = run.districts[code]
                d.decision, d.decided_by, d.decided_at = "approved", "system:auto-approve", self._now()
            run.status = "approved"

        run = self._update(month, approve_all)
        return {"approved": sum(1 for d in run.districts.values() if d.decision == "approved")}

    def await_approval(self, month: str, task_token: str) -> dict[str, Any]:
        """Keeps the task token of the approval step; resumes at once if every district is decided."""
        def keep(run: PayrollRun) -> None:
            run.approval_token = task_token

        run = self._update(month, keep)
        if not run.undecided():
            self._resume(run)
        return {"undecided": run.undecided()}

    def decide(self, principal: Principal, month: str, district: str, approve: bool,
               reason: str | None = None) -> PayrollRun:
        authorize(principal, access.PAYROLL_APPROVE_DISTRICT, Target.area("district", district), "the district")
        run = self._run(month)
        state = run.districts.get(district)
        if state is None:
            raise NotFound(f"district {district} has no pre-payroll in {month}", code="not_found")
        decision = "approved" if approve else "rejected"
        if state.decision == "pending" and run.status not in ("instructed", "awaiting_approval"):
            raise Conflict(f"payroll {month} is not awaiting approval", code="invalid_transition")

        def decided(current: PayrollRun) -> None:
            state = current.districts[district]
            if state.decision not in ("pending", decision):
                raise Conflict(f"the pre-payroll of district {district} is already {state.decision}",
                               field="decision", code="already_decided")
            if state.decision == "pending":
                state.decision, state.decided_by, state.decided_at, state.reason = (
                    decision, principal.subject, self._now(), reason)
            if not current.undecided():
                current.status = "approved"

        # The decision first (conditional on the run's version), then its effect: a rejection holds the
        # district's payments. Deciding the same again repeats the holds, repairing an interrupted one;
        # the payment files take approved districts only, so nothing of a rejected one is ever sent.
        run = self._update(month, decided)
        if not approve:
            for ins in self.repo.instructions(month, district):
                moved = ins.moved("hold", reason="prepayroll_rejected", at=self._now())
                if moved is not None:
                    self.repo.move(ins, moved)
        if not run.undecided() and run.approval_token:
            self._resume(run)
        return run

    def _resume(self, run: PayrollRun) -> None:
        if self.workflow is not None and run.approval_token:
            self.workflow.resume(run.approval_token, {"month": run.month, "approved": sorted(
                c for c, d in run.districts.items() if d.decision == "approved")})

    # ------------------------------------------------------------------ payment files

    def write_files(self, month: str) -> dict[str, Any]:
        base = prefix(month)
        existing = self.files.get(f"{base}/pain001/manifest.json")
        if existing is not None:  # files are immutable once their manifest exists
            done = json.loads(existing)["files"]
            return {"files": len(done), "msg_ids": [r["msg_id"] for r in done]}
        run = self._run(month)
        if run.undecided():
            raise Conflict(f"payroll {month} still awaits approval of {len(run.undecided())} districts",
                           code="awaiting_approval")
        approved = {c for c, d in run.districts.items() if d.decision == "approved"}
        debtor = iso20022.Debtor(self.settings.payroll_debtor_name, self.settings.payroll_debtor_account,
                                 self.settings.payroll_debtor_agent)
        created = self.clock.now().astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()
        execution_date = months.first_day(month).replace(day=self.settings.payroll_execution_day).isoformat()
        max_tx = self.settings.pain001_max_transactions
        by_bank: dict[str, list[PaymentLine]] = defaultdict(list)
        seq: dict[str, int] = defaultdict(int)
        pending: list[Future[dict[str, Any]]] = []
        # One file is validated and stored while the next is written: lxml leaves the GIL while it
        # parses and validates, so a second core (or vCPU) does that part.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pain001") as finisher:

            def emit(bank: str, chunk: list[PaymentLine]) -> None:
                seq[bank] += 1
                pending.append(self._write_file(finisher, month, bank, seq[bank], chunk, debtor, created,
                                                execution_date))

            for ins in self.repo.instructions(month):  # district by district, then by id: deterministic files
                if ins.line.district_code not in approved or ins.status == "held":
                    continue
                by_bank[ins.line.bank_code].append(ins.line)
                if len(by_bank[ins.line.bank_code]) >= max_tx:
                    emit(ins.line.bank_code, by_bank.pop(ins.line.bank_code))
            for bank in sorted(by_bank):
                emit(bank, by_bank[bank])
            records = [f.result() for f in pending]  # the first invalid file stops the step here
        manifest = {"month": month, "created_at": created, "files": records}
        self.files.put(f"{base}/pain001/manifest.json", json.dumps(manifest, indent=1).encode(), "application/json")

        def written(current: PayrollRun) -> None:
            current.files = [{k: r[k] for k in ("msg_id", "bank_code", "count", "control_sum", "key", "sha256")}
                             for r in records]
            current.status = "files_written"

        self._update(month, written)
        return {"files": len(records), "msg_ids": [r["msg_id"] for r in records]}

    def reveal_account(self, line: PaymentLine) -> str:
        return self.cipher.reveal(sealed_ciphertext(line.account_number), bank_context(line.household_id))

    def _write_file(self, finisher: ThreadPoolExecutor, month: str, bank: str, seq: int, chunk: list[PaymentLine],
                    debtor: iso20022.Debtor, created: str, execution_date: str) -> Future[dict[str, Any]]:
        msg = iso20022.msg_id(month, bank, seq)
        key = f"{prefix(month)}/pain001/{msg}.xml"
        fd, path = tempfile.mkstemp(suffix=".xml")
        try:
            with os.fdopen(fd, "wb") as out:
                info = iso20022.write_pain001(out, chunk, msg=msg, created_at=created,
                                              execution_date=execution_date, debtor=debtor,
                                              reveal=self.reveal_account)
        except BaseException:
            os.unlink(path)
            raise
        record = self._file_record(msg, key, bank, info, chunk)

        def finish() -> dict[str, Any]:
            try:
                iso20022.validate_pain001(path)  # never send a file the schema refuses
                self.files.put_path(key, path, "application/xml")
            finally:
                os.unlink(path)
            return record

        return finisher.submit(finish)

    @staticmethod
    def _file_record(msg: str, key: str, bank: str, info: iso20022.FileInfo,
                     chunk: list[PaymentLine]) -> dict[str, Any]:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for line in chunk:
            t = totals[f"{line.district_code}|{line.programme}"]
            t[0] += 1
            t[1] += line.amount
        return {"msg_id": msg, "pmt_inf_id": info.pmt_inf_id, "bank_code": bank, "count": info.count,
                "control_sum": info.control_sum, "sha256": info.sha256, "size": info.size, "key": key,
                "totals": {k: v for k, v in sorted(totals.items())}}

    def file_manifest(self, month: str) -> dict[str, Any]:
        raw = self.files.get(f"{prefix(month)}/pain001/manifest.json")
        return json.loads(raw) if raw is not None else {"month": month, "files": []}

    # ------------------------------------------------------------------ bank

    def send_files(self, month: str) -> dict[str, Any]:
        """Every payment file to the bank (the state machine sends them one per Map child instead)."""
        sent = sum(self.send_file(month, record["msg_id"])["sent"] for record in self.file_manifest(month)["files"])
        self.mark_sent(month)
        return {"sent_files": sent}

    def send_file(self, month: str, msg_id: str) -> dict[str, Any]:
        """One payment file to the bank and its pain.002 applied; nothing happens for a file answered before."""
        record = next((r for r in self.file_manifest(month)["files"] if r["msg_id"] == msg_id), None)
        if record is None:
            raise NotFound(f"payment file {msg_id} is not in the month's manifest", code="not_found")
        if self.repo.message_handled(record["bank_code"], "ANSWER:" + msg_id):
            return {"msg_id": msg_id, "sent": 0}  # its status report was applied before this (re-)run
        data = self.files.get(record["key"])
        if data is None:
            raise NotFound(f"payment file {msg_id} is missing", code="file_missing")
        _, transfers = iso20022.read_pain001(data)
        at = self._now()
        for t in transfers:  # sent before the bank has it: a crash here re-sends the same MsgId
            ins = self.repo.get_instruction(t.end_to_end_id)
            if ins is not None:
                moved = ins.moved("send", file_msg_id=msg_id, at=at)
                if moved is not None:
                    self.repo.move(ins, moved)
        self.repo.claim_message(record["bank_code"], "SENT:" + msg_id, "pain.001", at)
        report = self.bank.submit(record["bank_code"], msg_id, data)
        self.files.put(f"{prefix(month)}/pain002/{msg_id}.xml", report, "application/xml")
        self.apply_status_report(record["bank_code"], report, [t.end_to_end_id for t in transfers])
        self.repo.claim_message(record["bank_code"], "ANSWER:" + msg_id, "answer", self._now())
        return {"msg_id": msg_id, "sent": 1}

    def mark_sent(self, month: str) -> dict[str, Any]:
        def handed_over(run: PayrollRun) -> None:
            run.status = "sent" if run.status == "files_written" else run.status

        run = self._update(month, handed_over)
        return {"status": run.status}

    def apply_status_report(self, bank_id: str, data: bytes,
                            carried: list[str] | None = None) -> dict[str, Any]:
        """A pain.002: rejections with their reason, acceptances. A file rejected as a whole (group status
        RJCT, no transaction detail) rejects every transfer it ``carried``, with the group's reason."""
        report = iso20022.read_pain002(data)
        if self.repo.message_handled(bank_id, report.msg_id):
            return {"msg_id": report.msg_id, "duplicate": True, "changed": 0}
        changed = 0
        rejected = dict(report.rejected)
        if report.group_status == "RJCT" and not rejected and not report.accepted:
            rejected = dict.fromkeys(carried or (), report.group_reason or "NARR")
        for e2e, code in rejected.items():
            changed += self._advance(e2e, "reject", reason=code)
        for e2e in report.accepted:
            changed += self._advance(e2e, "accept")
        self.repo.claim_message(bank_id, report.msg_id, "pain.002", self._now())
        return {"msg_id": report.msg_id, "duplicate": False, "changed": changed}

    def apply_notification(self, bank_id: str, data: bytes) -> dict[str, Any]:
        note = iso20022.read_camt054(data)
        if self.repo.message_handled(bank_id, note.msg_id):
            return {"msg_id": note.msg_id, "duplicate": True, "changed": 0}
        changed = 0
        for entry in note.entries:
            ins = self.repo.get_instruction(entry.end_to_end_id)
            if ins is None or entry.amount != ins.line.amount:
                continue  # not ours or not what we sent: left for the operators (the books show it pending)
            changed += self._advance(entry.end_to_end_id, "pay" if entry.kind == "paid" else "return",
                                     reason=entry.reason)
            if entry.kind == "paid":
                self._notify_credited(entry.end_to_end_id)
        # Handled only once applied: a crash above leaves the message to be applied again, harmlessly.
        self.repo.claim_message(bank_id, note.msg_id, "camt.054", self._now())
        return {"msg_id": note.msg_id, "duplicate": False, "changed": changed}

    def _advance(self, iid: str, event: str, reason: str | None = None) -> int:
        for _ in range(3):  # a concurrent message may move it first; re-read and try again
            ins = self.repo.get_instruction(iid)
            if ins is None:
                return 0
            moved = ins.moved(event, reason=reason, at=self._now())
            if moved is None:
                return 0
            if self.repo.move(ins, moved):
                return 1
        return 0

    def _notify_credited(self, iid: str) -> None:
        ins = self.repo.get_instruction(iid)
        if ins is None or ins.status != "paid":
            return
        household = self.households.get(ins.line.household_id)
        member = next((m for m in household.members if m.person_id == ins.line.beneficiary_person_id), None) \
            if household else None
        if member is None or not member.phone:
            return
        # At most once per key, so a replayed notification or a re-run sends nothing more.
        self.sms.send(f"payment_credited:{iid}", member.phone, member.language, "payment_credited",
                      {"amount": ins.line.amount, "programme": ins.line.programme, "month": ins.line.month})

    def receive_callback(self, *, bank_id: str | None, timestamp: str | None, signature: str | None,
                         body: bytes, message_type: str, document: str) -> dict[str, Any]:
        """A signed bank callback (see ``domain.signatures``); replays answer 409, repeats 200 duplicate."""
        now = int(self.clock.now().timestamp())
        bank = bank_id or ""
        secret = self.bank_secrets.secret(bank) if self.bank_secrets else self.settings.bank_secret(bank)
        verify(secret=secret, timestamp=timestamp, signature=signature,
               body=body, now=now, window_seconds=self.settings.bank_callback_window_seconds)
        assert bank_id is not None and signature is not None
        if not self.repo.claim_signature(bank_id, signature.lower(),
                                         now + 2 * self.settings.bank_callback_window_seconds):
            raise Conflict("this signed request was received before", field="X-Signature", code="replayed_callback")
        try:
            if message_type == "camt.054":
                return self.apply_notification(bank_id, document.encode())
            return self.apply_status_report(bank_id, document.encode())
        except iso20022.MalformedMessage as err:
            raise ValidationFailed(str(err), field="document", code="invalid_message") from None

    # ------------------------------------------------------------------ books

    def reconcile(self, month: str, round_no: int = 0) -> dict[str, Any]:
        totals = self._totals(month)
        overall = totals[("*", "*")]
        summary = _summary(month, totals)
        self.files.put(f"{prefix(month)}/reconciliation.json", json.dumps(summary, indent=1).encode(),
                       "application/json")

        def booked(run: PayrollRun) -> None:
            run.status = "reconciled" if overall.settled() else run.status

        self._update(month, booked)
        return {"month": month, "settled": overall.settled(), "balanced": overall.balanced(),
                "pending": overall.pending_count, "round": round_no + 1,
                "more": not overall.settled() and round_no + 1 < self.settings.payroll_reconcile_rounds,
                "wait_seconds": self.settings.payroll_bank_wait_seconds}

    def _totals(self, month: str) -> dict[tuple[str, str], Totals]:
        sent: dict[tuple[str, str], tuple[int, int]] = {}
        for record in self.file_manifest(month)["files"]:
            if not self.repo.message_handled(record["bank_code"], "SENT:" + record["msg_id"]):
                continue  # not handed to the bank yet
            for key, (count, amount) in record["totals"].items():
                district, programme = key.split("|")
                c, a = sent.get((district, programme), (0, 0))
                sent[(district, programme)] = (c + count, a + amount)
        return reconcile(self.repo.instructions(month), sent)

    # ------------------------------------------------------------------ reads (API)

    def runs(self, principal: Principal) -> list[dict[str, Any]]:
        _require(principal, access.PAYROLL_READ)
        return [run_view(r, principal) for r in sorted(self.repo.runs(), key=lambda r: r.month, reverse=True)]

    def run(self, principal: Principal, month: str) -> dict[str, Any]:
        _require(principal, access.PAYROLL_READ)
        return run_view(self._run(month), principal)

    def summary(self, principal: Principal, month: str) -> dict[str, Any]:
        """Aggregates only (counts and som per district and programme): every payroll role may read them."""
        _require(principal, access.PAYROLL_READ)
        run = self._run(month)
        totals = self._totals(month)
        visible = {code for code, d in run.districts.items() if _sees(principal, code, d.region_code)}
        summary = _summary(month, totals, visible)
        summary["status"] = run.status
        return summary

    def summary_for_system(self, month: str) -> dict[str, Any]:
        """The summary without a caller (the demo, scheduled reports): every district."""
        run = self._run(month)
        summary = _summary(month, self._totals(month))
        summary["status"] = run.status
        return summary

    def file_links(self, principal: Principal, month: str) -> dict[str, Any]:
        _require(principal, access.PAYROLL_FILES)
        run = self._run(month)
        seconds = self.settings.payroll_file_url_seconds
        base = prefix(month)
        out: list[dict[str, Any]] = []
        for code, d in sorted(run.districts.items()):
            if _sees(principal, code, d.region_code, access.PAYROLL_FILES):
                out.append({"kind": "prepayroll", "district_code": code, "key": f"{base}/prepayroll/{code}.csv"})
        if access.permits(principal, access.PAYROLL_FILES, Target()):  # national files: national reach only
            out.append({"kind": "prepayroll_summary", "key": f"{base}/prepayroll/summary.csv"})
            out.append({"kind": "manifest", "key": f"{base}/manifest/manifest.json"})
            out.append({"kind": "pain001_manifest", "key": f"{base}/pain001/manifest.json"})
            out += [{"kind": "pain001", "msg_id": f["msg_id"], "sha256": f["sha256"], "key": f["key"]}
                    for f in run.files]
            out.append({"kind": "reconciliation", "key": f"{base}/reconciliation.json"})
        for item in out:
            item["url"] = self.files.download_url(item["key"], seconds)
        return {"month": month, "expires_in": seconds, "files": out}

    # ------------------------------------------------------------------ helpers

    def _update(self, month: str, change: Callable[[PayrollRun], None], create: bool = False) -> PayrollRun:
        """Read, change, store the run, conditional on the version read; again from a fresh read if another
        writer (a district's decision, the approval token, a task) came in between."""
        for _ in range(20):
            run = self.repo.get_run(month)
            if run is None:
                if not create:
                    raise NotFound(f"no payroll run for {month}", code="not_found")
                run = PayrollRun(month=month, execution_name=execution_name(month), started_at=self._now())
            change(run)
            run.updated_at = self._now()
            if self.repo.save_run(run):
                return run
        raise Conflict(f"payroll {month} is changing too fast; try again", code="stale_version")

    def _run(self, month: str) -> PayrollRun:
        _check_month(month)
        run = self.repo.get_run(month)
        if run is None:
            raise NotFound(f"no payroll run for {month}", code="not_found")
        return run

    def _now(self) -> str:
        return self.clock.now().astimezone(UTC).isoformat(timespec="seconds")


def _freeze_output(manifest: dict[str, Any]) -> dict[str, Any]:
    return {"month": manifest["month"], "batches_key": manifest["batches_key"],
            "batches_prefix": manifest["batches_prefix"], "batch_count": manifest["batch_count"],
            "lines": manifest["lines"], "amount": manifest["amount"], "suspended": manifest["suspended"]}


def _beneficiary(household: Household | None, person_id: str) -> Beneficiary | None:
    if household is None or household.bank_account is None:
        return None
    member = next((m for m in household.members if m.person_id == person_id), None)
    if member is None:
        return None
    name = f"{member.surname} {member.given_name} {member.patronymic}" if member.patronymic \
        else f"{member.surname} {member.given_name}"
    bank = household.bank_account
    return Beneficiary(pinfl=member.pinfl, name=name, bank_code=bank.bank_code, account_kind=bank.kind,
                       account_number=bank.number)


def _prepayroll_csv(month: str, district: str, by_programme: dict[str, list[Instruction]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("pre-payroll", month, "district", district))
    w.writerow(CSV_HEADER)
    total_count = total_amount = 0
    for programme in sorted(by_programme):
        items = sorted(by_programme[programme], key=lambda i: (i.line.mahalla_code, i.instruction_id))
        for i in items:
            line = i.line
            w.writerow((line.instruction_id, line.programme, line.mahalla_code, line.beneficiary_person_id,
                        line.household_id, line.amount, line.lump_sum, line.bank_code,
                        mask_number(line.account_number)))
        amount = sum(i.line.amount for i in items)
        w.writerow(("TOTAL", programme, "", "", "", amount, "", "", len(items)))
        total_count += len(items)
        total_amount += amount
    w.writerow(("TOTAL", "*", "", "", "", total_amount, "", "", total_count))
    return buf.getvalue().encode()


def _summary_csv(month: str, rows: list[tuple[str, str, int, int]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("month", "district_code", "programme", "count", "amount_som"))
    per_district: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for district, programme, count, amount in rows:
        w.writerow((month, district, programme, count, amount))
        per_district[district][0] += count
        per_district[district][1] += amount
    for district, (count, amount) in sorted(per_district.items()):
        w.writerow((month, district, "TOTAL", count, amount))
    w.writerow((month, "TOTAL", "TOTAL", sum(c for c, _ in per_district.values()),
                sum(a for _, a in per_district.values())))
    return buf.getvalue().encode()


def _summary(month: str, totals: dict[tuple[str, str], Totals], visible: set[str] | None = None) -> dict[str, Any]:
    districts: dict[str, Any] = {}
    for (district, programme), t in sorted(totals.items()):
        if district == "*" or (visible is not None and district not in visible):
            continue
        entry = districts.setdefault(district, {"programmes": {}})
        if programme == "*":
            entry["totals"] = t.as_dict()
            entry["returned_to_local_budget"] = t.returned_amount
        else:
            entry["programmes"][programme] = t.as_dict()
    overall = Totals()
    for entry in districts.values():
        for k in ("sent", "paid", "rejected", "returned", "pending", "held", "instructed"):
            for suffix in ("count", "amount"):
                name = f"{k}_{suffix}"
                setattr(overall, name, getattr(overall, name) + entry["totals"][name])
    return {"month": month, "totals": overall.as_dict(), "districts": districts,
            "rejected_awaiting_bank_details": overall.rejected_count}


def run_view(run: PayrollRun, principal: Principal | None = None) -> dict[str, Any]:
    out = run.as_dict()
    out.pop("approval_token", None)
    out["awaiting_decision"] = run.undecided()
    if principal is not None:
        out["districts"] = {c: d for c, d in out["districts"].items()
                            if _sees(principal, c, d["region_code"])}
        out["awaiting_decision"] = [c for c in out["awaiting_decision"] if c in out["districts"]]
    return out


def _sees(principal: Principal, district: str, region: str, action: Action = access.PAYROLL_READ) -> bool:
    return access.permits(principal, action, Target(region=region, district=district))


def _require(principal: Principal, action: Action) -> None:
    authorize(principal, action)


def _check_month(month: str) -> None:
    ok = len(month) == 7 and month[4] == "-" and month[:4].isdigit() and month[5:].isdigit() \
        and 1 <= int(month[5:]) <= 12
    if not ok:
        raise ValidationFailed("month is YYYY-MM", field="month", code="invalid_format")


def default_month(now: datetime) -> str:
    """The month a scheduled run on the 1st pays: the current month (Tashkent time is UTC+5)."""
    return months.of((now + timedelta(hours=5)).date())

