"""Arrears: a payment the bank rejected is re-paid once, in a later run, after the bank details are corrected."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.households import BankAccount, Household
from chalicelib.domain.payroll import BackPay, arrears_id, instruction_id
from devstack import payroll_population as pop
from tests.fakes import sealed
from tests.payroll_fakes import FakeWorld, fake_world, run_until_sent

DECEMBER, JANUARY, FEBRUARY, MARCH = "2026-12", "2027-01", "2027-02", "2027-03"


def stored(world: FakeWorld, household: Household) -> Household:
    """The household as the repository stores it: a newly set number sealed (a fresh ciphertext)."""
    return sealed(household, world.service.ctx.cipher)


def arrears_lines(world, month: str) -> list:
    return [i for i in world.repo.items.values() if i.line.month == month and i.line.arrears_of]


def test_a_rejected_payment_is_paid_once_after_the_account_is_corrected() -> None:
    # Given beneficiary 5's account is one the bank refuses (AC01), and December is paid
    world = fake_world(n=20)
    household = world.households.items[pop.household_id(5)]
    bad = BankAccount(kind="card", number="8600123456780000", bank_code="XALQ")
    world.households.items[household.household_id] = stored(world, replace(household, bank_account=bad))
    run_until_sent(world, DECEMBER)
    (rejected,) = [i for i in world.repo.items.values() if i.status == "rejected"]
    assert rejected.line.beneficiary_person_id == pop.person_id(5) and rejected.reason == "AC01"
    # When January is frozen before anyone corrects the account
    world.service.freeze(JANUARY)
    # Then nothing is re-paid yet
    assert world.service.manifest(JANUARY)["arrears"] == 0
    # When the account is corrected and February is paid, its freeze and instructions run twice
    good = BankAccount(kind="card", number="8600123456781234", bank_code="XALQ")
    world.households.items[household.household_id] = stored(world, replace(household, bank_account=good))
    run_until_sent(world, FEBRUARY)
    world.service.freeze(FEBRUARY)
    # Then February carries one arrears instruction for December, to the corrected account, with its amount
    (arrears,) = arrears_lines(world, FEBRUARY)
    assert arrears.instruction_id == arrears_id(pop.person_id(5), rejected.line.programme, DECEMBER)
    assert (arrears.line.arrears_of, arrears.line.amount, arrears.line.lump_sum) == (
        DECEMBER, rejected.line.amount, rejected.line.lump_sum)
    # (the line carries the corrected account sealed; the pain.001 writer opens it)
    assert world.service.reveal_account(arrears.line) == good.number and arrears.status == "accepted"
    assert world.service.manifest(FEBRUARY)["arrears"] == 1
    # and it went to the bank in February's files; the books count it with February's payments
    files = world.service.file_manifest(FEBRUARY)["files"]
    assert sum(f["count"] for f in files) == len([i for i in world.repo.items.values() if i.line.month == FEBRUARY])
    # When March is paid too
    run_until_sent(world, MARCH)
    # Then December is not re-paid a second time, and December's own instruction stays rejected
    assert arrears_lines(world, MARCH) == []
    assert world.repo.items[rejected.instruction_id].status == "rejected"
    paid_for_december = [i for i in world.repo.items.values()
                         if i.line.beneficiary_person_id == pop.person_id(5) and i.line.programme ==
                         rejected.line.programme and DECEMBER in (i.line.month, i.line.arrears_of)]
    assert len(paid_for_december) == 2  # the rejected original and its one arrears


def test_a_rejected_arrears_payment_is_not_re_paid_again() -> None:
    # Given December rejected, the account then changed to another bad one, February's arrears rejected too
    world = fake_world(n=10)
    household = world.households.items[pop.household_id(3)]
    for month, number in ((DECEMBER, "8600123456780000"), (FEBRUARY, "8600999999990000")):
        account = BankAccount(kind="card", number=number, bank_code="XALQ")
        world.households.items[household.household_id] = stored(world, replace(household, bank_account=account))
        run_until_sent(world, month)
    (arrears,) = arrears_lines(world, FEBRUARY)
    assert arrears.status == "rejected"
    # When the account is corrected and March is paid
    good = BankAccount(kind="card", number="8600123456781234", bank_code="XALQ")
    world.households.items[household.household_id] = stored(world, replace(household, bank_account=good))
    run_until_sent(world, MARCH)
    # Then March re-pays February's own rejected payment, never December's a second time
    assert [i.line.arrears_of for i in arrears_lines(world, MARCH)] == [FEBRUARY]


def test_same_number_compares_sealed_numbers_without_opening_them() -> None:
    from chalicelib.domain.households import same_number
    from tests.fakes import fake_cipher

    cipher = fake_cipher()
    one = f"sealed:************0000:{cipher.seal('8600123456780000', 'hh-1/bank_account')}"
    again = f"sealed:************0000:{cipher.seal('8600123456780000', 'hh-1/bank_account')}"
    other = f"sealed:************1234:{cipher.seal('8600123456781234', 'hh-1/bank_account')}"
    # Given the same sealed string, Then it is the same number
    assert same_number(one, one)
    # Given a number set again (fresh ciphertext) or another mask, Then it counts as changed
    assert not same_number(again, one) and not same_number(other, one)
    # Given plain numbers (older lines), Then compared as digits; plain against sealed by mask
    assert same_number("8600123456780000", "8600123456780000")
    assert not same_number("8600123456789999", "8600123456780000")
    assert same_number(one, "8600123456780000") and not same_number(other, "8600123456780000")


def test_an_assignment_granted_on_appeal_is_paid_the_months_it_missed_once() -> None:
    # Given beneficiary 7's assignment was granted on appeal in November from October (the month the
    # contested decision would have paid first), with a lump sum in its first month
    world = fake_world(n=12)
    (original,) = world.assignments.for_household(pop.household_id(7))
    appealed = replace(original, first_month="2026-10", last_month="2027-09", lump_sum=500_000)
    world.assignments.items[original.assignment_id] = appealed
    world.repo.mark_back_pay(BackPay(appealed.assignment_id, "gr-appeal", "2026-11-20T10:00:00+05:00"))
    # When December is paid
    run_until_sent(world, DECEMBER)
    # Then December carries October and November as arrears, October with the lump sum, beside December's own
    lines = sorted(arrears_lines(world, DECEMBER), key=lambda i: i.line.arrears_of)
    assert [(i.line.arrears_of, i.line.amount, i.line.lump_sum) for i in lines] == [
        ("2026-10", appealed.monthly_amount + 500_000, 500_000), ("2026-11", appealed.monthly_amount, 0)]
    assert all(i.instruction_id == arrears_id(appealed.beneficiary_person_id, appealed.programme, i.line.arrears_of)
               for i in lines)
    own = world.repo.items[instruction_id(appealed.beneficiary_person_id, appealed.programme, DECEMBER)]
    assert own.line.amount == appealed.monthly_amount and not own.line.arrears_of
    assert world.service.manifest(DECEMBER)["arrears"] == 2
    # When January is paid (the mark stays)
    run_until_sent(world, JANUARY)
    # Then nothing is paid twice: October and November have their arrears, December its own payment
    assert arrears_lines(world, JANUARY) == []
    paid = [i for i in world.repo.items.values() if i.line.assignment_id == appealed.assignment_id]
    assert sorted(i.line.arrears_of or i.line.month for i in paid) == ["2026-10", "2026-11", DECEMBER, JANUARY]


def test_back_pay_waits_for_an_account_and_skips_the_dead() -> None:
    world = fake_world(n=12)
    marked = []
    for k in (2, 4):
        (a,) = world.assignments.for_household(pop.household_id(k))
        world.assignments.items[a.assignment_id] = replace(a, first_month="2026-11", last_month="2027-10")
        world.repo.mark_back_pay(BackPay(a.assignment_id, f"gr-{k}", "2026-11-20T10:00:00+05:00"))
        marked.append(a)
    # Given household 2 has no account on record and beneficiary 4 is reported dead
    h2 = world.households.items[pop.household_id(2)]
    world.households.items[h2.household_id] = replace(h2, bank_account=None)
    dead = next(m for m in world.households.items[pop.household_id(4)].members
                if m.person_id == marked[1].beneficiary_person_id)
    world.deaths.pinfls.add(dead.pinfl)
    # When December is frozen
    world.service.freeze(DECEMBER)
    # Then neither is paid November
    assert world.service.manifest(DECEMBER)["arrears"] == 0
