"""Social work cases in the registry table (``infra/resources.py`` lists the items and indexes).

A case lives beside its household (``HH#<household_id> / CASE#<case_id>``) with a pointer by id
(``CASE#<case_id> / CASE``). While it is open, a marker ``HH#<household_id> / CASEOPEN`` holds its id:
the conditional write of the marker is what keeps one open case per household. Every write moves the
region's counters (``STAT#CASES / <region>``, ``cases.counter_deltas``) in the same transaction.
"""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import codec
from chalicelib.adapters.dynamodb import (
    _decode_cursor,
    _encode_cursor,
    _is_condition_failure,
    counter_updates,
    from_item,
    query_prefix,
    read_counters,
    to_item,
    transact,
)
from chalicelib.domain.cases import Case, counter_deltas
from chalicelib.domain.errors import Conflict
from chalicelib.ports import CasePage, CaseQuery

BY_MAHALLA = "cases_by_mahalla"
BY_DISTRICT = "cases_by_district"
COUNTERS_PK = "STAT#CASES"


class DynamoCaseRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def _item(self, c: Case) -> dict[str, Any]:
        keys = {"case_mahalla": c.mahalla_code, "case_district": c.district_code,
                "case_sk": f"{c.status}#{c.opened_at}#{c.case_id}"}
        return to_item({"pk": f"HH#{c.household_id}", "sk": f"CASE#{c.case_id}", **codec.case_to(c), **keys})

    def _count(self, region_code: str, deltas: dict[str, int]) -> list[dict[str, Any]]:
        return counter_updates(self._table, COUNTERS_PK, region_code, deltas)

    def _marker(self, c: Case) -> dict[str, Any]:
        return to_item({"pk": f"HH#{c.household_id}", "sk": "CASEOPEN", "case_id": c.case_id})

    def add(self, case: Case) -> None:
        pointer = to_item({"pk": f"CASE#{case.case_id}", "sk": "CASE", "household_id": case.household_id})
        items = [{"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
                 for item in (self._marker(case), pointer, self._item(case))]
        try:
            transact(self._db, items + self._count(case.region_code,
                                                                             counter_deltas(None, case)))
        except ClientError as err:
            if _is_condition_failure(err):
                raise Conflict("the household has an open case", field="household_id", code="case_open") from None
            raise

    def get(self, case_id: str) -> Case | None:
        pointer = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                    Key=to_item({"pk": f"CASE#{case_id}", "sk": "CASE"}))
        if "Item" not in pointer:
            return None
        household_id = from_item(pointer["Item"])["household_id"]
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"HH#{household_id}", "sk": f"CASE#{case_id}"}))
        return codec.case_from(from_item(out["Item"])) if "Item" in out else None

    def save(self, case: Case, before: Case) -> None:
        writes: list[dict[str, Any]] = [{"Put": {
            "TableName": self._table, "Item": self._item(case), "ConditionExpression": "#v = :v",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": to_item({":v": before.version})}}]
        if before.open and not case.open:
            writes.append({"Delete": {"TableName": self._table,
                                      "Key": to_item({"pk": f"HH#{case.household_id}", "sk": "CASEOPEN"})}})
        try:
            transact(self._db, writes + self._count(case.region_code,
                                                                              counter_deltas(before, case)))
        except ClientError as err:
            if _is_condition_failure(err):
                raise Conflict(f"case {case.case_id} changed meanwhile; read it again", field="version",
                               code="stale_version") from None
            raise

    def for_household(self, household_id: str) -> list[Case]:
        found = [codec.case_from(i) for i in query_prefix(self._db, self._table, f"HH#{household_id}", "CASE#")]
        return sorted(found, key=lambda c: (c.opened_at, c.case_id))

    def list(self, query: CaseQuery) -> CasePage:
        index, pk = (BY_MAHALLA, "case_mahalla") if query.level == "mahalla" else (BY_DISTRICT, "case_district")
        fingerprint = hashlib.sha256(f"{index}|{query.code}|{query.status}".encode()).hexdigest()[:16]
        condition, values = f"{pk} = :c", {":c": query.code}
        if query.status:
            condition, values = f"{pk} = :c AND begins_with(case_sk, :s)", {":c": query.code, ":s": f"{query.status}#"}
        kwargs: dict[str, Any] = {"TableName": self._table, "IndexName": index, "Limit": query.limit,
                                  "KeyConditionExpression": condition, "ExpressionAttributeValues": to_item(values)}
        if query.cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(query.cursor, fingerprint)
        out = self._db.query(**kwargs)
        last = out.get("LastEvaluatedKey")
        return CasePage(items=[codec.case_from(from_item(i)) for i in out.get("Items", [])],
                        cursor=_encode_cursor(last, fingerprint) if last else None)

    def counters(self, region_code: str) -> dict[str, int]:
        return read_counters(self._db, self._table, COUNTERS_PK, region_code)
