"""Domain records to and from plain dicts: the one shape stored in DynamoDB items and returned by the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.applications import Application, DocumentRef, ManualEvidence, StatusChange
from chalicelib.domain.households import (
    Address,
    BankAccount,
    ChangeRecord,
    Document,
    Household,
    Member,
    as_plain,
)


def member_from(d: dict[str, Any]) -> Member:
    return Member(
        person_id=d["person_id"],
        pinfl=d["pinfl"],
        surname=d["surname"],
        given_name=d["given_name"],
        patronymic=d.get("patronymic"),
        birth_date=date.fromisoformat(d["birth_date"]),
        sex=d["sex"],
        relationship=d["relationship"],
        document=Document(**d["document"]),
        phone=d.get("phone"),
        language=d.get("language", "uz-Latn"),
    )


def household_to(h: Household) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(h)
    return out


def household_from(d: dict[str, Any]) -> Household:
    bank = d.get("bank_account")
    return Household(
        household_id=d["household_id"],
        address=Address(**d["address"]),
        members=tuple(member_from(m) for m in d["members"]),
        bank_account=BankAccount(**bank) if bank else None,
        version=int(d["version"]),
        created_at=d.get("created_at", ""),
        updated_at=d.get("updated_at", ""),
    )


def change_from(d: dict[str, Any]) -> ChangeRecord:
    return ChangeRecord(
        household_id=d["household_id"],
        version=int(d["version"]),
        at=d["at"],
        actor_id=d["actor_id"],
        actor_role=d["actor_role"],
        action=d["action"],
        target=d["target"],
        old=d.get("old") or {},
        new=d.get("new") or {},
        reason=d.get("reason"),
    )


def application_to(a: Application) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(a)
    out["reference"] = a.reference
    return out


def application_from(d: dict[str, Any]) -> Application:
    return Application(
        application_id=d["application_id"],
        household_id=d["household_id"],
        cycle_month=d["cycle_month"],
        programmes=tuple(d["programmes"]),
        channel=d["channel"],
        applicant_person_id=d["applicant_person_id"],
        members=tuple(member_from(m) for m in d["members"]),
        address=Address(**d["address"]),
        status=d["status"],
        history=tuple(StatusChange(**h) for h in d["history"]),
        created_at=d["created_at"],
        created_by=d["created_by"],
        documents=tuple(
            DocumentRef(**{**x, "size_bytes": int(x["size_bytes"])}) for x in d.get("documents", [])
        ),
        version=int(d["version"]),
        due_date=d.get("due_date", ""),
        attempt=int(d.get("attempt", 1)),
        manual_evidence=tuple(ManualEvidence(**m) for m in d.get("manual_evidence", [])),
    )
