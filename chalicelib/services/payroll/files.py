"""Payment files: pain.001 per district and bank, then each file to the bank.

``write_district`` (one per approved district, the state machine's inline Map) writes the district's
pain.001 files from its frozen lines in S3, one per bank split at a count of transactions, and their
records (count, control sum, SHA-256, totals per programme); ``seal`` merges the districts' records
into the month's file manifest (written last: files are immutable once it exists). Deterministic: a re-run produces the
same files and MsgIds. Nothing of a rejected district, and no held instruction, is ever in a file.

Each file is validated against the XSD in ``send_file``, right before it goes to the bank (never send
a file the schema refuses): off the writing step's path, one file per Map child, in parallel.
``send_file`` marks the file's instructions sent, hands the file over and applies the bank's pain.002;
the bank sees a resubmitted MsgId as the same file.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import UTC
from typing import Any

from chalicelib import iso20022
from chalicelib.domain import months
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.households import bank_context, sealed_ciphertext
from chalicelib.domain.payroll import PaymentLine, PayrollRun
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.bank_messages import BankMessages
from chalicelib.services.payroll.context import PayrollContext
from chalicelib.services.payroll.freeze import Freeze


class Files:
    def __init__(self, ctx: PayrollContext, freeze: Freeze, bank_messages: BankMessages) -> None:
        self.ctx = ctx
        self.freeze = freeze
        self.bank_messages = bank_messages

    def write_files(self, month: str) -> dict[str, Any]:
        """Every district, then the seal: what the state machine's file steps do, in one call."""
        if self.ctx.files.get(layout.pain001_manifest(month)) is None:
            for district in self._approved(month):
                self.write_district(month, district)
        return self.seal(month)

    def _approved(self, month: str) -> list[str]:
        run = self.ctx.run(month)
        if run.undecided():
            raise Conflict(f"payroll {month} still awaits approval of {len(run.undecided())} districts",
                           code="awaiting_approval")
        return run.approved()

    def write_district(self, month: str, district: str) -> dict[str, Any]:
        ctx = self.ctx
        key = layout.pain001_district(month, district)
        done = ctx.get_json(key)
        if done is None and ctx.files.get(layout.pain001_manifest(month)) is None:
            if district not in self._approved(month):  # nothing of a rejected district is ever in a file
                return {"district": district, "files": 0}
            done = {"district": district, "files": self._write(month, district)}
            ctx.put_json(key, done)
        return {"district": district, "files": len(done["files"]) if done else 0}

    def reveal_account(self, line: PaymentLine) -> str:
        """The line's account number in clear (lines carry it sealed): for the pain.001 alone."""
        return self.ctx.cipher.reveal(sealed_ciphertext(line.account_number), bank_context(line.household_id))

    def _write(self, month: str, district: str) -> list[dict[str, Any]]:
        ctx, settings = self.ctx, self.ctx.settings
        debtor = iso20022.Debtor(settings.payroll_debtor_name, settings.payroll_debtor_account,
                                 settings.payroll_debtor_agent)
        created = ctx.clock.now().astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()
        execution_date = months.first_day(month).replace(day=settings.payroll_execution_day).isoformat()
        by_bank: dict[str, list[PaymentLine]] = defaultdict(list)
        # The district's frozen lines from S3, by id (deterministic files). No instruction of an approved
        # district is held: only a district's rejection holds, and a rejected district gets no file.
        for line in self.freeze.district_lines(month, district):
            by_bank[line.bank_code].append(line)
        records = []
        for bank in sorted(by_bank):
            lines = by_bank[bank]
            for seq, start in enumerate(range(0, len(lines), settings.pain001_max_transactions), 1):
                chunk = lines[start:start + settings.pain001_max_transactions]
                msg = iso20022.msg_id(month, bank, seq, district)
                out = io.BytesIO()
                info = iso20022.write_pain001(out, chunk, msg=msg, created_at=created,
                                              execution_date=execution_date, debtor=debtor,
                                              reveal=self.reveal_account)
                ctx.files.put(layout.pain001(month, msg), out.getvalue(), "application/xml")
                records.append(_record(msg, layout.pain001(month, msg), bank, info, chunk))
        return records

    def seal(self, month: str) -> dict[str, Any]:
        ctx = self.ctx
        existing = ctx.get_json(layout.pain001_manifest(month))
        if existing is not None:  # files are immutable once their manifest exists
            records = existing["files"]
        else:
            records = []
            for district in self._approved(month):
                done = ctx.get_json(layout.pain001_district(month, district))
                if done is None:
                    raise Conflict(f"payroll {month}: the files of district {district} are not written",
                                   code="files_incomplete")
                records += done["files"]
            ctx.put_json(layout.pain001_manifest(month),
                         {"month": month, "created_at": ctx.now(), "files": records}, indent=1)

        def written(run: PayrollRun) -> None:
            run.files = [{k: r[k] for k in ("msg_id", "bank_code", "count", "control_sum", "key", "sha256")}
                         for r in records]
            run.advance("write_files")

        ctx.update(month, written)
        return {"files": len(records), "msg_ids": [r["msg_id"] for r in records]}

    def file_manifest(self, month: str) -> dict[str, Any]:
        data = self.ctx.get_json(layout.pain001_manifest(month))
        manifest: dict[str, Any] = data if data is not None else {"month": month, "files": []}
        return manifest

    # ------------------------------------------------------------------ to the bank

    def send_files(self, month: str) -> dict[str, Any]:
        """Every payment file to the bank (the state machine sends them one per Map child instead)."""
        sent = sum(self.send_file(month, record["msg_id"])["sent"] for record in self.file_manifest(month)["files"])
        self.mark_sent(month)
        return {"sent_files": sent}

    def send_file(self, month: str, msg_id: str) -> dict[str, Any]:
        """One payment file, validated, to the bank and its pain.002 applied; nothing for a file answered before."""
        ctx = self.ctx
        record = next((r for r in self.file_manifest(month)["files"] if r["msg_id"] == msg_id), None)
        if record is None:
            raise NotFound(f"payment file {msg_id} is not in the month's manifest", code="not_found")
        if ctx.repo.message_handled(record["bank_code"], "ANSWER:" + msg_id):
            return {"msg_id": msg_id, "sent": 0}  # its status report was applied before this (re-)run
        data = ctx.files.get(record["key"])
        if data is None:
            raise NotFound(f"payment file {msg_id} is missing", code="file_missing")
        iso20022.validate_pain001(io.BytesIO(data))  # never send a file the schema refuses
        _, transfers = iso20022.read_pain001(data)
        at = ctx.now()
        for t in transfers:  # sent before the bank has it: a crash here re-sends the same MsgId
            ins = ctx.repo.get_instruction(t.end_to_end_id)
            if ins is not None:
                moved = ins.moved("send", file_msg_id=msg_id, at=at)
                if moved is not None:
                    ctx.repo.move(ins, moved)
        ctx.repo.claim_message(record["bank_code"], "SENT:" + msg_id, "pain.001", at)
        report = ctx.bank.submit(record["bank_code"], msg_id, data)
        ctx.files.put(layout.pain002(month, msg_id), report, "application/xml")
        self.bank_messages.apply_status_report(record["bank_code"], report, [t.end_to_end_id for t in transfers])
        ctx.repo.claim_message(record["bank_code"], "ANSWER:" + msg_id, "answer", ctx.now())
        return {"msg_id": msg_id, "sent": 1}

    def mark_sent(self, month: str) -> dict[str, Any]:
        def handed_over(run: PayrollRun) -> None:
            run.advance("mark_sent")

        run = self.ctx.update(month, handed_over)
        return {"status": run.status}


def _record(msg: str, key: str, bank: str, info: iso20022.FileInfo, chunk: list[PaymentLine]) -> dict[str, Any]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in chunk:
        t = totals[f"{line.district_code}|{line.programme}"]
        t[0] += 1
        t[1] += line.amount
    return {"msg_id": msg, "pmt_inf_id": info.pmt_inf_id, "bank_code": bank, "count": info.count,
            "control_sum": info.control_sum, "sha256": info.sha256, "size": info.size, "key": key,
            "totals": {k: v for k, v in sorted(totals.items())}}
