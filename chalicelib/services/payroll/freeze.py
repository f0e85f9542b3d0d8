"""Starting a month's run and freezing its manifest, one assignment shard per task.

``plan`` names the shards; ``freeze_shard`` (one per shard, the state machine's inline Map) reads the
shard's active assignments, their households a batch at a time (one BatchGetItem on AWS), asks the
civil registry about deaths, and writes the shard's payment lines as batches of one district each
(``batches.py``) plus the shard's part (totals per district, its batch keys), written last; ``seal``
merges the parts and the month's arrears (``arrears.py``) into the manifest, written last of all,
with every district's batches (``district_lines`` reads them for its pre-payroll and files). A
complete manifest is never rebuilt, nor a complete part: a re-run reuses them. Beneficiaries the
civil registry reports dead are left out and their assignments suspended; lines without a bank
account on record are listed in the manifest (``without_account``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.domain import access
from chalicelib.domain.access import Principal, authorize
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.payroll import PaymentLine, PayrollRun, execution_name, instruction_id
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.arrears import Arrears
from chalicelib.services.payroll.batches import DistrictBatches, beneficiary, new_part, read_batch
from chalicelib.services.payroll.context import PayrollContext, check_month


class Freeze:
    def __init__(self, ctx: PayrollContext, arrears: Arrears) -> None:
        self.ctx = ctx
        self.arrears = arrears

    def start(self, principal: Principal | None, month: str) -> PayrollRun:
        """Starts the month's run, or returns the one already started: one execution per month, by name."""
        ctx = self.ctx
        if principal is not None:  # None: the monthly schedule
            authorize(principal, access.PAYROLL_START)
        check_month(month)
        if ctx.workflow is None:
            raise Conflict("no payroll state machine is configured", code="payroll_unavailable")
        name = execution_name(month)
        arn = ctx.workflow.execution_arn(name)

        def record(run: PayrollRun) -> None:
            run.execution_arn = run.execution_arn or arn

        # Recorded before the execution starts: its first task reads and updates this record.
        run = ctx.update(month, record, create=True)
        ctx.workflow.start(name, {"month": month})
        return run

    # ------------------------------------------------------------------ the whole month (tests, bench)

    def freeze(self, month: str) -> dict[str, Any]:
        """Every shard, then the seal: what the state machine's Freeze steps do, in one call."""
        plan = self.plan(month)
        for shard in plan["shards"]:
            self.freeze_shard(month, shard)
        return self.seal(month)

    # ------------------------------------------------------------------ the steps

    def plan(self, month: str) -> dict[str, Any]:
        check_month(month)
        frozen = self.ctx.files.get(layout.manifest(month)) is not None
        return {"month": month, "frozen": frozen,
                "shards": [] if frozen else list(range(self.ctx.assignments.shard_count))}

    def freeze_shard(self, month: str, shard: int) -> dict[str, Any]:
        ctx = self.ctx
        check_month(month)
        part_key = layout.shard_part(month, shard)
        done = ctx.get_json(part_key)
        if done is not None or ctx.files.get(layout.manifest(month)) is not None:
            return {"shard": shard, "reused": True}
        # Each attempt writes its batches under its own stamp; the part, written last, names the ones it
        # holds, so a crashed attempt's objects are never read.
        stamp = ctx.clock.now().strftime("%Y%m%dT%H%M%S%f")
        prefix = layout.batches_prefix(month, f"{shard:02d}-{stamp}")
        part = new_part(shard)
        size = ctx.settings.payroll_batch_size
        batches = DistrictBatches(ctx.files, prefix, size, part)
        due: list[tuple[Assignment, int]] = []
        for assignment in ctx.assignments.active_in(month, shard):
            amount = assignment.amount_for(month)
            if amount > 0:
                due.append((assignment, amount))
            if len(due) >= size:
                self._collect(month, due, part, batches)
                due = []
        self._collect(month, due, part, batches)
        batches.close()
        ctx.put_json(part_key, part)
        return {"shard": shard, "reused": False, "lines": part["lines"], "batches": len(part["batches"])}

    def _collect(self, month: str, due: list[tuple[Assignment, int]], part: dict[str, Any],
                 batches: DistrictBatches) -> None:
        """The lines of ``due`` (one BatchGetItem's households, one civil-registry query) into the batches."""
        if not due:
            return
        ctx = self.ctx
        found = ctx.directory.get_many(sorted({a.household_id for a, _ in due}))
        pending: list[tuple[PaymentLine, str]] = []
        for a, amount in due:
            who = beneficiary(found.get(a.household_id), a.beneficiary_person_id)
            if who is None:  # nobody lost: listed in the manifest, paid once an account is on record
                part["without_account"].append(a.assignment_id)
                continue
            pending.append((PaymentLine(  # positional, in field order: millions of these
                instruction_id(a.beneficiary_person_id, a.programme, month), month, a.assignment_id,
                a.household_id, a.beneficiary_person_id, a.programme, amount,
                a.lump_sum if month == a.first_month else 0, a.region_code, a.district_code, a.mahalla_code,
                who.bank_code, who.account_kind, who.account_number, who.name), who.pinfl))
        dead = ctx.deaths.deceased(sorted({p for _, p in pending}), month) if pending else set()
        for line, pinfl in pending:
            if pinfl in dead:
                ctx.assignments.set_status(line.assignment_id, "suspended", "beneficiary_deceased")
                part["suspended"] += 1
                continue
            batches.add(line)

    def seal(self, month: str) -> dict[str, Any]:
        """The manifest from the shards' parts and the month's arrears; written last, so its presence says
        the freeze is complete."""
        ctx = self.ctx
        existing = ctx.get_json(layout.manifest(month))
        if existing is not None:  # a complete manifest is frozen for good
            return self._record(existing)
        parts = []
        for shard in range(ctx.assignments.shard_count):
            part = ctx.get_json(layout.shard_part(month, shard))
            if part is None:
                raise Conflict(f"payroll {month}: shard {shard} is not frozen", code="freeze_incomplete")
            parts.append(part)
        parts.append(self.arrears.freeze(month))  # its own part (part_key), batches like any other
        manifest: dict[str, Any] = {
            "month": month, "frozen_at": ctx.now(), "bucket_prefix": layout.base(month),
            "batches_key": layout.batches_list(month), "parts_prefix": layout.shard_parts_prefix(month),
            "batch_count": 0, "lines": 0, "amount": 0, "suspended": 0, "arrears": parts[-1]["lines"],
            "without_account": [], "districts": {}, "district_batches": {}}
        batch_keys: list[dict[str, str]] = []
        for part in parts:
            batch_keys += [{"key": k} for k in part["batches"]]
            for name in ("lines", "amount", "suspended"):
                manifest[name] += part[name]
            manifest["without_account"] += part["without_account"]
            for district, keys in part["district_batches"].items():
                manifest["district_batches"].setdefault(district, []).extend(keys)
            for district, (region, count, amount) in part["districts"].items():
                d = manifest["districts"].setdefault(district, {"region_code": region, "count": 0, "amount": 0})
                d["count"] += count
                d["amount"] += amount
        manifest["batch_count"] = len(batch_keys)
        manifest["without_account"].sort()
        manifest["districts"] = dict(sorted(manifest["districts"].items()))
        manifest["district_batches"] = dict(sorted(manifest["district_batches"].items()))
        ctx.put_json(layout.batches_list(month), batch_keys)
        ctx.put_json(layout.manifest(month), manifest)
        return self._record(manifest)

    def _record(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """The run records the frozen manifest (again after a crash between the manifest and the record)."""

        def frozen(run: PayrollRun) -> None:
            run.advance("freeze")
            run.lines, run.amount = manifest["lines"], manifest["amount"]
            run.suspended, run.without_account = manifest["suspended"], len(manifest["without_account"])

        self.ctx.update(manifest["month"], frozen, create=True)
        return {"month": manifest["month"], "batches_key": manifest["batches_key"],
                "parts_prefix": manifest["parts_prefix"], "batch_count": manifest["batch_count"],
                "lines": manifest["lines"], "amount": manifest["amount"], "suspended": manifest["suspended"],
                "districts": sorted(manifest["districts"])}

    # ------------------------------------------------------------------ reading the manifest

    def manifest(self, month: str) -> dict[str, Any]:
        data = self.ctx.get_json(layout.manifest(month))
        if data is None:
            raise NotFound(f"payroll {month} is not frozen", code="not_found")
        manifest: dict[str, Any] = data
        return manifest

    def district_lines(self, month: str, district: str) -> list[PaymentLine]:
        """Every frozen line of ``district`` (its batches from each part), in instruction id order: what the
        pre-payroll and the payment files are made from (read from S3, not from the instruction table)."""
        manifest = self.manifest(month)
        if "district_batches" not in manifest:
            raise Conflict(f"payroll {month}: the manifest does not list its batches by district",
                           code="manifest_format")
        lines = [line for key in manifest["district_batches"].get(district, ()) for line in self.batch(key)]
        lines.sort()  # instruction id first: the order of the files, whatever the order of the parts
        return lines

    def batch(self, key: str) -> Iterator[PaymentLine]:
        return read_batch(self.ctx.files, key)
