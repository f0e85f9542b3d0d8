"""Grievances in the registry table, beside their household (key design: ``infra/resources.py``).

A grievance is ``HH#<household_id> / GR#<grievance_id>`` (a household's grievances are one Query), with
a pointer ``GR#<grievance_id> / GR`` naming its household (found by id with two strongly consistent
reads) and one ``GREF#<reference> / GR`` naming the grievance (the hotline finds it by the reference the
family quotes). Three sparse indexes, on attributes only grievance items carry:

- ``grievances_by_district`` (``gr_district``, ``gr_sk`` = ``<status>#<received_at>#<id>``): a district's
  queue by status, oldest first;
- ``grievances_by_region`` (``gr_region``, the same sort key): a region's, escalated ones included;
- ``grievances_open_by_due`` (``gr_open`` = the region while open, ``gr_due`` = ``<due>#<id>``): the open
  ones by deadline, for the breach sweep and the overdue list; a closed grievance leaves the index.

Every write moves the region's counters (``STAT#GRIEVANCES / <region>``, ``grievances.counter_deltas``)
in the same transaction as the conditional write of the grievance, so a retried or refused write never
counts twice. At a few thousand grievances a day per region the counter item is far below a
partition's write limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import codec
from chalicelib.adapters.dynamodb import (
    _decode_cursor,
    _encode_cursor,
    _is_condition_failure,
    counter_updates,
    from_item,
    query_items,
    query_prefix,
    read_counters,
    to_item,
    transact,
)
from chalicelib.domain.errors import Conflict
from chalicelib.domain.grievances import Grievance, counter_deltas
from chalicelib.ports import GrievancePage, GrievanceQuery

BY_DISTRICT = "grievances_by_district"
BY_REGION = "grievances_by_region"
OPEN_BY_DUE = "grievances_open_by_due"
COUNTERS_PK = "STAT#GRIEVANCES"


class DynamoGrievanceRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def _item(self, g: Grievance) -> dict[str, Any]:
        keys: dict[str, Any] = {"gr_district": g.district_code, "gr_region": g.region_code,
                                "gr_sk": f"{g.status}#{g.received_at}#{g.grievance_id}"}
        if g.open:
            keys |= {"gr_open": g.region_code, "gr_due": f"{g.due}#{g.grievance_id}"}
        return to_item({"pk": f"HH#{g.household_id}", "sk": f"GR#{g.grievance_id}", **codec.grievance_to(g), **keys})

    def _count(self, region_code: str, deltas: dict[str, int]) -> list[dict[str, Any]]:
        return counter_updates(self._table, COUNTERS_PK, region_code, deltas)

    def add(self, grievance: Grievance) -> None:
        pointer = to_item({"pk": f"GR#{grievance.grievance_id}", "sk": "GR", "household_id": grievance.household_id})
        by_reference = to_item({"pk": f"GREF#{grievance.reference}", "sk": "GR",
                                "grievance_id": grievance.grievance_id})
        items = [{"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
                 for item in (pointer, by_reference, self._item(grievance))]
        try:
            transact(self._db, items + self._count(grievance.region_code, counter_deltas(None, grievance)))
        except ClientError as err:
            if _is_condition_failure(err):
                raise Conflict(f"grievance {grievance.grievance_id} exists", field="grievance_id",
                               code="grievance_exists") from None
            raise

    def get(self, grievance_id: str) -> Grievance | None:
        pointer = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                    Key=to_item({"pk": f"GR#{grievance_id}", "sk": "GR"}))
        if "Item" not in pointer:
            return None
        household_id = from_item(pointer["Item"])["household_id"]
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"HH#{household_id}", "sk": f"GR#{grievance_id}"}))
        return codec.grievance_from(from_item(out["Item"])) if "Item" in out else None

    def find_by_reference(self, reference: str) -> Grievance | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"GREF#{reference}", "sk": "GR"}))
        return self.get(from_item(out["Item"])["grievance_id"]) if "Item" in out else None

    def save(self, grievance: Grievance, before: Grievance) -> None:
        put = {"Put": {"TableName": self._table, "Item": self._item(grievance),
                       "ConditionExpression": "#v = :v", "ExpressionAttributeNames": {"#v": "version"},
                       "ExpressionAttributeValues": to_item({":v": before.version})}}
        try:
            transact(self._db, [put, *self._count(grievance.region_code, counter_deltas(before, grievance))])
        except ClientError as err:
            if _is_condition_failure(err):
                raise Conflict(f"grievance {grievance.grievance_id} changed meanwhile; read it again",
                               field="version", code="stale_version") from None
            raise

    def for_household(self, household_id: str) -> list[Grievance]:
        found = [codec.grievance_from(i) for i in query_prefix(self._db, self._table, f"HH#{household_id}", "GR#")]
        return sorted(found, key=lambda g: (g.received_at, g.grievance_id))

    def list(self, query: GrievanceQuery) -> GrievancePage:
        index, pk = (BY_REGION, "gr_region") if query.level == "region" else (BY_DISTRICT, "gr_district")
        fingerprint = hashlib.sha256(f"{index}|{query.code}|{query.status}".encode()).hexdigest()[:16]
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "Limit": query.limit,
            "KeyConditionExpression": f"{pk} = :c AND begins_with(gr_sk, :s)",
            "ExpressionAttributeValues": to_item({":c": query.code, ":s": f"{query.status}#" if query.status else ""}),
        }
        if not query.status:
            kwargs["KeyConditionExpression"] = f"{pk} = :c"
            kwargs["ExpressionAttributeValues"] = to_item({":c": query.code})
        if query.cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(query.cursor, fingerprint)
        out = self._db.query(**kwargs)
        last = out.get("LastEvaluatedKey")
        return GrievancePage(items=[codec.grievance_from(from_item(i)) for i in out.get("Items", [])],
                             cursor=_encode_cursor(last, fingerprint) if last else None)

    def open_due_before(self, region_code: str, day: str) -> Iterator[Grievance]:
        for item in query_items(self._db, TableName=self._table, IndexName=OPEN_BY_DUE,
                                KeyConditionExpression="gr_open = :r AND gr_due < :d",
                                ExpressionAttributeValues=to_item({":r": region_code, ":d": day})):
            yield codec.grievance_from(item)

    def counters(self, region_code: str) -> dict[str, int]:
        return read_counters(self._db, self._table, COUNTERS_PK, region_code)
