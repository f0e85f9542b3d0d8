"""Test data built from the API's own example requests, so tests and docs cannot drift apart."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.api import examples
from chalicelib.api.schemas import ApplicationIn
from chalicelib.domain.access import Principal
from chalicelib.services.intake import ApplicationRequest

WORKER = Principal(subject="worker-1", role="mahalla_worker", scope=examples.EXAMPLE_MAHALLA)


def application_payload(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(examples.APPLICATION)
    payload.update(changes)
    return payload


def application_request(payload: dict[str, Any] | None = None) -> ApplicationRequest:
    body = ApplicationIn.model_validate(payload or examples.APPLICATION)
    return ApplicationRequest(
        programmes=tuple(body.programmes), channel=body.channel, address=body.address.to_domain(),
        members=tuple(m.to_domain() for m in body.members), applicant_pinfl=body.applicant_pinfl,
        bank_account=body.bank_account.to_domain() if body.bank_account else None,
    )
