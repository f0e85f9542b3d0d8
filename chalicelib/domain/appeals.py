"""Appeals against a decision, in the domain: whether the re-assessment upholds the appeal, what changed
between the contested decision and the one that answers it, and the months an upheld appeal pays back.

A decision is never edited: the re-assessment is a new attempt of the same application with a new
decision, and both stay in its history. The new decision answers the appeal:

- ``upheld`` when it grants a programme the contested one did not, or a larger amount for one it did;
- ``denied`` otherwise (the family is told why, and where to go further).

An upheld appeal grants from the month the contested decision would have started paying
(``first_month``: the month after it), so the family loses nothing to the time the appeal took; the
months before the payroll run that first pays it are paid once as arrears in that run (``missed_months``).

This module is pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain import months
from chalicelib.domain.decisions import Decision, ProgrammeResult


@dataclass(frozen=True)
class ProgrammeChange:
    programme: str
    eligible_before: bool
    eligible_after: bool
    monthly_before: int  # whole som
    monthly_after: int
    lump_sum_before: int
    lump_sum_after: int
    reasons_dropped: tuple[str, ...]  # reasons of the contested decision the new one no longer gives
    reasons_added: tuple[str, ...]

    @property
    def better(self) -> bool:
        return (self.eligible_after and not self.eligible_before) or (
            self.eligible_after and (self.monthly_after > self.monthly_before
                                     or self.lump_sum_after > self.lump_sum_before))


@dataclass(frozen=True)
class WhatChanged:
    """The contested decision against the one that answers the appeal: figures, programmes, the facts
    entered by hand the new one rests on, the rules that made each."""

    attempt_before: int
    attempt_after: int
    per_capita_income_before: int
    per_capita_income_after: int
    threshold_before: int
    threshold_after: int
    programmes: tuple[ProgrammeChange, ...]
    entered_by_hand: tuple[str, ...]  # agencies whose facts staff entered for the new decision
    rules_before: str
    rules_after: str

    @property
    def upheld(self) -> bool:
        return any(p.better for p in self.programmes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempt_before": self.attempt_before, "attempt_after": self.attempt_after,
            "per_capita_income": {"before": self.per_capita_income_before, "after": self.per_capita_income_after},
            "threshold": {"before": self.threshold_before, "after": self.threshold_after},
            "programmes": [{"programme": p.programme,
                            "eligible": {"before": p.eligible_before, "after": p.eligible_after},
                            "monthly_amount": {"before": p.monthly_before, "after": p.monthly_after},
                            "lump_sum": {"before": p.lump_sum_before, "after": p.lump_sum_after},
                            "reasons_dropped": list(p.reasons_dropped), "reasons_added": list(p.reasons_added)}
                           for p in self.programmes],
            "entered_by_hand": list(self.entered_by_hand),
            "rules_version": {"before": self.rules_before, "after": self.rules_after},
            "outcome": "upheld" if self.upheld else "denied",
        }


_NOTHING = ProgrammeResult(False, 0, 0, 0)


def what_changed(before: Decision, after: Decision) -> WhatChanged:
    names = sorted(set(before.outcome.programmes) | set(after.outcome.programmes))
    changes = []
    for name in names:
        old = before.outcome.programmes.get(name, _NOTHING)
        new = after.outcome.programmes.get(name, _NOTHING)
        changes.append(ProgrammeChange(
            programme=name, eligible_before=old.eligible, eligible_after=new.eligible,
            monthly_before=old.monthly_amount if old.eligible else 0,
            monthly_after=new.monthly_amount if new.eligible else 0,
            lump_sum_before=old.lump_sum if old.eligible else 0, lump_sum_after=new.lump_sum if new.eligible else 0,
            reasons_dropped=tuple(r for r in old.reasons if r not in new.reasons),
            reasons_added=tuple(r for r in new.reasons if r not in old.reasons)))
    return WhatChanged(
        attempt_before=before.attempt, attempt_after=after.attempt,
        per_capita_income_before=before.outcome.per_capita_income,
        per_capita_income_after=after.outcome.per_capita_income,
        threshold_before=before.outcome.threshold, threshold_after=after.outcome.threshold,
        programmes=tuple(changes), entered_by_hand=tuple(sorted({m.agency for m in after.manual_evidence})),
        rules_before=before.rules_version, rules_after=after.rules_version)


def first_month(contested_decision_month: str) -> str:
    """The month an upheld appeal's assignments start: the one the contested decision would have paid first."""
    return months.add(contested_decision_month, 1)


def missed_months(first: str, run_month: str) -> list[str]:
    """The months before ``run_month`` from ``first`` on: paid once as arrears in that run."""
    return months.span(first, months.add(run_month, -1))
