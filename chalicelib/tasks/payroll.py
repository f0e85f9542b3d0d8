"""The payroll state machine's tasks (``statemachines/payroll.asl.json``), its monthly schedule and
the consumers of the approval and bank-callback queues.

Each task takes ``{"month": "YYYY-MM", ...}`` exactly (pydantic, extra fields refused) and calls one
``PayrollService`` method; a failure is raised by class name so the ASL retries or catches it by name.
The heavy steps take one unit each (a shard, a manifest part, a district, a file), so that no
invocation grows with the country: see ``chalicelib/services/payroll``.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint, Cron
from pydantic import BaseModel, ConfigDict, Field

from chalicelib import bootstrap
from chalicelib.tasks import audit
from chalicelib.tasks.audit import audited_task

bp = Blueprint(__name__)
logger = Logger(service="spsr-payroll")

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
APPROVAL_QUEUE = "spsr-payroll-approvals"
BANK_QUEUE = "spsr-payroll-bank-callbacks"


class MonthIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=MONTH)


class ShardIn(MonthIn):
    shard: int = Field(ge=0, le=255)


class DistrictIn(MonthIn):
    district: str = Field(pattern=r"^\d{7}$")


class ShardRoundIn(ShardIn):
    round: int = Field(ge=0)


class BatchIn(MonthIn):
    key: str = Field(min_length=1, max_length=1024)


class FileIn(MonthIn):
    msg_id: str = Field(min_length=1, max_length=35)


class RoundIn(MonthIn):
    round: int = Field(ge=0)


class BankMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bank_id: str = Field(min_length=1, max_length=64)
    message_type: str = Field(pattern=r"^(camt\.054|pain\.002)$")
    key: str = Field(min_length=1, max_length=1024)
    msg_id: str = Field(min_length=1, max_length=64)


class ApprovalMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    month: str = Field(pattern=MONTH)
    task_token: str = Field(min_length=1)


def _svc() -> Any:
    return bootstrap.services().payroll


@bp.lambda_function(name="payroll_freeze")
@audited_task("payroll_freeze", audit.month, audit.month)
def payroll_freeze(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The freeze's plan: the assignment shards to freeze (none once the manifest is complete)."""
    out: dict[str, Any] = _svc().plan_freeze(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_freeze_shard")
@audited_task("payroll_freeze_shard", audit.month, audit.month_and("shard"))
def payroll_freeze_shard(event: dict[str, Any], context: Any) -> dict[str, Any]:
    args = ShardIn.model_validate(event)
    out: dict[str, Any] = _svc().freeze_shard(args.month, args.shard)
    return out


@bp.lambda_function(name="payroll_seal_manifest")
@audited_task("payroll_seal_manifest", audit.month, audit.month)
def payroll_seal_manifest(event: dict[str, Any], context: Any) -> dict[str, Any]:
    month = MonthIn.model_validate(event).month
    out: dict[str, Any] = _svc().seal_manifest(month)
    logger.info("payroll frozen", extra={"month": month, "lines": out["lines"], "batches": out["batch_count"]})
    return out


@bp.lambda_function(name="payroll_write_instructions")
@audited_task("payroll_write_instructions", audit.month, audit.month_and("key"))
def payroll_write_instructions(event: dict[str, Any], context: Any) -> dict[str, int]:
    batch = BatchIn.model_validate(event)
    out: dict[str, int] = _svc().write_instructions(batch.key)
    return out


@bp.lambda_function(name="payroll_prepare_district")
@audited_task("payroll_prepare_district", audit.month, audit.month_and("district"))
def payroll_prepare_district(event: dict[str, Any], context: Any) -> dict[str, Any]:
    args = DistrictIn.model_validate(event)
    out: dict[str, Any] = _svc().prepare_district(args.month, args.district)
    return out


@bp.lambda_function(name="payroll_prepare")
@audited_task("payroll_prepare", audit.month, audit.month)
def payroll_prepare(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out: dict[str, Any] = _svc().summarize(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_request_funds")
@audited_task("payroll_request_funds", audit.month, audit.month)
def payroll_request_funds(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out: dict[str, Any] = _svc().request_funds(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_auto_approve")
@audited_task("payroll_auto_approve", audit.month, audit.month)
def payroll_auto_approve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out: dict[str, Any] = _svc().auto_approve(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_write_district_files")
@audited_task("payroll_write_district_files", audit.month, audit.month_and("district"))
def payroll_write_district_files(event: dict[str, Any], context: Any) -> dict[str, Any]:
    args = DistrictIn.model_validate(event)
    out: dict[str, Any] = _svc().write_district_files(args.month, args.district)
    return out


@bp.lambda_function(name="payroll_write_files")
@audited_task("payroll_write_files", audit.month, audit.month)
def payroll_write_files(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out: dict[str, Any] = _svc().seal_files(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_send_file")
@audited_task("payroll_send_file", audit.month, audit.month_and("msg_id"))
def payroll_send_file(event: dict[str, Any], context: Any) -> dict[str, Any]:
    args = FileIn.model_validate(event)
    out: dict[str, Any] = _svc().send_file(args.month, args.msg_id)
    return out


@bp.lambda_function(name="payroll_mark_sent")
@audited_task("payroll_mark_sent", audit.month, audit.month)
def payroll_mark_sent(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out: dict[str, Any] = _svc().mark_sent(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_plan_books")
@audited_task("payroll_plan_books", audit.month, audit.month)
def payroll_plan_books(event: dict[str, Any], context: Any) -> dict[str, Any]:
    out: dict[str, Any] = _svc().plan_books(MonthIn.model_validate(event).month)
    return out


@bp.lambda_function(name="payroll_count_books")
@audited_task("payroll_count_books", audit.month, audit.month_and("shard", "round"))
def payroll_count_books(event: dict[str, Any], context: Any) -> dict[str, Any]:
    args = ShardRoundIn.model_validate(event)
    out: dict[str, Any] = _svc().count_books(args.month, args.shard, args.round)
    return out


@bp.lambda_function(name="payroll_reconcile")
@audited_task("payroll_reconcile", audit.month, audit.month_and("round"))
def payroll_reconcile(event: dict[str, Any], context: Any) -> dict[str, Any]:
    args = RoundIn.model_validate(event)
    svc = _svc()
    out: dict[str, Any] = {**svc.close_books(args.month, args.round), **svc.plan_books(args.month, args.round + 1)}
    logger.info("payroll reconciled", extra={"month": args.month, "settled": out["settled"],
                                             "pending": out["pending"], "round": out["round"]})
    return out


@bp.on_sqs_message(queue=BANK_QUEUE, batch_size=10, name="payroll_bank_messages")
def payroll_bank_messages(event: Any) -> dict[str, list[dict[str, str]]]:
    """Applies queued bank callbacks (signature already checked). A record that fails is reported as a
    batch item failure (the event source mapping has ReportBatchItemFailures) and comes back after the
    visibility timeout, then to the dead-letter queue; applying is idempotent on the bank's MsgId."""
    failures = []
    for record in event:
        message_id = str(record.to_dict().get("messageId", ""))
        try:
            message = BankMessage.model_validate(json.loads(record.body))
            _svc().apply_queued(message.bank_id, message.message_type, message.key)
            # Applied (idempotent on the bank's MsgId): the request id is the message's, so a redelivery
            # appends its event once.
            bootstrap.services().audit.record(
                actor="system:payroll_bank_messages", role="system", action="payroll_bank_message",
                record_id=message.msg_id,
                request_id=f"payroll_bank_messages:{message.bank_id}:{message.message_type}:{message.msg_id}")
        except Exception as err:  # one bad record must not send the others back
            logger.warning("bank message not applied", extra={"message_id": message_id, "error": type(err).__name__})
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


@bp.on_sqs_message(queue=APPROVAL_QUEUE, batch_size=1, name="payroll_approval_token")
def payroll_approval_token(event: Any) -> None:
    """Keeps the approval step's task token (sent by the state machine through the queue)."""
    for record in event:
        message = ApprovalMessage.model_validate(json.loads(record.body))
        _svc().await_approval(message.month, message.task_token)


@bp.schedule(Cron(0, 0, 1, "*", "?", "*"), name="payroll_monthly")
def payroll_monthly(event: Any) -> dict[str, Any]:
    """00:00 UTC on the 1st (05:00 in Tashkent): start the month's payroll (a second start is a no-op)."""
    from chalicelib.services.payroll import default_month

    svc = _svc()
    month = default_month(svc.clock.now())
    if svc.workflow is None:  # API-only deployments and tests: nothing to start
        logger.warning("no payroll state machine configured", extra={"month": month})
        return {"month": month, "started": False}
    run = svc.start(None, month)
    logger.info("payroll started", extra={"month": run.month, "execution": run.execution_name})
    return {"month": month, "started": True, "execution": run.execution_name}
