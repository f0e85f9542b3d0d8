"""Request bodies, validated at the edge with pydantic (extra fields are refused).

Each validator that can fail on an identifier raises a ``PydanticCustomError`` whose type is the
stable error code the API returns (``invalid_pinfl``, ``invalid_phone``, ...). Messages never echo
the value that was sent.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain import change_requests as cr
from chalicelib.domain.applications import CHANNELS, DOCUMENT_KINDS, PROGRAMMES
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.evidence import IncomeFact, PersonFacts
from chalicelib.domain.households import RELATIONSHIPS, Address, BankAccount, Document, Member
from chalicelib.domain.identifiers import is_luhn_valid, is_well_formed_pinfl

_ID_DOCUMENT = re.compile(r"^[A-Z]{2}[0-9]{7}$")
_BIRTH_CERTIFICATE = re.compile(r"^[A-Z]{1,4}-[A-Z]{2} ?[0-9]{7}$")
_NAME = re.compile(r"^[^\d\x00-\x1f<>{}\[\]\\/\"]{1,60}$")


def _pinfl(value: str) -> str:
    if not is_well_formed_pinfl(value):
        raise PydanticCustomError("invalid_pinfl", "a PINFL is 14 digits with a valid check digit")
    return value


def _phone(value: str) -> str:
    import phonenumbers  # its metadata is loaded by the first phone number, not by the API's cold start

    try:
        number = phonenumbers.parse(value, "UZ")
    except phonenumbers.NumberParseException:
        raise PydanticCustomError("invalid_phone", "not a phone number") from None
    if number.country_code != 998 or not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("invalid_phone", "a mobile number in Uzbekistan (+998) is required")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _name(value: str) -> str:
    value = value.strip()
    if not _NAME.match(value):
        raise PydanticCustomError("invalid_name", "a name is 1 to 60 letters, without digits or markup")
    return value


Pinfl = Annotated[str, AfterValidator(_pinfl)]
Phone = Annotated[str, AfterValidator(_phone)]
Name = Annotated[str, AfterValidator(_name)]
Programme = Literal["child_allowance", "material_assistance", "disabled_child_caregiver", "maternity_non_state"]
Channel = Literal["mahalla", "pension_fund", "portal", "mobile"]
Language = Literal["uz-Latn", "uz-Cyrl", "ru", "kaa"]
Relationship = Literal["head", "spouse", "child", "parent", "grandchild", "sibling", "other"]
DocumentKind = Literal["id_document", "birth_certificate", "disability_certificate", "income_statement", "other"]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]

assert set(PROGRAMMES) == set(Programme.__args__)  # type: ignore[attr-defined]
assert set(CHANNELS) == set(Channel.__args__)  # type: ignore[attr-defined]
assert set(RELATIONSHIPS) == set(Relationship.__args__)  # type: ignore[attr-defined]
assert set(DOCUMENT_KINDS) == set(DocumentKind.__args__)  # type: ignore[attr-defined]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class IdentityDocumentIn(Strict):
    kind: Literal["passport", "id_card", "birth_certificate"]
    number: str = Field(max_length=20)

    @model_validator(mode="after")
    def _number_format(self) -> IdentityDocumentIn:
        pattern = _BIRTH_CERTIFICATE if self.kind == "birth_certificate" else _ID_DOCUMENT
        if not pattern.match(self.number):
            expected = "series and 7 digits, e.g. I-TN 1234567" if self.kind == "birth_certificate" \
                else "2 letters and 7 digits"
            raise PydanticCustomError("invalid_document_number", f"a {self.kind} number is {expected}")
        return self

    def to_domain(self) -> Document:
        return Document(kind=self.kind, number=self.number)


class MemberIn(Strict):
    pinfl: Pinfl
    document: IdentityDocumentIn
    surname: Name
    given_name: Name
    patronymic: Name | None = None
    birth_date: date
    sex: Literal["M", "F"]
    relationship: Relationship
    phone: Phone | None = None
    language: Language = "uz-Latn"

    @model_validator(mode="after")
    def _plausible(self) -> MemberIn:
        today = date.today()
        if self.birth_date > today or self.birth_date.year < 1900:
            raise PydanticCustomError("invalid_birth_date", "the birth date must be between 1900 and today")
        age = today.year - self.birth_date.year - ((today.month, today.day) < (self.birth_date.month,
                                                                                 self.birth_date.day))
        if age >= 16 and self.document.kind == "birth_certificate":
            raise PydanticCustomError("invalid_document_kind", "a person aged 16 or more needs an ID card or passport")
        return self

    def to_domain(self) -> Member:
        return Member(person_id="", pinfl=self.pinfl, surname=self.surname, given_name=self.given_name,
                      patronymic=self.patronymic, birth_date=self.birth_date, sex=self.sex,
                      relationship=self.relationship, document=self.document.to_domain(), phone=self.phone,
                      language=self.language)


class AddressIn(Strict):
    region_code: str = Field(pattern=r"^[0-9]{4}$")
    district_code: str = Field(pattern=r"^[0-9]{7}$")
    mahalla_code: str = Field(pattern=r"^[0-9]{10}$")
    address_line: str = Field(default="", max_length=200)

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


class BankAccountIn(Strict):
    kind: Literal["card", "account"]
    number: str
    bank_code: str = Field(default="XALQ", pattern=r"^[A-Z0-9]{2,11}$")

    @model_validator(mode="after")
    def _number(self) -> BankAccountIn:
        if self.kind == "card" and not (re.fullmatch(r"[0-9]{16}", self.number) and is_luhn_valid(self.number)):
            raise PydanticCustomError("invalid_card_number", "a card number is 16 digits with a valid check digit")
        if self.kind == "account" and not re.fullmatch(r"[0-9]{20}", self.number):
            raise PydanticCustomError("invalid_account_number", "an account number is 20 digits")
        return self

    def to_domain(self) -> BankAccount:
        return BankAccount(kind=self.kind, number=self.number, bank_code=self.bank_code)


class ApplicationIn(Strict):
    programmes: list[Programme] = Field(min_length=1, max_length=4)
    channel: Channel
    address: AddressIn
    applicant_pinfl: Pinfl
    members: list[MemberIn] = Field(min_length=1, max_length=40)
    bank_account: BankAccountIn | None = None

    @model_validator(mode="after")
    def _unique_programmes(self) -> ApplicationIn:
        if len(set(self.programmes)) != len(self.programmes):
            raise PydanticCustomError("duplicate_programme", "each programme is requested once")
        return self


class HouseholdPatch(Strict):
    version: int = Field(ge=1)
    address: AddressIn | None = None
    bank_account: BankAccountIn | None = None
    reason: str | None = Field(default=None, max_length=500)


class MemberPatch(Strict):
    version: int = Field(ge=1)
    surname: Name | None = None
    given_name: Name | None = None
    patronymic: Name | None = None
    phone: Phone | None = None
    language: Language | None = None
    relationship: Relationship | None = None
    document: IdentityDocumentIn | None = None
    reason: str | None = Field(default=None, max_length=500)

    def changed_fields(self) -> dict[str, object]:
        fields = self.model_dump(exclude_unset=True, exclude={"version", "reason", "document"})
        if self.document is not None:
            fields["document"] = self.document.to_domain()
        return fields


class MemberAdd(Strict):
    version: int = Field(ge=1)
    member: MemberIn
    reason: str | None = Field(default=None, max_length=500)


class DocumentUploadIn(Strict):
    kind: DocumentKind
    content_type: str = Field(max_length=100)
    size_bytes: int = Field(gt=0)


AGENCIES = Literal["tax", "civil_registry", "disability", "cadastre", "traffic_police", "pension_fund",
                   "penitentiary", "labour", "education", "enforcement", "depository", "defence",
                   "local_government"]


class IncomeIn(Strict):
    month: Month
    source: Literal["salary", "entrepreneurial", "property", "pension", "benefit", "alimony_received",
                    "unemployment_benefit", "public_works", "securities", "sp_benefit"]
    amount: int = Field(ge=0, le=10**15)


class AlimonyIn(Strict):
    month: Month
    amount: int = Field(ge=0, le=10**15)


class DisabilityIn(Strict):
    group: Literal[1, 2, 3]
    until: date | None = None
    condition_code: str | None = Field(default=None, max_length=20)


class StudentIn(Strict):
    kind: Literal["university", "college", "technical", "lyceum", "vocational", "school"]
    full_time: bool = True


class VehicleIn(Strict):
    type: Literal["passenger", "truck", "bus", "motorcycle", "tractor", "trailer"]
    manufactured_year: int = Field(ge=1900, le=9999)
    adapted_for_disability: bool = False


class RealEstateIn(Strict):
    kind: Literal["dwelling", "non_residential", "land"]


class PersonFactsIn(Strict):
    """One agency's facts about one member, named as the connectors name them (``PersonFacts``);
    the service accepts only those the named agency supplies."""

    id: str = Field(min_length=1, max_length=64)
    incomes: list[IncomeIn] | None = Field(default=None, max_length=120)
    alimony_paid: list[AlimonyIn] | None = Field(default=None, max_length=12)
    birth_date: date | None = None
    sex: Literal["M", "F"] | None = None
    death_date: date | None = None
    parent_pinfls: list[Pinfl] | None = Field(default=None, max_length=2)
    disability: DisabilityIn | None = None
    student: StudentIn | None = None
    military_conscript: bool | None = None
    detained: bool | None = None
    job_seeker_registered: bool | None = None
    employment_sector: Literal["state", "non_state", "none"] | None = None
    iron_notebook: bool | None = None
    vehicles: list[VehicleIn] | None = Field(default=None, max_length=20)
    real_estate: list[RealEstateIn] | None = Field(default=None, max_length=20)
    securities_market_value: int | None = Field(default=None, ge=0, le=10**15)

    def to_domain(self) -> PersonFacts:
        def items(rows: list[Any] | None) -> list[dict[str, Any]]:
            return [r.model_dump() for r in rows or []]

        return PersonFacts(
            incomes=[IncomeFact(i.month, i.source, i.amount) for i in self.incomes or []],
            alimony_paid=[(a.month, a.amount) for a in self.alimony_paid or []],
            birth_date=self.birth_date, sex=self.sex, death_date=self.death_date,
            parent_pinfls=tuple(self.parent_pinfls) if self.parent_pinfls is not None else None,
            disability=self.disability.model_dump(exclude_none=True, mode="json") if self.disability else None,
            student=self.student.model_dump() if self.student else None,
            military_conscript=self.military_conscript, detained=self.detained,
            job_seeker_registered=self.job_seeker_registered, employment_sector=self.employment_sector,
            iron_notebook=self.iron_notebook, vehicles=items(self.vehicles), real_estate=items(self.real_estate),
            securities_market_value=self.securities_market_value)


class ManualEvidenceIn(Strict):
    agency: AGENCIES
    members: list[PersonFactsIn] = Field(min_length=1, max_length=40)
    justification: str = Field(min_length=10, max_length=1000)
    document_id: str = Field(min_length=1, max_length=64)


class SecondOfficerApprovalIn(Strict):
    note: str | None = Field(default=None, max_length=500)


class SecondOfficerRejectionIn(Strict):
    reason: str = Field(min_length=10, max_length=1000)


class RerunIn(Strict):
    note: str = Field(min_length=3, max_length=500)


class AssessmentPreviewIn(Strict):
    evidence: dict[str, object]


ChangeKind = Literal["payout_account", "phone", "address", "member_moves_in", "member_moves_out", "death"]
RejectionReason = Literal["documents_missing", "not_confirmed", "duplicate", "no_longer_applies", "other"]
PersonId = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,64}$")]

assert set(cr.KINDS) == set(ChangeKind.__args__)  # type: ignore[attr-defined]
assert set(cr.REJECTION_REASONS) == set(RejectionReason.__args__)  # type: ignore[attr-defined]

# The fields each kind of change request needs, and the ones it may carry besides.
_NEEDS: dict[str, tuple[str, ...]] = {
    "payout_account": ("bank_account",), "phone": ("person_id", "phone"), "address": ("address",),
    "member_moves_in": ("member",), "member_moves_out": ("person_id",), "death": ("person_id", "died_on"),
}
_MAY: dict[str, tuple[str, ...]] = {"member_moves_out": ("new_head_person_id",), "death": ("new_head_person_id",)}


class ChangeRequestIn(Strict):
    """A reported change to a household, with the fields of its kind only: ``payout_account``:
    bank_account; ``phone``: person_id, phone; ``address``: address; ``member_moves_in``: member;
    ``member_moves_out``: person_id (and new_head_person_id when the head leaves); ``death``:
    person_id, died_on (and new_head_person_id)."""

    kind: ChangeKind
    version: int = Field(ge=1, description="the household version the change was read at")
    bank_account: BankAccountIn | None = None
    person_id: PersonId | None = None
    phone: Phone | None = None
    address: AddressIn | None = None
    member: MemberIn | None = None
    died_on: date | None = None
    new_head_person_id: PersonId | None = None
    note: str | None = Field(default=None, max_length=500)

    def to_domain(self) -> cr.Payload:
        given = self.model_fields_set - {"kind", "version", "note"}
        for name in _NEEDS[self.kind]:
            if getattr(self, name) is None:
                raise ValidationFailed(f"a {self.kind} change needs {name}", field=name, code="missing_field")
        for name in sorted(given - set(_NEEDS[self.kind]) - set(_MAY.get(self.kind, ()))):
            raise ValidationFailed(f"a {self.kind} change has no {name}", field=name, code="unknown_field")
        if self.died_on is not None and self.died_on > date.today():
            raise ValidationFailed("the date of death cannot be in the future", field="died_on", code="invalid_date")
        # The checks above guarantee the fields each branch reads.
        if self.kind == "payout_account" and self.bank_account:
            return cr.PayoutAccountChange(bank_account=self.bank_account.to_domain())
        if self.kind == "phone" and self.person_id and self.phone:
            return cr.PhoneChange(person_id=self.person_id, phone=self.phone)
        if self.kind == "address" and self.address:
            return cr.AddressChange(address=self.address.to_domain())
        if self.kind == "member_moves_in" and self.member:
            return cr.MemberMovesIn(member=self.member.to_domain())
        if self.kind == "member_moves_out" and self.person_id:
            return cr.MemberMovesOut(person_id=self.person_id, new_head_person_id=self.new_head_person_id)
        assert self.person_id and self.died_on
        return cr.MemberDied(person_id=self.person_id, died_on=self.died_on,
                             new_head_person_id=self.new_head_person_id)


class ChangeApprovalIn(Strict):
    version: int = Field(ge=1, description="the household version the approver read")
    note: str | None = Field(default=None, max_length=500)


class ChangeRejectionIn(Strict):
    reason: RejectionReason | None = Field(default=None, description="required; 'other' needs a note")
    note: str | None = Field(default=None, max_length=500)


class ChangeCancellationIn(Strict):
    note: str | None = Field(default=None, max_length=500)
