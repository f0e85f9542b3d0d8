"""Evidence: what each agency says about each member, which facts each agency supplies, what is missing.

``PersonFacts`` is one agency's view of one person and ``AgencyFacts`` one agency's answer about the
members of an application; connectors (``chalicelib/adapters/agencies/``) map their agency's answers
into them, and facts staff enter by hand (``ManualEvidence``) take the same form. ``SUPPLIED`` is the
one list of the facts each agency supplies: the collection refuses a connector's answer that sets
anything else, and manual evidence may set nothing else (the tax authority says nothing about
job-seeker registration, so nobody can enter it "as the tax authority").

``CollectionRequest`` is what collection needs of an application; ``MissingSource`` an agency whose
facts are missing after collection; ``CollectedEvidence`` the merged evidence document
(assessment.schema.json's ``evidence``) with the agencies whose facts were entered by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any


@dataclass(frozen=True)
class IncomeFact:
    month: str
    source: str
    amount: int


@dataclass
class PersonFacts:
    """What one agency says about one person; ``None`` or empty means the agency says nothing."""

    incomes: list[IncomeFact] = field(default_factory=list)
    alimony_paid: list[tuple[str, int]] = field(default_factory=list)
    # civil registry
    birth_date: date | None = None
    sex: str | None = None
    death_date: date | None = None
    parent_pinfls: tuple[str, ...] | None = None
    # status registries
    disability: dict[str, Any] | None = None
    student: dict[str, Any] | None = None
    military_conscript: bool | None = None
    detained: bool | None = None
    job_seeker_registered: bool | None = None
    employment_sector: str | None = None
    iron_notebook: bool | None = None
    # assets (owner is this person)
    vehicles: list[dict[str, Any]] = field(default_factory=list)
    real_estate: list[dict[str, Any]] = field(default_factory=list)
    securities_market_value: int | None = None

    def given(self) -> tuple[str, ...]:
        """The names of the facts this answer states (a field left at its default states nothing)."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and value != [] and value != ():
                out.append(f.name)
        return tuple(out)


@dataclass
class AgencyFacts:
    agency: str
    persons: dict[str, PersonFacts] = field(default_factory=dict)  # by person_id
    not_known: tuple[str, ...] = ()  # person ids the agency has no record of


@dataclass(frozen=True)
class Supplies:
    """The facts one agency supplies (``PersonFacts`` field names) and the income sources it reports."""

    facts: frozenset[str]
    income_sources: frozenset[str] = frozenset()


def _supplies(facts: str, sources: str = "") -> Supplies:
    return Supplies(frozenset(facts.split()), frozenset(sources.split()))


# The facts each agency supplies, per member, in the order collection reports the agencies. The
# connectors map into exactly these (checked on every answer) and manual evidence is held to them.
SUPPLIED: dict[str, Supplies] = {
    "tax": _supplies("incomes employment_sector", "salary entrepreneurial property"),
    "civil_registry": _supplies("birth_date sex death_date parent_pinfls"),
    "disability": _supplies("disability"),
    "cadastre": _supplies("real_estate"),
    "traffic_police": _supplies("vehicles"),
    "pension_fund": _supplies("incomes", "pension benefit sp_benefit"),
    "penitentiary": _supplies("detained"),
    "labour": _supplies("incomes job_seeker_registered", "unemployment_benefit public_works"),
    "education": _supplies("student"),
    "enforcement": _supplies("incomes alimony_paid", "alimony_received"),
    "depository": _supplies("incomes securities_market_value", "securities"),
    "defence": _supplies("military_conscript"),
    "local_government": _supplies("iron_notebook"),
}


def unsupplied(agency: str, facts: PersonFacts) -> str | None:
    """The first fact of ``facts`` that ``agency`` does not supply (a field name, or
    ``incomes[k].source`` for an income row of a source it does not report); None when all fit."""
    supplies = SUPPLIED[agency]
    for name in facts.given():
        if name not in supplies.facts:
            return name
    for k, row in enumerate(facts.incomes):
        if row.source not in supplies.income_sources:
            return f"incomes[{k}].source"
    return None


@dataclass(frozen=True)
class MissingSource:
    """An agency whose facts are missing: it failed, is not configured, or does not know a member."""

    agency: str
    kind: str  # timeout | unavailable | malformed_answer | client_error | deadline | person_not_known | not_configured
    detail: str = ""
    person_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "kind": self.kind, "detail": self.detail, "person_ids": list(self.person_ids)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MissingSource:
        return cls(str(d["agency"]), str(d.get("kind", "")), str(d.get("detail", "")),
                   tuple(str(p) for p in d.get("person_ids") or ()))


@dataclass(frozen=True)
class ManualEvidence:
    """Facts staff entered by hand for an agency that could not answer, or, on appeal, that correct
    what it answered (``corrects``: they replace its answer instead of standing in for a missing one).

    ``facts`` are the agency's facts, per member, held to ``SUPPLIED[agency]``; ``document_id`` names
    a document uploaded to the application (the statement the facts were read from). The
    justification is free text: stored with the application, never logged.
    """

    agency: str
    facts: dict[str, PersonFacts]  # by person_id
    justification: str
    document_id: str
    entered_by: str
    entered_role: str
    entered_at: str
    corrects: bool = False

    def as_agency_facts(self) -> AgencyFacts:
        return AgencyFacts(self.agency, dict(self.facts))


@dataclass(frozen=True)
class MemberRef:
    """A member as collection needs them: ids, and what the application says of birth, sex and role."""

    person_id: str
    pinfl: str
    birth_date: date
    sex: str
    relationship: str
    parent_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CollectionRequest:
    """What collection asks the agencies about: one application's members for its cycle month."""

    application_id: str
    period: str  # YYYY-MM
    officer_id: str
    members: tuple[MemberRef, ...]
    iron_notebook: bool = False
    programmes: tuple[str, ...] = ()


# Failures an agency gets over by itself: the workflow waits and asks it again before any review.
TRANSIENT_KINDS = frozenset({"timeout", "unavailable", "deadline", "circuit_open"})


@dataclass(frozen=True)
class CollectionRounds:
    """An attempt's collection so far, when it waits for agencies: the rounds made, when the first
    one was, and every agency's answer received (later rounds ask only the others)."""

    rounds: int
    first_at: str  # ISO timestamp of the first round
    answers: dict[str, AgencyFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectedEvidence:
    """The evidence document of one collection attempt and the agencies whose facts staff entered."""

    document: dict[str, Any]  # assessment.schema.json's ``evidence``
    manual_agencies: tuple[str, ...] = ()
