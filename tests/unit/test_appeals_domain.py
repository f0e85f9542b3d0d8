"""Appeals in the domain: upheld or denied from the two decisions, what changed, and the months paid back."""

from __future__ import annotations

from chalicelib.domain import appeals
from chalicelib.domain.decisions import Decision, ManualFactsUsed, Outcome, ProgrammeResult, decided


def _decision(attempt: int, income: int, eligible: bool, manual: tuple[ManualFactsUsed, ...] = ()) -> Decision:
    result = (ProgrammeResult(True, 420_000, 12, 0) if eligible
              else ProgrammeResult(False, 0, 0, 0, ("income_above_threshold",)))
    outcome = Outcome(period="2026-10", per_capita_income=income, threshold=669_000,
                      programmes={"child_allowance": result})
    return decided("app-1", attempt, outcome, {}, "rules-1", f"evidence/app-1/{attempt:04d}.json",
                   "2026-11-03T10:00:00+05:00", manual)


def test_corrected_income_that_makes_the_family_eligible_upholds_the_appeal() -> None:
    # Given a rejection on a monthly income of 900,000 som a member, and a re-assessment on corrected
    # tax facts entered by hand at 500,000
    manual = (ManualFactsUsed("tax", "officer-1", "pension_fund_officer", "t", "doc-1"),)
    changed = appeals.what_changed(_decision(1, 900_000, False), _decision(2, 500_000, True, manual))
    # Then the appeal is upheld, and the explanation shows both figures and the reason that fell away
    assert changed.upheld
    d = changed.to_dict()
    assert d["per_capita_income"] == {"before": 900_000, "after": 500_000}
    assert d["programmes"] == [{"programme": "child_allowance", "eligible": {"before": False, "after": True},
                                "monthly_amount": {"before": 0, "after": 420_000},
                                "lump_sum": {"before": 0, "after": 0},
                                "reasons_dropped": ["income_above_threshold"], "reasons_added": []}]
    assert d["entered_by_hand"] == ["tax"] and d["outcome"] == "upheld"


def test_the_same_answer_denies_the_appeal() -> None:
    changed = appeals.what_changed(_decision(1, 900_000, False), _decision(2, 880_000, False))
    assert not changed.upheld and changed.to_dict()["outcome"] == "denied"
    # A lower amount than before is no success either
    assert not appeals.what_changed(_decision(1, 500_000, True), _decision(2, 600_000, False)).upheld


def test_an_upheld_appeal_pays_from_the_month_the_decision_would_have_started() -> None:
    # Given a rejection decided in November 2026, upheld in January 2027
    first = appeals.first_month("2026-11")
    # Then the assignment starts in December 2026, and the February run pays December and January as arrears
    assert first == "2026-12"
    assert appeals.missed_months(first, "2027-02") == ["2026-12", "2027-01"]
    assert appeals.missed_months(first, "2026-12") == []
