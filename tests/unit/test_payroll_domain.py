"""Payroll domain: instruction ids, the one-way life of an instruction, and the books."""

from __future__ import annotations

from chalicelib.domain.payroll import (
    FINAL,
    STATUSES,
    Instruction,
    PaymentLine,
    Totals,
    advance,
    instruction_id,
    reconcile,
)


def line(person: str = "per-1", programme: str = "child_allowance", amount: int = 250_000,
         district: str = "1726262") -> PaymentLine:
    return PaymentLine(instruction_id=instruction_id(person, programme, "2026-12"), month="2026-12",
                       assignment_id=f"app-1:{programme}", household_id="hh-1", beneficiary_person_id=person,
                       programme=programme, amount=amount, lump_sum=0, region_code="1726", district_code=district,
                       mahalla_code="1726262010", bank_code="XALQ", account_kind="card",
                       account_number="8600123456789012", payee_name="Karimova Dilnoza")


def test_an_instruction_id_is_the_key_beneficiary_programme_month_and_fits_an_end_to_end_id() -> None:
    # Given the same key twice and keys differing in one part each
    same = instruction_id("per-1", "child_allowance", "2026-12")
    others = {instruction_id("per-2", "child_allowance", "2026-12"),
              instruction_id("per-1", "material_assistance", "2026-12"),
              instruction_id("per-1", "child_allowance", "2027-01")}
    # Then the id is stable, distinct per key, and at most 35 characters (ISO 20022 Max35Text)
    assert same == instruction_id("per-1", "child_allowance", "2026-12")
    assert same not in others and len(others) == 3
    assert len(same) <= 35 and same.startswith("PI202612")


def test_an_instruction_only_moves_forward_so_duplicates_and_stale_messages_change_nothing() -> None:
    # Given every status and every event
    for status in STATUSES:
        for event in ("hold", "send", "accept", "reject", "pay", "return"):
            new = advance(status, event)
            # Then a final status never moves except a paid one coming back as returned
            if status in FINAL and new is not None:
                assert (status, new) == ("paid", "returned")
            # and applying the same event again to the result changes nothing
            if new is not None:
                assert advance(new, event) is None
    # A late "accepted" after the credit, or a credit after a return, is ignored
    assert advance("paid", "accept") is None
    assert advance("returned", "pay") is None
    # A credit may come before the status report (messages reordered)
    assert advance("sent", "pay") == "paid"


def test_a_rejected_instruction_is_flagged_for_the_next_cycle() -> None:
    ins = Instruction(line=line(), status="sent")
    rejected = ins.moved("reject", reason="AC04")
    assert rejected is not None and rejected.status == "rejected" and rejected.reason == "AC04"
    assert rejected.retry_pending


def test_the_books_balance_only_when_every_sent_payment_has_an_outcome_or_is_pending() -> None:
    # Given four instructions in two districts, sent as the file manifests say
    a, b, c = line("p1"), line("p2", amount=380_000), line("p3", district="1703202", amount=500_000)
    d = line("p4", district="1703202", amount=1_500_000)
    instructions = [Instruction(a, "paid"), Instruction(b, "rejected", reason="AC01"),
                    Instruction(c, "returned"), Instruction(d, "accepted")]
    sent = {("1726262", "child_allowance"): (2, 630_000), ("1703202", "child_allowance"): (2, 2_000_000)}
    # When the books are made
    books = reconcile(instructions, sent)
    # Then overall and per district: sent = paid + rejected + returned + pending, in whole som
    total = books[("*", "*")]
    assert (total.sent_amount, total.paid_amount, total.rejected_amount, total.returned_amount,
            total.pending_amount) == (2_630_000, 250_000, 380_000, 500_000, 1_500_000)
    assert total.balanced() and not total.settled()
    assert books[("1703202", "*")].returned_amount == 500_000 and books[("1703202", "*")].balanced()
    # And a payment the files carried but no instruction accounts for unbalances them
    short = reconcile(instructions[:3], sent)
    assert not short[("*", "*")].balanced() and not short[("1703202", "*")].balanced()
    assert short[("1726262", "*")].balanced()


def test_totals_are_integers() -> None:
    t = Totals()
    t.add_status("paid", 325_000)
    t.add_sent(325_000)
    assert all(isinstance(v, int) for v in t.as_dict().values())
    assert t.settled()


def test_a_run_moves_forward_by_its_transition_table_and_never_back() -> None:
    from chalicelib.domain.payroll import RUN_TRANSITIONS, PayrollRun

    # Given a run in each step, When every event is applied in order
    run = PayrollRun(month="2026-12", execution_name="payroll-2026-12")
    path = [run.status]
    for event in ("freeze", "prepare", "request_funds", "approve", "write_files", "mark_sent", "settle"):
        assert run.advance(event)
        path.append(run.status)
    # Then it passes every status once, in order
    assert path == ["started", "frozen", "instructed", "awaiting_approval", "approved", "files_written", "sent",
                    "reconciled"]
    # and an earlier step run again (a retry, an operator's re-run) changes nothing
    for event in ("freeze", "prepare", "request_funds", "approve", "write_files", "mark_sent", "fail"):
        assert not run.advance(event) and run.status == "reconciled"
    # and a run fails from any status but the final ones
    assert set(RUN_TRANSITIONS["fail"]) == {"started", "frozen", "instructed", "awaiting_approval", "approved",
                                            "files_written", "sent"}
