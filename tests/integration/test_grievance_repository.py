"""Grievances on moto: beside the household, found by id, the area queues, the open-by-deadline index
that a closed grievance leaves, and counters that move once per accepted write."""

from __future__ import annotations

from datetime import date

import boto3
import pytest

from chalicelib.adapters.grievances import DynamoGrievanceRepository
from chalicelib.config import Settings
from chalicelib.domain import grievances as gr
from chalicelib.domain.errors import Conflict
from chalicelib.ports import GrievanceQuery

TODAY = date(2026, 12, 17)


def _filed(n: int, district: str = "1726262", received: str = "2026-12-01") -> gr.Grievance:
    return gr.new_grievance(
        grievance_id=f"gr-{n:04d}", household_id=f"hh-{n % 3}", category="payment_not_received", channel="web",
        filed_by="c", filed_role="citizen", received_at=f"{received}T04:00:{n % 60:02d}+00:00",
        received_on=date.fromisoformat(received), region_code=district[:4], district_code=district,
        mahalla_code=district + "010", description="private words")


@pytest.fixture
def repo(aws: Settings) -> DynamoGrievanceRepository:
    return DynamoGrievanceRepository(boto3.client("dynamodb", region_name=aws.region), aws.registry_table)


def test_a_grievance_is_found_by_id_by_household_and_in_its_queues(repo: DynamoGrievanceRepository) -> None:
    # Given five grievances in one district and one in another region
    for n in range(5):
        repo.add(_filed(n))
    repo.add(_filed(9, district="1703401"))
    # Then each is found by id and by household, and the district's queue pages oldest first
    assert repo.get("gr-0003") == _filed(3)
    assert [g.grievance_id for g in repo.for_household("hh-0")] == ["gr-0000", "gr-0003", "gr-0009"]
    first = repo.list(GrievanceQuery("district", "1726262", "received", limit=3))
    rest = repo.list(GrievanceQuery("district", "1726262", "received", limit=3, cursor=first.cursor))
    assert [g.grievance_id for g in first.items + rest.items] == [f"gr-{n:04d}" for n in range(5)]
    assert [g.grievance_id for g in repo.list(GrievanceQuery("region", "1703")).items] == ["gr-0009"]
    with pytest.raises(Conflict) as err:
        repo.add(_filed(1))
    assert err.value.code == "grievance_exists"


def test_a_closed_grievance_leaves_the_deadline_index_and_counts_once(repo: DynamoGrievanceRepository) -> None:
    filed = _filed(1)
    repo.add(filed)
    assert [g.grievance_id for g in repo.open_due_before("1726", TODAY.isoformat())] == ["gr-0001"]
    assert list(repo.open_due_before("1726", filed.due)) == []  # due on that day: not before it
    reviewed = gr.move(filed, "in_review", at="t", actor_id="o", actor_role="pension_fund_officer", today=TODAY)
    repo.save(reviewed, filed)
    closed = gr.move(reviewed, "resolved", at="t", actor_id="o", actor_role="pension_fund_officer", today=TODAY,
                     note_code="paid")
    repo.save(closed, reviewed)
    # When the same write is tried again from the old version, it is refused and counts nothing
    with pytest.raises(Conflict) as err:
        repo.save(closed, reviewed)
    assert err.value.code == "stale_version"
    assert list(repo.open_due_before("1726", TODAY.isoformat())) == []
    assert repo.counters("1726") == {"status#payment_not_received#received": 0,
                                     "status#payment_not_received#in_review": 0,
                                     "status#payment_not_received#resolved": 1, "closed": 1, "days#16": 1}
    assert repo.counters("1703") == {}
