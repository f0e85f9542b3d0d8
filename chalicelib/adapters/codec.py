"""Domain records to and from plain dicts: the one shape stored in DynamoDB items and returned by the API."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.domain.applications import AppealRef, Application, DocumentRef, StatusChange
from chalicelib.domain.cases import Case, CaseEvent, CaseNote, NeedsAssessment, PlanAction, Referral
from chalicelib.domain.change_requests import (
    AddressChange,
    ChangeRequest,
    MemberDied,
    MemberMovesIn,
    MemberMovesOut,
    Payload,
    PayoutAccountChange,
    PhoneChange,
    payload_fields,
)
from chalicelib.domain.decisions import Approval, Decision, ManualFactsUsed, Outcome
from chalicelib.domain.evidence import IncomeFact, ManualEvidence, PersonFacts
from chalicelib.domain.grievances import Appeal, Attachment, Grievance, GrievanceEvent
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
        request_id=d.get("request_id"),
        requested_by=d.get("requested_by"),
        requested_role=d.get("requested_role"),
    )


def application_to(a: Application) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(a)
    out["reference"] = a.reference
    out["manual_evidence"] = [manual_to(m) for m in a.manual_evidence]
    return out


def person_facts_to(f: PersonFacts) -> dict[str, Any]:
    """Only the facts stated (see ``PersonFacts.given``)."""
    return {name: as_plain(getattr(f, name)) for name in f.given()}


def person_facts_from(d: dict[str, Any]) -> PersonFacts:
    fields = dict(d)
    fields["incomes"] = [IncomeFact(str(i["month"]), str(i["source"]), int(i["amount"])) for i in d.get("incomes", [])]
    fields["alimony_paid"] = [(str(m), int(amount)) for m, amount in d.get("alimony_paid", [])]
    for name in ("birth_date", "death_date"):
        if d.get(name):
            fields[name] = date.fromisoformat(d[name])
    if d.get("parent_pinfls") is not None:
        fields["parent_pinfls"] = tuple(d["parent_pinfls"])
    return PersonFacts(**fields)


def manual_to(m: ManualEvidence) -> dict[str, Any]:
    return {"agency": m.agency, "facts": {pid: person_facts_to(f) for pid, f in m.facts.items()},
            "justification": m.justification, "document_id": m.document_id, "entered_by": m.entered_by,
            "entered_role": m.entered_role, "entered_at": m.entered_at, "corrects": m.corrects}


def manual_from(d: dict[str, Any]) -> ManualEvidence:
    return ManualEvidence(agency=d["agency"], facts={pid: person_facts_from(f) for pid, f in d["facts"].items()},
                          justification=d["justification"], document_id=d["document_id"],
                          entered_by=d["entered_by"], entered_role=d["entered_role"], entered_at=d["entered_at"],
                          corrects=bool(d.get("corrects", False)))


def decision_to(d: Decision) -> dict[str, Any]:
    """The stored decision record (the API shows it with ``Decision.explained()`` as the explanation)."""
    return {"application_id": d.application_id, "attempt": d.attempt, "decision": d.outcome.to_dict(),
            "explanation": dict(d.explanation), "rules_version": d.rules_version, "evidence_key": d.evidence_key,
            "decided_at": d.decided_at, "manual_evidence": [as_plain(m) for m in d.manual_evidence],
            "approval": as_plain(d.approval)}


def decision_from(d: dict[str, Any]) -> Decision:
    return Decision(application_id=d["application_id"], attempt=int(d["attempt"]),
                    outcome=Outcome.from_dict(d["decision"]), explanation=d.get("explanation") or {},
                    rules_version=str(d["rules_version"]), evidence_key=str(d["evidence_key"]),
                    decided_at=str(d["decided_at"]),
                    manual_evidence=tuple(ManualFactsUsed(**m) for m in d.get("manual_evidence", [])),
                    approval=Approval(**d.get("approval", {})))


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
        manual_evidence=tuple(manual_from(m) for m in d.get("manual_evidence", [])),
        appeal=AppealRef(d["appeal"]["grievance_id"], int(d["appeal"]["contested_attempt"]),
                         d["appeal"]["decision_month"]) if d.get("appeal") else None,
    )


def change_request_to(r: ChangeRequest) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(r)
    out["payload"] = payload_fields(r.payload)
    out["kind"] = r.kind
    out["reference"] = r.reference
    return out


def payload_from(d: dict[str, Any]) -> Payload:
    kind = d["kind"]
    if kind == "payout_account":
        return PayoutAccountChange(bank_account=BankAccount(**d["bank_account"]))
    if kind == "phone":
        return PhoneChange(person_id=d["person_id"], phone=d["phone"])
    if kind == "address":
        return AddressChange(address=Address(**d["address"]))
    if kind == "member_moves_in":
        return MemberMovesIn(member=member_from(d["member"]))
    if kind == "member_moves_out":
        return MemberMovesOut(person_id=d["person_id"], new_head_person_id=d.get("new_head_person_id"))
    if kind == "death":
        return MemberDied(person_id=d["person_id"], died_on=date.fromisoformat(d["died_on"]),
                          new_head_person_id=d.get("new_head_person_id"))
    raise ValueError(f"unknown change request kind {kind}")


_OPTIONAL = ("note", "decided_by", "decided_role", "decided_at", "reason", "decision_note")


def change_request_from(d: dict[str, Any]) -> ChangeRequest:
    applied = d.get("applied_version")
    return ChangeRequest(
        request_id=d["request_id"], household_id=d["household_id"], payload=payload_from(d["payload"]),
        district_code=d["district_code"], mahalla_code=d["mahalla_code"], base_version=int(d["base_version"]),
        submitted_by=d["submitted_by"], submitted_role=d["submitted_role"], submitted_at=d["submitted_at"],
        status=d["status"], applied_version=int(applied) if applied is not None else None,
        **{k: d.get(k) for k in _OPTIONAL},
    )


def grievance_to(g: Grievance) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(g)
    out["reference"] = g.reference
    return out


def grievance_from(d: dict[str, Any]) -> Grievance:
    appeal = d.get("appeal")
    return Grievance(
        grievance_id=d["grievance_id"], household_id=d["household_id"], category=d["category"], channel=d["channel"],
        filed_by=d["filed_by"], filed_role=d["filed_role"], received_at=d["received_at"],
        received_on=d["received_on"], due=d["due"], region_code=d["region_code"], district_code=d["district_code"],
        mahalla_code=d["mahalla_code"], description=d.get("description", ""), status=d["status"],
        level=d["level"], extra_checks=bool(d.get("extra_checks")), application_id=d.get("application_id"),
        payment_ref=d.get("payment_ref"),
        appeal=Appeal(application_id=appeal["application_id"], attempt=int(appeal["attempt"]),
                      decision_month=appeal["decision_month"], grounds=tuple(appeal["grounds"]),
                      answered_by_attempt=appeal.get("answered_by_attempt")) if appeal else None,
        assignee=d.get("assignee"), outcome_code=d.get("outcome_code"), answer=d.get("answer"),
        closed_on=d.get("closed_on"), escalated_on=d.get("escalated_on"),
        region_due=d.get("region_due"), rating=d.get("rating"),
        attachments=tuple(Attachment(**a) for a in d.get("attachments", [])),
        history=tuple(GrievanceEvent(**e) for e in d.get("history", [])), version=int(d["version"]))


def case_to(c: Case) -> dict[str, Any]:
    out: dict[str, Any] = as_plain(c)
    return out


def case_from(d: dict[str, Any]) -> Case:
    a = d.get("assessment")
    return Case(
        case_id=d["case_id"], household_id=d["household_id"], region_code=d["region_code"],
        district_code=d["district_code"], mahalla_code=d["mahalla_code"], origin=d["origin"],
        origin_ref=d.get("origin_ref"), worker_id=d["worker_id"], status=d["status"], opened_at=d["opened_at"],
        opened_by=d["opened_by"], opened_role=d["opened_role"], review_on=d["review_on"],
        assessment=NeedsAssessment({k: int(v) for k, v in a["levels"].items()}, a["summary"], a["assessed_on"],
                                   a["assessed_by"]) if a else None,
        plan=tuple(PlanAction(x["action"], x["due_on"], bool(x.get("done"))) for x in d.get("plan", [])),
        referrals=tuple(Referral(**r) for r in d.get("referrals", [])),
        notes=tuple(CaseNote(**{**n, "confidential": bool(n.get("confidential"))}) for n in d.get("notes", [])),
        outcome=d.get("outcome"), closed_on=d.get("closed_on"),
        history=tuple(CaseEvent(**e) for e in d.get("history", [])), version=int(d["version"]))
