"""Connectors to the government agencies the registry pulls evidence from (one per agency).

``build_agency_clients(urls)`` builds every connector whose agency has a URL; the composition root
calls it with the URLs from the settings. Protocols: REST (rest.py), DCI (dci.py), SOAP (soap.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.adapters.agencies.dci import CivilRegistryClient, DisabilityRegistryClient
from chalicelib.adapters.agencies.rest import REST_SPECS, RestAgencyClient
from chalicelib.adapters.agencies.soap import SOAP_CLIENTS
from chalicelib.agency_ports import AGENCY_NAMES, AgencyClient


def build_agency_client(name: str, url: str, *, timeout_s: float = 2.0) -> AgencyClient:
    """The connector of agency ``name`` talking to ``url`` (base URL, no path)."""
    if name in REST_SPECS:
        return RestAgencyClient(name, url, timeout_s=timeout_s)
    if name == "civil_registry":
        return CivilRegistryClient(url, timeout_s=timeout_s)
    if name == "disability":
        return DisabilityRegistryClient(url, timeout_s=timeout_s)
    if name in SOAP_CLIENTS:
        return SOAP_CLIENTS[name](url, timeout_s=timeout_s)
    raise ValueError(f"unknown agency {name!r}")


def build_agency_clients(urls: Mapping[str, str], *, timeout_s: float = 2.0) -> list[AgencyClient]:
    """Connectors for every agency in ``urls`` ({agency: base URL}), in AGENCY_NAMES order."""
    unknown = set(urls) - set(AGENCY_NAMES)
    if unknown:
        raise ValueError(f"unknown agencies: {sorted(unknown)}")
    return [build_agency_client(n, urls[n], timeout_s=timeout_s) for n in AGENCY_NAMES if n in urls]
