"""The payroll demo: one month paid end to end on the embedded local stack, files written to a folder.

``run_month(stack, month, out_dir)`` deploys the payroll state machine into the stack's moto server
(Task states run the real handlers through ``devstack.lambda_bridge``), starts the month's run with
auto-approve, lets the local treasury (SOAP) and bank (HTTP) on loopback answer, sends the bank's
signed camt.054 callbacks, and writes every file of the month under ``out_dir/payroll/<month>/``:
the manifest, pre-payroll CSVs, pain.001 files with their SHA-256 manifest, pain.002 answers,
camt.054 notifications and the reconciliation. It returns the books.

Callbacks go to ``callback_url`` (``POST /bank/callbacks`` of ``chalice local``) when given, or else
straight to the same service method the route calls, signatures checked either way. In the second
case they go through the bank-callback queue as on AWS: the service queues each checked message and
``drain_bank_queue`` hands the queue's messages to the consumer (``payroll_bank_messages``) in
batches of 10, as the Lambda event source does, deleting those it did not report as failed.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from app import app
from chalicelib import bootstrap
from chalicelib.adapters.dynamodb import DynamoAssignmentRepository, DynamoHouseholdRepository
from chalicelib.domain.households import ChangeRecord
from chalicelib.services.payroll import layout
from devstack import lambda_bridge
from devstack import payroll_population as pop
from devstack.bank.server import BankServer, post
from devstack.bank.simulator import BankSimulator
from devstack.ifms.server import IfmsServer
from devstack.stack import EmbeddedStack

ROOT = Path(__file__).resolve().parent.parent
ASL = ROOT / "statemachines" / "payroll.asl.json"
QUEUE = "spsr-payroll-approvals"
BANK_QUEUE = "spsr-payroll-bank-callbacks"


def seed_beneficiaries(stack: EmbeddedStack, n: int, month: str, districts: int = 0) -> None:
    """Adds ``n`` synthetic households with active assignments (ids ``hh-00000000000i``), in ``districts``
    districts when given (every district of the country otherwise)."""
    s = stack.settings()
    households, assignments = pop.build(n, month, districts)
    changes = [ChangeRecord(household_id=h.household_id, version=1, at=f"{month}-01T00:00:00+00:00",
                            actor_id="demo", actor_role="system", action="register", target="household")
               for h in households]
    DynamoHouseholdRepository(stack.client("dynamodb"), s.registry_table, stack.cipher()).put_seed(households, changes)
    DynamoAssignmentRepository(stack.client("dynamodb"), s.assignments_table).add_all(assignments)


def run_month(stack: EmbeddedStack, month: str, out_dir: str | Path, *, synthetic_beneficiaries: int = 0,
              synthetic_districts: int = 0,
              callback_url: str | None = None, reject_rate: float = 0.02, return_rate: float = 0.02,
              max_transactions: int = 1000, timeout: float = 300.0) -> dict[str, Any]:
    out = Path(out_dir)
    if synthetic_beneficiaries:
        seed_beneficiaries(stack, synthetic_beneficiaries, month, synthetic_districts)
    bridged = False
    bank = BankServer(BankSimulator(reject_rate=reject_rate, return_rate=return_rate)).start()
    ifms = IfmsServer().start()
    saved = dict(os.environ)
    try:
        settings = stack.settings()
        queue_url = stack.client("sqs").create_queue(QueueName=QUEUE)["QueueUrl"]
        sfn = stack.client("stepfunctions")
        bridged = lambda_bridge.installed()  # the stack's application workflows keep theirs afterwards
        lambda_bridge.install(app)
        arn = lambda_bridge.deploy_state_machine(sfn, "spsr-local-payroll", ASL, app, {
            "PayrollBucket": settings.payroll_bucket, "PayrollApprovalQueueUrl": queue_url})
        bank_queue_url = stack.client("sqs").create_queue(QueueName=BANK_QUEUE)["QueueUrl"]
        os.environ.update(stack.env())
        if not callback_url:  # in process: callbacks queued and applied by the consumer, as on AWS
            os.environ["SPSR_PAYROLL_BANK_QUEUE_URL"] = bank_queue_url
        os.environ.update({
            "SPSR_PAYROLL_STATE_MACHINE_ARN": arn, "SPSR_PAYROLL_APPROVAL_QUEUE_URL": queue_url,
            "SPSR_PAYROLL_AUTO_APPROVE": "true", "SPSR_BANK_URL": bank.url, "SPSR_IFMS_URL": ifms.url,
            "SPSR_PAYROLL_BANK_WAIT_SECONDS": "0", "SPSR_PAYROLL_RECONCILE_ROUNDS": "1",
            "SPSR_PAIN001_MAX_TRANSACTIONS": str(max_transactions)})
        bootstrap.reset()
        svc = bootstrap.services().payroll
        run = svc.start(None, month)
        status = _wait(sfn, run.execution_arn or "", timeout)
        if status != "SUCCEEDED":
            raise RuntimeError(f"payroll execution {run.execution_name} ended {status}")

        def deliver(headers: dict[str, str], body: bytes) -> int:
            if callback_url:
                return post(callback_url, headers, body)
            envelope = json.loads(body)
            answer = svc.receive_callback(bank_id=headers["X-Bank-Id"], timestamp=headers["X-Signature-Timestamp"],
                                          signature=headers["X-Signature"], body=body,
                                          message_type=envelope["message_type"], document=envelope["document"])
            return 202 if answer.get("queued") else 200

        statuses = bank.simulator.deliver(deliver, per_message=100)
        if not callback_url:
            drain_bank_queue(stack.client("sqs"), bank_queue_url)
        books = svc.reconcile(month)
        summary = svc.summary_for_system(month)
        _export(stack, settings.payroll_bucket, month, out, bank.simulator)
        manifest = svc.manifest(month)
        arrears = svc.ctx.get_json(layout.arrears_part(month)) or {}
        return {"month": month, "execution": run.execution_name, "callbacks": statuses, "settled": books["settled"],
                "totals": summary["totals"], "districts": len(summary["districts"]),
                "arrears": {"lines": manifest["arrears"], "amount": arrears.get("amount", 0)},
                "returned_to_local_budget": {d: v["returned_to_local_budget"]
                                             for d, v in summary["districts"].items()
                                             if v["returned_to_local_budget"]},
                "files": str(out / "payroll" / month)}
    finally:
        if not bridged:
            lambda_bridge.uninstall()
        bank.stop()
        ifms.stop()
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.reset()


def drain_bank_queue(sqs: Any, queue_url: str, rounds: int = 100) -> int:
    """Hands the queued bank callbacks to their consumer until the queue is empty; how many were applied."""
    from chalicelib.tasks.payroll import payroll_bank_messages

    applied = 0
    for _ in range(rounds):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return applied
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs"}
                             for m in messages]}
        failed = {f["itemIdentifier"] for f in payroll_bank_messages(event, None)["batchItemFailures"]}
        for m in messages:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
                applied += 1
    return applied


def _wait(sfn: Any, execution_arn: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(sfn.describe_execution(executionArn=execution_arn)["status"])
        if status != "RUNNING":
            return status
        time.sleep(0.2)
    return "TIMED_OUT"


def _export(stack: EmbeddedStack, bucket: str, month: str, out: Path, simulator: BankSimulator) -> None:
    s3 = stack.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"payroll/{month}/"):
        for obj in page.get("Contents", []):
            target = out / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
    camt = out / "payroll" / month / "camt054"
    camt.mkdir(parents=True, exist_ok=True)
    for i, (kind, xml) in enumerate((m for m in simulator.outbox if m[0] == "camt.054"), 1):
        (camt / f"{kind}-{i:04d}.xml").write_bytes(xml)


def main() -> None:
    import argparse

    from devstack.stack import free_port

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default=time.strftime("%Y-%m", time.gmtime()))
    parser.add_argument("--beneficiaries", type=int, default=500)
    parser.add_argument("--out", default="demo-out")
    args = parser.parse_args()
    stack = EmbeddedStack(moto_port=free_port(), households=0)
    stack.start_aws()
    try:
        stack.create_resources()
        result = run_month(stack, args.month, args.out, synthetic_beneficiaries=args.beneficiaries)
        print(json.dumps(result, indent=1))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
