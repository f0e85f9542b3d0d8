"""Tables and buckets, defined once.

The CDK app (``infra/cdk_app.py``), the local stack (``devstack``) and the tests all create their
resources from these definitions, so what the tests run against is what gets deployed.

Key design and the access patterns it serves
============================================

Registry table (``spsr-registry``): households with their members embedded, the change log, and
the PINFL index that keeps a person in one household only.

=====================================  ==========================  ==================================
item                                   pk / sk                     access pattern
=====================================  ==========================  ==================================
household (members embedded)           HH#<household_id> / META   get a household with its members;
                                                                   optimistic lock on ``version``
change record                          HH#<household_id> /         the household's history, oldest
                                       CHANGE#<version:010d>       first (Query begins_with CHANGE#)
PINFL claim                            PINFL#<pinfl> / PERSON      find a person's household by PINFL;
                                                                   a conditional put keeps it unique
change request                         HH#<household_id> /         the household's reported changes
                                       CR#<request_id>             (Query begins_with CR#); decided in
                                                                   one transaction with the household
change request pointer                 CR#<request_id> / CR        find a request by id (it names the
                                                                   household): approve, reject, read
grievance (an appeal is one)           HH#<household_id> /         the household's grievances (Query
                                       GR#<grievance_id>           begins_with GR#); conditional on
                                                                   ``version``
grievance pointer                      GR#<grievance_id> / GR      find a grievance by id
grievance counters                     STAT#GRIEVANCES / <region>  the ministry's statistics, moved in
                                                                   each grievance write's transaction
social work case                       HH#<household_id> /         the household's cases; conditional
                                       CASE#<case_id>              on ``version``
case pointer                           CASE#<case_id> / CASE       find a case by id
open case marker                       HH#<household_id> /         one open case per household
                                       CASEOPEN                    (deleted when it closes)
case counters                          STAT#CASES / <region>       cases, referrals, outcomes
=====================================  ==========================  ==================================

- ``change_requests_by_district`` (pk ``cr_district``, sort ``<status>#<submitted_at>#<request_id>``):
  a district's queue of pending requests, oldest first (``begins_with pending#``), and its decided
  ones by status. Sparse: only change request items carry ``cr_district``.
- ``grievances_by_district`` / ``grievances_by_region`` (pk ``gr_district`` / ``gr_region``, sort
  ``<status>#<received_at>#<grievance_id>``): an area's grievances by status, oldest first;
  ``grievances_open_by_due`` (pk ``gr_open`` = the region, only while open; sort ``<due>#<id>``): the
  breach sweep and the overdue list. Sparse: only grievance items carry these.
- ``cases_by_mahalla`` / ``cases_by_district`` (pk ``case_mahalla`` / ``case_district``, sort
  ``<status>#<opened_at>#<case_id>``): a social worker's mahalla and a supervisor's district, by status.

Applications table (``spsr-applications``):

=====================================  ==========================  ==================================
item                                   pk / sk                     access pattern
=====================================  ==========================  ==================================
application                            APP#<application_id> /      get one application
                                       META
household-month guard                  GUARD#<household>#<month>   at most one application per
                                       / GUARD                     household and cycle month
=====================================  ==========================  ==================================

Application indexes (sort key ``<cycle_month>#<created_at>#<application_id>`` everywhere, so a
cycle month is a ``begins_with`` and pages come oldest first):

- ``by_mahalla`` (pk ``mahalla_code``): a mahalla worker's list;
- ``by_district`` (pk ``district_code``): district staff;
- ``by_region`` (pk ``region_code``): region staff;
- ``by_household`` (pk ``household_id``): a citizen's own applications;
- ``by_cycle`` (pk ``cycle_month``, sort ``<created_at>#<application_id>``): national lists and the
  aggregate counts. Status filters are applied to the page (FilterExpression).

Assignments table (``spsr-assignments``): what decisions grant, read by the monthly payroll.

=====================================  ==========================  ==================================
item                                   pk / sk                     access pattern
=====================================  ==========================  ==================================
assignment                             ASG#<assignment_id> / META  get one; a conditional put makes a
                                                                   re-recorded decision add nothing
=====================================  ==========================  ==================================

- ``by_household`` (pk ``household_id``, sort ``first_month#assignment_id``): a family's benefits;
- ``by_status`` (pk ``<status>#<shard 00..15>``, sort ``first_month#assignment_id``): the payroll
  freeze reads every active assignment starting on or before a month, 16 shards in parallel, so no
  single partition holds two million items.

Payroll table (``spsr-payroll``): payment instructions, runs and handled bank messages.
Audit table (``spsr-audit``): the trail kept apart from the records it describes (own retention,
auditor access), written append-only.

=====================================  ==========================  ==================================
item                                   pk / sk                     access pattern
=====================================  ==========================  ==================================
payment instruction                    PI#<instruction_id> / META  one per (beneficiary, programme,
                                                                   month): a conditional put makes a
                                                                   re-run add nothing; status changes
                                                                   are conditional on the status read
payroll run                            RUNS / RUN#<month>          one run per month; list the runs
handled bank message                   MSG#<bank>#<msg_id> / MSG   a pain.002 or camt.054 counts once
callback signature                     SIG#<bank>#<hmac> / SIG     replay guard (TTL ``expires_at``)
=====================================  ==========================  ===========================
- ``by_run`` (pk ``<month>#<shard 00..15>``, sort ``<district>#<instruction_id>``): a month's
  instructions district by district (pre-payrolls, payment files, the books), 16 partitions.

Payroll bucket (``spsr-payroll-files``): manifests, pre-payroll CSVs, pain.001/pain.002/camt.054
files and their SHA-256 manifests under ``payroll/<month>/``; KMS-encrypted, public access blocked,
read through short-lived presigned links.

=======
agency query                           ACCESS#<application_id> /   every query made for an application
                                       <at>#<agency>#<person>#<n>  (which agency, person id, officer)
SMS marker                             SMS#<key> / SMS             at most one SMS per key (conditional
                                                                   put before sending)
audit chain head                       CHAIN#<chain> / HEAD        the chain's last sequence number and
                                                                   hash; moved n -> n+1 conditionally
audit event                            CHAIN#<chain> /             the chain walked in order by
                                       SEQ#<seq:012d>              ``audit verify`` (Query, one chain)
audit event id                         EVENT#<event_id> / EVENT    a retried append is recognised
=====================================  ==========================  ==================================

Audit indexes (sparse: only audit events carry these attributes; sort ``<at>#<event_id>``, so a time
range is a ``BETWEEN`` and pages come oldest first):

- ``by_record`` (pk ``audit_record``): everything done to one application, household or payroll month;
- ``by_actor`` (pk ``audit_actor``): everything one officer (token subject) or task did.

The trail is split into ``SPSR_AUDIT_CHAINS`` chains (default 4; an event joins the chain its id
hashes to): every append to a chain is serialised by that chain's head, so one chain would cap
the whole registry's write rate at what one item's conditional writes allow; a few chains spread
the load and ``audit verify`` walks each. Raise the number to add chains; never lower it.

Numbers are stored as DynamoDB numbers from Python ``int``; no item ever holds a float.
"""

from __future__ import annotations

from typing import Any

APPLICATION_INDEXES = ("by_mahalla", "by_district", "by_region", "by_household")


def _index(name: str, pk: str, sk: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": pk, "KeyType": "HASH"}, {"AttributeName": sk, "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }


def _keyed_table(name: str, index_attrs: tuple[str, ...] = (),
                 indexes: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    """A pay-per-request, encrypted table keyed by ``pk``/``sk`` (strings), with optional indexes."""
    spec: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", *index_attrs)],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "SSESpecification": {"Enabled": True},
    }
    if indexes:
        spec["GlobalSecondaryIndexes"] = list(indexes)
    return spec


CHANGE_REQUEST_INDEX = "change_requests_by_district"


GRIEVANCE_INDEXES = ("grievances_by_district", "grievances_by_region", "grievances_open_by_due")
CASE_INDEXES = ("cases_by_mahalla", "cases_by_district")


def registry_table(name: str) -> dict[str, Any]:
    return _keyed_table(
        name, ("cr_district", "cr_sk", "gr_district", "gr_region", "gr_sk", "gr_open", "gr_due", "case_mahalla",
               "case_district", "case_sk"),
        (_index(CHANGE_REQUEST_INDEX, "cr_district", "cr_sk"), _index(GRIEVANCE_INDEXES[0], "gr_district", "gr_sk"),
         _index(GRIEVANCE_INDEXES[1], "gr_region", "gr_sk"), _index(GRIEVANCE_INDEXES[2], "gr_open", "gr_due"),
         _index(CASE_INDEXES[0], "case_mahalla", "case_sk"), _index(CASE_INDEXES[1], "case_district", "case_sk")))


def applications_table(name: str) -> dict[str, Any]:
    return _keyed_table(
        name, ("mahalla_code", "district_code", "region_code", "household_id", "cycle_month", "list_sk", "cycle_sk"),
        (_index("by_mahalla", "mahalla_code", "list_sk"), _index("by_district", "district_code", "list_sk"),
         _index("by_region", "region_code", "list_sk"), _index("by_household", "household_id", "list_sk"),
         _index("by_cycle", "cycle_month", "cycle_sk")))


def assignments_table(name: str) -> dict[str, Any]:
    return _keyed_table(name, ("household_id", "status_shard", "start_sk"),
                        (_index("by_household", "household_id", "start_sk"),
                         _index("by_status", "status_shard", "start_sk")))


def audit_table(name: str) -> dict[str, Any]:
    return _keyed_table(name, ("audit_record", "audit_actor", "audit_sk"),
                        (_index("by_record", "audit_record", "audit_sk"),
                         _index("by_actor", "audit_actor", "audit_sk")))


def data_key_alias(stage: str) -> str:
    """The KMS key that wraps the data keys of bank account and card numbers (``SPSR_DATA_KEY_ID``)."""
    return f"alias/spsr-{stage}-data"


def payroll_table(name: str) -> dict[str, Any]:
    attrs = ["pk", "sk", "run_shard", "run_sk"]
    return {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": a, "AttributeType": "S"} for a in attrs],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [_index("by_run", "run_shard", "run_sk")],
        "SSESpecification": {"Enabled": True},
    }


PAYROLL_TTL_ATTRIBUTE = "expires_at"


def documents_bucket_encryption() -> dict[str, Any]:
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]}


def create_all(dynamodb: Any, s3: Any, settings: Any, kms: Any = None) -> None:
    """Creates every table and bucket named by ``settings`` (``chalicelib.config.Settings``), and with
    ``kms`` the data key's KMS key under the alias ``settings.data_key_id`` (moto and local stacks;
    on AWS the CDK app creates a customer-managed key).

    Idempotent: existing ones are left as they are.
    """
    if kms is not None:
        create_data_key(kms, settings.data_key_id)
    existing = set(dynamodb.list_tables().get("TableNames", []))
    specs = (registry_table(settings.registry_table), applications_table(settings.applications_table),
             assignments_table(settings.assignments_table), audit_table(settings.audit_table),
             payroll_table(settings.payroll_table))
    for spec in specs:
        if spec["TableName"] not in existing:
            dynamodb.create_table(**spec)
            dynamodb.get_waiter("table_exists").wait(TableName=spec["TableName"])
            if spec["TableName"] == settings.payroll_table:
                dynamodb.update_time_to_live(TableName=spec["TableName"], TimeToLiveSpecification={
                    "Enabled": True, "AttributeName": PAYROLL_TTL_ATTRIBUTE})
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (settings.documents_bucket, settings.payroll_bucket):
        if bucket not in buckets:
            _create_bucket(s3, bucket, settings.region)


def create_data_key(kms: Any, alias: str) -> str:
    """A symmetric KMS key with ``alias`` (``alias/...``), unless the alias exists; returns the key id."""
    for page in kms.get_paginator("list_aliases").paginate():
        for found in page["Aliases"]:
            if found["AliasName"] == alias and found.get("TargetKeyId"):
                return str(found["TargetKeyId"])
    key_id = str(kms.create_key(Description="SPSR: wraps the data keys of bank account and card numbers",
                                KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"])
    kms.enable_key_rotation(KeyId=key_id)
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id


def _create_bucket(s3: Any, bucket: str, region: str) -> None:
    """A private bucket: KMS encryption by default, every kind of public access blocked."""
    kwargs: dict[str, Any] = {"Bucket": bucket}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=documents_bucket_encryption())
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )


def cfn_table_properties(spec: dict[str, Any], kms_key_arn: Any = None) -> dict[str, Any]:
    """The CloudFormation ``AWS::DynamoDB::Table`` properties for a table definition above.

    The boto3 ``create_table`` arguments and the CloudFormation properties differ in one name
    (``SSESpecification.Enabled`` is ``SSEEnabled``); everything else carries over unchanged. On AWS
    every table also has point-in-time recovery and deletion protection, and with ``kms_key_arn`` is
    encrypted with that customer-managed key (the local stack keeps the default key).
    """
    props = {k: v for k, v in spec.items() if k != "SSESpecification"}
    props["SSESpecification"] = {"SSEEnabled": spec.get("SSESpecification", {}).get("Enabled", True)}
    if kms_key_arn is not None:
        props["SSESpecification"].update({"SSEType": "KMS", "KMSMasterKeyId": kms_key_arn})
    props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    props["DeletionProtectionEnabled"] = True
    return props
