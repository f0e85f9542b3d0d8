"""Request bodies, validated at the edge with pydantic (extra fields are refused, types are strict).

Each validator that can fail on an identifier raises a ``PydanticCustomError`` whose type is the
stable error code the API returns (``invalid_pinfl``, ``invalid_phone``, ...). Messages never echo
the value that was sent. Every check a validator makes is also in the JSON schema the OpenAPI
document publishes (a pattern, an enum, a bound, or a named format: ``pinfl`` for the PINFL's check
digit, ``card-number`` for the Luhn digit); what a schema cannot say (one head per household, the
applicant among the members, a birth date between 1900 and today) is in the field's description.
Every array and free-form object has a maximum size. The edge (``http.parse_body``) validates in
strict mode: no string or boolean for an integer, no integer or string for a boolean.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from chalicelib.domain import cases, grievances
from chalicelib.domain import change_requests as cr
from chalicelib.domain.applications import CHANNELS, DOCUMENT_KINDS, PROGRAMMES
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.evidence import IncomeFact, PersonFacts
from chalicelib.domain.households import RELATIONSHIPS, Address, BankAccount, Document, Member
from chalicelib.domain.identifiers import (
    APPLICATION_ID,
    DISTRICT_CODE,
    HOUSEHOLD_ID,
    MAHALLA_CODE,
    MONTH,
    REGION_CODE,
    is_luhn_valid,
    is_well_formed_pinfl,
)

ID_DOCUMENT = r"^[A-Z]{2}[0-9]{7}$"
BIRTH_CERTIFICATE = r"^[A-Z]{1,4}-[A-Z]{2} ?[0-9]{7}$"
PINFL = r"^[1-6][0-9]{13}$"
CARD = r"^[0-9]{16}$"
ACCOUNT = r"^[0-9]{20}$"
# A mobile number in E.164: +998, an operator code, 7 digits (what phonenumbers calls MOBILE for UZ).
PHONE = r"^\+998(20|33|50|70|77|80|87|88|90|91|93|94|95|97|98|99)[0-9]{7}$"
_NAME_CHAR = r'[^\s0-9\x00-\x1f\x7f-\x9f<>{}\[\]\\/"]'
_NAME_INNER = r'[^0-9\x00-\x1f\x7f-\x9f<>{}\[\]\\/"]'
# A name as documented: no digits, markup or control characters, no space at either end, 1 to 60 long.
NAME = rf"^{_NAME_CHAR}({_NAME_INNER}{{0,58}}{_NAME_CHAR})?$"
_ID_DOCUMENT = re.compile(ID_DOCUMENT)
_BIRTH_CERTIFICATE = re.compile(BIRTH_CERTIFICATE)
_PHONE = re.compile(PHONE.removeprefix("^").removesuffix("$"))
_NAME = re.compile(rf"^{_NAME_INNER}{{1,60}}$")


def _pinfl(value: str) -> str:
    if not is_well_formed_pinfl(value):
        raise PydanticCustomError("invalid_pinfl", "a PINFL is 14 digits with a valid check digit")
    return value


def _phone(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise PydanticCustomError("invalid_phone", "a mobile number in Uzbekistan, +998 and 9 digits, is required")
    import phonenumbers  # its metadata is loaded by the first phone number, not by the API's cold start

    if not phonenumbers.is_valid_number(phonenumbers.parse(value, "UZ")):  # the pattern is the rule; this
        # guards a stale pattern
        raise PydanticCustomError("invalid_phone", "a mobile number in Uzbekistan, +998 and 9 digits, is required")
    return value


def _name(value: str) -> str:
    value = value.strip()
    if not _NAME.match(value):
        raise PydanticCustomError("invalid_name", "a name is 1 to 60 letters, without digits or markup")
    return value


def _schema(pattern: str, *, fmt: str | None = None, description: str | None = None,
            **extra: Any) -> WithJsonSchema:
    out: dict[str, Any] = {"type": "string", "pattern": pattern, **extra}
    if fmt:
        out["format"] = fmt
    if description:
        out["description"] = description
    return WithJsonSchema(out)


Pinfl = Annotated[str, AfterValidator(_pinfl), _schema(
    PINFL, fmt="pinfl", description="14 digits: sex/century, birth date DDMMYY, district, serial, and a check "
                                    "digit (weights 7-3-1, sum mod 10)")]
Phone = Annotated[str, AfterValidator(_phone), _schema(PHONE, description="a mobile number in E.164")]
Name = Annotated[str, AfterValidator(_name), _schema(NAME, maxLength=60)]
Programme = Literal["child_allowance", "material_assistance", "disabled_child_caregiver", "maternity_non_state"]
Channel = Literal["mahalla", "pension_fund", "portal", "mobile"]
Language = Literal["uz-Latn", "uz-Cyrl", "ru", "kaa"]
Relationship = Literal["head", "spouse", "child", "parent", "grandchild", "sibling", "other"]
DocumentKind = Literal["id_document", "birth_certificate", "disability_certificate", "income_statement", "other"]
def _integral(value: Any) -> Any:
    # JSON Schema counts 1.0 as an integer, so it is one here; "1", true and 1.5 stay refused (strict int).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Integral = BeforeValidator(_integral)  # last in an Annotated, so the bounds stay in the JSON schema
Month = Annotated[str, Field(pattern=MONTH)]
Som = Annotated[int, Field(ge=0, le=10**13, description="whole som"), Integral]

assert set(PROGRAMMES) == set(Programme.__args__)  # type: ignore[attr-defined]
assert set(CHANNELS) == set(Channel.__args__)  # type: ignore[attr-defined]
assert set(RELATIONSHIPS) == set(Relationship.__args__)  # type: ignore[attr-defined]
assert set(DOCUMENT_KINDS) == set(DocumentKind.__args__)  # type: ignore[attr-defined]


class Strict(BaseModel):
    # Strict typing is applied where JSON arrives (http.parse_body validates JSON in strict mode, where
    # a date is an ISO string); builders in tests validate Python dicts, where a date is a date.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _document_schema(schema: dict[str, Any]) -> None:
    schema.clear()
    schema.update({"oneOf": [
        {"type": "object", "additionalProperties": False, "required": ["kind", "number"], "properties": {
            "kind": {"type": "string", "enum": ["passport", "id_card"]},
            "number": {"type": "string", "pattern": ID_DOCUMENT, "description": "2 letters and 7 digits"}}},
        {"type": "object", "additionalProperties": False, "required": ["kind", "number"], "properties": {
            "kind": {"type": "string", "enum": ["birth_certificate"]},
            "number": {"type": "string", "pattern": BIRTH_CERTIFICATE, "description": "e.g. I-TN 1234567"}}},
    ], "description": "An identity document; a person aged 16 or more needs a passport or an ID card."})


class IdentityDocumentIn(Strict):
    model_config = ConfigDict(json_schema_extra=_document_schema)
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
    birth_date: date = Field(description="between 1900-01-01 and today")
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
    """Codes of the reference geography (GET /openapi.json does not list them: the district is in the
    region, the mahalla in the district)."""

    region_code: str = Field(pattern=REGION_CODE)
    district_code: str = Field(pattern=DISTRICT_CODE)
    mahalla_code: str = Field(pattern=MAHALLA_CODE)
    address_line: str = Field(default="", max_length=200)

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


_BANK_CODE = r"^[A-Z0-9]{2,11}$"


def _bank_schema(schema: dict[str, Any]) -> None:
    def variant(kind: str, number: dict[str, Any]) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False, "required": ["kind", "number"], "properties": {
            "kind": {"type": "string", "enum": [kind]}, "number": {"type": "string", **number},
            "bank_code": {"type": "string", "pattern": _BANK_CODE, "default": "XALQ"}}}

    schema.clear()
    schema["oneOf"] = [
        variant("card", {"pattern": CARD, "format": "card-number",
                         "description": "16 digits with a Luhn check digit"}),
        variant("account", {"pattern": ACCOUNT, "description": "20 digits"}),
    ]


class BankAccountIn(Strict):
    model_config = ConfigDict(json_schema_extra=_bank_schema)
    kind: Literal["card", "account"]
    number: str
    bank_code: str = Field(default="XALQ", pattern=_BANK_CODE)

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
    programmes: list[Programme] = Field(min_length=1, max_length=4, json_schema_extra={"uniqueItems": True})
    channel: Channel
    address: AddressIn
    applicant_pinfl: Pinfl = Field(description="the PINFL of one of the members, who has a phone")
    members: list[MemberIn] = Field(min_length=1, max_length=40, description=(
        "exactly one head; each PINFL once"))
    bank_account: BankAccountIn | None = None

    @model_validator(mode="after")
    def _unique_programmes(self) -> ApplicationIn:
        if len(set(self.programmes)) != len(self.programmes):
            raise PydanticCustomError("duplicate_programme", "each programme is requested once")
        return self


Version = Annotated[int, Field(ge=1, le=10**9, description="the household version you read"), Integral]


class HouseholdPatch(Strict):
    # a payout account change is a change request of its own (400 one_change_per_request with an address)
    model_config = ConfigDict(json_schema_extra={"not": {"required": ["address", "bank_account"]}})

    version: Version
    address: AddressIn | None = None
    bank_account: BankAccountIn | None = None
    reason: str | None = Field(default=None, max_length=500)


class MemberPatch(Strict):
    version: Version
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
    version: Version
    member: MemberIn
    reason: str | None = Field(default=None, max_length=500)


DOCUMENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024  # the default of SPSR_MAX_DOCUMENT_BYTES; the service checks the setting


def _document_type(value: str) -> str:
    if value not in DOCUMENT_TYPES:
        raise PydanticCustomError("unsupported_content_type",
                                  f"content type must be one of {', '.join(DOCUMENT_TYPES)}")
    return value


def _document_size(value: int) -> int:
    if value > MAX_DOCUMENT_BYTES:
        raise PydanticCustomError("document_too_large", f"a document is at most {MAX_DOCUMENT_BYTES} bytes")
    return value


class DocumentUploadIn(Strict):
    kind: DocumentKind
    content_type: Annotated[str, AfterValidator(_document_type), WithJsonSchema(
        {"type": "string", "enum": list(DOCUMENT_TYPES)})]
    size_bytes: Annotated[int, Field(gt=0, json_schema_extra={"maximum": MAX_DOCUMENT_BYTES}), Integral,
                          AfterValidator(_document_size)]


AGENCIES = Literal["tax", "civil_registry", "disability", "cadastre", "traffic_police", "pension_fund",
                   "penitentiary", "labour", "education", "enforcement", "depository", "defence",
                   "local_government"]


class IncomeIn(Strict):
    month: Month
    source: Literal["salary", "entrepreneurial", "property", "pension", "benefit", "alimony_received",
                    "unemployment_benefit", "public_works", "securities", "sp_benefit"]
    amount: Som


class AlimonyIn(Strict):
    month: Month
    amount: Som


class DisabilityIn(Strict):
    group: Literal[1, 2, 3]
    until: date | None = None
    condition_code: str | None = Field(default=None, max_length=20)


class StudentIn(Strict):
    kind: Literal["university", "college", "technical", "lyceum", "vocational", "school"]
    full_time: bool = True


class VehicleIn(Strict):
    type: Literal["passenger", "truck", "bus", "motorcycle", "tractor", "trailer"]
    manufactured_year: Annotated[int, Field(ge=1900, le=9999), Integral]
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
    securities_market_value: Som | None = None

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


_EVIDENCE_STRING_MAX = 64  # ids, codes: the evidence document carries no free text
_EVIDENCE_ARRAY_MAX = 120  # 40 members, 12 months of a few income sources


def _bounded(node: Any) -> Any:
    """The contract's schema with a length bound on every unbounded string and array (the edge's limit)."""
    if isinstance(node, list):
        return [_bounded(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _bounded(v) for k, v in node.items()}
    if out.get("type") == "string" and not {"pattern", "enum", "format", "maxLength", "const"} & set(out):
        out["maxLength"] = _EVIDENCE_STRING_MAX
    if out.get("type") == "array" and "maxItems" not in out:
        out["maxItems"] = _EVIDENCE_ARRAY_MAX
    return out


# Read as a file: importing chalicelib.rules would load OpenFisca into every cold start.
_ASSESSMENT_SCHEMA = Path(__file__).resolve().parent.parent / "rules" / "assessment.schema.json"


@lru_cache(maxsize=1)
def _bounded_evidence() -> dict[str, Any]:
    bounded: dict[str, Any] = _bounded(json.loads(_ASSESSMENT_SCHEMA.read_text(encoding="utf-8")))
    return bounded


@lru_cache(maxsize=1)
def _evidence_bounds() -> Any:
    from jsonschema import Draft202012Validator  # loaded by the first preview, not by the cold start

    return Draft202012Validator(_bounded_evidence())


def _evidence_within_bounds(value: dict[str, Any]) -> dict[str, Any]:
    # Only the bounds are checked here; the rules validate the document itself (code invalid_evidence).
    for error in _evidence_bounds().iter_errors({"evidence": value}):
        if error.validator in ("maxLength", "maxItems"):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in list(error.absolute_path)[1:])
            raise PydanticCustomError("string_too_long" if error.validator == "maxLength" else "too_many_items",
                                      f"evidence{where} is longer than the document allows")
    return value


def evidence_json_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """The evidence document's JSON schema (``rules/assessment.schema.json``, with the edge's bounds) and
    its definitions, with the references renamed for the OpenAPI document's components (``Evidence_<name>``)."""
    text = json.dumps(_bounded_evidence()).replace('"#/$defs/', '"#/components/schemas/Evidence_')
    full = json.loads(text)
    return full["properties"]["evidence"], {f"Evidence_{k}": v for k, v in full["$defs"].items()}


class AssessmentPreviewIn(Strict):
    evidence: Annotated[dict[str, Any], Field(max_length=40), AfterValidator(_evidence_within_bounds),
                        WithJsonSchema(evidence_json_schema()[0])] = Field(
        description="an evidence document (rules/assessment.schema.json); the period is 2024-01 or later and "
                    "birth dates are not after it")


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


def _kind_rules() -> list[dict[str, Any]]:
    """_NEEDS and _MAY in the JSON schema: per kind, its fields required (not null) and the others absent."""
    fields = {name for names in (*_NEEDS.values(), *_MAY.values()) for name in names}
    return [{"if": {"properties": {"kind": {"const": kind}}},
             "then": {"required": list(needs),
                      "properties": {**{n: {"not": {"type": "null"}} for n in needs},
                                     **{n: False for n in sorted(fields - set(needs) - set(_MAY.get(kind, ())))}}}}
            for kind, needs in _NEEDS.items()]


class ChangeRequestIn(Strict):
    """A reported change to a household, with the fields of its kind only: ``payout_account``:
    bank_account; ``phone``: person_id, phone; ``address``: address; ``member_moves_in``: member;
    ``member_moves_out``: person_id (and new_head_person_id when the head leaves); ``death``:
    person_id, died_on (and new_head_person_id)."""

    kind: ChangeKind
    model_config = ConfigDict(json_schema_extra=lambda schema: schema.update(allOf=_kind_rules()))

    version: Annotated[int, Field(ge=1, le=10**9, description="the household version the change was read at"),
                       Integral]
    bank_account: BankAccountIn | None = None
    person_id: PersonId | None = None
    phone: Phone | None = None
    address: AddressIn | None = None
    member: MemberIn | None = None
    died_on: date | None = Field(default=None, description="not in the future")
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
    version: Annotated[int, Field(ge=1, le=10**9, description="the household version the approver read"), Integral]
    note: str | None = Field(default=None, max_length=500)


class ChangeRejectionIn(Strict):
    reason: RejectionReason | None = Field(default=None, description="required; 'other' needs a note")
    note: str | None = Field(default=None, max_length=500)


class ChangeCancellationIn(Strict):
    note: str | None = Field(default=None, max_length=500)


# ------------------------------------------------------------------ grievances

# The domain's codes, less those only an appeal's re-assessment uses.
GrievanceCategory = Literal["payment_not_received", "wrong_data", "staff_conduct", "service_request", "other"]
GrievanceChannel = Literal["web", "mobile", "sms", "hotline", "mahalla_office", "pension_fund_office"]
GrievanceResolution = Literal["corrected", "explained", "paid", "referred"]
GrievanceRejection = Literal["unfounded", "duplicate", "not_competent", "withdrawn"]
assert set(GrievanceCategory.__args__) == set(grievances.CATEGORIES) - {"decision_appeal"}  # type: ignore[attr-defined]
assert set(GrievanceChannel.__args__) == set(grievances.CHANNELS)  # type: ignore[attr-defined]
assert set(GrievanceResolution.__args__) == set(grievances.RESOLUTIONS) - {"upheld"}  # type: ignore[attr-defined]
assert set(GrievanceRejection.__args__) == set(grievances.REJECTIONS) - {"appeal_denied"}  # type: ignore[attr-defined]


class GrievanceIn(Strict):
    """A grievance about a household's dealings with the registry (a decision is appealed at
    ``POST /applications/{application_id}/appeals`` instead)."""

    household_id: Annotated[str, Field(pattern=HOUSEHOLD_ID, max_length=67, description="the household it concerns")]
    category: GrievanceCategory
    channel: GrievanceChannel
    description: str = Field(min_length=1, max_length=4000,
                             description="what happened, in the family's words (personal data: never logged)")
    application_id: Annotated[str, Field(pattern=APPLICATION_ID, max_length=68)] | None = None
    payment_ref: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9:_-]+$",
                                    description="a payment instruction's id, from the family's payment list")


class GrievanceTakeIn(Strict):
    assignee: str | None = Field(default=None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9@._:-]+$",
                                 description="the colleague who reviews it (by default the caller)")


class GrievanceResolveIn(Strict):
    outcome: GrievanceResolution
    answer: str | None = Field(default=None, max_length=4000, description="the answer to the family (free text)")


class GrievanceRejectIn(Strict):
    outcome: GrievanceRejection
    answer: str | None = Field(default=None, max_length=4000, description="the answer to the family (free text)")


class GrievanceRatingIn(Strict):
    rating: Annotated[int, Field(ge=1, le=5, description="1 (poor) to 5 (very good)"), Integral]


class AttachmentUploadIn(Strict):
    content_type: Annotated[str, AfterValidator(_document_type), WithJsonSchema(
        {"type": "string", "enum": list(DOCUMENT_TYPES)})]
    size_bytes: Annotated[int, Field(gt=0, json_schema_extra={"maximum": MAX_DOCUMENT_BYTES}), Integral,
                          AfterValidator(_document_size)]


class GrievanceVersionIn(Strict):
    version: Annotated[int, Field(ge=1, le=10**9, description="the grievance version the handler read"), Integral]


# ------------------------------------------------------------------ appeals

AppealGround = Literal["income_wrong", "member_missing", "exemption_not_seen", "asset_not_ours", "other"]
assert set(AppealGround.__args__) == set(grievances.GROUNDS)  # type: ignore[attr-defined]


class AppealIn(Strict):
    """The family contests a rejection, naming why (one or more grounds)."""

    grounds: list[AppealGround] = Field(min_length=1, max_length=5)
    channel: GrievanceChannel
    description: str = Field(min_length=1, max_length=4000,
                             description="the family's account of what the decision got wrong (personal data: never "
                                         "logged)")


class ReassessIn(Strict):
    """Re-assess the appealed decision: the agencies are asked again; with ``evidence``, one agency's facts
    are taken as corrected from the document uploaded to the application (the manual evidence rules apply)."""

    evidence: ManualEvidenceIn | None = None


# ------------------------------------------------------------------ social work cases

CaseOrigin = Literal["worker", "rejected_idle_member", "grievance", "disability_allowance", "death_in_family"]
ReferralService = Literal["health_care", "housing_subsidy", "education", "employment_services", "rehabilitation",
                      "psychosocial_support"]
CaseOutcome = Literal["needs_met", "improved", "referred_elsewhere", "family_declined", "family_moved", "no_contact"]
NeedLevel = Annotated[int, Field(ge=0, le=3), Integral]
assert set(CaseOrigin.__args__) == set(cases.ORIGINS)  # type: ignore[attr-defined]
assert set(ReferralService.__args__) == set(cases.SERVICES)  # type: ignore[attr-defined]
assert set(CaseOutcome.__args__) == set(cases.OUTCOMES)  # type: ignore[attr-defined]
_SUBJECT = r"^[A-Za-z0-9@._:-]+$"


class CaseOriginIn(Strict):
    kind: CaseOrigin
    ref: str | None = Field(default=None, max_length=80, pattern=r"^[A-Za-z0-9:_-]+$",
                            description="the application, grievance or assignment that refers the family")


class CaseOpenIn(Strict):
    household_id: Annotated[str, Field(pattern=HOUSEHOLD_ID, max_length=67)]
    origin: CaseOriginIn
    worker_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=_SUBJECT,
                                  description="the social worker who takes it (by default the social worker opening "
                                              "it; opened by referral, the first to act on it)")
    review_on: date | None = Field(default=None, description="the first review (by default in 90 days)")


class NeedsIn(Strict):
    income: NeedLevel
    health: NeedLevel
    housing: NeedLevel
    education: NeedLevel
    employment: NeedLevel
    disability: NeedLevel
    protection: NeedLevel


assert set(NeedsIn.model_fields) == set(cases.NEED_AREAS)


class PlanActionIn(Strict):
    action: str = Field(min_length=3, max_length=500)
    due_on: date


class CaseAssessmentIn(Strict):
    """The structured needs assessment (each area 0 = no need to 3 = urgent) and the plan of actions."""

    needs: NeedsIn
    summary: str = Field(min_length=3, max_length=4000, description="the worker's account (free text, never logged)")
    plan: list[PlanActionIn] = Field(default_factory=list, max_length=30)
    review_on: date | None = None


class ReferralIn(Strict):
    service: ReferralService


class ReferralAnswerIn(Strict):
    status: Literal["accepted", "declined", "completed"]
    note: str | None = Field(default=None, max_length=2000, description="the provider's answer (free text)")


class CaseNoteIn(Strict):
    kind: Literal["visit", "note"]
    on: date | None = Field(default=None, description="the visit's date (by default today)")
    text: str = Field(min_length=1, max_length=4000)
    confidential: bool = Field(default=False, description="shown to the case's worker and the supervisors only")


class CaseReviewIn(Strict):
    next_review: date


class CaseCloseIn(Strict):
    outcome: CaseOutcome
