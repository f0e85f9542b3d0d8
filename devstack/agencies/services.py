"""The thirteen agency stubs: each answers from the synthetic population, in its own protocol.

| agency             | protocol | endpoint                                   | unknown person            |
|--------------------|----------|--------------------------------------------|---------------------------|
| tax                | REST     | POST /api/v1/income/query                  | 404 not_found             |
| civil_registry     | DCI      | POST /registry/sync/search (registry core) | succ, empty reg_records   |
| disability         | DCI      | POST /registry/sync/search (DR API)        | succ, empty reg_records   |
| cadastre           | SOAP     | POST /soap GetPropertiesByOwner            | status NOT_FOUND          |
| traffic_police     | SOAP     | POST /soap GetVehiclesByOwner              | status NOT_FOUND          |
| pension_fund       | REST     | POST /api/v1/payments/query                | 404 not_found             |
| penitentiary       | SOAP     | POST /soap GetDetentionStatus              | status NOT_FOUND          |
| labour             | REST     | POST /api/v1/labour-status/query           | 404 not_found             |
| education          | REST     | POST /api/v1/students/query                | 404 not_found             |
| enforcement        | SOAP     | POST /soap GetAlimonyPayments              | status NOT_FOUND          |
| depository         | REST     | POST /api/v1/portfolio/query               | 404 not_found             |
| defence            | REST     | POST /api/v1/conscripts/query              | 404 not_found             |
| local_government   | REST     | POST /api/v1/iron-notebook/query           | 404 not_found             |

REST calls carry the PINFL in a JSON body, never in the URL (URLs end up in access logs).
Every person of the population is "known" to every agency except where a registry genuinely has
no record (a child to the tax authority is still known, with no income). Only PINFLs outside the
population are unknown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from chalicelib.agency_ports import AGENCY_NAMES
from chalicelib.domain.identifiers import make_pinfl
from devstack.agencies.server import AgencyServer, Faults, Response
from devstack.agencies.soap_specs import SERVICES, SoapService, wsdl_filename
from devstack.population import SynthHousehold, SynthPerson, generate, month_add

HERE = Path(__file__).resolve().parent
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

TAX_SOURCES = ("salary", "entrepreneurial", "property")
PENSION_SOURCES = ("pension", "benefit", "sp_benefit")
LABOUR_SOURCES = ("unemployment_benefit", "public_works")

AGENCIES = AGENCY_NAMES


@dataclass(frozen=True)
class Entry:
    household: SynthHousehold
    person: SynthPerson


class PopulationIndex:
    """The synthetic population indexed by PINFL (built once at start)."""

    def __init__(self, households: Iterable[SynthHousehold]) -> None:
        self.households = list(households)
        self.by_pinfl: dict[str, Entry] = {}
        self.by_id: dict[str, SynthPerson] = {}
        for h in self.households:
            for p in h.members:
                self.by_pinfl[p.pinfl] = Entry(h, p)
                self.by_id[p.person_id] = p

    @classmethod
    def build(cls, size: int, seed: int, reference_month: str) -> PopulationIndex:
        return cls(generate(size, seed=seed, reference_month=reference_month))

    def get(self, pinfl: str) -> Entry | None:
        return self.by_pinfl.get(pinfl)

    def pinfl_of(self, person_id: str) -> str | None:
        p = self.by_id.get(person_id)
        return p.pinfl if p else None


def _months(frm: str, to: str) -> set[str]:
    out = set()
    m = frm
    for _ in range(240):
        if m > to:
            break
        out.add(m)
        m = month_add(m, 1)
    return out


def _json(status: int, obj: Any) -> Response:
    return status, "application/json", json.dumps(obj, ensure_ascii=False).encode()


_NOT_FOUND = _json(404, {"error": {"code": "not_found", "message": "no record for this person"}})


# ---------------------------------------------------------------------------------------------------
# REST agencies


def _rest(answer: Callable[[Entry, dict[str, Any]], dict[str, Any] | None], path: str, index: PopulationIndex):
    """A REST handler: POST ``path`` with {"pinfl", ...}; 404 when unknown or when ``answer`` says None."""

    def handler(method: str, req_path: str, query: dict[str, str], body: bytes) -> Response:
        if req_path != path:
            return _json(404, {"error": {"code": "no_such_endpoint", "message": req_path}})
        if method != "POST":
            return _json(405, {"error": {"code": "method_not_allowed", "message": method}})
        try:
            req = json.loads(body)
            pinfl = str(req["pinfl"])
        except (ValueError, KeyError, TypeError):
            return _json(400, {"error": {"code": "bad_request", "message": "JSON body with pinfl expected"}})
        entry = index.get(pinfl)
        if entry is None:
            return _NOT_FOUND
        out = answer(entry, req)
        return _NOT_FOUND if out is None else _json(200, {"pinfl": pinfl, **out})

    return handler


def _income_rows(p: SynthPerson, sources: tuple[str, ...], req: dict[str, Any]) -> list[dict[str, Any]]:
    months = _months(req.get("from_month", "0000-01"), req.get("to_month", "9999-12"))
    return [
        {"month": i.month, "type": i.source, "amount": i.amount}
        for i in p.incomes
        if i.source in sources and i.month in months
    ]


def tax_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any]:
    return {
        "employment_sector": e.person.employment_sector,
        "income": _income_rows(e.person, TAX_SOURCES, req),
    }


def pension_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any]:
    return {"payments": _income_rows(e.person, PENSION_SOURCES, req)}


def labour_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any]:
    return {
        "job_seeker_registered": e.person.job_seeker_registered,
        "payments": _income_rows(e.person, LABOUR_SOURCES, req),
    }


def education_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any] | None:
    s = e.person.student
    if s is None:
        return None
    return {
        "enrolled": True,
        "kind": s["kind"],
        "full_time": s["full_time"],
        "institution": s["institution"],
        "year": s["year"],
    }


def depository_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any] | None:
    h = e.household
    if h.securities_owner_id != e.person.person_id:
        return None
    return {
        "market_value": h.securities_market_value,
        "dividends": [
            {"month": r["month"], "amount": r["amount"]} for r in _income_rows(e.person, ("securities",), req)
        ],
    }


def defence_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any] | None:
    return {"on_service": True} if e.person.military_conscript else None


def local_government_answer(e: Entry, req: dict[str, Any]) -> dict[str, Any]:
    return {"listed": e.household.iron_notebook, "mahalla_code": e.household.mahalla_code}


REST_AGENCIES: dict[str, tuple[str, Callable[[Entry, dict[str, Any]], dict[str, Any] | None]]] = {
    "tax": ("/api/v1/income/query", tax_answer),
    "pension_fund": ("/api/v1/payments/query", pension_answer),
    "labour": ("/api/v1/labour-status/query", labour_answer),
    "education": ("/api/v1/students/query", education_answer),
    "depository": ("/api/v1/portfolio/query", depository_answer),
    "defence": ("/api/v1/conscripts/query", defence_answer),
    "local_government": ("/api/v1/iron-notebook/query", local_government_answer),
}


# ---------------------------------------------------------------------------------------------------
# DCI agencies (civil registry: registry core API; disability: DR API)


def _dci_answer(
    receiver: str,
    records_for: Callable[[str], list[dict[str, Any]] | None],
    reg_type: str,
    record_type: str,
) -> Callable[[str, str, dict[str, str], bytes], Response]:
    def handler(method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        if path != "/registry/sync/search" or method != "POST":
            return _json(404, {"error": {"code": "no_such_endpoint", "message": path}})
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            req = json.loads(body)
            header = req["header"]
            items = req["message"]["search_request"]
            if not isinstance(items, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _json(
                400,
                {
                    "header": {
                        "message_id": "",
                        "message_ts": now,
                        "action": "on-search",
                        "status": "rjct",
                        "status_reason_code": "rjct.action.invalid",
                        "status_reason_message": "not a DCI search request",
                    }
                },
            )
        responses = []
        for item in items:
            base = {"reference_id": item.get("reference_id", ""), "timestamp": now}
            crit = item.get("search_criteria") or {}
            q = crit.get("query") or {}
            if crit.get("query_type") != "idtype-value" or q.get("type") != "UIN" or not q.get("value"):
                responses.append(
                    {
                        **base,
                        "status": "rjct",
                        "status_reason_code": "rjct.search_criteria.invalid",
                        "status_reason_message": "only idtype-value queries with type UIN are served",
                    }
                )
                continue
            records = records_for(str(q["value"]))
            responses.append(
                {
                    **base,
                    "status": "succ",
                    "data": {
                        "version": "1.0.0",
                        "reg_type": reg_type,
                        "reg_record_type": record_type,
                        "reg_records": records or [],
                    },
                    "pagination": {"page_size": 10, "page_number": 1, "total_count": len(records or [])},
                    "locale": "uzb",
                }
            )
        out = {
            "header": {
                "version": "1.0.0",
                "message_id": header.get("message_id", ""),
                "message_ts": now,
                "action": "on-search",
                "status": "succ",
                "total_count": len(items),
                "completed_count": len(items),
                "sender_id": receiver,
                "receiver_id": header.get("sender_id", ""),
                "is_msg_encrypted": False,
            },
            "message": {
                "transaction_id": req["message"].get("transaction_id", ""),
                "correlation_id": f"corr-{header.get('message_id', '')}"[:99],
                "search_response": responses,
            },
        }
        return _json(200, out)

    return handler


def _ident(pinfl: str) -> dict[str, str]:
    return {"@type": "Identifier", "identifier_type": "UIN", "identifier_value": pinfl}


def crvs_record(index: PopulationIndex, pinfl: str) -> list[dict[str, Any]] | None:
    """The civil registry's person record (DCI CRVS_Person, as in the DCI sample), or None."""
    e = index.get(pinfl)
    if e is None:
        return None
    p, h = e.person, e.household
    parents = [index.pinfl_of(x) for x in p.parent_ids]
    parent_pinfls = [x for x in parents if x]
    if p.relationship == "child" and len(p.parent_ids) == 1:
        # the parent who does not live with the child is on the birth record too (father first)
        present = index.by_id[p.parent_ids[0]]
        absent_sex = "F" if present.sex == "M" else "M"
        absent = make_pinfl(absent_sex, p.birth_date - timedelta(days=9000), "999", f"{h.index % 1000:03d}")
        parent_pinfls = [absent, *parent_pinfls] if absent_sex == "M" else [*parent_pinfls, absent]
    marital, married, divorced = "S", [], []
    spouse_like = [m for m in h.members if m.relationship in ("head", "spouse")]
    if p.relationship in ("head", "spouse") and len(spouse_like) == 2:
        wife = next((m for m in spouse_like if m.sex == "F"), spouse_like[-1])
        kids = [m.birth_date for m in h.members if m.relationship == "child"]
        wed = date(wife.birth_date.year + 20, 6, 15)
        if kids:
            wed = min(wed, min(kids) - timedelta(days=300))
        marital, married = "M", [wed.isoformat()]
    elif p.relationship == "head" and any(m.relationship == "child" for m in h.members):
        marital, divorced = "D", [(min(m.birth_date for m in h.members) + timedelta(days=3000)).isoformat()]
    elif p.relationship == "other":
        marital = "W"
    rec: dict[str, Any] = {
        "@type": "CRVS_Person",
        "identifier": [_ident(p.pinfl)],
        "name": {
            "@type": "Name",
            "surname": p.surname,
            "given_name": p.given_name,
            "second_name": p.patronymic,
        },
        "sex": "male" if p.sex == "M" else "female",
        "birth_date": p.birth_date.isoformat(),
        "death_date": p.death_date.isoformat() if p.death_date else "",
        "marital_status": marital,
        "marriage_date": married,
        "divorce_date": divorced,
    }
    if parent_pinfls:
        rec["parent1_identifier"] = _ident(parent_pinfls[0])
    if len(parent_pinfls) > 1:
        rec["parent2_identifier"] = _ident(parent_pinfls[1])
    return [rec]


_LEVELS = {1: "Severe", 2: "Moderate", 3: "Mild"}


def dr_record(index: PopulationIndex, pinfl: str) -> list[dict[str, Any]] | None:
    """The disability registry's record (DCI DR DisabledPerson), with the Uzbek group as an extension."""
    e = index.get(pinfl)
    if e is None or e.person.disability is None:
        return None
    p, d = e.person, e.person.disability
    return [
        {
            "personal_details": {
                "identifier": p.pinfl,
                "date_of_birth": p.birth_date.isoformat(),
                "gender": "Male" if p.sex == "M" else "Female",
            },
            "disability_status": "Approved",
            "disability_level": _LEVELS[d["group"]],
            "disability_details": [
                {"impairment_type": "Medical condition", "condition_code": d.get("condition_code") or ""}
            ],
            # extensions: the group fixed by the medical-social expert commission and its end date
            "disability_group": d["group"],
            "valid_until": d.get("until") or "",
        }
    ]


# ---------------------------------------------------------------------------------------------------
# SOAP agencies


def soap_envelope(inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}">'
        f"<soapenv:Body>{inner}</soapenv:Body></soapenv:Envelope>"
    ).encode()


def soap_fault(message: str, code: str = "soapenv:Server") -> Response:
    inner = f"<soapenv:Fault><faultcode>{code}</faultcode><faultstring>{escape(message)}</faultstring></soapenv:Fault>"
    return 500, "text/xml; charset=utf-8", soap_envelope(inner)


def _soap_item(tag: str, fields: dict[str, Any]) -> str:
    parts = []
    for k, v in fields.items():
        text = ("true" if v else "false") if isinstance(v, bool) else escape(str(v))
        parts.append(f"<tns:{k}>{text}</tns:{k}>")
    return f"<tns:{tag}>{''.join(parts)}</tns:{tag}>"


def _soap_handler(
    spec: SoapService,
    answer: Callable[[Entry | None, dict[str, str]], dict[str, Any]],
    index: PopulationIndex,
    wsdl: bytes,
):
    ns = spec.namespace

    def handler(method: str, path: str, query: dict[str, str], body: bytes) -> Response:
        if method == "GET" and "wsdl" in {k.lower() for k in query}:
            return 200, "text/xml; charset=utf-8", wsdl
        if method != "POST" or path != "/soap":
            return soap_fault("no such endpoint", "soapenv:Client")
        try:
            root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
            op = root.find(f"{{{SOAP_ENV}}}Body/{{{ns}}}{spec.operation}")
            if op is None:
                return soap_fault(f"operation {spec.operation} expected", "soapenv:Client")
            args = {etree.QName(c).localname: (c.text or "") for c in op}
        except etree.XMLSyntaxError:
            return soap_fault("request is not XML", "soapenv:Client")
        out = answer(index.get(args.get("pinfl", "")), args)
        parts = [f"<tns:status>{out['status']}</tns:status>"]
        for name, _ in spec.scalar_fields:
            if name in out:
                v = out[name]
                text = ("true" if v else "false") if isinstance(v, bool) else escape(str(v))
                parts.append(f"<tns:{name}>{text}</tns:{name}>")
        for item in out.get("items", []):
            parts.append(_soap_item(spec.item_name or "item", item))
        inner = f'<tns:{spec.operation}Response xmlns:tns="{ns}">{"".join(parts)}</tns:{spec.operation}Response>'
        return 200, "text/xml; charset=utf-8", soap_envelope(inner)

    return handler


def cadastre_answer(e: Entry | None, args: dict[str, str]) -> dict[str, Any]:
    if e is None:
        return {"status": "NOT_FOUND"}
    items = [
        {"cadastreNumber": r["cadastre_no"], "kind": r["kind"]}
        for r in e.household.real_estate
        if r["owner_id"] == e.person.person_id
    ]
    return {"status": "FOUND", "items": items}


def traffic_answer(e: Entry | None, args: dict[str, str]) -> dict[str, Any]:
    if e is None:
        return {"status": "NOT_FOUND"}
    items = [
        {
            "vehicleType": v["type"],
            "manufactureYear": v["manufactured_year"],
            "plateNumber": v["plate"],
            "technicalCondition": v["condition"],
            "adaptedForDisability": bool(v.get("adapted_for_disability")),
        }
        for v in e.household.vehicles
        if v["owner_id"] == e.person.person_id
    ]
    return {"status": "FOUND", "items": items}


def penitentiary_answer(e: Entry | None, args: dict[str, str]) -> dict[str, Any]:
    if e is None:
        return {"status": "NOT_FOUND"}
    return {"status": "FOUND", "detained": e.person.detained}


def enforcement_answer(e: Entry | None, args: dict[str, str]) -> dict[str, Any]:
    if e is None:
        return {"status": "NOT_FOUND"}
    months = _months(args.get("fromMonth", "0000-01"), args.get("toMonth", "9999-12"))
    items = [{"direction": "PAID", "month": m, "amount": a} for m, a in e.person.alimony_paid if m in months] + [
        {"direction": "RECEIVED", "month": i.month, "amount": i.amount}
        for i in e.person.incomes
        if i.source == "alimony_received" and i.month in months
    ]
    return {"status": "FOUND", "items": items}


SOAP_ANSWERS = {
    "cadastre": cadastre_answer,
    "traffic_police": traffic_answer,
    "penitentiary": penitentiary_answer,
    "enforcement": enforcement_answer,
}


# ---------------------------------------------------------------------------------------------------
# building the servers


def build_server(agency: str, index: PopulationIndex, *, port: int = 0, faults: Faults | None = None) -> AgencyServer:
    """The stub server of one agency (not started)."""
    if agency in REST_AGENCIES:
        path, answer = REST_AGENCIES[agency]
        spec_file = HERE / "openapi" / f"{agency}.yaml"
        docs = {"/openapi.yaml": ("application/yaml", spec_file.read_bytes())} if spec_file.exists() else {}
        return AgencyServer(agency, "rest", _rest(answer, path, index), port=port, faults=faults, documents=docs)
    if agency == "civil_registry":
        handler = _dci_answer(
            "crvs.gov.uz",
            lambda v: crvs_record(index, v),
            "ns:org:RegistryType:Civil",
            "spdci-extensions-dci:Person",
        )
        return AgencyServer(agency, "dci", handler, port=port, faults=faults)
    if agency == "disability":
        handler = _dci_answer(
            "dr.gov.uz",
            lambda v: dr_record(index, v),
            "ns:org:RegistryType:DR",
            "spdci-extensions-dci:DisabledPerson",
        )
        return AgencyServer(agency, "dci", handler, port=port, faults=faults)
    if agency in SOAP_ANSWERS:
        spec = SERVICES[agency]
        wsdl = (HERE / "wsdl" / wsdl_filename(agency)).read_bytes()
        return AgencyServer(
            agency,
            "soap",
            _soap_handler(spec, SOAP_ANSWERS[agency], index, wsdl),
            port=port,
            faults=faults,
            error_body=soap_fault,
            malformed_body=(200, "text/xml; charset=utf-8", b"<soapenv:Envelope><soapenv:Body><broken"),
            documents={"/wsdl": ("text/xml; charset=utf-8", wsdl)},
        )
    raise ValueError(f"unknown agency {agency!r}")
