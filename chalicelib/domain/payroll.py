"""Monthly payroll: payment lines, payment instructions, their life cycle and the books.

One payment instruction exists per (beneficiary, programme, month): its id is derived from that key,
so every re-run of a month computes the same id and a conditional write adds nothing. An
instruction's life (DOMAIN.md steps 6 and 7):

    instructed -> held (its district's pre-payroll was rejected)
    instructed -> sent (in a pain.001 file handed to the bank)
    sent -> accepted | rejected (pain.002)        accepted/sent -> paid (camt.054 debit booked)
    sent/accepted/paid -> returned (camt.054 credit: unclaimed funds back to the budget)

Bank messages arrive late, twice or out of order; ``advance`` only ever moves an instruction
forward, so a duplicate or a stale message changes nothing. Rejected instructions are flagged to be
paid in a later cycle once the household's bank details are corrected: one arrears instruction
(``arrears_id``, keyed to the original month) in a later run, never two. Amounts are whole som.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

STATUSES = ("instructed", "held", "sent", "accepted", "paid", "rejected", "returned")
FINAL = ("paid", "rejected", "returned")
# What went to the bank and has no final answer yet.
PENDING = ("sent", "accepted")
SENT = ("sent", "accepted", "paid", "rejected", "returned")

# event -> {current status: new status}; anything missing is a no-op (stale, duplicate or out of order).
_TRANSITIONS: dict[str, dict[str, str]] = {
    "hold": {"instructed": "held"},
    "send": {"instructed": "sent"},
    "accept": {"sent": "accepted"},
    "reject": {"sent": "rejected", "accepted": "rejected"},
    "pay": {"sent": "paid", "accepted": "paid"},
    "return": {"sent": "returned", "accepted": "returned", "paid": "returned"},
}

# ISO 20022 external status reason codes the bank uses for a rejected credit transfer.
REJECT_REASONS = {
    "AC01": "incorrect account number",
    "AC04": "closed account number",
    "AM05": "duplication",
}


def instruction_id(beneficiary_person_id: str, programme: str, month: str) -> str:
    """The payment instruction id for (beneficiary, programme, month): also the EndToEndId (<= 35 chars)."""
    digest = hashlib.sha256(f"{beneficiary_person_id}|{programme}|{month}".encode()).hexdigest()[:24]
    return f"PI{month[:4]}{month[5:7]}{digest}"


def arrears_id(beneficiary_person_id: str, programme: str, original_month: str) -> str:
    """The id of the one arrears instruction that may re-pay a rejected (beneficiary, programme, month)."""
    digest = hashlib.sha256(f"{beneficiary_person_id}|{programme}|{original_month}|arrears".encode()).hexdigest()
    return f"PA{original_month[:4]}{original_month[5:7]}{digest[:24]}"


@dataclass(frozen=True)
class BackPay:
    """An assignment granted on appeal from a month already past: the months before the run that first
    pays it are paid once as arrears (``services/payroll/arrears.py``)."""

    assignment_id: str
    grievance_id: str  # the appeal that granted it
    marked_at: str


def advance(current: str, event: str) -> str | None:
    """The status after ``event``, or None when the event does not apply (it then changes nothing)."""
    return _TRANSITIONS[event].get(current)


class PaymentLine(NamedTuple):
    """One line of the frozen monthly manifest: what one beneficiary is due for one programme.

    A named tuple rather than a frozen dataclass: as immutable, and a payroll builds millions of
    them (a frozen dataclass costs about 2 us each to create, a named tuple a fifth of that)."""

    instruction_id: str
    month: str
    assignment_id: str
    household_id: str
    beneficiary_person_id: str
    programme: str
    amount: int
    lump_sum: int  # the part of ``amount`` that is the one-off lump sum (0 after the first month)
    region_code: str
    district_code: str
    mahalla_code: str
    bank_code: str
    account_kind: str  # card or account
    account_number: str
    payee_name: str
    # Set on an arrears line: the month whose rejected payment it re-pays (the line's month is the run's).
    arrears_of: str = ""

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PaymentLine:
        return cls(**{k: d[k] for k in cls._fields if k in d})  # stored before arrears_of existed: ""

    def as_row(self) -> tuple[Any, ...]:
        """The values in field order (manifest CSV rows, compact storage)."""
        return tuple(self)

    @classmethod
    def from_row(cls, row: list[str] | tuple[Any, ...]) -> PaymentLine:
        values = list(row)
        values[6], values[7] = int(values[6]), int(values[7])  # amount, lump_sum: whole som
        return cls(*values)


LINE_FIELDS = PaymentLine._fields
assert LINE_FIELDS[6:8] == ("amount", "lump_sum")

# Lines as text (the manifest's batches, compact storage): values joined by the ASCII unit separator, one
# line per row. No code, id, amount, account or name holds a control character (names refuse them at
# intake), so nothing needs quoting; the writer checks it anyway. A few times faster than CSV, whose
# writer and reader scan every character of the long sealed account numbers.
LINE_SEP = "\x1f"
LINES_HEADER = LINE_SEP.join(LINE_FIELDS)


def lines_text(lines: list[PaymentLine]) -> bytes:
    """The lines as text, the header first."""
    body = "\n".join([LINES_HEADER, *[LINE_SEP.join(map(str, line)) for line in lines]])
    if body.count(LINE_SEP) != (len(LINE_FIELDS) - 1) * (len(lines) + 1) or body.count("\n") != len(lines):
        bad = next(line.instruction_id for line in lines if any(LINE_SEP in str(v) or "\n" in str(v) for v in line))
        raise ValueError(f"instruction {bad}: a value holds a control character")
    return body.encode()


def lines_from_text(data: bytes) -> list[PaymentLine]:
    """The lines of ``lines_text``; ValueError when the header is not the lines' fields."""
    rows = data.decode().split("\n")
    if rows[0] != LINES_HEADER:
        raise ValueError("the lines' header is not the payment line fields")
    make = PaymentLine._make
    out = []
    for row in rows[1:]:
        values: list[Any] = row.split(LINE_SEP)
        values[6], values[7] = int(values[6]), int(values[7])  # amount, lump_sum: whole som
        out.append(make(values))
    return out


class Instruction(NamedTuple):
    """A payment instruction: a manifest line and where it stands with the bank (immutable)."""

    line: PaymentLine
    status: str = "instructed"
    reason: str | None = None  # ISO reason code of a rejection or a return
    file_msg_id: str | None = None  # the pain.001 MsgId that carried it
    retry_pending: bool = False  # rejected: pay in a later cycle once the bank details are corrected
    updated_at: str = ""

    @property
    def instruction_id(self) -> str:
        return self.line.instruction_id

    def moved(self, event: str, *, reason: str | None = None, file_msg_id: str | None = None,
              at: str = "") -> Instruction | None:
        new = advance(self.status, event)
        if new is None:
            return None
        return self._replace(status=new, reason=reason if reason is not None else self.reason,
                             file_msg_id=file_msg_id or self.file_msg_id, retry_pending=new == "rejected",
                             updated_at=at or self.updated_at)


@dataclass
class Totals:
    """Counts and som per outcome. ``sent`` is what the payment files carried, the rest what the bank said."""

    sent_count: int = 0
    sent_amount: int = 0
    paid_count: int = 0
    paid_amount: int = 0
    rejected_count: int = 0
    rejected_amount: int = 0
    returned_count: int = 0
    returned_amount: int = 0
    pending_count: int = 0
    pending_amount: int = 0
    held_count: int = 0
    held_amount: int = 0
    instructed_count: int = 0
    instructed_amount: int = 0

    def add_status(self, status: str, amount: int) -> None:
        bucket = {"sent": "pending", "accepted": "pending"}.get(status, status)
        setattr(self, f"{bucket}_count", getattr(self, f"{bucket}_count") + 1)
        setattr(self, f"{bucket}_amount", getattr(self, f"{bucket}_amount") + amount)

    def add_sent(self, amount: int) -> None:
        self.sent_count += 1
        self.sent_amount += amount

    def balanced(self) -> bool:
        """sent = paid + rejected + returned + pending, in transactions and in som (exactly: ints)."""
        return (self.sent_count == self.paid_count + self.rejected_count + self.returned_count + self.pending_count
                and self.sent_amount == self.paid_amount + self.rejected_amount + self.returned_amount
                + self.pending_amount)

    def settled(self) -> bool:
        """Balanced with nothing pending: every sent instruction ended paid, rejected or returned."""
        return self.balanced() and self.pending_count == 0

    def as_dict(self) -> dict[str, int | bool]:
        out: dict[str, int | bool] = dict(asdict(self))
        out["balanced"] = self.balanced()
        return out

    def add(self, other: Totals) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Totals:
        return cls(**{k: int(d[k]) for k in cls.__dataclass_fields__})


def reconcile(instructions: Iterable[Instruction],
              sent: dict[tuple[str, str], tuple[int, int]]) -> dict[tuple[str, str], Totals]:
    """Totals per (district, programme), per district (programme "*") and overall ("*", "*").

    ``sent`` gives (count, som) per (district, programme) as the payment files carried them (their
    manifests); paid, rejected, returned and pending come from the instructions' statuses. An
    instruction sent by its status but missing from the files, or the reverse, unbalances the books.
    """
    out: dict[tuple[str, str], Totals] = {("*", "*"): Totals()}
    for ins in instructions:
        for key in (("*", "*"), (ins.line.district_code, ins.line.programme), (ins.line.district_code, "*")):
            out.setdefault(key, Totals()).add_status(ins.status, ins.line.amount)
    for (district, programme), (count, amount) in sent.items():
        for key in (("*", "*"), (district, programme), (district, "*")):
            totals = out.setdefault(key, Totals())
            totals.sent_count += count
            totals.sent_amount += amount
    return out


RUN_STATUSES = ("started", "frozen", "instructed", "awaiting_approval", "approved", "files_written", "sent",
                "reconciled", "failed")
DECISIONS = ("pending", "approved", "rejected")

# A run's life, one step of the state machine per event: event -> {current status: new status}. An event
# that does not apply leaves the status as it is, so a step run again (a retry, an operator's re-run of
# an earlier step) never moves a run backwards.
RUN_TRANSITIONS: dict[str, dict[str, str]] = {
    "freeze": {"started": "frozen"},
    "prepare": {"started": "instructed", "frozen": "instructed"},
    "request_funds": {"instructed": "awaiting_approval"},
    "approve": {"instructed": "approved", "awaiting_approval": "approved"},
    "write_files": {"approved": "files_written"},
    "mark_sent": {"files_written": "sent"},
    "settle": {"sent": "reconciled"},
    "fail": {s: "failed" for s in RUN_STATUSES if s not in ("reconciled", "failed")},
}


@dataclass
class DistrictState:
    """A district's pre-payroll in a run: its size and the district administration's decision."""

    region_code: str
    count: int = 0
    amount: int = 0
    decision: str = "pending"
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    programmes: dict[str, list[int]] = field(default_factory=dict)  # programme -> [count, som]


@dataclass
class PayrollRun:
    """One month's payroll: one per month (the execution name is derived from the month)."""

    month: str
    execution_name: str
    status: str = "started"
    execution_arn: str | None = None
    started_at: str = ""
    updated_at: str = ""
    lines: int = 0
    amount: int = 0
    suspended: int = 0  # assignments suspended at the freeze (death registered)
    without_account: int = 0  # lines left out for want of a bank account (listed in the manifest)
    districts: dict[str, DistrictState] = field(default_factory=dict)
    funds_reference: str | None = None
    funds_status: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)  # payment-file records (msg_id, bank, count, sum)
    approval_token: str | None = None  # the Step Functions task token while waiting for approval
    version: int = 0  # optimistic lock: each store is conditional on the version read

    def undecided(self) -> list[str]:
        return sorted(code for code, d in self.districts.items() if d.decision == "pending")

    def approved(self) -> list[str]:
        return sorted(code for code, d in self.districts.items() if d.decision == "approved")

    def advance(self, event: str) -> bool:
        """Applies ``event`` by ``RUN_TRANSITIONS``; False (status unchanged) when it does not apply."""
        new = RUN_TRANSITIONS[event].get(self.status)
        if new is None:
            return False
        self.status = new
        return True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PayrollRun:
        data = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        data["districts"] = {k: DistrictState(**v) for k, v in d.get("districts", {}).items()}
        data["files"] = list(d.get("files", []))
        return cls(**data)


def execution_name(month: str) -> str:
    return f"payroll-{month}"
