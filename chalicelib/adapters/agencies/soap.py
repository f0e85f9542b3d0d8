"""Connectors to the SOAP agencies: cadastre, traffic police, penitentiary service, enforcement bureau.

zeep clients are built from the WSDL files packaged beside this module (never fetched over the
network), with explicit timeouts, and bound to an endpoint URL from the settings. One operation
per member. "NOT_FOUND" is a valid empty answer for all four (no property, no vehicle, not
detained, no alimony) and is listed in ``AgencyFacts.not_known``.

Failure mapping: requests timeouts -> AgencyTimeout; connection errors, SOAP faults and non-200
transport answers -> AgencyUnavailable; unparsable XML or an answer that does not fit the WSDL ->
AgencyMalformedAnswer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree

from chalicelib.agency_ports import (
    AgencyError,
    AgencyMalformedAnswer,
    AgencyQuery,
    AgencyTimeout,
    AgencyUnavailable,
    PersonRef,
)
from chalicelib.domain.evidence import AgencyFacts, IncomeFact, PersonFacts

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"


class _SoapClient:
    name = "soap"
    service = ""
    namespace = ""
    operation = ""

    def __init__(self, base_url: str, *, timeout_s: float = 2.0, wsdl_path: Path | None = None) -> None:
        self.endpoint = base_url.rstrip("/") + "/soap"
        self.timeout_s = timeout_s
        self.wsdl_path = wsdl_path or WSDL_DIR / f"{self.name}.wsdl"
        self._lock = threading.Lock()
        self._service: Any = None

    def _svc(self) -> Any:
        # built on first use: parsing the WSDL takes tens of milliseconds, and a Lambda that never
        # calls this agency should not pay for it
        with self._lock:
            if self._service is None:
                session = requests.Session()
                adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
                session.mount("http://", adapter)
                session.mount("https://", adapter)
                transport = zeep.Transport(session=session, timeout=self.timeout_s, operation_timeout=self.timeout_s)
                client = zeep.Client(str(self.wsdl_path), transport=transport)
                binding = f"{{{self.namespace}}}{self.service}Binding"
                self._service = client.create_service(binding, self.endpoint)
            return self._service

    def _call(self, **kwargs: Any) -> Any:
        svc = self._svc()
        try:
            return getattr(svc, self.operation)(**kwargs)
        except requests.exceptions.Timeout as e:
            raise AgencyTimeout(self.name, "no answer within the timeout") from e
        except requests.exceptions.RequestException as e:
            raise AgencyUnavailable(self.name, f"transport error {type(e).__name__}") from e
        except zeep.exceptions.Fault as e:
            raise AgencyUnavailable(self.name, "SOAP fault") from e
        except zeep.exceptions.TransportError as e:
            # zeep reports a 200 answer that is not XML as a transport error: the agency did answer
            # ``from None``: zeep's error carries the answer's content, which may hold personal data
            if e.status_code == 200:
                raise AgencyMalformedAnswer(self.name, "answer is not XML") from None
            raise AgencyUnavailable(self.name, f"HTTP {e.status_code}") from None
        except (
            zeep.exceptions.XMLSyntaxError,
            zeep.exceptions.XMLParseError,
            etree.XMLSyntaxError,
            zeep.exceptions.ValidationError,
            zeep.exceptions.LookupError,
        ):
            raise AgencyMalformedAnswer(self.name, "answer does not fit the WSDL") from None

    def fetch(self, query: AgencyQuery) -> AgencyFacts:
        facts = AgencyFacts(self.name)
        not_known = []
        for ref in query.persons:
            try:
                answer = self._call(**self.arguments(ref, query))
                status = getattr(answer, "status", None)
                if status == "NOT_FOUND":
                    not_known.append(ref.person_id)
                    facts.persons[ref.person_id] = self.empty()
                elif status == "FOUND":
                    facts.persons[ref.person_id] = self.facts(ref, answer, query)
                else:
                    raise AgencyMalformedAnswer(self.name, "answer without a lookup status")
            except AgencyError as e:  # the answers so far are kept: asked again, only the others
                e.keeping(facts, not_known)
                raise
        facts.not_known = tuple(not_known)
        return facts

    def arguments(self, ref: PersonRef, query: AgencyQuery) -> dict[str, Any]:
        return {"pinfl": ref.pinfl}

    def empty(self) -> PersonFacts:
        return PersonFacts()

    def facts(self, ref: PersonRef, answer: Any, query: AgencyQuery) -> PersonFacts:
        raise NotImplementedError


class CadastreClient(_SoapClient):
    name = "cadastre"
    service = "RealEstateCadastreService"
    namespace = "urn:spsr:agency:cadastre:v1"
    operation = "GetPropertiesByOwner"

    def facts(self, ref: PersonRef, answer: Any, query: AgencyQuery) -> PersonFacts:
        return PersonFacts(real_estate=[{"kind": p.kind, "owner_id": ref.person_id} for p in answer.property or []])


class TrafficPoliceClient(_SoapClient):
    name = "traffic_police"
    service = "VehicleRegisterService"
    namespace = "urn:spsr:agency:traffic-police:v1"
    operation = "GetVehiclesByOwner"

    def facts(self, ref: PersonRef, answer: Any, query: AgencyQuery) -> PersonFacts:
        return PersonFacts(
            vehicles=[
                {
                    "type": v.vehicleType,
                    "manufactured_year": int(v.manufactureYear),
                    "owner_id": ref.person_id,
                    "adapted_for_disability": bool(v.adaptedForDisability),
                }
                for v in answer.vehicle or []
            ]
        )


class PenitentiaryClient(_SoapClient):
    name = "penitentiary"
    service = "DetentionRegisterService"
    namespace = "urn:spsr:agency:penitentiary:v1"
    operation = "GetDetentionStatus"

    def arguments(self, ref: PersonRef, query: AgencyQuery) -> dict[str, Any]:
        return {"pinfl": ref.pinfl, "onDate": query.on_date}

    def empty(self) -> PersonFacts:
        return PersonFacts(detained=False)

    def facts(self, ref: PersonRef, answer: Any, query: AgencyQuery) -> PersonFacts:
        if answer.detained is None:
            raise AgencyMalformedAnswer(self.name, "detention status missing")
        return PersonFacts(detained=bool(answer.detained))


class EnforcementClient(_SoapClient):
    name = "enforcement"
    service = "EnforcementAlimonyService"
    namespace = "urn:spsr:agency:enforcement:v1"
    operation = "GetAlimonyPayments"

    def arguments(self, ref: PersonRef, query: AgencyQuery) -> dict[str, Any]:
        return {"pinfl": ref.pinfl, "fromMonth": query.months[0], "toMonth": query.months[-1]}

    def facts(self, ref: PersonRef, answer: Any, query: AgencyQuery) -> PersonFacts:
        months = set(query.months)
        paid, received = [], []
        for p in answer.payment or []:
            if p.month not in months:
                continue
            if p.direction == "PAID":
                paid.append((p.month, int(p.amount)))
            else:
                received.append(IncomeFact(p.month, "alimony_received", int(p.amount)))
        return PersonFacts(alimony_paid=paid, incomes=received)


SOAP_CLIENTS: dict[str, Callable[..., _SoapClient]] = {
    c.name: c for c in (CadastreClient, TrafficPoliceClient, PenitentiaryClient, EnforcementClient)
}

__all__ = [
    "SOAP_CLIENTS",
    "AgencyError",
    "CadastreClient",
    "EnforcementClient",
    "PenitentiaryClient",
    "TrafficPoliceClient",
]
