"""Fault injection on the payroll service: runs, re-runs, crashes after any side effect, and bank
messages duplicated, late, reordered and replayed, in whatever order hypothesis finds.

After every step: no (beneficiary, programme, month) has two instructions and the bank never took
the same EndToEndId in two files (nobody is paid twice); every manifest line has its instruction and
every approved instruction went to the bank once the files were sent (nobody is lost); the books
balance, sent = paid + rejected + returned + pending, in whole som, overall and per district; an
instruction closed as rejected or returned never reopens, even when the bank later sends a credit
that conflicts with it; a family gets at most one credit SMS per payment.
A crash is simulated by raising right after a write (the write stays), then running the step again.
``test_the_fault_test_catches_planted_defects`` (slow) plants defects and checks each is caught.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib import iso20022
from chalicelib.domain.access import Principal
from chalicelib.domain.errors import Conflict
from chalicelib.domain.payroll import SENT
from tests.payroll_fakes import Crash, fake_world

MONTH = "2026-12"
AUDITOR = Principal("auditor-1", "auditor", "")
STEPS = ("freeze", "instruct", "prepare", "funds", "approve", "files", "send")


class PayrollMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = fake_world(n=24, batch_size=7, max_tx=9, reject_rate=0.15, return_rate=0.15)
        self.svc = self.world.service
        self.done = 0  # steps completed, in STEPS order
        self.messages: list[bytes] = []  # camt.054 the bank produced, delivered in any order
        self.signed: list[tuple[dict[str, str], bytes, bytes]] = []
        self.applied: set[bytes] = set()  # messages whose delivery was answered (no crash)
        self.closed: dict[str, str] = {}  # instruction id -> rejected | returned, once seen so
        self.conflicting: set[bytes] = set()  # credits the bank sent for payments it had closed
        self.world.bank.clock = lambda: self.svc.clock.now().timestamp()

    # ---------------------------------------------------------------- the flow

    def _run(self, step: str) -> None:
        svc = self.svc
        if step == "freeze":
            svc.freeze(MONTH)
        elif step == "instruct":
            key = svc.manifest(MONTH)["batches_key"]
            for item in json.loads(self.world.files.objects[key]):
                svc.write_instructions(item["key"])
        elif step == "prepare":
            svc.prepare(MONTH)
        elif step == "funds":
            svc.request_funds(MONTH)
        elif step == "approve":
            svc.auto_approve(MONTH)
        elif step == "files":
            svc.write_files(MONTH)
        elif step == "send":
            svc.send_files(MONTH)

    @precondition(lambda self: self.done < len(STEPS))
    @rule()
    def next_step(self) -> None:
        self._run(STEPS[self.done])
        self.done += 1

    @precondition(lambda self: self.done < len(STEPS))
    @rule(after=st.integers(min_value=1, max_value=40))
    def crash_in_next_step_then_rerun(self, after: int) -> None:
        self.world.faults.after = self.world.faults.count + after
        with contextlib.suppress(Crash):
            self._run(STEPS[self.done])
        self.world.faults.after = None
        self._run(STEPS[self.done])  # the retry (Step Functions Retry, or an operator's re-run)
        self.done += 1

    @precondition(lambda self: self.done > 0)
    @rule(data=st.data())
    def rerun_a_finished_step(self, data: st.DataObject) -> None:
        self._run(STEPS[data.draw(st.integers(0, self.done - 1))])

    @precondition(lambda self: self.done > 1)
    @rule(batch=st.integers(min_value=0, max_value=3))
    def map_child_runs_twice(self, batch: int) -> None:
        keys = json.loads(self.world.files.objects[self.svc.manifest(MONTH)["batches_key"]])
        self.svc.write_instructions(keys[batch % len(keys)]["key"])

    # ---------------------------------------------------------------- the bank

    @precondition(lambda self: self.done == len(STEPS))
    @rule(per_message=st.integers(min_value=1, max_value=10))
    def bank_notifies(self, per_message: int) -> None:
        for xml in self.world.bank.notifications(per_message=per_message):
            self.messages.append(xml)
            headers, body = self.world.bank.signed_callback("camt.054", xml)
            self.signed.append((headers, body, xml))

    @precondition(lambda self: bool(self.messages))
    @rule(data=st.data())
    def deliver_a_message_any_time(self, data: st.DataObject) -> None:
        """Duplicates, late and reordered: any message produced so far, any number of times."""
        xml = data.draw(st.sampled_from(self.messages))
        self.svc.apply_notification("XALQ", xml)
        self.applied.add(xml)

    @precondition(lambda self: bool(self.messages))
    @rule(data=st.data(), after=st.integers(min_value=1, max_value=6))
    def crash_while_applying_then_redeliver(self, data: st.DataObject, after: int) -> None:
        xml = data.draw(st.sampled_from(self.messages))
        self.world.faults.after = self.world.faults.count + after
        with contextlib.suppress(Crash):
            self.svc.apply_notification("XALQ", xml)
        self.world.faults.after = None
        self.svc.apply_notification("XALQ", xml)  # the bank retries an unanswered callback
        self.applied.add(xml)

    @precondition(lambda self: bool(self.signed))
    @rule(data=st.data())
    def signed_callback_and_its_replay(self, data: st.DataObject) -> None:
        headers, body, xml = data.draw(st.sampled_from(self.signed))

        def receive() -> dict:
            return self.svc.receive_callback(
                bank_id=headers["X-Bank-Id"], timestamp=headers["X-Signature-Timestamp"],
                signature=headers["X-Signature"], body=body, message_type="camt.054", document=xml.decode())

        try:
            receive()
            self.applied.add(xml)
        except Conflict:
            pass  # this very request was received before
        with pytest.raises(Conflict):
            receive()

    @precondition(lambda self: bool(self.closed))
    @rule(data=st.data())
    def bank_sends_a_credit_conflicting_with_a_closed_payment(self, data: st.DataObject) -> None:
        """A late camt.054 booking a payment the bank had already rejected or returned."""
        iid = data.draw(st.sampled_from(sorted(self.closed)))
        ins = self.world.repo.items[iid]
        note = iso20022.Notification(f"CONFLICT-{iid[-8:]}-{len(self.conflicting)}",
                                     (iso20022.Entry(iid, ins.line.amount, "paid"),))
        xml = iso20022.write_camt054(note, "2026-12-20T10:00:00", self.world.bank.account)
        self.svc.apply_notification("XALQ", xml)
        self.conflicting.add(xml)

    @precondition(lambda self: self.done == len(STEPS))
    @rule()
    def bank_sees_a_resubmitted_file(self) -> None:
        record = self.svc.file_manifest(MONTH)["files"][0]
        data = self.world.files.objects[record["key"]]
        report = self.world.bank.receive(data)  # the same MsgId: the same answer, nothing paid again
        self.svc.apply_status_report("XALQ", report)

    # ---------------------------------------------------------------- invariants

    def carried(self) -> Counter[str]:
        """How many distinct files the bank took carried each EndToEndId."""
        out: Counter[str] = Counter()
        for data in {iso20022.read_pain001(f)[0]: f for f in self.world.bank.received}.values():
            out.update(t.end_to_end_id for t in iso20022.read_pain001(data)[1])
        return out

    @invariant()
    def nobody_is_paid_twice(self) -> None:
        keys = Counter((i.line.beneficiary_person_id, i.line.programme, i.line.month)
                       for i in self.world.repo.items.values())
        assert not keys or max(keys.values()) == 1
        carried = self.carried()
        assert not carried or max(carried.values()) == 1

    @invariant()
    def nobody_is_lost(self) -> None:
        if self.done >= 2:
            manifest = self.svc.manifest(MONTH)
            assert len(self.world.repo.items) == manifest["lines"]
        if self.done >= len(STEPS):
            run = self.world.repo.get_run(MONTH)
            assert run is not None
            approved = {c for c, d in run.districts.items() if d.decision == "approved"}
            carried = self.carried()
            for ins in self.world.repo.items.values():
                if ins.line.district_code in approved:  # with the bank, not merely marked as sent
                    assert ins.status in SENT and carried[ins.instruction_id] == 1, ins.instruction_id

    @invariant()
    def a_closed_instruction_never_reopens(self) -> None:
        for iid, status in self.closed.items():
            assert self.world.repo.items[iid].status == status, (iid, status, self.world.repo.items[iid].status)
        for iid, ins in self.world.repo.items.items():
            if ins.status in ("rejected", "returned"):
                self.closed.setdefault(iid, ins.status)

    @invariant()
    def a_family_gets_at_most_one_credit_sms_per_payment(self) -> None:
        credited = [params for _, _, template, params in self.world.sms.sent.values()
                    if template == "payment_credited"]
        # one SMS per paid instruction at most: never more credit texts than payments ever booked
        booked = {iid for iid, ins in self.world.repo.items.items() if ins.status in ("paid", "returned")}
        assert len(credited) <= len(booked)
        sent_for = Counter(k.split(":")[1] for k, v in self.world.sms.sent.items() if v[2] == "payment_credited")
        assert not sent_for or max(sent_for.values()) == 1

    @invariant()
    def every_answered_bank_message_is_applied(self) -> None:
        for xml in self.applied:
            for entry in iso20022.read_camt054(xml).entries:
                status = self.world.repo.items[entry.end_to_end_id].status
                assert status in (("paid", "returned") if entry.kind == "paid" else ("returned",)), status

    @invariant()
    def the_books_balance(self) -> None:
        if self.done < 3:
            return
        summary = self.svc.summary(AUDITOR, MONTH)
        t = summary["totals"]
        assert t["balanced"]
        assert t["sent_amount"] == t["paid_amount"] + t["rejected_amount"] + t["returned_amount"] + \
            t["pending_amount"]
        for district in summary["districts"].values():
            assert district["totals"]["balanced"]
        if self.done == len(STEPS):
            assert t["sent_count"] == len(self.world.repo.items)


PayrollMachine.TestCase.settings = settings(max_examples=30, stateful_step_count=25, deadline=None,
                                            suppress_health_check=[HealthCheck.too_slow])
TestPayrollUnderFaults = PayrollMachine.TestCase


@pytest.mark.slow
@pytest.mark.parametrize("defect", ["a_late_credit_reopens_a_returned_payment", "a_credit_sms_keyed_by_message",
                                    "an_instruction_written_over_an_answered_one"])
def test_the_fault_test_catches_planted_defects(defect: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Given one defect planted in the code, When the fault test runs, Then one of its invariants fails."""
    from hypothesis.stateful import run_state_machine_as_test

    from chalicelib.domain import payroll as domain
    from chalicelib.services.payroll import bank_messages
    from tests import payroll_fakes

    if defect == "a_late_credit_reopens_a_returned_payment":
        monkeypatch.setitem(domain._TRANSITIONS, "pay", {"sent": "paid", "accepted": "paid", "returned": "paid"})
    elif defect == "a_credit_sms_keyed_by_message":
        original = bank_messages.BankMessages._notify_credited
        calls = Counter[str]()

        def keyed_by_delivery(self: bank_messages.BankMessages, iid: str) -> None:
            calls[iid] += 1
            sms = self.ctx.sms
            send = sms.send
            sms.send = lambda key, *a, **k: send(f"{key}:{calls[iid]}", *a, **k)  # type: ignore[method-assign]
            try:
                original(self, iid)
            finally:
                sms.send = send  # type: ignore[method-assign]

        monkeypatch.setattr(bank_messages.BankMessages, "_notify_credited", keyed_by_delivery)
    else:
        def add_unconditionally(self: payroll_fakes.FakePayrollRepo, instructions: list) -> int:
            for ins in instructions:
                self.items[ins.instruction_id] = ins
            return len(instructions)

        monkeypatch.setattr(payroll_fakes.FakePayrollRepo, "add_instructions", add_unconditionally)
    with pytest.raises(AssertionError):
        run_state_machine_as_test(PayrollMachine, settings=settings(  # found, not shrunk: the defect is known
            max_examples=200, stateful_step_count=30, deadline=None, database=None, phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow]))
