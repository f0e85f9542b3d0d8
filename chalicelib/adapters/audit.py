"""The audit trail in DynamoDB (the audit table; key design in ``infra/resources.py``).

Appending is one ``TransactWriteItems`` of three puts: the chain head moved from sequence n to n+1
(conditional on it still being at n), the event at ``SEQ#<n+1>`` (conditional on the slot being
free) and an event-id marker (conditional on the id being new). Two Lambdas appending to the same
chain at once cannot both win: the loser re-reads the head and tries again. A retry of an append
that did land finds its marker and stops, so no event is chained twice.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.dynamodb import _decode_cursor, _encode_cursor, from_item, query_prefix, to_item, transact
from chalicelib.domain.audit import AuditEntry, AuditEvent, ChainHead, chain_for, next_event
from chalicelib.ports import AuditPage, AuditQuery

_EVENT_FIELDS = tuple(AuditEvent.__dataclass_fields__)
MAX_ATTEMPTS = 25


class AuditAppendFailed(RuntimeError):
    """The chain stayed contended for every attempt (nothing was appended)."""


def _event(item: dict[str, Any]) -> AuditEvent:
    return AuditEvent(**{k: item[k] for k in _EVENT_FIELDS})


class DynamoAuditTrail:
    def __init__(self, client: Any, table: str, chains: int, sleep: Any = time.sleep) -> None:
        self._db = client
        self._table = table
        self.chains = chains
        self._sleep = sleep

    def head(self, chain: str) -> ChainHead:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"CHAIN#{chain}", "sk": "HEAD"}))
        if "Item" not in out:
            return ChainHead(chain)
        item = from_item(out["Item"])
        return ChainHead(chain, int(item["seq"]), item["hash"])

    def _marker(self, event_id: str) -> AuditEvent | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"EVENT#{event_id}", "sk": "EVENT"}))
        if "Item" not in out:
            return None
        item = from_item(out["Item"])
        stored = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                   Key=to_item({"pk": f"CHAIN#{item['chain']}", "sk": f"SEQ#{item['seq']:012d}"}))
        return _event(from_item(stored["Item"])) if "Item" in stored else None

    def append(self, entry: AuditEntry) -> AuditEvent:
        chain = chain_for(entry.event_id, self.chains)
        for attempt in range(MAX_ATTEMPTS):
            head = self.head(chain)
            event = next_event(head, entry)
            head_put: dict[str, Any] = {
                "TableName": self._table,
                "Item": to_item({"pk": f"CHAIN#{chain}", "sk": "HEAD", "seq": event.seq, "hash": event.hash}),
            }
            if head.seq == 0:
                head_put["ConditionExpression"] = "attribute_not_exists(pk)"
            else:
                head_put["ConditionExpression"] = "seq = :n"
                head_put["ExpressionAttributeValues"] = to_item({":n": head.seq})
            event_put = {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                         "Item": to_item({
                             "pk": f"CHAIN#{chain}", "sk": f"SEQ#{event.seq:012d}", **event.as_dict(),
                             "audit_record": event.record_id, "audit_actor": event.actor,
                             "audit_sk": f"{event.at}#{event.event_id}"})}
            marker_put = {"TableName": self._table, "ConditionExpression": "attribute_not_exists(pk)",
                          "Item": to_item({"pk": f"EVENT#{event.event_id}", "sk": "EVENT",
                                           "chain": chain, "seq": event.seq})}
            try:
                transact(self._db, [{"Put": head_put}, {"Put": event_put},
                                                             {"Put": marker_put}])
                return event
            except ClientError as err:
                if err.response["Error"]["Code"] not in ("TransactionCanceledException",
                                                         "TransactionConflictException"):
                    raise
            existing = self._marker(entry.event_id)
            if existing is not None:  # a retry of an append that landed: recognised, not doubled
                return existing
            # Another writer moved the head first: back off a little (jittered) and chain after it.
            self._sleep(min(0.2, 0.005 * (2 ** min(attempt, 6))) * random.random())
        raise AuditAppendFailed(f"chain {chain} stayed contended for {MAX_ATTEMPTS} attempts")

    def events(self, chain: str) -> Iterator[AuditEvent]:
        for item in query_prefix(self._db, self._table, f"CHAIN#{chain}", "SEQ#"):
            yield _event(item)

    def find(self, query: AuditQuery) -> AuditPage:
        if query.record_id is None and query.actor is None:
            return self._walk(query)
        index, attr, value = (("by_record", "audit_record", query.record_id) if query.record_id
                              else ("by_actor", "audit_actor", query.actor or ""))
        fingerprint = hashlib.sha256(f"{index}|{value}|{query.since}|{query.until}".encode()).hexdigest()[:16]
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "Limit": query.limit,
            "KeyConditionExpression": f"{attr} = :v AND audit_sk BETWEEN :from AND :to",
            "ExpressionAttributeValues": to_item({":v": value, ":from": query.since or "0",
                                                  ":to": (query.until or "9999") + "\uffff"}),
        }
        if query.cursor:
            kwargs["ExclusiveStartKey"] = _decode_cursor(query.cursor, fingerprint)
        out = self._db.query(**kwargs)
        last = out.get("LastEvaluatedKey")
        return AuditPage(items=[_event(from_item(i)) for i in out.get("Items", [])],
                         cursor=_encode_cursor(last, fingerprint) if last else None)

    def _walk(self, query: AuditQuery) -> AuditPage:
        """The whole trail in chain order (chain 00 from sequence 1, then 01, ...), a page at a time."""
        fingerprint = hashlib.sha256(f"walk|{query.since}|{query.until}".encode()).hexdigest()[:16]
        start = (_decode_cursor(query.cursor, fingerprint) if query.cursor
                 else to_item({"pk": "CHAIN#00", "sk": "SEQ#"}))
        chain = int(str(start["pk"]["S"]).removeprefix("CHAIN#"))
        kwargs: dict[str, Any] = {
            "TableName": self._table, "Limit": query.limit,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :s)",
            "ExpressionAttributeValues": to_item({":pk": f"CHAIN#{chain:02d}", ":s": "SEQ#"}),
        }
        if query.since or query.until:
            kwargs["FilterExpression"] = "#at BETWEEN :from AND :to"
            kwargs["ExpressionAttributeNames"] = {"#at": "at"}
            kwargs["ExpressionAttributeValues"].update(to_item({
                ":from": query.since or "0", ":to": (query.until or "9999") + "\uffff"}))
        if query.cursor:
            kwargs["ExclusiveStartKey"] = start
        out = self._db.query(**kwargs)
        last = out.get("LastEvaluatedKey")
        if last is None and chain + 1 < self.chains:
            last = to_item({"pk": f"CHAIN#{chain + 1:02d}", "sk": "SEQ#"})
        return AuditPage(items=[_event(from_item(i)) for i in out.get("Items", [])],
                         cursor=_encode_cursor(last, fingerprint) if last else None)
