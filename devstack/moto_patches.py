"""Local fixes to moto for the embedded stack's concurrency (never deployed).

Step Functions: moto parses a state machine's definition with ANTLR at the start of every execution,
and ANTLR's Python runtime shares its parse caches between parsers, so two executions starting at
once can fail inside the parser (an IndexError in a worker thread, the execution left RUNNING).
``install()`` lets one definition be parsed at a time.

DynamoDB: two fixes to its transactions.

moto implements TransactWriteItems by deep-copying every table the transaction touches, so that it
can roll back. With a seeded registry that is seconds per transaction, and two transactions at once
in the threaded server can fail with "dictionary changed size during iteration".

``install()`` replaces it, for transactions made only of Put, Delete and ConditionCheck (all the
registry uses), with the same all-or-nothing semantics at the cost of the touched items: under one
lock, every condition is checked first against the current items; if any fails, nothing is written
and the same ``TransactionCanceledException`` is raised; otherwise the writes are applied. Any other
transaction goes to moto's own implementation, under the same lock.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

_lock = threading.RLock()
_original = DynamoDBBackend.transact_write_items
_parse_lock = threading.Lock()
_original_parse = AmazonStateLanguageParser.parse
FAST_OPS = frozenset({"Put", "Delete", "ConditionCheck"})


def _key(backend: DynamoDBBackend, op_type: str, op: dict[str, Any]) -> dict[str, Any]:
    if op_type != "Put":
        return dict(op["Key"])
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = op["Item"][table.range_key_attr]
    return key


def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    with _lock:
        if any(next(iter(i)) not in FAST_OPS or len(i) != 1 for i in transact_items):
            return _original(self, transact_items)
        if len(transact_items) > 100:
            raise TooManyTransactionsException()
        seen: set[tuple[str, str]] = set()
        errors: list[Any] = []
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            key = _key(self, op_type, op)
            marker = (op["TableName"], str(sorted(key.items())))
            if marker in seen:
                raise MultipleTransactionsException()
            seen.add(marker)
            expression = op.get("ConditionExpression")
            current = self.get_item(op["TableName"], key)
            if expression is not None and not get_filter_expression(
                    expression, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).expr(current):
                errors.append(("ConditionalCheckFailed", "The conditional request failed", None))
            else:
                errors.append((None, None, None))
        if any(code is not None for code, _, _ in errors):
            raise TransactionCanceledException(errors)
        for item in transact_items:
            op_type, op = next(iter(item.items()))
            if op_type == "Put":
                self.put_item(op["TableName"], op["Item"])
            elif op_type == "Delete":
                self.delete_item(op["TableName"], _key(self, op_type, op))
        return None


def parse(definition: str) -> Any:
    with _parse_lock:
        return _original_parse(definition)


def install() -> None:
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    AmazonStateLanguageParser.parse = staticmethod(parse)  # type: ignore[method-assign]


def uninstall() -> None:
    DynamoDBBackend.transact_write_items = _original  # type: ignore[method-assign]
    AmazonStateLanguageParser.parse = staticmethod(_original_parse)  # type: ignore[method-assign]
