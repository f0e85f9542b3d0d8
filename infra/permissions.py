"""What each Lambda function may touch: one entry per function, the single source of its IAM role.

The CDK stack (``infra/stack.py``) gives every function its own role built from its entry here and
refuses to synthesise when a function of the app has none, so a new function cannot fall back to a
shared, broad role. Table access is ``read`` (GetItem, Query, BatchGetItem, ConditionCheckItem) or
``write`` (read plus PutItem, UpdateItem, DeleteItem, BatchWriteItem: an approved change request
that moves a member out releases the PINFL claim; a TransactWriteItems call is authorised item by item
on those actions). Bucket access is ``read``
(GetObject), ``put`` (PutObject) or ``write`` (both). Every role may also use the customer key,
write its own log group and send X-Ray traces. The field key of bank account and card numbers is
apart from the customer key (which every role may use): only ``fields`` grants it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write"]
ObjectAccess = Literal["read", "put", "write"]
Table = Literal["registry", "applications", "assignments", "audit", "payroll"]

TABLE_ACTIONS: dict[Access, tuple[str, ...]] = {
    "read": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"),
    "write": ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem",
              "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"),
}
OBJECT_ACTIONS: dict[ObjectAccess, tuple[str, ...]] = {
    "read": ("s3:GetObject",),
    "put": ("s3:PutObject",),
    "write": ("s3:GetObject", "s3:PutObject"),
}


@dataclass(frozen=True)
class Grants:
    tables: dict[Table, Access] = field(default_factory=dict)
    documents: ObjectAccess | None = None  # the documents bucket (uploads, evidence)
    payroll_files: ObjectAccess | None = None  # manifests, pre-payrolls, bank files
    list_payroll_files: bool = False  # lists a month's keys
    starts: tuple[Literal["application", "payroll"], ...] = ()  # state machines it starts / describes
    task_tokens: bool = False  # resumes the payroll's approval step
    sms: bool = False  # sns:Publish to phone numbers (no topic ARN exists for those)
    secrets: tuple[Literal["bank_callbacks", "agency_credentials"], ...] = ()
    consumes: tuple[Literal["approvals", "bank_callbacks"], ...] = ()  # SQS queues it is the event source of
    sends: tuple[Literal["bank_callbacks"], ...] = ()  # SQS queues it sends to
    dead_letter: bool = False  # invoked asynchronously: failed events go to its dead-letter queue
    # The field key (bank account and card numbers, ``adapters/crypto.py``): ``seal`` may only make data
    # keys (kms:GenerateDataKey: the writers of households), ``open`` may only unwrap them (kms:Decrypt:
    # the pain.001 writer, the one place a number is in clear).
    fields: Literal["seal", "open"] | None = None
    # Sets or reads nothing outside its own stage's resources; the reason the function needs it.
    why: str = ""


_WRITE_ALL: dict[Table, Access] = {"registry": "write", "applications": "write", "assignments": "write",
                                   "audit": "write", "payroll": "write"}

FUNCTIONS: dict[str, Grants] = {
    "api_handler": Grants(
        tables=_WRITE_ALL, documents="write", payroll_files="write", starts=("application", "payroll"),
        task_tokens=True, sms=True, secrets=("bank_callbacks",), sends=("bank_callbacks",), fields="seal",
        why="every HTTP route: registry, applications, evidence links, payroll runs, approvals; bank callbacks are "
            "checked, stored on S3 and queued"),
    "begin_application": Grants(tables={"applications": "write", "audit": "write"},
                                why="marks the run of an application"),
    "collect_evidence": Grants(
        tables={"applications": "write", "audit": "write"}, documents="write", secrets=("agency_credentials",),
        sms=True, why="asks the agencies, logs every query, stores the evidence and the answers kept between "
                      "rounds, keeps the agencies' circuit breakers, tells a family once its decision is delayed"),
    "assess_application": Grants(tables={"applications": "write", "audit": "write"}, documents="read",
                                 why="reads the evidence, stores the decision"),
    "record_decision": Grants(tables={"applications": "write", "assignments": "write", "audit": "write",
                                      "payroll": "write"},
                              why="records the decision and its assignments; marks an appeal's for back pay"),
    "notify_decision": Grants(tables={"applications": "read", "registry": "write", "audit": "write"}, sms=True,
                              why="one SMS per decision, logged before it is sent; closes the appeal it answers"),
    "mark_needs_review": Grants(tables={"applications": "write", "audit": "write"},
                                why="sends the application to review"),
    "start_pending_workflows": Grants(tables={"applications": "write"}, starts=("application",),
                                      dead_letter=True, why="starts the runs still pending (the outbox's sweep)"),
    "report_overdue": Grants(tables={"applications": "read"}, dead_letter=True,
                             why="counts overdue applications (a metric)"),
    "grievance_sweep": Grants(tables={"registry": "write", "audit": "write"}, sms=True, dead_letter=True,
                              why="escalates grievances past their deadline (SMS to the family); counts overdue ones"),
    "payroll_freeze": Grants(
        tables={"assignments": "write", "registry": "read", "payroll": "write", "audit": "write"},
        payroll_files="write",
        secrets=("agency_credentials",), why="freezes the month's assignments; asks the civil registry for deaths"),
    "payroll_freeze_shard": Grants(
        tables={"assignments": "write", "registry": "read", "payroll": "write", "audit": "write"},
        payroll_files="write",
        secrets=("agency_credentials",), why="freezes one shard of the month's assignments; asks for deaths"),
    "payroll_seal_manifest": Grants(tables={"payroll": "write", "assignments": "read", "registry": "read",
                                            "audit": "write"},
                                    payroll_files="write", list_payroll_files=True, secrets=("agency_credentials",),
                                    why="seals the manifest from its shards' parts and the month's arrears (accounts "
                                        "corrected, appeals' back pay; asks for deaths)"),
    "payroll_prepare_district": Grants(tables={"payroll": "write", "audit": "write"}, payroll_files="write",
                                       why="one district's pre-payroll CSV"),
    "payroll_write_district_files": Grants(tables={"payroll": "write", "audit": "write"}, payroll_files="write",
                                           fields="open", why="one district's pain.001 files"),
    "payroll_plan_books": Grants(tables={"payroll": "read", "audit": "write"},
                                 why="the shards a reconciliation round counts"),
    "payroll_count_books": Grants(tables={"payroll": "read", "audit": "write"}, payroll_files="write",
                                  why="counts one shard's instructions for the books"),
    "payroll_bank_messages": Grants(
        tables={"payroll": "write", "registry": "read", "audit": "write"}, payroll_files="read", sms=True,
        consumes=("bank_callbacks",), why="applies queued pain.002 and camt.054 messages; SMS on credits"),
    "payroll_write_instructions": Grants(tables={"payroll": "write", "audit": "write"}, payroll_files="read",
                                         why="one instruction per manifest line"),
    "payroll_prepare": Grants(tables={"payroll": "write", "audit": "write"},
                              payroll_files="write", why="pre-payroll CSVs"),
    "payroll_request_funds": Grants(tables={"payroll": "write", "audit": "write"}, payroll_files="read",
                                    why="the treasury funds request"),
    "payroll_auto_approve": Grants(tables={"payroll": "write", "audit": "write"},
                                   why="approves every district (local stages)"),
    "payroll_write_files": Grants(tables={"payroll": "write", "audit": "write"}, payroll_files="write",
                                  why="the month's file manifest from the districts' pain.001 records"),
    "payroll_send_file": Grants(tables={"payroll": "write", "registry": "read", "audit": "write"},
                                payroll_files="write", sms=True,
                                why="one file to the bank; its status report"),
    "payroll_mark_sent": Grants(tables={"payroll": "write", "audit": "write"},
                                payroll_files="read", why="instructions sent"),
    "payroll_reconcile": Grants(tables={"payroll": "write", "registry": "read", "audit": "write"},
                                payroll_files="write", sms=True,
                                why="the books of a month; SMS on settled payments"),
    "payroll_approval_token": Grants(tables={"payroll": "write"}, task_tokens=True, consumes=("approvals",),
                                     why="keeps the approval step's task token"),
    "payroll_monthly": Grants(tables={"payroll": "write", "assignments": "read"}, starts=("payroll",),
                              dead_letter=True, why="starts the month's payroll on the 1st"),
    "payroll_unapproved_report": Grants(tables={"payroll": "read"}, dead_letter=True,
                                            why="counts districts not approved by the 4th (a metric)"),
}
