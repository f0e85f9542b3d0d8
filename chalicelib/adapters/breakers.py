"""Circuit breakers per agency in DynamoDB (the applications table), shared by every execution.

One item per agency, ``BREAKER#<agency> / STATE``: ``failures`` (collections in a row that found it
down) and ``probe_until`` (epoch seconds). At ``failures`` at or above the threshold the circuit is
open: one caller per ``probe_s`` claims the probe (a conditional update) and asks the agency, the
others leave it alone and report it ``circuit_open`` (the workflow waits, as for any outage); the
first answer closes it. Writes are
conditional so a healthy agency costs no write: a success only writes when there were failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import _is_condition_failure, from_item, to_item


class DynamoCircuitBreakers:
    def __init__(self, client: Any, table: str, *, failures: int = 5, probe_s: float = 30.0) -> None:
        self._db = client
        self._table = table
        self._threshold = failures
        self._probe_s = probe_s

    @staticmethod
    def _key(agency: str) -> dict[str, Any]:
        return to_item({"pk": f"BREAKER#{agency}", "sk": "STATE"})

    def blocked(self, agencies: Sequence[str], now: float) -> set[str]:
        if not agencies:
            return set()
        out = self._db.batch_get_item(RequestItems={self._table: {"Keys": [self._key(a) for a in agencies]}})
        states = [from_item(i) for i in out.get("Responses", {}).get(self._table, [])]
        blocked = set()
        for state in states:
            agency = str(state["pk"]).removeprefix("BREAKER#")
            if int(state.get("failures", 0)) >= self._threshold and not self._claim_probe(agency, now):
                blocked.add(agency)
        return blocked

    def _claim_probe(self, agency: str, now: float) -> bool:
        try:
            self._db.update_item(TableName=self._table, Key=self._key(agency),
                                 UpdateExpression="SET probe_until = :until",
                                 ConditionExpression="attribute_not_exists(probe_until) OR probe_until <= :now",
                                 ExpressionAttributeValues=to_item({":until": int(now + self._probe_s),
                                                                    ":now": int(now)}))
            return True
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise

    def record(self, agency: str, ok: bool, now: float) -> None:
        try:
            if ok:  # a write only when it had failed: a healthy agency costs none
                self._db.update_item(TableName=self._table, Key=self._key(agency),
                                     UpdateExpression="SET failures = :zero REMOVE probe_until",
                                     ConditionExpression="failures > :zero",
                                     ExpressionAttributeValues=to_item({":zero": 0}))
            else:
                self._db.update_item(TableName=self._table, Key=self._key(agency),
                                     UpdateExpression="ADD failures :one",
                                     ExpressionAttributeValues=to_item({":one": 1}))
        except ClientError as err:
            if not _is_condition_failure(err):
                raise


class NoBreakers:
    """Every agency always asked (tests and runs without a table for breakers)."""

    def blocked(self, agencies: Sequence[str], now: float) -> set[str]:
        return set()

    def record(self, agency: str, ok: bool, now: float) -> None:
        return None
