"""Payroll adapters: the DynamoDB payroll table, S3 (or a local folder) for payroll files.

Key design (``infra/resources.py`` holds the table definition):

- instruction ``PI#<instruction_id>`` / ``META``: created with ``attribute_not_exists`` so a re-run
  adds nothing, in bulk by TransactWriteItems of up to 100 such conditional puts (BatchWriteItem
  cannot be conditional, and an unconditional overwrite could reset an instruction the bank already
  answered); every status change is conditional on the status it was read at;
- retry mark ``RETRY#<shard 00..15>`` / ``<instruction_id>``: a rejected instruction awaiting
  corrected bank details (arrears), read one partition at a time;
- index ``by_run``: pk ``<month>#<shard 00..15>``, sort ``<district>#<instruction_id>``: a month's
  instructions, one district at a time, spread over 16 partitions;
- run ``RUNS`` / ``RUN#<month>``: the runs in one small partition (twelve a year);
- handled bank message ``MSG#<bank>#<msg_id>`` / ``MSG`` and callback signature ``SIG#<bank>#<sig>`` /
  ``SIG`` (with a TTL): conditional puts make each one count once.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import codec
from chalicelib.adapters.dynamodb import _is_condition_failure, from_item, to_item
from chalicelib.domain.households import Household
from chalicelib.domain.payroll import BackPay, Instruction, PaymentLine, PayrollRun
from chalicelib.ports import HouseholdRepository

RUN_SHARDS = 16


def _shard(instruction_id: str) -> str:
    return f"{int(hashlib.sha256(instruction_id.encode()).hexdigest()[:8], 16) % RUN_SHARDS:02d}"


def _instruction_item(ins: Instruction) -> dict[str, Any]:
    line = ins.line
    return to_item({
        "pk": f"PI#{line.instruction_id}", "sk": "META", **line.as_dict(),
        "status": ins.status, "reason": ins.reason, "file_msg_id": ins.file_msg_id,
        "retry_pending": ins.retry_pending, "updated_at": ins.updated_at,
        "run_shard": f"{line.month}#{_shard(line.instruction_id)}",
        "run_sk": f"{line.district_code}#{line.instruction_id}",
    })


def _instruction(d: dict[str, Any]) -> Instruction:
    return Instruction(line=PaymentLine.from_dict(d), status=d["status"], reason=d.get("reason"),
                       file_msg_id=d.get("file_msg_id"), retry_pending=bool(d.get("retry_pending", False)),
                       updated_at=d.get("updated_at", ""))


class DynamoPayrollRepository:
    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def _put_new(self, item: dict[str, Any]) -> bool:
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
            return True
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise

    shard_count = RUN_SHARDS

    def add_instruction(self, instruction: Instruction) -> bool:
        return self._put_new(_instruction_item(instruction))

    def add_instructions(self, instructions: list[Instruction]) -> int:
        new = 0
        for start in range(0, len(instructions), 100):
            new += self._transact_new([_instruction_item(i) for i in instructions[start:start + 100]])
        return new

    def _transact_new(self, items: list[dict[str, Any]]) -> int:
        """Conditional puts in one transaction; the ones that exist already are dropped and the rest
        written again (a transaction is all or nothing). Returns how many were new."""
        for _ in range(10):
            if not items:
                return 0
            try:
                # No request token: a repeated write must fail its conditions, so it counts as existing.
                self._db.transact_write_items(TransactItems=[
                    {"Put": {"TableName": self._table, "Item": item,
                             "ConditionExpression": "attribute_not_exists(pk)"}} for item in items])
                return len(items)
            except ClientError as err:
                if err.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = err.response.get("CancellationReasons") or []
                if len(reasons) != len(items):
                    raise
                items = [item for item, r in zip(items, reasons, strict=True)
                         if r.get("Code") != "ConditionalCheckFailed"]
        raise RuntimeError("instruction writes kept conflicting")  # the Map child's Retry runs it again

    def get_instruction(self, instruction_id: str) -> Instruction | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"PI#{instruction_id}", "sk": "META"}))
        return _instruction(from_item(out["Item"])) if "Item" in out else None

    def move(self, current: Instruction, new: Instruction) -> bool:
        try:
            self._db.put_item(TableName=self._table, Item=_instruction_item(new),
                              ConditionExpression="#s = :expected", ExpressionAttributeNames={"#s": "status"},
                              ExpressionAttributeValues=to_item({":expected": current.status}))
            return True
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise

    def instructions(self, month: str, district_code: str | None = None,
                     shard: int | None = None) -> Iterator[Instruction]:
        # Each shard's index is sorted by "<district>#<id>": merging the 16 streams yields the month in
        # district order with one page per shard in memory.
        shards = range(RUN_SHARDS) if shard is None else (shard,)
        streams = [self._shard(month, s, district_code) for s in shards]
        for _, ins in heapq.merge(*streams, key=lambda pair: pair[0]):
            yield ins

    def _shard(self, month: str, shard: int, district_code: str | None) -> Iterator[tuple[str, Instruction]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table, "IndexName": "by_run",
            "KeyConditionExpression": "run_shard = :s",
            "ExpressionAttributeValues": to_item({":s": f"{month}#{shard:02d}"}),
        }
        if district_code is not None:
            kwargs["KeyConditionExpression"] += " AND begins_with(run_sk, :d)"
            kwargs["ExpressionAttributeValues"].update(to_item({":d": f"{district_code}#"}))
        while True:
            out = self._db.query(**kwargs)
            for raw in out.get("Items", []):
                item = from_item(raw)
                yield item["run_sk"], _instruction(item)
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]

    def get_run(self, month: str) -> PayrollRun | None:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": "RUNS", "sk": f"RUN#{month}"}))
        return PayrollRun.from_dict(from_item(out["Item"])) if "Item" in out else None

    def save_run(self, run: PayrollRun) -> bool:
        data = {**run.as_dict(), "version": run.version + 1}
        try:
            self._db.put_item(TableName=self._table, Item=to_item({"pk": "RUNS", "sk": f"RUN#{run.month}", **data}),
                              ConditionExpression="attribute_not_exists(pk) OR #v = :v",
                              ExpressionAttributeNames={"#v": "version"},
                              ExpressionAttributeValues=to_item({":v": run.version}))
        except ClientError as err:
            if _is_condition_failure(err):
                return False
            raise
        run.version += 1
        return True

    def runs(self) -> list[PayrollRun]:
        out: list[PayrollRun] = []
        kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "pk = :p",
                                  "ExpressionAttributeValues": to_item({":p": "RUNS"})}
        while True:
            page = self._db.query(**kwargs)
            out += [PayrollRun.from_dict(from_item(i)) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return out
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_message(self, bank_id: str, msg_id: str, kind: str, at: str) -> bool:
        return self._put_new(to_item({"pk": f"MSG#{bank_id}#{msg_id}", "sk": "MSG", "kind": kind, "at": at}))

    def message_handled(self, bank_id: str, msg_id: str) -> bool:
        out = self._db.get_item(TableName=self._table, ConsistentRead=True,
                                Key=to_item({"pk": f"MSG#{bank_id}#{msg_id}", "sk": "MSG"}))
        return "Item" in out

    def claim_signature(self, bank_id: str, signature: str, expires_at: int) -> bool:
        return self._put_new(to_item({"pk": f"SIG#{bank_id}#{signature}", "sk": "SIG", "expires_at": expires_at}))

    def mark_for_retry(self, instruction: Instruction) -> None:
        item = _instruction_item(instruction)
        item.update(to_item({"pk": f"RETRY#{_shard(instruction.instruction_id)}", "sk": instruction.instruction_id}))
        for attribute in ("run_shard", "run_sk"):  # not in the month's index
            item.pop(attribute)
        self._db.put_item(TableName=self._table, Item=item)

    def mark_back_pay(self, mark: BackPay) -> None:
        self._db.put_item(TableName=self._table, Item=to_item({
            "pk": f"BACKPAY#{_shard(mark.assignment_id)}", "sk": mark.assignment_id,
            "grievance_id": mark.grievance_id, "marked_at": mark.marked_at}))

    def back_pays(self) -> Iterator[BackPay]:
        for shard in range(RUN_SHARDS):
            kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "pk = :p",
                                      "ExpressionAttributeValues": to_item({":p": f"BACKPAY#{shard:02d}"})}
            while True:
                page = self._db.query(**kwargs)
                for item in (from_item(i) for i in page.get("Items", [])):
                    yield BackPay(item["sk"], item["grievance_id"], item["marked_at"])
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def retries(self) -> Iterator[Instruction]:
        for shard in range(RUN_SHARDS):
            kwargs: dict[str, Any] = {"TableName": self._table, "KeyConditionExpression": "pk = :p",
                                      "ExpressionAttributeValues": to_item({":p": f"RETRY#{shard:02d}"})}
            while True:
                page = self._db.query(**kwargs)
                yield from (_instruction(from_item(i)) for i in page.get("Items", []))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class DynamoHouseholdDirectory:
    """Households by BatchGetItem, 100 keys a call, unprocessed keys retried (registry table: HH#<id>/META)."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def get_many(self, household_ids: list[str]) -> dict[str, Household]:
        out: dict[str, Household] = {}
        ids = sorted(set(household_ids))
        for start in range(0, len(ids), 100):
            request: dict[str, Any] = {self._table: {"ConsistentRead": True, "Keys": [
                to_item({"pk": f"HH#{h}", "sk": "META"}) for h in ids[start:start + 100]]}}
            while request:
                page = self._db.batch_get_item(RequestItems=request)
                for raw in page.get("Responses", {}).get(self._table, []):
                    household = codec.household_from(from_item(raw))
                    out[household.household_id] = household
                request = page.get("UnprocessedKeys") or {}
        return out


class HouseholdsByGet:
    """A HouseholdDirectory over any HouseholdRepository, one read per household (fakes, small runs)."""

    def __init__(self, repository: HouseholdRepository) -> None:
        self._repository = repository

    def get_many(self, household_ids: list[str]) -> dict[str, Household]:
        found = {h: self._repository.get(h) for h in set(household_ids)}
        return {h: household for h, household in found.items() if household is not None}


class S3FileStore:
    """Payroll files on S3 (KMS-encrypted bucket); downloads by short-lived presigned GET."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def put_path(self, key: str, path: str, content_type: str) -> None:
        # upload_file streams in parts: a large payment file never sits in memory whole
        self._s3.upload_file(path, self._bucket, key, ExtraArgs={"ContentType": content_type})

    def get(self, key: str) -> bytes | None:
        try:
            return bytes(self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise

    def download_url(self, key: str, expires_in: int) -> str:
        return str(self._s3.generate_presigned_url("get_object", Params={"Bucket": self._bucket, "Key": key},
                                                   ExpiresIn=expires_in))


class LocalFileStore:
    """Payroll files in a local folder (benchmarks, the demo's output): the same keys as on S3."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not str(path).startswith(str(self.root.resolve())):
            raise ValueError("key escapes the store")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def put_path(self, key: str, path: str, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.exists() else None

    def download_url(self, key: str, expires_in: int) -> str:
        return self._path(key).as_uri()

    def exists(self, key: str) -> bool:
        return os.path.exists(self._path(key))

    def keys(self, prefix: str) -> list[str]:
        """The keys under ``prefix`` (what the Distributed Map's ItemReader lists on S3)."""
        folder = self._path(prefix)
        if not folder.is_dir():
            return []
        return sorted(str(p.relative_to(self.root.resolve())) for p in folder.rglob("*") if p.is_file())
