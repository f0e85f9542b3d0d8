"""Test data built from the API's own example requests, so tests and docs cannot drift apart."""

from __future__ import annotations

import copy
from typing import Any

from chalicelib.api import examples
from chalicelib.api.schemas import ApplicationIn
from chalicelib.domain.access import Principal
from chalicelib.domain.households import ChangeRecord, Household
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


def change(h: Household, version: int, action: str = "household_updated") -> ChangeRecord:
    """The change record of a household write by a mahalla worker."""
    return ChangeRecord(household_id=h.household_id, version=version, at="2026-11-10T09:00:00+00:00",
                        actor_id="w", actor_role="mahalla_worker", action=action, target="household")
