"""The payroll state machine on moto, running the real task handlers through the Lambda bridge,
with the local treasury (SOAP) and bank (HTTP) on loopback."""

from __future__ import annotations

import json

from chalice.test import Client

from app import app
from chalicelib import bootstrap
from chalicelib.domain.access import Principal
from chalicelib.domain.payroll import SENT
from tests.payroll_world import MONTH, World, callback_via, payroll_world  # noqa: F401 (the fixture)

OFFICER = Principal("officer-1", "payroll_officer", "")
AUDITOR = Principal("auditor-1", "auditor", "")


def test_a_month_runs_once_pays_everyone_once_and_the_books_balance(world: World) -> None:
    svc = bootstrap.services().payroll
    # Given 60 beneficiaries with active assignments in December
    # When the month's payroll is started, and started again
    run = svc.start(OFFICER, MONTH)
    again = svc.start(OFFICER, MONTH)
    described = world.wait(run.execution_arn)
    # Then there is one execution, and it succeeded through every step
    assert again.execution_arn == run.execution_arn
    assert described["status"] == "SUCCEEDED", described.get("error") or described.get("cause")
    executions = world.sfn.list_executions(stateMachineArn=world.state_machine_arn)["executions"]
    assert [e["name"] for e in executions] == [f"payroll-{MONTH}"]
    instructions = list(svc.repo.instructions(MONTH))
    manifest = svc.manifest(MONTH)
    assert len(instructions) == manifest["lines"] == world.households
    assert len({(i.line.beneficiary_person_id, i.line.programme, i.line.month) for i in instructions}) == 60
    # and every instruction went to the bank in a file that validated: one file per district and bank here
    # (at most 25 transactions each), the files together carrying every line once
    files = svc.file_manifest(MONTH)["files"]
    assert all(0 < f["count"] <= 25 for f in files) and sum(f["count"] for f in files) == 60
    assert len({f["msg_id"] for f in files}) == len(files) == len(manifest["districts"])
    assert all(i.status in SENT for i in instructions)
    assert world.ifms.requests[f"FR-{MONTH}"][1] == manifest["amount"]
    # When the bank later posts its camt.054 notifications to the callback endpoint
    with Client(app) as client:
        statuses = world.bank.simulator.deliver(callback_via(client))
    # Then they are accepted and the books balance with nothing pending
    assert statuses and set(statuses) == {200}
    summary = svc.summary(AUDITOR, MONTH)
    totals = summary["totals"]
    assert totals["balanced"] and totals["pending_count"] == 0
    assert totals["sent_amount"] == manifest["amount"] == (
        totals["paid_amount"] + totals["rejected_amount"] + totals["returned_amount"])
    for district in summary["districts"].values():
        t = district["totals"]
        assert t["sent_amount"] == t["paid_amount"] + t["rejected_amount"] + t["returned_amount"] + t["pending_amount"]


def test_a_second_execution_of_the_same_month_adds_nothing(world: World) -> None:
    svc = bootstrap.services().payroll
    # Given a month already paid
    run = svc.start(OFFICER, MONTH)
    assert world.wait(run.execution_arn)["status"] == "SUCCEEDED"
    before = {i.instruction_id: i for i in svc.repo.instructions(MONTH)}
    received = len(world.bank.simulator.received)
    # When an operator runs the state machine again under another name (a re-run after a failure)
    rerun = world.sfn.start_execution(stateMachineArn=world.state_machine_arn, name=f"payroll-{MONTH}-rerun-1",
                                      input=json.dumps({"month": MONTH}))
    assert world.wait(rerun["executionArn"])["status"] == "SUCCEEDED"
    # Then no instruction is added or changed, no file is re-sent, and the bank took nothing new
    after = {i.instruction_id: i for i in svc.repo.instructions(MONTH)}
    assert after == before
    assert len(world.bank.simulator.received) == received


def test_the_run_record_is_stored_only_from_the_version_read(aws) -> None:
    import boto3

    from chalicelib.adapters.payroll import DynamoPayrollRepository
    from chalicelib.domain.payroll import PayrollRun

    repo = DynamoPayrollRepository(boto3.client("dynamodb", region_name=aws.region), aws.payroll_table)
    # Given a run stored once and read by two writers
    assert repo.save_run(PayrollRun(month=MONTH, execution_name=f"payroll-{MONTH}"))
    one, two = repo.get_run(MONTH), repo.get_run(MONTH)
    assert one is not None and two is not None and one.version == two.version == 1
    # When both store their change, Then only the first succeeds and the second must re-read
    one.status, two.status = "frozen", "failed"
    assert repo.save_run(one) and not repo.save_run(two)
    stored = repo.get_run(MONTH)
    assert stored is not None and (stored.status, stored.version) == ("frozen", 2)


def test_instructions_are_written_in_bulk_conditionally_and_never_overwritten(aws) -> None:
    import boto3

    from chalicelib.adapters.payroll import DynamoPayrollRepository
    from chalicelib.domain.payroll import Instruction, PaymentLine, instruction_id

    def line(i: int) -> PaymentLine:
        return PaymentLine(instruction_id(f"per-{i}", "child_allowance", MONTH), MONTH, f"app-{i}", f"hh-{i}",
                           f"per-{i}", "child_allowance", 250_000, 0, "1726", "1726262", "1726262010", "XALQ",
                           "card", "8600123456781234", "Karimov Jasur")

    repo = DynamoPayrollRepository(boto3.client("dynamodb", region_name=aws.region), aws.payroll_table)
    # Given 150 instructions written once, one of which the bank has since answered
    assert repo.add_instructions([Instruction(line(i)) for i in range(150)]) == 150
    first = repo.get_instruction(line(7).instruction_id)
    assert first is not None and repo.move(first, first._replace(status="sent"))
    # When a re-run writes the same 150 again with 100 new ones (transactions of 100 conditional puts)
    again = repo.add_instructions([Instruction(line(i)) for i in range(250)])
    # Then only the new ones are added, and the answered one keeps its status
    assert again == 100
    assert len(list(repo.instructions(MONTH))) == 250
    stored = repo.get_instruction(line(7).instruction_id)
    assert stored is not None and stored.status == "sent"
    assert sum(len(list(repo.instructions(MONTH, shard=s))) for s in range(repo.shard_count)) == 250
