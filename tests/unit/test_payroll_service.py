"""The payroll service on fakes: freeze, lump sums, deaths, approval, holds, bank answers, SMS."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict, Forbidden
from devstack import payroll_population as pop
from tests.payroll_fakes import fake_world, run_until_sent

MONTH = "2026-12"


def instruct(world, month: str = MONTH) -> dict:
    out = world.service.freeze(month)
    for item in json.loads(world.files.objects[out["batches_key"]]):
        world.service.write_instructions(item["key"])
    return out


def test_the_dead_are_left_out_and_their_assignments_suspended() -> None:
    # Given two beneficiaries whose death the civil registry reports
    world = fake_world(n=30)
    world.deaths.pinfls = {pop.pinfl(3), pop.pinfl(17)}
    # When the month is frozen
    out = instruct(world)
    # Then they have no payment line and their assignments are suspended with the reason
    assert out["lines"] == 28 and out["suspended"] == 2
    paid_people = {i.line.beneficiary_person_id for i in world.repo.items.values()}
    assert pop.person_id(3) not in paid_people and pop.person_id(17) not in paid_people
    suspended = [a for a in world.assignments.items.values() if a.status == "suspended"]
    assert {a.beneficiary_person_id for a in suspended} == {pop.person_id(3), pop.person_id(17)}
    assert {a.suspended_reason for a in suspended} == {"beneficiary_deceased"}


def test_a_lump_sum_is_paid_once_in_its_first_month() -> None:
    # Given a lump-sum assignment first paid in December
    world = fake_world(n=1)
    world.assignments.items = {}
    lump = pop.assignment(0, MONTH, programme_index=3)
    world.assignments.add_all([lump])
    # When December and January are frozen
    december = instruct(world, MONTH)
    january = instruct(world, "2027-01")
    # Then December pays the lump sum and January pays nothing
    assert (december["lines"], december["amount"]) == (1, lump.lump_sum)
    assert (january["lines"], january["amount"]) == (0, 0)


def test_a_frozen_manifest_is_never_rebuilt_and_instructions_are_written_once() -> None:
    world = fake_world(n=30)
    first = instruct(world)
    count = len(world.repo.items)
    # When a new assignment appears and the freeze and the Map run again
    world.assignments.add_all([replace(pop.assignment(99, MONTH), assignment_id="late:child_allowance")])
    second = instruct(world)
    # Then the manifest is the same and no instruction was added
    assert second == first and len(world.repo.items) == count == 30
    assert world.repo.adds == 60


def test_a_rejected_district_is_held_and_the_others_are_paid() -> None:
    # Given a run awaiting approval
    world = fake_world(n=40, auto_approve=False)
    instruct(world)
    world.service.prepare(MONTH)
    world.service.request_funds(MONTH)
    world.service.await_approval(MONTH, "token-1")
    districts = sorted(world.repo.run_items[MONTH].districts)
    rejected, approved = districts[0], districts[1:]
    outsider = Principal("da-x", "district_admin", approved[0])
    # When an admin of another district tries to decide, it is refused
    with pytest.raises(Forbidden):
        world.service.decide(outsider, MONTH, rejected, False, "not mine")
    with pytest.raises(Forbidden):
        world.service.decide(Principal("ra", "region_admin", "1726"), MONTH, rejected, True)
    # When one district rejects and the others approve
    world.service.decide(Principal("da-1", "district_admin", rejected), MONTH, rejected, False, "list incomplete")
    for code in approved:
        assert not world.workflow.resumed
        world.service.decide(Principal(f"da-{code}", "district_admin", code), MONTH, code, True)
    # Then the flow resumes once, the rejected district's payments are held, the rest go to the bank
    assert [t for t, _ in world.workflow.resumed] == ["token-1"]
    with pytest.raises(Conflict):
        world.service.decide(Principal("da-1", "district_admin", rejected), MONTH, rejected, True)
    world.service.write_files(MONTH)
    world.service.send_files(MONTH)
    statuses = {(i.line.district_code == rejected, i.status) for i in world.repo.items.values()}
    assert statuses == {(True, "held"), (False, "accepted")}
    held = sum(i.line.amount for i in world.repo.items.values() if i.status == "held")
    summary = world.service.summary(Principal("aud", "auditor", ""), MONTH)
    assert summary["totals"]["held_amount"] == held and summary["totals"]["balanced"]


def test_bank_answers_in_any_order_settle_the_books_and_each_credit_sends_one_sms() -> None:
    # Given a month sent to a bank that rejects and returns some payments
    world = fake_world(n=600, max_tx=200, reject_rate=0.03, return_rate=0.03)
    run_until_sent(world)
    notes = world.bank.notifications(per_message=100)
    # When the notifications arrive reversed and each twice
    for xml in list(reversed(notes)) + notes:
        world.service.apply_notification("XALQ", xml)
    # Then the books settle: sent = paid + rejected + returned, nothing pending
    summary = world.service.summary(Principal("aud", "auditor", ""), MONTH)
    t = summary["totals"]
    assert t["pending_count"] == 0 and t["balanced"]
    assert t["rejected_count"] > 0 and t["returned_count"] > 0 and t["paid_count"] > 0
    assert t["sent_amount"] == t["paid_amount"] + t["rejected_amount"] + t["returned_amount"]
    # and each credited beneficiary gets exactly one SMS keyed by the instruction
    paid = {i.instruction_id for i in world.repo.items.values() if i.status == "paid"}
    assert set(world.sms.sent) == {f"payment_credited:{iid}" for iid in paid}
    # and the rejections carry their ISO reason and wait for corrected bank details
    rejected = [i for i in world.repo.items.values() if i.status == "rejected"]
    assert {i.reason for i in rejected} <= {"AC01", "AC04"} and all(i.retry_pending for i in rejected)


def test_missing_instructions_stop_the_run_before_anyone_approves_it() -> None:
    # Given a frozen month whose instruction Map skipped one batch (its child never ran)
    world = fake_world(n=40, batch_size=10)
    out = world.service.freeze(MONTH)
    batches = [item["key"] for item in json.loads(world.files.objects[out["batches_key"]])]
    for key in batches[1:]:
        world.service.write_instructions(key)
    # When the pre-payrolls are prepared
    with pytest.raises(Conflict) as err:
        world.service.prepare(MONTH)
    # Then the summary refuses the run before any district can approve it
    assert err.value.code == "instructions_incomplete"
    assert world.service.run(Principal("aud", "auditor", ""), MONTH)["districts"] == {}
    # and once that batch is written, the run goes on
    world.service.write_instructions(batches[0])
    assert world.service.prepare(MONTH)["lines"] == out["lines"]


def test_only_payroll_roles_start_runs_and_a_second_start_returns_the_same_run() -> None:
    world = fake_world(n=1)
    with pytest.raises(Forbidden):
        world.service.start(Principal("w", "mahalla_worker", "1726262010"), MONTH)
    first = world.service.start(Principal("m", "payroll_officer", ""), MONTH)
    second = world.service.start(Principal("m", "payroll_officer", ""), MONTH)
    assert first.execution_arn == second.execution_arn and len(world.workflow.executions) == 1


def test_two_decisions_at_once_both_count() -> None:
    # Given two district admins who read the run at the same moment
    world = fake_world(n=40, auto_approve=False)
    instruct(world)
    world.service.prepare(MONTH)
    first, second = sorted(world.repo.run_items[MONTH].districts)[:2]
    stale = world.repo.get_run(MONTH)
    assert stale is not None
    # When one decision is stored, the other request's copy is stale and cannot overwrite it
    world.service.decide(Principal("a", "district_admin", first), MONTH, first, True)
    stale.districts[second].decision = "approved"
    assert world.repo.save_run(stale) is False
    # Then deciding again through the service (a fresh read) keeps both decisions
    world.service.decide(Principal("b", "district_admin", second), MONTH, second, False, "wrong list")
    run = world.repo.get_run(MONTH)
    assert run is not None
    assert (run.districts[first].decision, run.districts[second].decision) == ("approved", "rejected")


def test_a_file_the_bank_rejects_as_a_whole_rejects_each_of_its_payments() -> None:
    from chalicelib import iso20022

    class WholeFileRejectingBank:
        def submit(self, bank_code: str, msg_id: str, pain001: bytes) -> bytes:
            return iso20022.write_pain002(iso20022.StatusReport(
                f"R-{msg_id}", msg_id, "RJCT", {}, (), group_reason="AM04"), "2026-12-05T10:00:00")

    # Given a bank that refuses whole files without transaction detail (insufficient funds)
    world = fake_world(n=20, max_tx=8)
    world.service.bank = WholeFileRejectingBank()
    # When the month is sent
    run_until_sent(world)
    # Then every payment is rejected with the file's reason, flagged, and the books still balance
    assert {(i.status, i.reason) for i in world.repo.items.values()} == {("rejected", "AM04")}
    totals = world.service.summary(Principal("aud", "auditor", ""), MONTH)["totals"]
    assert totals["balanced"] and totals["rejected_count"] == totals["sent_count"] == 20


def test_pre_payrolls_and_files_are_made_from_each_districts_frozen_batches_not_the_instruction_table() -> None:
    # Given a month frozen in batches of at most 5 lines and instructed
    world = fake_world(n=60, batch_size=5)
    out = instruct(world)
    manifest = world.service.manifest(MONTH)
    # Then every batch holds the lines of one district, listed under that district
    for district, keys in manifest["district_batches"].items():
        for key in keys:
            lines = list(world.service.batch(key))
            assert 0 < len(lines) <= 5 and {line.district_code for line in lines} == {district}
    assert sum(len(k) for k in manifest["district_batches"].values()) == manifest["batch_count"]
    # When the pre-payrolls and the files are made, with the table's month reads counted
    reads = []
    original = world.repo.instructions
    world.repo.instructions = lambda *a, **k: reads.append(a) or original(*a, **k)  # type: ignore[method-assign]
    world.service.prepare(MONTH)
    world.service.request_funds(MONTH)
    world.service.auto_approve(MONTH)
    world.service.write_files(MONTH)
    # Then the table was never read for them, and the files hold every line once, in id order per bank
    assert reads == []
    files = world.service.file_manifest(MONTH)["files"]
    assert sum(f["count"] for f in files) == out["lines"]
    assert sum(f["control_sum"] for f in files) == out["amount"]


def test_a_value_holding_a_control_character_never_reaches_a_batch() -> None:
    from chalicelib.domain.payroll import PaymentLine, lines_from_text, lines_text

    line = PaymentLine("PI1", "2026-12", "as-1", "hh-1", "p-1", "child_allowance", 400_000, 0, "1726", "1726262",
                       "1726262010", "00014", "card", "sealed:****1234:abc", "Karimov Jasur")
    assert lines_from_text(lines_text([line, line._replace(instruction_id="PI2")]))[1].instruction_id == "PI2"
    with pytest.raises(ValueError, match="PI3"):
        lines_text([line, line._replace(instruction_id="PI3", payee_name="Karimov\x1fJasur")])
    with pytest.raises(ValueError, match="PI4"):
        lines_text([line._replace(instruction_id="PI4", payee_name="Karimov\nJasur")])
