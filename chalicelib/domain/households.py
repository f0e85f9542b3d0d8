"""Households and their members: the registry's record of who lives together and where.

Pure data and rules; validation of identifiers happens at the API edge (``chalicelib.api.schemas``)
and again here where an invariant spans several members (one head, unique PINFLs).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from chalicelib.domain.errors import Conflict, ValidationFailed

RELATIONSHIPS = ("head", "spouse", "child", "parent", "grandchild", "sibling", "other")
LANGUAGES = ("uz-Latn", "uz-Cyrl", "ru", "kaa")
MAX_MEMBERS = 40
# The member fields a change may touch (PINFL, birth date and sex are fixed once registered).
MEMBER_FIELDS = ("surname", "given_name", "patronymic", "phone", "language", "relationship", "document")


@dataclass(frozen=True)
class Document:
    kind: str  # passport, id_card or birth_certificate
    number: str


@dataclass(frozen=True)
class Member:
    person_id: str
    pinfl: str
    surname: str
    given_name: str
    birth_date: date
    sex: str
    relationship: str
    document: Document
    patronymic: str | None = None
    phone: str | None = None
    language: str = "uz-Latn"

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


@dataclass(frozen=True)
class Address:
    region_code: str
    district_code: str
    mahalla_code: str
    address_line: str = ""


SEALED = "sealed:"


def mask_number(number: str) -> str:
    """The last four digits, the rest starred; of a sealed number, the mask stored beside it."""
    if number.startswith(SEALED):
        return number.split(":", 2)[1]
    return f"{'*' * (len(number) - 4)}{number[-4:]}"


def sealed_ciphertext(number: str) -> str:
    """The ciphertext part of a sealed number (``sealed:<mask>:<ciphertext>``)."""
    if not number.startswith(SEALED):
        raise ValueError("the number is not sealed")
    return number.split(":", 2)[2]


def same_number(stored: str, paid: str) -> bool:
    """Whether a household's stored number is still the one a payment went to, without opening either.

    The repository seals a number only when one is set (an approved payout account change), with a fresh
    nonce and data key; a number it keeps stays the very same sealed string. So an identical string is
    the same number, a different mask a different one, and a different ciphertext under the same mask
    is a number set again since the payment: counted as a correction (the digits cannot be compared
    without ``kms:Decrypt``, which only the payment-file writer holds). A plain number (older lines)
    against a sealed one is compared by mask.
    """
    if stored == paid:
        return True
    if stored.startswith(SEALED) == paid.startswith(SEALED):
        return False  # two plain numbers that differ, or a sealed number set again since
    return mask_number(stored) == mask_number(paid)


def bank_context(household_id: str) -> str:
    """What a sealed bank number is bound to: its household and field (a copy elsewhere fails to open)."""
    return f"{household_id}/bank_account"


@dataclass(frozen=True)
class BankAccount:
    """Where benefits are paid: a payment card (16 digits) or a bank account (20 digits).

    ``number`` holds the digits as entered; once stored, ``sealed:<mask>:<ciphertext>`` (the
    household repository seals it with a KMS data key, so a table export or backup never holds the
    digits; the mask beside it serves every read; only the payment-file writer reveals the digits).
    """

    kind: str  # card or account
    number: str
    bank_code: str = "XALQ"

    @property
    def sealed(self) -> bool:
        return self.number.startswith(SEALED)

    def masked(self) -> str:
        return mask_number(self.number)

    def sealed_with(self, ciphertext: str) -> BankAccount:
        return replace(self, number=f"{SEALED}{self.masked()}:{ciphertext}")

    def shown(self) -> dict[str, str]:
        """The account as responses and change records show it: the number masked."""
        return {"kind": self.kind, "number": self.masked(), "bank_code": self.bank_code}


@dataclass(frozen=True)
class Household:
    household_id: str
    address: Address
    members: tuple[Member, ...]
    bank_account: BankAccount | None = None
    version: int = 1
    created_at: str = ""
    updated_at: str = ""

    @property
    def head(self) -> Member:
        return next(m for m in self.members if m.relationship == "head")

    def member(self, person_id: str) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)


@dataclass(frozen=True)
class ChangeRecord:
    """One accepted change to a household or one of its members, kept forever."""

    household_id: str
    version: int
    at: str
    actor_id: str
    actor_role: str
    action: str
    target: str  # "household" or "member:<person_id>"
    old: dict[str, Any] = field(default_factory=dict)
    new: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    # A change made by approving a change request: the request and who reported it (the actor approved).
    request_id: str | None = None
    requested_by: str | None = None
    requested_role: str | None = None


def check_members(members: tuple[Member, ...] | list[Member], field_prefix: str = "members") -> None:
    """Invariants over a whole household: one head, unique people, at most MAX_MEMBERS."""
    if not members:
        raise ValidationFailed("a household needs at least one member", field=field_prefix)
    if len(members) > MAX_MEMBERS:
        raise ValidationFailed(f"a household has at most {MAX_MEMBERS} members", field=field_prefix)
    heads = [i for i, m in enumerate(members) if m.relationship == "head"]
    if len(heads) != 1:
        raise ValidationFailed("exactly one member must be the head", field=field_prefix, code="one_head_required")
    seen_pinfl: dict[str, int] = {}
    seen_ids: set[str] = set()
    for i, m in enumerate(members):
        if m.pinfl in seen_pinfl:
            raise ValidationFailed(
                f"members {seen_pinfl[m.pinfl]} and {i} have the same PINFL",
                field=f"{field_prefix}[{i}].pinfl",
                code="duplicate_member",
            )
        seen_pinfl[m.pinfl] = i
        if m.person_id and m.person_id in seen_ids:
            raise ValidationFailed("duplicate person id", field=f"{field_prefix}[{i}]", code="duplicate_member")
        seen_ids.add(m.person_id)


def diff(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fields that differ, as (old values, new values)."""
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}


def expect_version(household: Household, expected: int) -> None:
    if household.version != expected:
        raise Conflict(
            f"household {household.household_id} is at version {household.version}, not {expected}; "
            "reload it and apply the change again",
            field="version",
            code="stale_version",
        )


def with_member_replaced(household: Household, member: Member) -> Household:
    members = tuple(member if m.person_id == member.person_id else m for m in household.members)
    return replace(household, members=members)


def household_fields(h: Household) -> dict[str, Any]:
    """The household's own fields as change records show them (old and new values).

    Change records hold the bank number's mask only: the number itself lives sealed in the household item."""
    return {"address": as_plain(h.address), "bank_account": h.bank_account.shown() if h.bank_account else None}


def member_fields(m: Member) -> dict[str, Any]:
    """A member's fields as change records show them."""
    plain: dict[str, Any] = as_plain(m)
    return {k: plain[k] for k in ("pinfl", "birth_date", "sex", *MEMBER_FIELDS)}


def as_plain(value: Any) -> Any:
    """A dataclass (or nested ones) as JSON-ready plain data; dates become ISO strings."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
