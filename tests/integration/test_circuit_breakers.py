"""Circuit breakers per agency on moto: shared state in DynamoDB; an agency found down in five
collections in a row is left alone but for one probe per interval; an answer closes the circuit;
a healthy agency costs no write."""

from __future__ import annotations

import boto3

from chalicelib.adapters.breakers import DynamoCircuitBreakers
from chalicelib.config import Settings


def _breakers(aws: Settings) -> tuple[DynamoCircuitBreakers, DynamoCircuitBreakers, object]:
    db = boto3.client("dynamodb", region_name=aws.region)
    # two executions (two Lambda containers) sharing the table
    return (DynamoCircuitBreakers(db, aws.applications_table, failures=5, probe_s=30),
            DynamoCircuitBreakers(db, aws.applications_table, failures=5, probe_s=30), db)


def test_an_agency_down_five_times_in_a_row_is_left_alone_but_for_one_probe(aws: Settings) -> None:
    one, other, _ = _breakers(aws)
    now = 1_000_000.0
    # Given four collections in a row found the tax authority down
    for _ in range(4):
        one.record("tax", False, now)
    # Then it is still asked
    assert one.blocked(["tax", "cadastre"], now) == set()
    # When a fifth finds it down
    other.record("tax", False, now)
    # Then the next caller claims the probe (asks it) and every other caller leaves it alone
    assert one.blocked(["tax", "cadastre"], now + 1) == set()
    assert other.blocked(["tax", "cadastre"], now + 2) == {"tax"}
    assert one.blocked(["tax"], now + 20) == {"tax"}
    # and once the interval has passed, one caller probes again
    assert other.blocked(["tax"], now + 32) == set() and one.blocked(["tax"], now + 33) == {"tax"}
    # When the probe gets an answer, the circuit closes for everyone
    other.record("tax", True, now + 34)
    assert one.blocked(["tax"], now + 35) == set() and other.blocked(["tax"], now + 35) == set()


def test_a_healthy_agency_costs_no_write(aws: Settings) -> None:
    one, _, db = _breakers(aws)
    # When collections keep finding the cadastre answering
    for _ in range(3):
        one.record("cadastre", True, 1_000_000.0)
    # Then no breaker item is ever written for it
    item = db.get_item(TableName=aws.applications_table,  # type: ignore[attr-defined]
                       Key={"pk": {"S": "BREAKER#cadastre"}, "sk": {"S": "STATE"}})
    assert "Item" not in item
