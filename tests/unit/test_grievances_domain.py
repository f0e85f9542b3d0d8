"""Grievances in the domain: deadlines as the law counts them, the transition table, breach and rating."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import grievances as g
from chalicelib.domain.errors import Conflict, ValidationFailed

T = "2026-12-17T00:05:00+00:00"
TODAY = date(2026, 12, 17)


def _filed(received_at: str = "2026-12-01T09:00:00+00:00", category: str = "payment_not_received") -> g.Grievance:
    return g.new_grievance(grievance_id="gr-1", household_id="hh-1", category=category,
                           channel="hotline", filed_by="op-1", filed_role="hotline_operator",
                           received_at=received_at, received_on=date.fromisoformat(received_at[:10]),
                           region_code="1726", district_code="1726262", mahalla_code="1726262010")


def _move(grievance: g.Grievance, status: str, role: str = "pension_fund_officer",
          code: str | None = None) -> g.Grievance:
    if code is None and status in g.CLOSED_STATUSES:
        code = "paid" if status == "resolved" else "unfounded"
    return g.move(grievance, status, at=T, actor_id="o", actor_role=role, today=TODAY, note_code=code)


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
            assert _move(grievance, target).status == target
        else:
            with pytest.raises(Conflict) as err:
                _move(grievance, target)
            assert err.value.code == "invalid_transition"


def test_a_breach_escalates_to_the_region_once_and_stays_overdue() -> None:
    filed = _filed()
    assert not g.breached(filed, date(2026, 12, 16)) and g.breached(filed, date(2026, 12, 17))
    escalated = g.move(filed, "escalated", at=T, actor_id="system:grievances", actor_role="system", today=TODAY)
    # Then the region has its own 15 days from the escalation (17 Dec + 15 = 1 Jan, a holiday: 2 Jan is a
    # Saturday, so Monday 4 January 2027), and the grievance stays overdue against the law's deadline
    assert escalated.level == "region" and [e.status for e in escalated.history] == ["received", "escalated"]
    assert (escalated.escalated_on, escalated.region_due, escalated.due) == ("2026-12-17", "2027-01-04",
                                                                             "2026-12-16")
    assert not g.breached(escalated, date(2026, 12, 18)) and g.overdue(escalated, date(2026, 12, 18))
    assert g.may_handle(escalated, "region_admin") and not g.may_handle(escalated, "district_admin")
    closed = _move(_move(escalated, "in_review", "region_admin"), "resolved", "region_admin", "paid")
    assert not g.overdue(closed, date(2027, 1, 20)) and closed.history[-1].note_code == "paid"
    assert closed.closed_on == "2026-12-17" and not closed.closed_in_time()


def test_the_family_rates_once_after_closure() -> None:
    filed = _filed()
    with pytest.raises(Conflict) as err:
        g.rate(filed, 5)
    assert err.value.code == "not_closed"
    closed = _move(filed, "rejected")
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


def test_a_closure_names_its_outcome() -> None:
    # Given a grievance in review, When it is resolved without an outcome code, Then a 400 on outcome
    with pytest.raises(ValidationFailed) as err:
        g.move(_move(_filed(), "in_review"), "resolved", at=T, actor_id="o", actor_role="pension_fund_officer",
               today=TODAY)
    assert (err.value.field, err.value.code) == ("outcome", "invalid_choice")


def test_a_decision_appeal_is_only_filed_with_its_decision_and_grounds() -> None:
    with pytest.raises(ValidationFailed) as err:
        _filed(category="decision_appeal")
    assert err.value.code == "appeal_route"
    with pytest.raises(ValidationFailed) as err:
        g.new_grievance(grievance_id="gr-2", household_id="hh-1", category="decision_appeal", channel="web",
                        filed_by="c", filed_role="citizen", received_at=T, received_on=TODAY, region_code="1726",
                        district_code="1726262", mahalla_code="1726262010",
                        appeal=g.Appeal("app-1", 1, "2026-11", ("income_too_low",)))
    assert (err.value.field, err.value.code) == ("grounds", "invalid_choice")


def test_routing_decides_who_handles_at_the_district() -> None:
    conduct = _filed(category="staff_conduct")
    assert g.may_handle(conduct, "district_admin") and not g.may_handle(conduct, "pension_fund_officer")
    payment = _filed()
    assert g.may_handle(payment, "pension_fund_officer") and g.may_handle(payment, "district_admin")
    assert not g.may_handle(payment, "region_admin")


def test_counters_follow_each_write_once() -> None:
    # Given a grievance filed, reviewed, resolved on day 16 (after its deadline) and rated
    filed = _filed()
    reviewed = _move(filed, "in_review")
    resolved = _move(reviewed, "resolved")
    rated = g.rate(resolved, 5)
    total: dict[str, int] = {}
    for before, after in ((None, filed), (filed, reviewed), (reviewed, resolved), (resolved, rated)):
        for k, v in g.counter_deltas(before, after).items():
            total[k] = total.get(k, 0) + v
    # Then the counters hold one resolved grievance, 16 days, not in time, one rating of 5
    assert {k: v for k, v in total.items() if v} == {
        "status#payment_not_received#resolved": 1, "days#16": 1, "closed": 1, "rating#5": 1}
    assert g.median_days(total) == 16


def test_the_median_of_the_days_histogram() -> None:
    assert g.median_days({}) is None
    assert g.median_days({"days#2": 1, "days#10": 1}) == 6
    assert g.median_days({"days#2": 2, "days#10": 1, "closed": 3}) == 2


def test_the_channel_is_one_the_filer_can_have_received_it_through() -> None:
    # Given a citizen's own filing that claims to have come through the hotline, Then a 400 on channel
    with pytest.raises(ValidationFailed) as err:
        g.new_grievance(grievance_id="gr-3", household_id="hh-1", category="other", channel="hotline",
                        filed_by="c", filed_role="citizen", received_at=T, received_on=TODAY, region_code="1726",
                        district_code="1726262", mahalla_code="1726262010")
    assert (err.value.field, err.value.code) == ("channel", "channel_not_for_role")
    assert set(g.CHANNELS_BY_ROLE) == set(g.ROLES_FILING)
