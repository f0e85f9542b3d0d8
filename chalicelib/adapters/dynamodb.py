"""DynamoDB repositories for households and applications (key design: ``infra/resources.py``).

Every write that must not overwrite is conditional: new households claim each member's PINFL,
updates check the version they were read at, and a new application claims its household-month
guard in the same transaction. A failed condition becomes ``Conflict``; any other error surfaces.
A write the SDK sent again after DynamoDB had applied it (its answer lost to a timeout) is not a
conflict: transactions carry a request token naming their content (``transact``), and a failed
condition finds whether the item stored is this very write (``stored_as_written``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters import codec
from chalicelib.agency_ports import AccessLogEntry
from chalicelib.domain.applications import Application, PendingStart
from chalicelib.domain.assignments import Assignment
from chalicelib.domain.decisions import Decision
from chalicelib.domain.errors import Conflict, ValidationFailed
from chalicelib.domain.households import BankAccount, ChangeRecord, Household, as_plain, bank_context
from chalicelib.ports import ApplicationQuery, FieldCipher, HouseholdWrite, Page

_ser = TypeSerializer()
_de = TypeDeserializer()


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _ser.serialize(v) for k, v in data.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise TypeError("a non-integer number was stored; money and counts are whole numbers")
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_de.deserialize(v)) for k, v in item.items()}


def query_items(client: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query finds, page after page, as plain values."""
    while True:
        out = client.query(**kwargs)
        for raw in out.get("Items", []):
            yield from_item(raw)
        if "LastEvaluatedKey" not in out:
            return
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def counter_updates(table: str, pk: str, sk: str, deltas: dict[str, int]) -> list[dict[str, Any]]:
    """The transaction item that adds ``deltas`` to the counters of item ``pk / sk`` (none when nothing moves)."""
    if not deltas:
        return []
    names = {f"#c{i}": name for i, name in enumerate(sorted(deltas))}
    values = {f":c{i}": deltas[name] for i, name in enumerate(sorted(deltas))}
    return [{"Update": {
        "TableName": table, "Key": to_item({"pk": pk, "sk": sk}),
        "UpdateExpression": "ADD " + ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True)),
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": to_item(values)}}]


def read_counters(client: Any, table: str, pk: str, sk: str) -> dict[str, int]:
    out = client.get_item(TableName=table, ConsistentRead=True, Key=to_item({"pk": pk, "sk": sk}))
    item = from_item(out.get("Item", {}))
    return {k: int(v) for k, v in item.items() if k not in ("pk", "sk")}


def query_prefix(client: Any, table: str, pk: str, prefix: str) -> Iterator[dict[str, Any]]:
    """The items of one partition whose sort key starts with ``prefix``, in key order (consistent reads)."""
    return query_items(client, TableName=table, ConsistentRead=True,
                       KeyConditionExpression="pk = :pk AND begins_with(sk, :s)",
                       ExpressionAttributeValues=to_item({":pk": pk, ":s": prefix}))


def _cancellation_reasons(err: ClientError) -> list[str]:
    return [r.get("Code", "None") for r in err.response.get("CancellationReasons", [])]


def transact(db: Any, items: list[dict[str, Any]]) -> None:
    """TransactWriteItems with a ClientRequestToken naming its content: when the SDK retries a
    transaction whose answer it lost (a read timeout after DynamoDB applied it), DynamoDB answers the
    repeat, within ten minutes, as done instead of failing its conditions against its own writes."""
    token = hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()[:36]
    db.transact_write_items(TransactItems=items, ClientRequestToken=token)


def stored_as_written(db: Any, table: str, item: dict[str, Any]) -> bool:
    """Whether ``item`` is stored exactly as given: a conditional write that failed against its own
    earlier success (the SDK retried it after a lost answer) is that success, not a conflict."""
    out = db.get_item(TableName=table, ConsistentRead=True, Key={"pk": item["pk"], "sk": item["sk"]})
    return bool(out.get("Item") == item)


def _is_condition_failure(err: ClientError) -> bool:
    code = err.response["Error"]["Code"]
    if code == "ConditionalCheckFailedException":
        return True
    return code == "TransactionCanceledException" and "ConditionalCheckFailed" in _cancellation_reasons(err)


class DynamoHouseholdRepository:
    """Households; the bank account or card number is sealed (``cipher``) before any item is written."""

    def __init__(self, client: Any, table: str, cipher: FieldCipher) -> None:
        self._db = client
        self._table = table
        self._cipher = cipher

    def sealed_account(self, household_id: str, bank: BankAccount) -> BankAccount:
        """``bank`` with its number sealed for the household (also a pending change request's new account)."""
        if bank.sealed:
            return bank
        return bank.sealed_with(self._cipher.seal(bank.number, bank_context(household_id)))

    def _household_item(self, household: Household) -> dict[str, Any]:
        if household.bank_account is not None and not household.bank_account.sealed:
            household = replace(household, bank_account=self.sealed_account(household.household_id,
                                                                             household.bank_account))
        return to_item({"pk": f"HH#{household.household_id}", "sk": "META", **codec.household_to(household)})

    def get(self, household_id: str) -> Household | None:
        out = self._db.get_item(
            TableName=self._table, Key=to_item({"pk": f"HH#{household_id}", "sk": "META"}), ConsistentRead=True
        )
        if "Item" not in out:
            return None
        return codec.household_from(from_item(out["Item"]))

    def find_by_pinfl(self, pinfl: str) -> tuple[str, str] | None:
        out = self._db.get_item(TableName=self._table, Key=to_item({"pk": f"PINFL#{pinfl}", "sk": "PERSON"}))
        if "Item" not in out:
            return None
        item = from_item(out["Item"])
        return item["household_id"], item["person_id"]

    def _claims(self, household: Household, pinfls: tuple[str, ...]) -> list[dict[str, Any]]:
        by_pinfl = {m.pinfl: m.person_id for m in household.members}
        return [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item({
                        "pk": f"PINFL#{p}", "sk": "PERSON",
                        "household_id": household.household_id, "person_id": by_pinfl[p],
                    }),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for p in pinfls
        ]

    def _change_put(self, change: ChangeRecord) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item({
                    "pk": f"HH#{change.household_id}", "sk": f"CHANGE#{change.version:010d}", **as_plain(change)
                }),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _transact(self, items: list[dict[str, Any]], conflict: Conflict) -> None:
        """The household's writes in one transaction; the household item comes first."""
        try:
            transact(self._db, items)
        except ClientError as err:
            if not _is_condition_failure(err):
                raise
            if stored_as_written(self._db, self._table, items[0]["Put"]["Item"]):
                return  # this very write, applied before its answer was lost
            raise conflict from None

    def add(self, household: Household, change: ChangeRecord) -> None:
        put = {
            "Put": {
                "TableName": self._table,
                "Item": self._household_item(household),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        claims = self._claims(household, tuple(m.pinfl for m in household.members))
        self._transact(
            [put, self._change_put(change), *claims],
            Conflict("a member is already registered in another household", field="members",
                     code="member_in_other_household"),
        )

    def write_items(self, write: HouseholdWrite) -> list[dict[str, Any]]:
        """The transaction items of a household update: the household (conditional on its version), its
        change record, new PINFL claims and released ones (each conditional on belonging to the household)."""
        household = write.household
        put = {
            "Put": {
                "TableName": self._table,
                "Item": self._household_item(household),
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": to_item({":expected": write.expected_version}),
            }
        }
        releases = [{"Delete": {
            "TableName": self._table, "Key": to_item({"pk": f"PINFL#{p}", "sk": "PERSON"}),
            "ConditionExpression": "attribute_not_exists(pk) OR household_id = :h",
            "ExpressionAttributeValues": to_item({":h": household.household_id}),
        }} for p in write.release_pinfls]
        return [put, self._change_put(write.change), *self._claims(household, write.claim_pinfls), *releases]

    def save(self, household: Household, expected_version: int, change: ChangeRecord,
             claim_pinfls: tuple[str, ...] = ()) -> None:
        self._transact(
            self.write_items(HouseholdWrite(household, expected_version, change, claim_pinfls)),
            Conflict(
                f"household {household.household_id} changed since version {expected_version}, "
                "or a new member is registered elsewhere; reload and try again",
                field="version", code="stale_version",
            ),
        )

    def changes(self, household_id: str) -> list[ChangeRecord]:
        records: list[ChangeRecord] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)",
            "ExpressionAttributeValues": to_item({":pk": f"HH#{household_id}", ":c": "CHANGE#"}),
        }
        while True:
            out = self._db.query(**kwargs)
            records += [codec.change_from(from_item(i)) for i in out.get("Items", [])]
            if "LastEvaluatedKey" not in out:
                return records
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def put_seed(self, households: list[Household], changes: list[ChangeRecord]) -> None:
        """Bulk load for the local stack's seeder: unconditional batch writes, no per-item transaction."""
        requests: list[dict[str, Any]] = []
        for h, c in zip(households, changes, strict=True):
            requests.append(self._household_item(h))
            requests.append(self._change_put(c)["Put"]["Item"])
            for m in h.members:
                requests.append(to_item({"pk": f"PINFL#{m.pinfl}", "sk": "PERSON",
                                         "household_id": h.household_id, "person_id": m.person_id}))
        for start in range(0, len(requests), 25):
            batch = {self._table: [{"PutRequest": {"Item": i}} for i in requests[start:start + 25]]}
            while batch:
                out = self._db.batch_write_item(RequestItems=batch)
                batch = out.get("UnprocessedItems") or {}


_INDEX_FOR_LEVEL = {
    "mahalla": ("by_mahalla", "mahalla_code", "list_sk"),
    "district": ("by_district", "district_code", "list_sk"),
    "region": ("by_region", "region_code", "list_sk"),
    "household": ("by_household", "household_id", "list_sk"),
    "national": ("by_cycle", "cycle_month", "cycle_sk"),
}


class DynamoApplicationRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    @staticmethod
    def _item(app: Application) -> dict[str, Any]:
        data = codec.application_to(app)
        return to_item({
            "pk": f"APP#{app.application_id}", "sk": "META", **data,
            "mahalla_code": app.address.mahalla_code,
            "district_code": app.address.district_code,
            "region_code": app.address.region_code,
            "list_sk": f"{app.cycle_month}#{app.created_at}#{app.application_id}",
            "cycle_sk": f"{app.created_at}#{app.application_id}",
        })

    def add(self, application: Application) -> None:
        guard = {
            "Put": {
                "TableName": self._table,
                "Item": to_item({
                    "pk": f"GUARD#{application.household_id}#{application.cycle_month}", "sk": "GUARD",
                    "application_id": application.application_id,
                }),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        item = self._item(application)
        put = {"Put": {"TableName": self._table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
        try:
            transact(self._db, [guard, put, self._outbox_put(application)])
        except ClientError as err:
            if not _is_condition_failure(err):
                raise
            existing = self._guard(application.household_id, application.cycle_month)
            if existing == application.application_id and stored_as_written(self._db, self._table, item):
                return  # this very application, stored before the answer was lost

            raise Conflict(
                f"household {application.household_id} already has application {existing} "
                f"for cycle {application.cycle_month}",
                field="household", code="application_exists",
            ) from None

    # -- the outbox: attempts whose workflow run is owed (services/workflow_starts.py)

    @staticmethod
    def _outbox_key(application_id: str, attempt: int) -> dict[str, Any]:
        shard = hashlib.sha256(application_id.encode()).hexdigest()[0]
        return to_item({"pk": f"OUTBOX#{shard}", "sk": f"{application_id}#{attempt:04d}"})

    def _outbox_put(self, application: Application) -> dict[str, Any]:
        item = {**self._outbox_key(application.application_id, application.attempt),
                **to_item({"application_id": application.application_id, "attempt": application.attempt,
                           "since": application.history[-1].at if application.history else application.created_at})}
        return {"Put": {"TableName": self._table, "Item": item}}

    def pending_starts(self) -> Iterator[PendingStart]:
        for shard in "0123456789abcdef":
            for item in query_items(self._db, TableName=self._table, ConsistentRead=True,
                                    KeyConditionExpression="pk = :p",
                                    ExpressionAttributeValues=to_item({":p": f"OUTBOX#{shard}"})):
                yield PendingStart(item["application_id"], int(item["attempt"]), item["since"])

    def started(self, application_id: str, attempt: int) -> None:
        self._db.delete_item(TableName=self._table, Key=self._outbox_key(application_id, attempt))

    def _guard(self, household_id: str, month: str) -> str | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"GUARD#{household_id}#{month}", "sk": "GUARD"}))
        return from_item(out["Item"])["application_id"] if "Item" in out else None

    def get(self, application_id: str) -> Application | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"APP#{application_id}", "sk": "META"}))
        return codec.application_from(from_item(out["Item"])) if "Item" in out else None

    def save(self, application: Application, expected_version: int, *, start: bool = False) -> None:
        item = self._item(application)
        put = {"TableName": self._table, "Item": item, "ConditionExpression": "#v = :expected",
               "ExpressionAttributeNames": {"#v": "version"},
               "ExpressionAttributeValues": to_item({":expected": expected_version})}
        try:
            if start:  # the new attempt's pending start in the same write: a run is owed once it is stored
                transact(self._db, [{"Put": put}, self._outbox_put(application)])
            else:
                self._db.put_item(**put)
        except ClientError as err:
            if _is_condition_failure(err) and stored_as_written(self._db, self._table, item):
                return  # this very save, applied before its answer was lost
            if _is_condition_failure(err):
                raise Conflict(
                    f"application {application.application_id} changed since version {expected_version}",
                    field="version", code="stale_version",
                ) from None
            raise

    def list(self, query: ApplicationQuery) -> Page:
        index, pk_attr, sk_attr = _INDEX_FOR_LEVEL[query.level]
        pk_value = query.cycle_month if query.level == "national" else query.code
        if pk_value is None:
            raise ValidationFailed("a national listing needs cycle_month", field="cycle_month")
        fingerprint = hashlib.sha256(f"{index}|{pk_value}|{query.cycle_month}|{query.status}".encode()).hexdigest()[:16]
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "Limit": query.limit,
            "ExpressionAttributeNames": {"#pk": pk_attr},
            "ExpressionAttributeValues": {":pk": {"S": pk_value}},
            "KeyConditionExpression": "#pk = :pk",
        }
        if query.cycle_month and query.level != "national":
            kwargs["KeyConditionExpression"] += " AND begins_with(#sk, :cycle)"
            kwargs["ExpressionAttributeNames"]["#sk"] = sk_attr
            kwargs["ExpressionAttributeValues"][":cycle"] = {"S": query.cycle_month + "#"}
        if query.status:
            kwargs["FilterExpression"] = "#status = :status"
            kwargs["ExpressionAttributeNames"]["#status"] = "status"
            kwargs["ExpressionAttributeValues"][":status"] = {"S": query.status}
        if query.cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(query.cursor, fingerprint)
        out = self._db.query(**kwargs)
        items = [codec.application_from(from_item(i)) for i in out.get("Items", [])]
        last = out.get("LastEvaluatedKey")
        return Page(items=items, cursor=_encode_cursor(last, fingerprint) if last else None)

    def count_by(self, cycle_month: str) -> dict[tuple[str, str, str], int]:
        counts: dict[tuple[str, str, str], int] = {}
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": "by_cycle",
            "KeyConditionExpression": "cycle_month = :c",
            "ExpressionAttributeValues": {":c": {"S": cycle_month}},
            "ProjectionExpression": "region_code, #s, programmes",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        while True:
            out = self._db.query(**kwargs)
            for raw in out.get("Items", []):
                item = from_item(raw)
                for programme in item["programmes"]:
                    key = (item["region_code"], item["status"], programme)
                    counts[key] = counts.get(key, 0) + 1
            if "LastEvaluatedKey" not in out:
                return counts
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def _encode_cursor(key: dict[str, Any], fingerprint: str) -> str:
    raw = json.dumps({"k": key, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key = data["k"]
        ok = data["f"] == fingerprint and isinstance(key, dict)
    except (ValueError, KeyError, TypeError, binascii.Error):
        ok = False
    if not ok:
        raise ValidationFailed("the cursor is not valid for this listing", field="cursor", code="invalid_cursor")
    return key



ASSIGNMENT_SHARDS = 16


def _shard(assignment_id: str) -> str:
    return f"{int(hashlib.sha256(assignment_id.encode()).hexdigest()[:8], 16) % ASSIGNMENT_SHARDS:02d}"


class DynamoAssignmentRepository:
    """Assignments; the ``by_status`` index is sharded so the payroll reads it in parallel."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    @staticmethod
    def _item(a: Assignment) -> dict[str, Any]:
        return to_item({
            "pk": f"ASG#{a.assignment_id}", "sk": "META", **as_plain(a),
            "status_shard": f"{a.status}#{_shard(a.assignment_id)}",
            "start_sk": f"{a.first_month}#{a.assignment_id}",
        })

    def add_all(self, assignments: list[Assignment]) -> int:
        added = 0
        for a in assignments:
            try:
                self._db.put_item(TableName=self._table, Item=self._item(a),
                                  ConditionExpression="attribute_not_exists(pk)")
                added += 1
            except ClientError as err:
                if not _is_condition_failure(err):
                    raise
        return added

    def get(self, assignment_id: str) -> Assignment | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"ASG#{assignment_id}", "sk": "META"}))
        return _assignment(from_item(out["Item"])) if "Item" in out else None

    def for_household(self, household_id: str) -> list[Assignment]:
        return [_assignment(i) for i in self._query({
            "IndexName": "by_household", "KeyConditionExpression": "household_id = :h",
            "ExpressionAttributeValues": to_item({":h": household_id})})]

    shard_count = ASSIGNMENT_SHARDS

    def active_in(self, month: str, shard: int | None = None) -> Iterator[Assignment]:
        for one in range(ASSIGNMENT_SHARDS) if shard is None else (shard,):
            for item in self._query({
                "IndexName": "by_status",
                "KeyConditionExpression": "status_shard = :s AND start_sk <= :m",
                "FilterExpression": "last_month >= :month",
                "ExpressionAttributeValues": to_item({":s": f"active#{one:02d}", ":m": f"{month}#~",
                                                      ":month": month}),
            }):
                yield _assignment(item)

    def set_status(self, assignment_id: str, status: str, reason: str | None = None) -> None:
        current = self.get(assignment_id)
        if current is None:
            raise KeyError(assignment_id)
        updated = replace(current, status=status, suspended_reason=reason)
        self._db.put_item(TableName=self._table, Item=self._item(updated))

    def _query(self, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        return query_items(self._db, TableName=self._table, **kwargs)


def _assignment(d: dict[str, Any]) -> Assignment:
    fields: dict[str, Any] = {k: d[k] for k in Assignment.__dataclass_fields__ if k in d}
    return Assignment(**fields)


class DynamoNotificationLog:
    """SMS markers in the audit table (pk ``SMS#<key>``): at most one SMS per key."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def claim(self, key: str, record: dict[str, object]) -> bool:
        try:
            self._db.put_item(TableName=self._table, ConditionExpression="attribute_not_exists(pk)",
                              Item=to_item({"pk": f"SMS#{key}", "sk": "SMS", "status": "sending", **record}))
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise
        return True

    def mark_sent(self, key: str, message_id: str) -> None:
        self._db.update_item(TableName=self._table, Key=to_item({"pk": f"SMS#{key}", "sk": "SMS"}),
                             UpdateExpression="SET #s = :s, message_id = :m",
                             ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues=to_item({":s": "sent", ":m": message_id}))


class DynamoDecisionRepository:
    """Decisions beside their application (pk ``APP#<id>``, sk ``DECISION#<attempt>``), written once;
    only a pending approval is ever updated, conditionally."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    @staticmethod
    def _key(application_id: str, attempt: int) -> dict[str, Any]:
        return {"pk": f"APP#{application_id}", "sk": f"DECISION#{attempt:04d}"}

    def add(self, decision: Decision) -> Decision:
        key = self._key(decision.application_id, decision.attempt)
        try:
            self._db.put_item(TableName=self._table, Item=to_item({**key, **codec.decision_to(decision)}),
                              ConditionExpression="attribute_not_exists(pk)")
            return decision
        except ClientError as err:
            if not _is_condition_failure(err):
                raise
        stored = from_item(self._db.get_item(TableName=self._table, Key=to_item(key), ConsistentRead=True)["Item"])
        return codec.decision_from(stored)

    def latest(self, application_id: str) -> Decision | None:
        out = self._db.query(TableName=self._table, ScanIndexForward=False, Limit=1, ConsistentRead=True,
                             KeyConditionExpression="pk = :pk AND begins_with(sk, :d)",
                             ExpressionAttributeValues=to_item({":pk": f"APP#{application_id}",
                                                                ":d": "DECISION#"}))
        items = out.get("Items", [])
        if not items:
            return None
        return codec.decision_from({"application_id": application_id, **from_item(items[0])})

    def get(self, application_id: str, attempt: int) -> Decision | None:
        item = self._db.get_item(TableName=self._table, Key=to_item(self._key(application_id, attempt)),
                                 ConsistentRead=True).get("Item")
        return codec.decision_from({"application_id": application_id, **from_item(item)}) if item else None

    def history(self, application_id: str) -> list[Decision]:
        kwargs: dict[str, Any] = {
            "TableName": self._table, "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :d)",
            "ExpressionAttributeValues": to_item({":pk": f"APP#{application_id}", ":d": "DECISION#"})}
        out: list[Decision] = []
        while True:
            page = self._db.query(**kwargs)
            out += [codec.decision_from({"application_id": application_id, **from_item(i)}) for i in page["Items"]]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def save_approval(self, decision: Decision) -> bool:
        try:
            self._db.update_item(
                TableName=self._table, Key=to_item(self._key(decision.application_id, decision.attempt)),
                UpdateExpression="SET approval = :a", ConditionExpression="approval.#s = :pending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=to_item({":a": as_plain(decision.approval), ":pending": "pending"}))
            return True
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise


class DynamoAccessLog:
    """The agency access log in the audit table (pk ``ACCESS#<application_id>``), append-only.

    One item per (agency, person, attempt) query: which agency, which person (by id), for which
    application, on whose behalf, when, with what outcome. Read by auditors with the application.
    """

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def record(self, entries: list[AccessLogEntry]) -> None:
        items = []
        for e in entries:
            at = e.time.isoformat(timespec="milliseconds")
            items.append(to_item({
                "pk": f"ACCESS#{e.application_id}", "sk": f"{at}#{e.agency}#{e.person_id}#{e.attempt}",
                "agency": e.agency, "person_id": e.person_id, "application_id": e.application_id,
                "officer_id": e.officer_id, "at": at, "outcome": e.outcome, "duration_ms": e.duration_ms,
                "attempt": e.attempt,
            }))
        for start in range(0, len(items), 25):
            batch = {self._table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
            while batch:
                batch = self._db.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}

    def for_application(self, application_id: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "pk = :pk",
                                  "ExpressionAttributeValues": to_item({":pk": f"ACCESS#{application_id}"})}
        while True:
            page = self._db.query(**kwargs)
            out += [{k: v for k, v in from_item(i).items() if k not in ("pk", "sk")} for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
