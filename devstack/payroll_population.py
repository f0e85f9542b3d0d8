"""Synthetic payroll beneficiaries: households with a bank account and their assignments (never deployed).

Deterministic from an index, so a household or an assignment can be rebuilt on demand instead of
held in memory: ``LazyHouseholds`` and ``LazyAssignments`` serve two million beneficiaries to the
payroll service through its ordinary ports with a few megabytes (the benchmark), and ``build``
returns small populations as lists (tests, the demo).

Account numbers are chosen so the local bank's rules bite on a known share: numbers ending 0000
(AC01), 4444 (AC04) and 7777 (unclaimed, returned) about once in 500 each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from chalicelib.domain import geography, months
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.households import Address, BankAccount, Document, Household, Member

PROGRAMMES = (("child_allowance", 250_000, 0), ("material_assistance", 380_000, 0),
              ("caregiver_allowance", 500_000, 0), ("maternity_lump_sum", 0, 1_500_000))
_MAHALLAS = tuple(m for m in geography.mahallas())
SURNAMES = ("Karimov", "Yusupova", "Rahimov", "Tosheva", "Ergashev", "Nazarova", "Qodirov", "O'ktamova")
GIVEN = ("Jasur", "Dilnoza", "Sardor", "Madina", "Akmal", "Gulnora", "Bekzod", "Nilufar")


def _h(i: int, salt: str) -> int:
    return int(hashlib.blake2b(f"{salt}|{i}".encode(), digest_size=8).hexdigest(), 16)


def household_id(i: int) -> str:
    return f"hh-{i:012d}"


def person_id(i: int) -> str:
    return f"per-{i:012d}"


def pinfl(i: int) -> str:
    return f"3{i:013d}"


def account_number(i: int) -> str:
    special = _h(i, "acct") % 500
    tail = {0: "0000", 1: "4444", 2: "7777"}.get(special, f"{1 + _h(i, 'tail') % 3999:04d}")
    return f"8600{_h(i, 'card') % 10**8:08d}{tail}"


def household(i: int) -> Household:
    m = _MAHALLAS[_h(i, "place") % len(_MAHALLAS)]
    district = geography.district_of_mahalla(m.code)
    assert district is not None
    region = geography.region_of_district(district.code)
    assert region is not None
    head = Member(person_id=person_id(i), pinfl=pinfl(i), surname=SURNAMES[i % len(SURNAMES)],
                  given_name=GIVEN[(i // 8) % len(GIVEN)], birth_date=date(1985, 1 + i % 12, 1 + i % 28), sex="F",
                  relationship="head", document=Document("id_card", f"AD{i % 10**7:07d}"),
                  phone=f"+99890{i % 10**7:07d}", language=("uz-Latn", "uz-Cyrl", "ru")[i % 3])
    return Household(household_id=household_id(i), address=Address(region.code, district.code, m.code),
                     members=(head,), bank_account=BankAccount("card", account_number(i), "XALQ"))


def assignment(i: int, month: str, programme_index: int | None = None) -> Assignment:
    """Beneficiary ``i``'s assignment; one in twenty is a lump sum first paid in ``month``."""
    programme, monthly, lump = PROGRAMMES[programme_index if programme_index is not None else
                                          (3 if i % 20 == 0 else i % 3)]
    first = month if lump or i % 7 == 0 else months.add(month, -(i % 6))
    h = household(i)
    return Assignment(
        assignment_id=f"app-{i:012d}:{programme}", application_id=f"app-{i:012d}", household_id=h.household_id,
        beneficiary_person_id=person_id(i), programme=programme, monthly_amount=monthly,
        months=12 if monthly else 0, lump_sum=lump, first_month=first,
        last_month=months.add(first, 11) if monthly else first, rules_version="2026.1",
        region_code=h.address.region_code, district_code=h.address.district_code,
        mahalla_code=h.address.mahalla_code, decided_at="2026-01-01T00:00:00+00:00")


def build(n: int, month: str) -> tuple[list[Household], list[Assignment]]:
    return [household(i) for i in range(n)], [assignment(i, month) for i in range(n)]


class LazyHouseholds:
    """A read-only HouseholdRepository over ``household(i)`` for i < n."""

    def __init__(self, n: int) -> None:
        self.n = n

    def get(self, hid: str) -> Household | None:
        i = int(hid[3:]) if hid.startswith("hh-") and hid[3:].isdigit() else -1
        return household(i) if 0 <= i < self.n else None


class LazyAssignments:
    """A read-only AssignmentRepository over ``assignment(i, month)``; suspensions kept in a dict."""

    def __init__(self, n: int, month: str) -> None:
        self.n = n
        self.month = month
        self.status: dict[str, tuple[str, str | None]] = {}

    def active_in(self, month: str) -> Iterator[Assignment]:
        for i in range(self.n):
            a = assignment(i, self.month)
            if a.assignment_id in self.status:
                status, reason = self.status[a.assignment_id]
                a = replace(a, status=status, suspended_reason=reason)
            if a.pays_in(month):
                yield a

    def set_status(self, assignment_id: str, status: str, reason: str | None = None) -> None:
        self.status[assignment_id] = (status, reason)
