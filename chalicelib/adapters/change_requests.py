"""Change requests in the registry table, beside their household (key design: ``infra/resources.py``).

A request is ``HH#<household_id> / CR#<request_id>`` (so a household's requests are one Query), with
a pointer ``CR#<request_id> / CR`` naming its household (so a request is found by id with two
strongly consistent reads, no index). The district queue is the sparse index
``change_requests_by_district`` (pk ``cr_district``, sort ``<status>#<submitted_at>#<request_id>``):
only request items carry those attributes.

A decision is one TransactWriteItems: the request (conditional on still being pending) and, for an
approval, the household (conditional on its version), its change record and the PINFL claims.
A payout account change stores its new number sealed (the household repository's cipher and context).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import codec
from chalicelib.adapters.dynamodb import (
    DynamoHouseholdRepository,
    _cancellation_reasons,
    _decode_cursor,
    _encode_cursor,
    _is_condition_failure,
    from_item,
    query_prefix,
    to_item,
    transact,
)
from chalicelib.domain.change_requests import ChangeRequest, PayoutAccountChange
from chalicelib.domain.errors import Conflict
from chalicelib.ports import ChangeRequestPage, ChangeRequestQuery, HouseholdWrite

QUEUE_INDEX = "change_requests_by_district"


class DynamoChangeRequestRepository:
    def __init__(self, client: Any, table: str, households: DynamoHouseholdRepository) -> None:
        self._db = client
        self._table = table
        self._households = households

    def _item(self, r: ChangeRequest) -> dict[str, Any]:
        if isinstance(r.payload, PayoutAccountChange) and not r.payload.bank_account.sealed:
            # The new number is stored sealed like the household's own: only its mask is ever shown.
            r = replace(r, payload=PayoutAccountChange(
                bank_account=self._households.sealed_account(r.household_id, r.payload.bank_account)))
        return to_item({
            "pk": f"HH#{r.household_id}", "sk": f"CR#{r.request_id}", **codec.change_request_to(r),
            "cr_district": r.district_code, "cr_sk": f"{r.status}#{r.submitted_at}#{r.request_id}",
        })

    def add(self, request: ChangeRequest) -> None:
        pointer = to_item({"pk": f"CR#{request.request_id}", "sk": "CR", "household_id": request.household_id})
        items = [{"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
                 for item in (pointer, self._item(request))]
        try:
            transact(self._db, items)
        except ClientError as err:
            if _is_condition_failure(err):
                raise Conflict(f"change request {request.request_id} exists", field="request_id",
                               code="change_request_exists") from None
            raise

    def get(self, request_id: str) -> ChangeRequest | None:
        pointer = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                    Key=to_item({"pk": f"CR#{request_id}", "sk": "CR"}))
        if "Item" not in pointer:
            return None
        household_id = from_item(pointer["Item"])["household_id"]
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"HH#{household_id}", "sk": f"CR#{request_id}"}))
        return codec.change_request_from(from_item(out["Item"])) if "Item" in out else None

    def for_household(self, household_id: str) -> list[ChangeRequest]:
        found = [codec.change_request_from(i) for i in query_prefix(self._db, self._table, f"HH#{household_id}", "CR#")]
        return sorted(found, key=lambda r: (r.submitted_at, r.request_id))

    def list(self, query: ChangeRequestQuery) -> ChangeRequestPage:
        fingerprint = hashlib.sha256(
            f"{QUEUE_INDEX}|{query.district_code}|{query.status}|{query.mahalla_code}".encode()).hexdigest()[:16]
        values: dict[str, Any] = {":d": query.district_code, ":s": f"{query.status}#"}
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": QUEUE_INDEX, "Limit": query.limit,
            "KeyConditionExpression": "cr_district = :d AND begins_with(cr_sk, :s)",
        }
        if query.mahalla_code:
            kwargs["FilterExpression"] = "mahalla_code = :m"
            values[":m"] = query.mahalla_code
        kwargs["ExpressionAttributeValues"] = to_item(values)
        if query.cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(query.cursor, fingerprint)
        out = self._db.query(**kwargs)
        last = out.get("LastEvaluatedKey")
        return ChangeRequestPage(items=[codec.change_request_from(from_item(i)) for i in out.get("Items", [])],
                                 cursor=_encode_cursor(last, fingerprint) if last else None)

    def decide(self, decided: ChangeRequest, write: HouseholdWrite | None = None) -> None:
        items: list[dict[str, Any]] = [{"Put": {
            "TableName": self._table, "Item": self._item(decided),
            "ConditionExpression": "#s = :pending",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": to_item({":pending": "pending"}),
        }}]
        if write is not None:
            items += self._households.write_items(write)
        try:
            transact(self._db, items)
        except ClientError as err:
            if not _is_condition_failure(err):
                raise
            raise _conflict(decided, _cancellation_reasons(err)) from None


def _conflict(decided: ChangeRequest, reasons: list[str]) -> Conflict:
    """Which condition failed, from the transaction's cancellation reasons (in item order)."""
    failed = [i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"]
    if not failed or failed[0] == 0:
        return Conflict(f"change request {decided.request_id} was decided meanwhile", field="status",
                        code="already_decided")
    if failed[0] in (1, 2):  # the household item or its change record: the household moved on
        return Conflict(f"household {decided.household_id} changed meanwhile; reload it and decide again",
                        field="version", code="stale_version")
    return Conflict("a person joining is registered in another household", field="member.pinfl",
                    code="member_in_other_household")
