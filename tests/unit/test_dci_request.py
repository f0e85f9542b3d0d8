"""The DCI search requests the connectors build validate against the official OpenAPI schemas."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from chalicelib.adapters.agencies.dci import (
    CivilRegistryClient,
    DisabilityRegistryClient,
    build_search_request,
)
from chalicelib.agency_ports import AgencyQuery, PersonRef

_DCI = Path(__file__).resolve().parents[2] / "standards" / "dci"


def _spec(name: str) -> dict[str, Any]:
    return yaml.safe_load((_DCI / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _request_validator(spec_name: str) -> jsonschema.protocols.Validator:
    spec = _spec(spec_name)
    body = spec["paths"]["/registry/sync/search"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = {**copy.deepcopy(body), "components": spec["components"]}
    return jsonschema.Draft7Validator(schema)


QUERY = AgencyQuery(
    application_id="app-1",
    period="2026-11",
    months=("2026-08", "2026-09", "2026-10"),
    on_date=date(2026, 11, 1),
    persons=(PersonRef("p-1", "31505880123456"), PersonRef("p-2", "60101150123457")),
)


@pytest.mark.parametrize(
    ("spec_name", "client"),
    [
        ("registry_core_api_v1.0.0.yaml", CivilRegistryClient),
        ("dr_api_v1.0.0.yaml", DisabilityRegistryClient),
    ],
)
def test_search_request_fits_the_dci_schema(spec_name: str, client: type) -> None:
    # Given the official schema / When building the request a connector sends / Then it validates
    validator = _request_validator(spec_name)
    body = build_search_request(
        QUERY, receiver_id=client.receiver_id, reg_type=client.reg_type, reg_event_type=client.reg_event_type
    )
    errors = list(validator.iter_errors(body))
    assert not errors, errors[0].message
    items = body["message"]["search_request"]
    assert [i["search_criteria"]["query"] for i in items] == [
        {"type": "UIN", "value": "31505880123456"},
        {"type": "UIN", "value": "60101150123457"},
    ]
    assert [i["reference_id"] for i in items] == ["p-1", "p-2"]
    assert body["header"]["action"] == "search" and body["header"]["total_count"] == 2


def test_the_schema_check_can_fail() -> None:
    # Given a request without the message's search_request array / Then the schema refuses it
    validator = _request_validator("registry_core_api_v1.0.0.yaml")
    body = build_search_request(QUERY, receiver_id="crvs", reg_type="x")
    del body["header"]["sender_id"]
    assert list(validator.iter_errors(body))
    body = build_search_request(QUERY, receiver_id="crvs", reg_type="x")
    body["message"]["search_request"][0]["search_criteria"]["query_type"] = "sql"
    assert list(validator.iter_errors(body))
