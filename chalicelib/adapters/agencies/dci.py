"""Connectors to the DCI registries: civil registry (registry core API), disability registry (DR API).

Both are asked with one synchronous search, ``POST {base_url}/registry/sync/search``, carrying the
DCI envelope: ``header`` (version, message_id, message_ts, action "search", sender_id, receiver_id,
total_count) and ``message`` (transaction_id, search_request[]: one item per member with
reference_id, timestamp and search_criteria {query_type "idtype-value", query {type "UIN",
value PINFL}}). In Uzbekistan the UIN is the PINFL. ``build_search_request`` is checked against the
official OpenAPI schema in the tests.

Answers: one search_response item per reference_id; status "succ" with reg_records (possibly
empty). Empty reg_records means "not known": for the civil registry a member it does not know is
reported in ``AgencyFacts.not_known`` (the registry treats it as a data problem); for the disability
registry it simply means "no disability record". A "rjct" item or a missing reference_id is a
malformed answer. DCI records carry JSON-LD keys and implementation extensions, so record models
ignore unknown keys (the envelope is still checked).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.adapters.agencies.http import post_json
from chalicelib.agency_ports import (
    AgencyMalformedAnswer,
    AgencyQuery,
    AgencyUnavailable,
    PersonNotKnown,
    PersonRef,
)
from chalicelib.domain.evidence import AgencyFacts, PersonFacts

SENDER_ID = "spsr.gov.uz"


def build_search_request(
    query: AgencyQuery, *, receiver_id: str, reg_type: str, reg_event_type: str | None = None
) -> dict[str, Any]:
    """The DCI sync search request for every person of ``query`` (one search_request item each)."""
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    items = []
    for ref in query.persons:
        criteria: dict[str, Any] = {
            "version": "1.0.0",
            "reg_type": reg_type,
            "query_type": "idtype-value",
            "query": {"type": "UIN", "value": ref.pinfl},
            "pagination": {"page_size": 10, "page_number": 1},
        }
        if reg_event_type:
            criteria["reg_event_type"] = reg_event_type
        # DCI locales are ISO 639-3 codes
        items.append({"reference_id": ref.person_id, "timestamp": now, "search_criteria": criteria, "locale": "uzb"})
    return {
        "header": {
            "version": "1.0.0",
            "message_id": str(uuid.uuid4()),
            "message_ts": now,
            "action": "search",
            "sender_id": SENDER_ID,
            "receiver_id": receiver_id,
            "total_count": len(items),
            "is_msg_encrypted": False,
        },
        "message": {"transaction_id": f"{query.application_id}"[:99], "search_request": items},
    }


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Data(_Loose):
    reg_records: list[dict[str, Any]]


class _Item(_Loose):
    reference_id: str
    status: Literal["rcvd", "pdng", "succ", "rjct"]
    status_reason_code: str | None = None
    data: _Data | None = None


class _Message(_Loose):
    transaction_id: str
    search_response: list[_Item]


class _Header(_Loose):
    message_id: str
    action: str
    status: Literal["rcvd", "pdng", "succ", "rjct"]


class SearchAnswer(_Loose):
    header: _Header
    message: _Message


class _Identifier(_Loose):
    identifier_type: str
    identifier_value: str


class CrvsPerson(_Loose):
    identifier: list[_Identifier]
    sex: Literal["male", "female"]
    birth_date: str
    death_date: str | None = ""
    parent1_identifier: _Identifier | None = None
    parent2_identifier: _Identifier | None = None


class _DrDetail(_Loose):
    condition_code: str | None = None


class _DrPersonal(_Loose):
    identifier: str


class DrRecord(_Loose):
    personal_details: _DrPersonal
    disability_status: str
    disability_details: list[_DrDetail] = []
    disability_group: Literal[1, 2, 3]
    valid_until: str | None = ""


def _parse_date(agency: str, s: str) -> date:
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        raise AgencyMalformedAnswer(agency, "a date does not parse") from None


class _DciClient:
    name = "dci"
    receiver_id = ""
    reg_type = ""
    reg_event_type: str | None = None

    def __init__(self, base_url: str, *, timeout_s: float = 2.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        body = build_search_request(
            query, receiver_id=self.receiver_id, reg_type=self.reg_type, reg_event_type=self.reg_event_type
        )
        status, data = post_json(self.name, self.base_url + "/registry/sync/search", body, timeout_s=self.timeout_s)
        if status != 200:
            raise AgencyMalformedAnswer(self.name, f"unexpected HTTP {status}")
        try:
            answer = SearchAnswer.model_validate(data)
        except ValidationError as e:
            raise AgencyMalformedAnswer(self.name, f"not a DCI search answer ({e.error_count()} errors)") from None
        if answer.header.status == "rjct":
            raise AgencyUnavailable(self.name, "search rejected")
        items = {i.reference_id: i for i in answer.message.search_response}
        facts = AgencyFacts(self.name)
        not_known = []
        for ref in query.persons:
            item = items.get(ref.person_id)
            if item is None or item.status != "succ" or item.data is None:
                raise AgencyMalformedAnswer(self.name, "a search_request was not answered")
            if not item.data.reg_records:
                not_known.append(ref.person_id)
                facts.persons[ref.person_id] = self.empty()
                continue
            facts.persons[ref.person_id] = self.facts(ref.pinfl, item.data.reg_records[0])
        facts.not_known = tuple(not_known)
        return facts

    def empty(self) -> PersonFacts:
        return PersonFacts()

    def facts(self, pinfl: str, record: dict[str, Any]) -> PersonFacts:
        raise NotImplementedError


class CivilRegistryClient(_DciClient):
    """Births, deaths and parent links from the civil registry (DCI registry core API)."""

    name = "civil_registry"
    receiver_id = "crvs.gov.uz"
    reg_type = "ns:org:RegistryType:Civil"

    def lookup(self, ref: PersonRef, *, application_id: str = "lookup") -> PersonFacts:
        """One person's civil facts (e.g. to check a PINFL when an application is entered).

        Raises PersonNotKnown when the registry has no record of the PINFL.
        """
        query = AgencyQuery(application_id, "", (), date.today(), (ref,))
        facts = self.fetch(query)
        if ref.person_id in facts.not_known:
            raise PersonNotKnown(self.name, "no record for this person")
        return facts.persons[ref.person_id]

    def facts(self, pinfl: str, record: dict[str, Any]) -> PersonFacts:
        try:
            p = CrvsPerson.model_validate(record)
        except ValidationError as e:
            raise AgencyMalformedAnswer(self.name, f"person record ({e.error_count()} errors)") from None
        if pinfl not in {i.identifier_value for i in p.identifier}:
            raise AgencyMalformedAnswer(self.name, "answer is about another person")
        parents = tuple(x.identifier_value for x in (p.parent1_identifier, p.parent2_identifier) if x is not None)
        return PersonFacts(
            birth_date=_parse_date(self.name, p.birth_date),
            sex="M" if p.sex == "male" else "F",
            death_date=_parse_date(self.name, p.death_date) if p.death_date else None,
            parent_pinfls=parents,
        )


class DisabilityRegistryClient(_DciClient):
    """Disability group, end date and condition code (DCI disability registry API)."""

    name = "disability"
    receiver_id = "dr.gov.uz"
    reg_type = "ns:org:RegistryType:DR"
    reg_event_type = "spdci-common:RegistryEventType:DisabledPerson"

    def empty(self) -> PersonFacts:
        return PersonFacts(disability=None)

    def facts(self, pinfl: str, record: dict[str, Any]) -> PersonFacts:
        try:
            r = DrRecord.model_validate(record)
        except ValidationError as e:
            raise AgencyMalformedAnswer(self.name, f"disability record ({e.error_count()} errors)") from None
        if r.personal_details.identifier != pinfl:
            raise AgencyMalformedAnswer(self.name, "answer is about another person")
        if r.disability_status != "Approved":
            return PersonFacts(disability=None)
        d: dict[str, Any] = {"group": r.disability_group}
        if r.valid_until:
            d["until"] = _parse_date(self.name, r.valid_until).isoformat()
        code = next((x.condition_code for x in r.disability_details if x.condition_code), None)
        if code:
            d["condition_code"] = code
        return PersonFacts(disability=d)
