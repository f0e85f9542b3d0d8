"""Bank numbers on moto (DynamoDB, KMS, S3): sealed in every table item and file but the payment file."""

from __future__ import annotations

import json
import re

import boto3
import pytest
from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.api import examples
from chalicelib.config import Settings
from chalicelib.domain.access import Principal
from chalicelib.domain.households import bank_context, sealed_ciphertext
from devstack import payroll_population as pop
from tests.payroll_world import seed

MONTH = "2026-12"
AUDITOR = Principal("auditor-1", "auditor", "")


def _scan(db, table: str) -> str:
    items, kwargs = [], {"TableName": table}
    while True:
        page = db.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return json.dumps(items)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_only_the_payment_file_holds_the_numbers_in_clear(aws: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given 12 beneficiaries seeded through the registry's repository, and the month's payroll written
    monkeypatch.setenv("SPSR_PAYROLL_AUTO_APPROVE", "true")
    bootstrap.reset()
    seed(aws, 12, MONTH)
    numbers = [pop.account_number(i) for i in range(12)]
    svc = bootstrap.services().payroll
    out = svc.freeze(MONTH)
    for item in json.loads(svc.files.get(out["batches_key"]) or b"[]"):
        svc.write_instructions(item["key"])
    svc.prepare(MONTH)
    svc.request_funds(MONTH)
    svc.auto_approve(MONTH)
    svc.write_files(MONTH)
    db, s3 = boto3.client("dynamodb", region_name=aws.region), boto3.client("s3", region_name=aws.region)
    # Then no item of the registry or payroll table holds a number in clear, only its mask
    for table in (aws.registry_table, aws.payroll_table):
        stored = _scan(db, table)
        assert not [n for n in numbers if n in stored], table
    assert re.search(r"\*{12}" + numbers[0][-4:], _scan(db, aws.registry_table))
    # And of the payroll files, the pain.001 alone has them: manifests and pre-payrolls do not
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=aws.payroll_bucket)["Contents"]]
    pain001 = [k for k in keys if "/pain001/" in k and k.endswith(".xml")]
    assert pain001 and len(keys) > len(pain001)
    for key in keys:
        body = s3.get_object(Bucket=aws.payroll_bucket, Key=key)["Body"].read().decode()
        found = {n for n in numbers if n in body}
        if key in pain001:
            assert found, key
        else:
            assert not found, key
    paid = "".join(s3.get_object(Bucket=aws.payroll_bucket, Key=k)["Body"].read().decode() for k in pain001)
    assert all(f"<Id>{n}</Id>" in paid for n in numbers)


def test_numbers_entered_through_the_api_are_sealed_and_shown_masked(token, aws: Settings) -> None:
    worker = token("mahalla_worker", examples.EXAMPLE_MAHALLA)
    officer = token("pension_fund_officer", examples.EXAMPLE_DISTRICT, subject="officer-1")
    new_number = examples.CHANGE_REQUEST["bank_account"]["number"]
    db = boto3.client("dynamodb", region_name=aws.region)
    with Client(app) as client:
        created = client.http.post("/applications", body=json.dumps(examples.APPLICATION), headers=worker).json_body
        hid = created["household_id"]
        # Given a payout card change reported through the API, pending
        reported = client.http.post(f"/households/{hid}/change-requests", body=json.dumps(examples.CHANGE_REQUEST),
                                    headers=worker)
        pending = _scan(db, aws.registry_table)
        # When a second person approves it
        approved = client.http.post(f"/change-requests/{reported.json_body['request_id']}/approve",
                                    body=json.dumps(examples.CHANGE_APPROVAL), headers=officer)
        changes = client.http.get(f"/households/{hid}/changes", headers=worker).json_body["items"]
    # Then neither the pending request nor, after approval, any item holds a number in clear
    assert reported.status_code == 201 and approved.status_code == 200, approved.body
    assert reported.json_body["payload"]["bank_account"]["number"] == "************7896"
    assert new_number not in pending and "sealed:************7896:enc1." in pending
    stored = _scan(db, aws.registry_table)
    for number in (examples.APPLICATION["bank_account"]["number"], new_number):
        assert number not in stored
    assert changes[-1]["new"]["bank_account"]["number"] == "************7896"
    # And the household's current number opens with the KMS key, bound to the household
    household = bootstrap.services().households.get(AUDITOR, hid)
    assert household.bank_account is not None and household.bank_account.sealed
    assert bootstrap.field_cipher(aws).reveal(sealed_ciphertext(household.bank_account.number),
                                              bank_context(household.household_id)) == new_number
