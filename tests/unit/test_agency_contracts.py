"""The WSDL files served by the stubs and packaged for the clients are the same generated documents."""

from __future__ import annotations

from pathlib import Path

import zeep

from chalicelib.adapters.agencies.soap import SOAP_CLIENTS, WSDL_DIR
from devstack.agencies.soap_specs import SERVICES, WSDL_DIRS, wsdl_filename, wsdl_text


def test_both_wsdl_copies_match_the_specs() -> None:
    # Given the specs / Then each WSDL file in both folders is exactly what the specs produce
    assert WSDL_DIR in WSDL_DIRS
    for s in SERVICES.values():
        for d in WSDL_DIRS:
            assert (Path(d) / wsdl_filename(s.agency)).read_text(encoding="utf-8") == wsdl_text(s), (
                d,
                s.agency,
            )


def test_each_packaged_wsdl_loads_in_zeep_with_the_clients_operation() -> None:
    # Given each SOAP client / When zeep reads its WSDL / Then the client's binding and operation exist
    assert set(SOAP_CLIENTS) == set(SERVICES)
    for name, cls in SOAP_CLIENTS.items():
        client = zeep.Client(str(WSDL_DIR / f"{name}.wsdl"))
        svc = client.create_service(f"{{{cls.namespace}}}{cls.service}Binding", "http://127.0.0.1:9/soap")
        assert hasattr(svc, cls.operation)


def test_openapi_files_match_the_connectors_models() -> None:
    from chalicelib.adapters.agencies.rest import REST_SPECS
    from devstack.agencies.openapi_specs import OPENAPI_DIR, openapi_text

    for agency in REST_SPECS:
        assert (OPENAPI_DIR / f"{agency}.yaml").read_text(encoding="utf-8") == openapi_text(agency), agency
