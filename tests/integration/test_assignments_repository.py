"""Assignments on moto: idempotent recording and the sharded read the payroll uses."""

from __future__ import annotations

import boto3
import pytest

from chalicelib.adapters.dynamodb import DynamoAssignmentRepository
from chalicelib.config import Settings
from chalicelib.domain.assignments import from_decision
from chalicelib.domain.decisions import Outcome

DECISION = Outcome.from_dict({"period": "2026-11", "per_capita_income": 100_000, "threshold": 669_000, "programmes": {
    "child_allowance": {"eligible": True, "monthly_amount": 475_000, "months": 12, "lump_sum": 0, "reasons": []},
    "maternity_non_state": {"eligible": True, "monthly_amount": 0, "months": 0, "lump_sum": 1_994_000,
                            "reasons": []},
    "material_assistance": {"eligible": False, "monthly_amount": 0, "months": 0, "lump_sum": 0,
                            "reasons": ["has_child_under_18"]},
}})


def _assignments(application_id: str, household_id: str) -> list:
    return from_decision(application_id=application_id, household_id=household_id, beneficiary_person_id="p-1",
                         decision=DECISION, rules_version="r1", decision_month="2026-11",
                         decided_at="2026-11-20T10:00:00+05:00", region_code="1726", district_code="1726262",
                         mahalla_code="1726262010")


@pytest.fixture
def repo(aws: Settings) -> DynamoAssignmentRepository:
    return DynamoAssignmentRepository(boto3.client("dynamodb", region_name=aws.region), aws.assignments_table)


def test_a_decision_recorded_twice_adds_its_assignments_once(repo) -> None:
    # Given the assignments of one decision, When recorded twice (a retried step), Then stored once
    assert repo.add_all(_assignments("app-1", "hh-1")) == 2
    assert repo.add_all(_assignments("app-1", "hh-1")) == 0
    assert sorted(a.programme for a in repo.for_household("hh-1")) == ["child_allowance", "maternity_non_state"]


def test_active_in_a_month_reads_every_shard_and_respects_the_paid_months(repo) -> None:
    for i in range(40):
        repo.add_all(_assignments(f"app-{i}", f"hh-{i}"))
    repo.set_status("app-3:child_allowance", "suspended", "death_reported")
    # December (the first month): 40 allowances but one suspended, and 40 lump sums
    december = list(repo.active_in("2026-12"))
    assert len(december) == 79
    # February: lump sums were for December only
    february = list(repo.active_in("2027-02"))
    assert {a.programme for a in february} == {"child_allowance"} and len(february) == 39
    # After the twelfth month nothing is active, and before the first nothing yet
    assert list(repo.active_in("2027-12")) == [] and list(repo.active_in("2026-11")) == []
    assert sum(a.amount_for("2026-12") for a in december) == 39 * 475_000 + 40 * 1_994_000
