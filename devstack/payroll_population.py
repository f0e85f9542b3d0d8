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
from array import array
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from chalicelib.domain import geography, months
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.households import Address, BankAccount, Document, Household, Member, bank_context
from chalicelib.ports import FieldCipher

PROGRAMMES = (("child_allowance", 250_000, 0), ("material_assistance", 380_000, 0),
              ("caregiver_allowance", 500_000, 0), ("maternity_lump_sum", 0, 1_500_000))

def _place(m: geography.Mahalla) -> tuple[str, str, str]:
    district = geography.district_of_mahalla(m.code)
    assert district is not None
    return m.code, district.code, district.region_code


# (mahalla, district, region) for every mahalla, looked up once, and its (immutable, shared) Address.
_PLACES = tuple(_place(m) for m in geography.mahallas())
_ADDRESSES = tuple(Address(region, district, mahalla) for mahalla, district, region in _PLACES)
_DOCUMENT = Document("id_card", "AD0000000")  # shared: the payroll never reads it
SURNAMES = ("Karimov", "Yusupova", "Rahimov", "Tosheva", "Ergashev", "Nazarova", "Qodirov", "O'ktamova")
GIVEN = ("Jasur", "Dilnoza", "Sardor", "Madina", "Akmal", "Gulnora", "Bekzod", "Nilufar")


_MASK = (1 << 64) - 1
_SALTS: dict[str, int] = {}


def _h(i: int, salt: str) -> int:
    """A well-mixed 64-bit number from (salt, i) (splitmix64): deterministic, and cheap enough for millions."""
    s = _SALTS.get(salt)
    if s is None:
        s = _SALTS.setdefault(salt, int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=8).digest(), "big"))
    x = (i * 0x9E3779B97F4A7C15 + s) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def household_id(i: int) -> str:
    return f"hh-{i:012d}"


def person_id(i: int) -> str:
    return f"per-{i:012d}"


def pinfl(i: int) -> str:
    return f"3{i:013d}"


def account_number(i: int) -> str:
    h = _h(i, "acct")
    special = h % 500
    tail = {0: "0000", 1: "4444", 2: "7777"}.get(special, f"{1 + (h >> 16) % 3999:04d}")
    return f"8600{(h >> 32) % 10**8:08d}{tail}"


def _make[T](cls: type[T], **values: object) -> T:
    """An instance without running the frozen dataclass __init__ (its per-field object.__setattr__ is
    what makes two million synthetic records slow). Only for this generator: the fields are all given."""
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


_BIRTHS = tuple(date(1985, 1 + k % 12, 1 + k % 28) for k in range(336))


def household(i: int, place: int | None = None, account: str | None = None) -> Household:
    head = _make(Member, person_id=f"per-{i:012d}", pinfl=f"3{i:013d}", surname=SURNAMES[i % len(SURNAMES)],
                 given_name=GIVEN[(i // 8) % len(GIVEN)], patronymic=None, birth_date=_BIRTHS[i % 336], sex="F",
                 relationship="head", document=_DOCUMENT, phone=f"+99890{i % 10**7:07d}",
                 language=("uz-Latn", "uz-Cyrl", "ru")[i % 3])
    where = _h(i, "place") % len(_PLACES) if place is None else place
    return _make(Household, household_id=f"hh-{i:012d}", address=_ADDRESSES[where],
                 members=(head,), bank_account=_make(BankAccount, kind="card",
                                                     number=account or account_number(i), bank_code="XALQ"),
                 version=1, created_at="", updated_at="")


_FIRSTS: dict[tuple[str, int], str] = {}


def assignment(i: int, month: str, programme_index: int | None = None, place: int | None = None) -> Assignment:
    """Beneficiary ``i``'s assignment; one in twenty is a lump sum first paid in ``month``."""
    programme, monthly, lump = PROGRAMMES[programme_index if programme_index is not None else
                                          (3 if i % 20 == 0 else i % 3)]
    back = 0 if lump or i % 7 == 0 else i % 6
    first = _FIRSTS.get((month, back)) or _FIRSTS.setdefault((month, back), months.add(month, -back))
    last = (_FIRSTS.get((first, 11)) or _FIRSTS.setdefault((first, 11), months.add(first, 11))) if monthly else first
    mahalla, district, region = _PLACES[_h(i, "place") % len(_PLACES) if place is None else place]
    return _make(
        Assignment, assignment_id=f"app-{i:012d}:{programme}", application_id=f"app-{i:012d}",
        household_id=household_id(i), beneficiary_person_id=person_id(i), programme=programme,
        monthly_amount=monthly, months=12 if monthly else 0, lump_sum=lump, first_month=first, last_month=last,
        rules_version="2026.1", region_code=region, district_code=district, mahalla_code=mahalla, status="active",
        decided_at="2026-01-01T00:00:00+00:00", suspended_reason=None)


def build(n: int, month: str, districts: int = 0) -> tuple[list[Household], list[Assignment]]:
    """``n`` households and their assignments; with ``districts``, living in that many districts only
    (a state machine on moto runs one Map iteration per district: small tests keep to a few)."""
    households, assignments = [household(i) for i in range(n)], [assignment(i, month) for i in range(n)]
    if districts:
        seen: dict[str, int] = {}
        places = [p for k, p in enumerate(_PLACES) if seen.setdefault(p[1], k) == k][:districts]
        for k, (h, a) in enumerate(zip(households, assignments, strict=True)):
            mahalla, district, region = places[k % len(places)]
            households[k] = replace(h, address=Address(region, district, mahalla))
            assignments[k] = replace(a, region_code=region, district_code=district, mahalla_code=mahalla)
    return households, assignments


class Prepared:
    """The population's random parts (each beneficiary's place and account number), drawn once ahead of
    a benchmark's timed part: what remains to build a record is formatting, as parsing a stored item."""

    def __init__(self, n: int) -> None:
        self.places = array("H", (_h(i, "place") % len(_PLACES) for i in range(n)))
        self.accounts = [account_number(i) for i in range(n)]


class LazyHouseholds:
    """A read-only HouseholdRepository over ``household(i)`` for i < n."""

    def __init__(self, n: int, prepared: Prepared | None = None, cipher: FieldCipher | None = None) -> None:
        self.n = n
        self.prepared = prepared
        self.cipher = cipher  # given: bank numbers come sealed, as the registry stores them

    def get(self, hid: str) -> Household | None:
        i = int(hid[3:]) if hid.startswith("hh-") and hid[3:].isdigit() else -1
        if not 0 <= i < self.n:
            return None
        found = household(i) if self.prepared is None else household(i, self.prepared.places[i],
                                                                      self.prepared.accounts[i])
        bank = found.bank_account
        if self.cipher is None or bank is None:
            return found
        return replace(found, bank_account=bank.sealed_with(self.cipher.seal(bank.number, bank_context(hid))))

    def get_many(self, household_ids: list[str]) -> dict[str, Household]:
        if self.cache is not None:
            return {h: self.cache[h] for h in household_ids if h in self.cache}
        found = {h: self.get(h) for h in household_ids}
        return {h: household for h, household in found.items() if household is not None}

    cache: dict[str, Household] | None = None

    def prefetch(self, household_ids: list[str]) -> None:
        """Builds these households ahead (a benchmark's untimed part); ``get_many`` then serves them only."""
        self.cache = {h: household for h in household_ids if (household := self.get(h)) is not None}


class LazyAssignments:
    """A read-only AssignmentRepository over ``assignment(i, month)``; suspensions kept in a dict."""

    shard_count = 16

    def __init__(self, n: int, month: str, prepared: Prepared | None = None) -> None:
        self.n = n
        self.month = month
        self.status: dict[str, tuple[str, str | None]] = {}
        self.places = prepared.places if prepared is not None else None

    cache: tuple[int | None, list[Assignment]] | None = None

    def prefetch(self, month: str, shard: int) -> list[Assignment]:
        """Builds the shard's assignments ahead (a benchmark's untimed part); ``active_in`` then serves them."""
        self.cache = None
        self.cache = (shard, list(self.active_in(month, shard)))
        return self.cache[1]

    def active_in(self, month: str, shard: int | None = None) -> Iterator[Assignment]:
        if self.cache is not None and self.cache[0] == shard:
            yield from self.cache[1]
            return
        for i in range(self.n) if shard is None else range(shard, self.n, self.shard_count):
            a = assignment(i, self.month, place=self.places[i] if self.places is not None else None)
            if a.assignment_id in self.status:
                status, reason = self.status[a.assignment_id]
                a = replace(a, status=status, suspended_reason=reason)
            if a.pays_in(month):
                yield a

    def set_status(self, assignment_id: str, status: str, reason: str | None = None) -> None:
        self.status[assignment_id] = (status, reason)
