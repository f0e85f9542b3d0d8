"""Arrears: a rejected payment re-paid once, in a later run, after the bank details were corrected;
and the months an appeal's assignment was owed before it was granted, paid once in the next run.

When the bank rejects a payment (pain.002, ``bank_messages``), the instruction is marked for retry
before its status moves (``PayrollRepository.mark_for_retry``: a crash in between leaves a mark whose
instruction is not rejected, which is skipped here). At each later freeze, ``freeze`` looks at every
mark: the original must still be rejected, its household's bank account must differ from the one the
bank refused (corrected since), the beneficiary must not be reported dead, and no arrears instruction
may exist for it yet. Each such payment becomes an arrears line of this run: id ``arrears_id``
(derived from the original's beneficiary, programme and month, so it is the same in every run and
the conditional write makes it once), the original's amount and lump sum, the corrected account, and
``arrears_of`` naming the original month. The lines are a part of the manifest like a shard's.

Back pay: an appeal upheld grants from the month the contested decision would have paid first
(``domain/appeals.first_month``), often a month whose payroll has run. The workflow marks each such
assignment (``PayrollRepository.mark_back_pay``). At each freeze every mark is looked at: each month
from the assignment's first to the one before this run (``domain/appeals.missed_months``) that no
regular instruction paid becomes an arrears line with the same ``arrears_id`` of that month, so a
month is paid once whichever run first sees it; the current household's account, the dead left out.
"""

from __future__ import annotations

from typing import Any

from chalicelib.domain.appeals import missed_months
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.households import Household, same_number
from chalicelib.domain.payroll import PaymentLine, arrears_id, instruction_id
from chalicelib.services.payroll import layout
from chalicelib.services.payroll.batches import DistrictBatches, beneficiary, new_part
from chalicelib.services.payroll.context import PayrollContext


class Arrears:
    def __init__(self, ctx: PayrollContext) -> None:
        self.ctx = ctx

    def freeze(self, month: str) -> dict[str, Any]:
        """This month's arrears part (written once; a re-run reuses it)."""
        ctx = self.ctx
        key = layout.arrears_part(month)
        done = ctx.get_json(key)
        if done is not None:
            part: dict[str, Any] = done
            return part
        candidates = []
        for original in ctx.repo.retries():
            line = original.line
            if line.month >= month or line.arrears_of:  # later months only; an arrears line is not re-paid
                continue
            current = ctx.repo.get_instruction(line.instruction_id)
            new_id = arrears_id(line.beneficiary_person_id, line.programme, line.month)
            if current is None or current.status != "rejected" or ctx.repo.get_instruction(new_id) is not None:
                continue
            candidates.append((line, new_id))
        found = ctx.directory.get_many(sorted({line.household_id for line, _ in candidates}))
        lines: list[tuple[PaymentLine, str]] = []
        for line, new_id in candidates:
            household = found.get(line.household_id)
            bank = household.bank_account if household else None
            member = next((m for m in household.members if m.person_id == line.beneficiary_person_id), None) \
                if household else None
            if bank is None or member is None or (
                    bank.bank_code == line.bank_code and same_number(bank.number, line.account_number)):
                continue  # not corrected yet: asked again next month (numbers compared sealed: same_number)
            lines.append((line._replace(instruction_id=new_id, month=month, bank_code=bank.bank_code,
                                        account_kind=bank.kind, account_number=bank.number,
                                        arrears_of=line.month), member.pinfl))
        lines += self._back_pay(month)
        dead = ctx.deaths.deceased(sorted({p for _, p in lines}), month) if lines else set()
        kept = sorted((line for line, pinfl in lines if pinfl not in dead), key=lambda line: line.instruction_id)
        part = new_part("arrears")
        batches = DistrictBatches(ctx.files, layout.batches_prefix(month, "arrears"), ctx.settings.payroll_batch_size,
                                  part)
        for line in kept:
            batches.add(line)
        batches.close()
        ctx.put_json(key, part)
        return part

    def _back_pay(self, month: str) -> list[tuple[PaymentLine, str]]:
        """The lines of the months appeal-granted assignments were owed before ``month`` and not yet paid."""
        ctx = self.ctx
        owed: list[tuple[Assignment, str]] = []
        for mark in ctx.repo.back_pays():
            assignment = ctx.assignments.get(mark.assignment_id)
            if assignment is None or assignment.status != "active":
                continue
            for missed in missed_months(assignment.first_month, month):
                if missed > assignment.last_month:
                    break
                paid = instruction_id(assignment.beneficiary_person_id, assignment.programme, missed)
                new_id = arrears_id(assignment.beneficiary_person_id, assignment.programme, missed)
                if ctx.repo.get_instruction(paid) is None and ctx.repo.get_instruction(new_id) is None:
                    owed.append((assignment, missed))
        found = ctx.directory.get_many(sorted({a.household_id for a, _ in owed}))
        out = []
        for a, missed in owed:
            household = found.get(a.household_id)
            line = _line(household, a, missed, month)
            if line is not None:
                out.append(line)
        return out


def _line(household: Household | None, a: Assignment, missed: str, month: str) -> tuple[PaymentLine, str] | None:
    """The arrears line paying ``a``'s ``missed`` month in ``month``'s run, with the payee's PINFL; None
    without an account on record (asked again next month)."""
    who = beneficiary(household, a.beneficiary_person_id)
    if who is None:
        return None
    lump_sum = a.lump_sum if missed == a.first_month else 0
    return PaymentLine(
        arrears_id(a.beneficiary_person_id, a.programme, missed), month, a.assignment_id, a.household_id,
        a.beneficiary_person_id, a.programme, a.monthly_amount + lump_sum, lump_sum, a.region_code,
        a.district_code, a.mahalla_code, who.bank_code, who.account_kind, who.account_number, who.name,
        arrears_of=missed), who.pinfl
