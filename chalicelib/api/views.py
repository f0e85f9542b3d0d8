"""What the API returns for each record: the stored shape, with bank numbers masked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chalicelib.adapters import codec
from chalicelib.domain import grievances
from chalicelib.domain.appeals import WhatChanged
from chalicelib.domain.applications import Application
from chalicelib.domain.change_requests import ChangeRequest
from chalicelib.domain.decisions import Decision
from chalicelib.domain.grievances import Grievance
from chalicelib.domain.households import ChangeRecord, Household, as_plain, mask_number
from chalicelib.services.cases import CaseView


def household_view(h: Household) -> dict[str, Any]:
    out: dict[str, Any] = codec.household_to(h)
    if h.bank_account is not None:
        out["bank_account"] = h.bank_account.shown()
    return out


def application_view(a: Application) -> dict[str, Any]:
    return codec.application_to(a)


def _mask_bank(holder: dict[str, Any]) -> None:
    bank = holder.get("bank_account")
    if isinstance(bank, dict) and bank.get("number"):
        bank["number"] = mask_number(bank["number"])


def change_view(c: ChangeRecord) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(c)
    for side in ("old", "new"):
        _mask_bank(out[side])  # records are stored masked; older ones too
    return out


def change_request_view(r: ChangeRequest) -> dict[str, Any]:
    out: dict[str, Any] = codec.change_request_to(r)
    _mask_bank(out["payload"])  # a pending payout-account change holds the new number sealed
    return out


def decision_view(a: Application, d: Decision) -> dict[str, Any]:
    """The stored decision, its explanation naming who entered facts by hand and who approved."""
    return {"application_id": a.application_id, "status": a.status, **codec.decision_to(d),
            "explanation": d.explained()}


def decision_history_view(a: Application, found: Sequence[Decision]) -> dict[str, Any]:
    """Every decision of the application, oldest first, each naming the one that superseded it."""
    items = []
    for k, d in enumerate(found):
        later = found[k + 1].attempt if k + 1 < len(found) else None
        items.append({**decision_view(a, d), "superseded_by_attempt": later})
    return {"items": items}


def grievance_view(g: Grievance, today: date, changed: WhatChanged | None = None) -> dict[str, Any]:
    out: dict[str, Any] = codec.grievance_to(g)
    if out.get("appeal") is not None:
        out["appeal"]["what_changed"] = changed.to_dict() if changed else None
    out["handler_role"] = g.handler_role
    out["overdue"] = grievances.overdue(g, today)
    out["attachments"] = [{k: v for k, v in a.items() if k != "s3_key"} for a in out["attachments"]]
    return out


def case_view(view: CaseView, today: date) -> dict[str, Any]:
    """A case with the notes its reader may see."""
    c = view.case
    out: dict[str, Any] = codec.case_to(c)
    out["notes"] = [as_plain(n) for n in view.notes]
    out["review_due"] = c.review_due(today)
    if c.assessment is not None:
        out["assessment"]["priorities"] = list(c.assessment.priorities)
    return out
