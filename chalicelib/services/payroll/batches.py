"""The frozen manifest's lines in S3: batches of one district each (``domain.payroll.lines_text``), each part's
totals per district, and the payee a line names.

A part (a shard's freeze, or the month's arrears) writes its lines through ``DistrictBatches``; the
instruction writers read a part's batches, a district's pre-payroll and payment files read that
district's batches alone (``Freeze.district_lines``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.households import Household
from chalicelib.domain.payroll import PaymentLine, lines_from_text, lines_text
from chalicelib.ports import FileStore
from chalicelib.services.payroll import layout


@dataclass(frozen=True)
class Beneficiary:
    """What a manifest line needs from the household record."""

    pinfl: str
    name: str
    bank_code: str
    account_kind: str
    account_number: str


def new_part(shard: int | str) -> dict[str, Any]:
    """A manifest part: its batch keys (all, and by district), totals per district, who was left out."""
    return {"shard": shard, "batches": [], "district_batches": {}, "lines": 0, "amount": 0, "suspended": 0,
            "without_account": [], "districts": {}}


class DistrictBatches:
    """A part's lines written as CSV batches of one district each, at most ``size`` lines a batch: a
    district's pre-payroll and files read its own batches only."""

    def __init__(self, files: FileStore, prefix: str, size: int, part: dict[str, Any]) -> None:
        self._files, self._prefix, self._size, self._part = files, prefix, size, part
        self._open: dict[str, list[PaymentLine]] = {}

    def add(self, line: PaymentLine) -> None:
        buffer = self._open.get(line.district_code)
        if buffer is None:
            buffer = self._open[line.district_code] = []
        buffer.append(line)
        if len(buffer) >= self._size:
            self._write(line.district_code)

    def close(self) -> None:
        for district in sorted(self._open):
            self._write(district)

    def _write(self, district: str) -> None:
        lines = self._open.pop(district)
        if not lines:
            return
        keys = self._part["district_batches"].setdefault(district, [])
        key = layout.batch(self._prefix, district, len(keys) + 1)
        self._files.put(key, lines_text(lines), "text/plain; charset=utf-8")
        keys.append(key)
        self._part["batches"].append(key)
        count_lines(self._part, lines)


def count_lines(part: dict[str, Any], lines: list[PaymentLine]) -> None:
    """Adds one district's lines to the part's totals."""
    first = lines[0]
    d = part["districts"].setdefault(first.district_code, [first.region_code, 0, 0])
    amount = sum(line.amount for line in lines)
    d[1] += len(lines)
    d[2] += amount
    part["lines"] += len(lines)
    part["amount"] += amount


def beneficiary(household: Household | None, person_id: str) -> Beneficiary | None:
    if household is None or household.bank_account is None:
        return None
    for member in household.members:
        if member.person_id == person_id:
            break
    else:
        return None
    name = f"{member.surname} {member.given_name} {member.patronymic}" if member.patronymic \
        else f"{member.surname} {member.given_name}"
    bank = household.bank_account
    return Beneficiary(pinfl=member.pinfl, name=name, bank_code=bank.bank_code, account_kind=bank.kind,
                       account_number=bank.number)


def read_batch(files: FileStore, key: str) -> Iterator[PaymentLine]:
    raw = files.get(key)
    if raw is None:
        raise NotFound(f"manifest batch {key} not found", code="not_found")
    try:
        lines = lines_from_text(raw)
    except (ValueError, IndexError):
        raise Conflict(f"manifest batch {key} is not in the lines format", code="manifest_format") from None
    yield from lines
