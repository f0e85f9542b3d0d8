"""Grievances in the domain: deadlines as the law counts them, the transition table, breach and rating."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import grievances as g
from chalicelib.domain.errors import Conflict, ValidationFailed


def _filed(received_at: str = "2026-12-01T09:00:00+00:00", category: str = "decision_appeal") -> g.Grievance:
    return g.new_grievance(grievance_id="gr-1", reference="G-2026-000001", household_id="hh-1", category=category,
                           channel="hotline", filed_by="op-1", filed_role="hotline_operator",
                           received_at=received_at, region_code="1726", district_code="1726262",
                           mahalla_code="1726262010")


def test_fifteen_days_run_from_the_day_after_receipt() -> None:
    # Given a grievance received on Tuesday 1 December 2026, When its deadline is set,
    # Then it is 16 December (a Wednesday, a working day)
    assert g.due_date(date(2026, 12, 1)) == date(2026, 12, 16)
    assert _filed().due == "2026-12-16"


def test_a_deadline_on_a_day_off_moves_to_the_next_working_day() -> None:
    # Given receipt on 14 November 2026, fifteen days on is Sunday 29 November: Then Monday 30 November
    assert date(2026, 11, 29).weekday() == 6
    assert g.due_date(date(2026, 11, 14)) == date(2026, 11, 30)


def test_extra_checks_give_one_month_to_the_same_date_or_the_month_s_last_day() -> None:
    assert g.due_date(date(2026, 12, 1), extra_checks=True) == date(2027, 1, 4)  # 1 Jan is a holiday, 2-3 weekend
    assert g.due_date(date(2027, 1, 31), extra_checks=True) == date(2027, 3, 1)  # 28 Feb is a Sunday
    longer = g.needs_extra_checks(_filed())
    assert longer.extra_checks and longer.due == "2027-01-04" and longer.version == 2


def test_the_rule_names_its_source_and_says_it_is_assumed() -> None:
    rule = g.rule_on(date(2026, 12, 1))
    assert (rule.days, rule.months) == (15, 1) and "ZRU-445" in rule.reference and rule.assumed
    with pytest.raises(ValidationFailed) as err:
        g.rule_on(date(2010, 1, 1))
    assert err.value.code == "invalid_date"


@pytest.mark.parametrize("status,allowed", sorted(g.TRANSITIONS.items()))
def test_every_move_outside_the_table_is_refused(status: str, allowed: tuple[str, ...]) -> None:
    grievance = g.Grievance(**{**_filed().__dict__, "status": status})
    for target in g.STATUSES:
        if target in allowed:
            assert g.move(grievance, target, at="t", actor_id="o", actor_role="pension_fund_officer").status == target
        else:
            with pytest.raises(Conflict) as err:
                g.move(grievance, target, at="t", actor_id="o", actor_role="pension_fund_officer")
            assert err.value.code == "invalid_transition"


def test_a_breach_escalates_to_the_region_once_and_stays_overdue() -> None:
    filed = _filed()
    assert not g.breached(filed, date(2026, 12, 16)) and g.breached(filed, date(2026, 12, 17))
    escalated = g.move(filed, "escalated", at="2026-12-17T00:05:00+00:00", actor_id="system:grievances",
                       actor_role="system")
    assert escalated.level == "region" and [e.status for e in escalated.history] == ["received", "escalated"]
    assert not g.breached(escalated, date(2026, 12, 20)) and g.overdue(escalated, date(2026, 12, 20))
    closed = g.move(g.move(escalated, "in_review", at="t", actor_id="r", actor_role="region_admin"),
                    "resolved", at="t", actor_id="r", actor_role="region_admin", note_code="payment_reissued")
    assert not g.overdue(closed, date(2026, 12, 20)) and closed.history[-1].note_code == "payment_reissued"


def test_the_family_rates_once_after_closure() -> None:
    filed = _filed()
    with pytest.raises(Conflict) as err:
        g.rate(filed, 5)
    assert err.value.code == "not_closed"
    closed = g.move(filed, "rejected", at="t", actor_id="o", actor_role="pension_fund_officer")
    with pytest.raises(ValidationFailed):
        g.rate(closed, 6)
    rated = g.rate(closed, 4)
    assert rated.rating == 4
    with pytest.raises(Conflict) as err:
        g.rate(rated, 5)
    assert err.value.code == "already_rated"


def test_unknown_category_or_channel_is_a_clear_400() -> None:
    with pytest.raises(ValidationFailed) as err:
        _filed(category="bribe")
    assert (err.value.code, err.value.field) == ("invalid_choice", "category")


def test_staff_complaints_go_to_the_district_administration() -> None:
    assert g.ROUTING["staff_conduct"] == "district_admin" and set(g.ROUTING) == set(g.CATEGORIES)
