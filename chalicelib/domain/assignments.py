"""Assignments: what a decision grants, programme by programme, and when it is paid.

A decision made in month D grants each eligible programme from the month after (D+1) for the
months the rule gives (12 for the monthly allowances, per decree UP-6277 of 1 Sep 2021 and the
caregiver allowance of 1 Apr 2022); a lump sum (the non-state maternity benefit) is paid once,
in the first month. Amounts are whole som.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain import months
from chalicelib.domain.decisions import Outcome

STATUSES = ("active", "suspended", "ended")


@dataclass(frozen=True)
class Assignment:
    assignment_id: str  # "<application_id>:<programme>": one per programme and application
    application_id: str
    household_id: str
    beneficiary_person_id: str  # the applicant, who is paid
    programme: str
    monthly_amount: int
    months: int
    lump_sum: int
    first_month: str
    last_month: str
    rules_version: str
    region_code: str
    district_code: str
    mahalla_code: str
    status: str = "active"
    decided_at: str = ""
    suspended_reason: str | None = None

    def pays_in(self, month: str) -> bool:
        return self.status == "active" and self.first_month <= month <= self.last_month

    def amount_for(self, month: str) -> int:
        """What is due for ``month``: the monthly amount, plus the lump sum in the first month."""
        if not self.pays_in(month):
            return 0
        return self.monthly_amount + (self.lump_sum if month == self.first_month else 0)


def from_decision(*, application_id: str, household_id: str, beneficiary_person_id: str,
                  decision: Outcome, rules_version: str, decision_month: str, decided_at: str,
                  region_code: str, district_code: str, mahalla_code: str) -> list[Assignment]:
    """One assignment per eligible programme of the decision."""
    first = months.add(decision_month, 1)
    out = []
    for programme, result in sorted(decision.programmes.items()):
        if not result.eligible:
            continue
        paid_months = result.months
        lump_sum = result.lump_sum
        if paid_months <= 0 and lump_sum <= 0:
            continue
        last = months.add(first, max(paid_months, 1) - 1)
        out.append(Assignment(
            assignment_id=f"{application_id}:{programme}", application_id=application_id,
            household_id=household_id, beneficiary_person_id=beneficiary_person_id, programme=programme,
            monthly_amount=result.monthly_amount, months=paid_months, lump_sum=lump_sum,
            first_month=first, last_month=last, rules_version=rules_version, region_code=region_code,
            district_code=district_code, mahalla_code=mahalla_code, decided_at=decided_at,
        ))
    return out
