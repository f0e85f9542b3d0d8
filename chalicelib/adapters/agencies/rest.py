"""Connectors to the REST agencies: tax, pensions, labour, education, depository, defence, local government.

Each agency is asked once per member: ``POST {base_url}{path}`` with ``{"pinfl", "from_month",
"to_month"}`` (the PINFL travels in the body, never in the URL). 200 carries the facts, 404 means
"no record", which for these agencies is a valid empty answer:
- tax: no income reported, employment sector "none";
- Pension Fund, labour, depository: no payments, not a job-seeker, no securities;
- education: not a student; defence: not on conscript service; local government: not in the Iron Notebook.
Answers are validated with pydantic (extra fields refused): anything else is AgencyMalformedAnswer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.adapters.agencies.http import post_json
from chalicelib.agency_ports import AgencyError, AgencyMalformedAnswer, AgencyQuery, PersonRef
from chalicelib.domain.evidence import AgencyFacts, IncomeFact, PersonFacts

Month = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Row(_Strict):
    month: str = Month
    type: str
    amount: int = Field(ge=0)


class TaxRow(_Row):
    type: Literal["salary", "entrepreneurial", "property"]


class TaxAnswer(_Strict):
    pinfl: str
    employment_sector: Literal["state", "non_state", "none"]
    income: list[TaxRow]


class PensionRow(_Row):
    type: Literal["pension", "benefit", "sp_benefit"]


class PensionAnswer(_Strict):
    pinfl: str
    payments: list[PensionRow]


class LabourRow(_Row):
    type: Literal["unemployment_benefit", "public_works"]


class LabourAnswer(_Strict):
    pinfl: str
    job_seeker_registered: bool
    payments: list[LabourRow]


class EducationAnswer(_Strict):
    pinfl: str
    enrolled: bool
    kind: Literal["university", "college", "technical", "lyceum", "vocational", "school"]
    full_time: bool
    institution: str
    year: int


class Dividend(_Strict):
    month: str = Month
    amount: int = Field(ge=0)


class DepositoryAnswer(_Strict):
    pinfl: str
    market_value: int = Field(ge=0)
    dividends: list[Dividend]


class DefenceAnswer(_Strict):
    pinfl: str
    on_service: bool


class LocalGovernmentAnswer(_Strict):
    pinfl: str
    listed: bool
    mahalla_code: str


def _rows(rows: list[Any], months: set[str]) -> list[IncomeFact]:
    return [IncomeFact(r.month, r.type, r.amount) for r in rows if r.month in months]


def _tax(a: TaxAnswer, months: set[str]) -> PersonFacts:
    return PersonFacts(incomes=_rows(a.income, months), employment_sector=a.employment_sector)


def _pension(a: PensionAnswer, months: set[str]) -> PersonFacts:
    return PersonFacts(incomes=_rows(a.payments, months))


def _labour(a: LabourAnswer, months: set[str]) -> PersonFacts:
    return PersonFacts(incomes=_rows(a.payments, months), job_seeker_registered=a.job_seeker_registered)


def _education(a: EducationAnswer, months: set[str]) -> PersonFacts:
    return PersonFacts(student={"kind": a.kind, "full_time": a.full_time} if a.enrolled else None)


def _depository(a: DepositoryAnswer, months: set[str]) -> PersonFacts:
    incomes = [IncomeFact(d.month, "securities", d.amount) for d in a.dividends if d.month in months]
    return PersonFacts(incomes=incomes, securities_market_value=a.market_value)


def _defence(a: DefenceAnswer, months: set[str]) -> PersonFacts:
    return PersonFacts(military_conscript=a.on_service)


def _local(a: LocalGovernmentAnswer, months: set[str]) -> PersonFacts:
    return PersonFacts(iron_notebook=a.listed)


# the facts an agency's "no record" stands for
_EMPTY: dict[str, Callable[[], PersonFacts]] = {
    "tax": lambda: PersonFacts(employment_sector="none"),
    "pension_fund": PersonFacts,
    "labour": lambda: PersonFacts(job_seeker_registered=False),
    "education": PersonFacts,
    "depository": lambda: PersonFacts(securities_market_value=0),
    "defence": lambda: PersonFacts(military_conscript=False),
    "local_government": lambda: PersonFacts(iron_notebook=False),
}

REST_SPECS: dict[str, tuple[str, type[BaseModel], Callable[[Any, set[str]], PersonFacts]]] = {
    "tax": ("/api/v1/income/query", TaxAnswer, _tax),
    "pension_fund": ("/api/v1/payments/query", PensionAnswer, _pension),
    "labour": ("/api/v1/labour-status/query", LabourAnswer, _labour),
    "education": ("/api/v1/students/query", EducationAnswer, _education),
    "depository": ("/api/v1/portfolio/query", DepositoryAnswer, _depository),
    "defence": ("/api/v1/conscripts/query", DefenceAnswer, _defence),
    "local_government": ("/api/v1/iron-notebook/query", LocalGovernmentAnswer, _local),
}


class RestAgencyClient:
    """A JSON agency; ``name`` picks the endpoint, the answer model and the mapping to facts."""

    def __init__(self, name: str, base_url: str, *, timeout_s: float = 2.0) -> None:
        if name not in REST_SPECS:
            raise ValueError(f"unknown REST agency {name!r}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self._path, self._model, self._map = REST_SPECS[name]

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        months = set(query.months)
        facts = AgencyFacts(self.name)
        not_known: list[str] = []
        for ref in query.persons:
            try:
                self._ask(ref, query, months, facts, not_known)
            except AgencyError as e:
                e.keeping(facts, not_known)
                raise
        facts.not_known = tuple(not_known)
        return facts

    def _ask(self, ref: PersonRef, query: AgencyQuery, months: set[str], facts: AgencyFacts,
             not_known: list[str]) -> None:
        body = {"pinfl": ref.pinfl, "from_month": query.months[0], "to_month": query.months[-1]}
        status, data = post_json(self.name, self.base_url + self._path, body, timeout_s=self.timeout_s)
        if status == 404:
            not_known.append(ref.person_id)
            facts.persons[ref.person_id] = _EMPTY[self.name]()
            return
        if status != 200:
            raise AgencyMalformedAnswer(self.name, f"unexpected HTTP {status}")
        try:
            answer = self._model.model_validate(data)
        except ValidationError as e:
            # the error lists field paths only; values (PINFLs) are not repeated
            raise AgencyMalformedAnswer(
                self.name, f"answer does not match the contract ({e.error_count()} errors)"
            ) from None
        if getattr(answer, "pinfl", ref.pinfl) != ref.pinfl:
            raise AgencyMalformedAnswer(self.name, "answer is about another person")
        facts.persons[ref.person_id] = self._map(answer, months)

