"""Decisions: what the rules decided for one attempt, on what evidence, and who approved it.

A ``Decision`` is written once per application attempt. Its ``outcome`` is the rules' decision
object (assessment.schema.json's ``decision``), its ``explanation`` the figures behind it, and
``rules_version`` the rule set that made it. A decision that makes the family eligible for any
programme while resting on facts staff entered by hand (``manual_evidence``) is not final: its
``approval`` is pending until a second officer (not one who entered the facts) approves it, and
only then does it grant assignments (the four-eyes rule on manual facts that make a family
eligible). A decision that grants nothing is final without one: no money goes out, and the family
may appeal it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.domain.errors import Conflict, Forbidden

APPROVAL_STATUSES = ("not_required", "pending", "approved", "rejected")


@dataclass(frozen=True)
class ProgrammeResult:
    eligible: bool
    monthly_amount: int  # whole som
    months: int
    lump_sum: int  # whole som
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """The rules' decision object for one household and month."""

    period: str
    per_capita_income: int
    threshold: int
    programmes: Mapping[str, ProgrammeResult]

    @property
    def eligible(self) -> tuple[str, ...]:
        return tuple(sorted(p for p, r in self.programmes.items() if r.eligible))

    def reasons(self) -> list[str]:
        """Every reason of every programme, once, in programme order."""
        out: list[str] = []
        for _, result in sorted(self.programmes.items()):
            out += [r for r in result.reasons if r not in out]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period, "per_capita_income": self.per_capita_income, "threshold": self.threshold,
                "programmes": {p: {"eligible": r.eligible, "monthly_amount": r.monthly_amount, "months": r.months,
                                   "lump_sum": r.lump_sum, "reasons": list(r.reasons)}
                               for p, r in self.programmes.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Outcome:
        return cls(period=str(d["period"]), per_capita_income=int(d["per_capita_income"]),
                   threshold=int(d["threshold"]),
                   programmes={str(p): ProgrammeResult(bool(r["eligible"]), int(r["monthly_amount"]), int(r["months"]),
                                                       int(r["lump_sum"]), tuple(str(x) for x in r["reasons"]))
                               for p, r in d["programmes"].items()})


@dataclass(frozen=True)
class ManualFactsUsed:
    """Facts entered by hand that a decision rests on: for which agency, by whom, from which document."""

    agency: str
    entered_by: str
    entered_role: str
    entered_at: str
    document_id: str


@dataclass(frozen=True)
class Approval:
    status: str = "not_required"  # one of APPROVAL_STATUSES
    by: str | None = None
    role: str | None = None
    at: str | None = None
    note: str | None = None  # the second officer's note or reason (free text: stored, never logged)


@dataclass(frozen=True)
class Decision:
    application_id: str
    attempt: int
    outcome: Outcome
    explanation: Mapping[str, Any]
    rules_version: str
    evidence_key: str
    decided_at: str
    manual_evidence: tuple[ManualFactsUsed, ...] = ()
    approval: Approval = field(default_factory=Approval)

    @property
    def eligible(self) -> tuple[str, ...]:
        return self.outcome.eligible

    @property
    def final(self) -> bool:
        """May the decision grant assignments and be told to the family?"""
        return self.approval.status in ("not_required", "approved")

    def explained(self) -> dict[str, Any]:
        """The explanation with the people behind it: who entered which facts by hand, who approved."""
        out = dict(self.explanation)
        if self.manual_evidence:
            out["manual_evidence"] = [{"agency": m.agency, "entered_by": m.entered_by, "entered_role": m.entered_role,
                                       "entered_at": m.entered_at, "document_id": m.document_id}
                                      for m in self.manual_evidence]
            out["second_officer"] = {"status": self.approval.status, "by": self.approval.by,
                                     "role": self.approval.role, "at": self.approval.at}
        return out


def decided(application_id: str, attempt: int, outcome: Outcome, explanation: Mapping[str, Any], rules_version: str,
            evidence_key: str, decided_at: str, manual: tuple[ManualFactsUsed, ...] = ()) -> Decision:
    """A new decision; pending a second officer when it makes the family eligible on manual facts."""
    pending = bool(manual) and bool(outcome.eligible)
    return Decision(application_id, attempt, outcome, explanation, rules_version, evidence_key, decided_at, manual,
                    Approval("pending" if pending else "not_required"))


def second_officer(decision: Decision, officer: str, role: str, at: str, *, approve: bool,
                   note: str | None = None) -> Decision:
    """The decision approved or rejected by ``officer``, who must not have entered any of its manual facts."""
    if decision.approval.status != "pending":
        raise Conflict(f"the decision of attempt {decision.attempt} does not wait for approval", field="decision",
                       code="not_awaiting_approval")
    if officer in {m.entered_by for m in decision.manual_evidence}:
        raise Forbidden("the officer who entered the facts by hand cannot approve the decision resting on them",
                        code="same_officer")
    return replace(decision, approval=Approval("approved" if approve else "rejected", officer, role, at, note))
