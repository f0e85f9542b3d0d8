"""The case domain: opening, the assessment that activates a case, referrals and their answers, closure,
who sees confidential notes, and how the counters move."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import cases as cs
from chalicelib.domain.errors import Conflict, ValidationFailed

TODAY = date(2026, 12, 3)
LEVELS = {area: 0 for area in cs.NEED_AREAS} | {"income": 3, "housing": 2}
STAMP = {"at": "2026-12-03T10:00:00+05:00", "actor_id": "sw-1", "actor_role": "social_worker"}


def _case(**kw) -> cs.Case:
    args = {"case_id": "case-1", "household_id": "hh-1", "region_code": "1726", "district_code": "1726262",
            "mahalla_code": "1726262010", "origin": "worker", "origin_ref": None, "worker_id": "sw-1",
            "opened_at": STAMP["at"], "opened_by": "sw-1", "opened_role": "social_worker", "today": TODAY} | kw
    return cs.new_case(**args)


def test_a_case_names_the_record_that_referred_it_and_reviews_within_six_months() -> None:
    assert _case().review_on == "2027-03-03"  # by default in 90 days
    with pytest.raises(ValidationFailed) as unnamed:
        _case(origin="grievance")
    with pytest.raises(ValidationFailed) as named:
        _case(origin="worker", origin_ref="gr-1")
    with pytest.raises(ValidationFailed) as late:
        _case(review_on=date(2027, 7, 1))
    assert (unnamed.value.code, named.value.code, late.value.code) == ("origin_ref", "origin_ref", "invalid_date")


def test_the_assessment_rates_every_area_and_activates_the_case() -> None:
    with pytest.raises(ValidationFailed) as partial:
        cs.assess(_case(), levels={"income": 3}, summary="s", plan=(), today=TODAY, review_on=None, **STAMP)
    assert partial.value.code == "needs_incomplete"
    with pytest.raises(ValidationFailed):
        cs.assess(_case(), levels=LEVELS | {"health": 4}, summary="s", plan=(), today=TODAY, review_on=None, **STAMP)
    active = cs.assess(_case(), levels=LEVELS, summary="s", plan=(cs.PlanAction("visit", "2026-12-10"),),
                       today=TODAY, review_on=None, **STAMP)
    assert active.status == "active" and active.assessment is not None
    assert active.assessment.priorities == ("income", "housing") and active.version == 2


def test_referrals_move_as_the_provider_answers_and_an_open_one_blocks_a_successful_closure() -> None:
    active = cs.assess(_case(), levels=LEVELS, summary="s", plan=(), today=TODAY, review_on=None, **STAMP)
    referred = cs.refer(active, referral_id="ref-1", service="housing_subsidy", today=TODAY, **STAMP)
    with pytest.raises(Conflict):
        cs.answer_referral(referred, "ref-1", status="completed", note=None, today=TODAY, **STAMP)
    with pytest.raises(Conflict) as blocked:
        cs.close(referred, outcome="needs_met", today=TODAY, **STAMP)
    assert blocked.value.code == "referral_open"
    declined = cs.close(referred, outcome="family_declined", today=TODAY, **STAMP)  # the family may decline
    assert declined.status == "closed" and not declined.open
    accepted = cs.answer_referral(referred, "ref-1", status="accepted", note="queue", today=TODAY, **STAMP)
    done = cs.answer_referral(accepted, "ref-1", status="completed", note=None, today=TODAY, **STAMP)
    closed = cs.close(done, outcome="needs_met", today=TODAY, **STAMP)
    with pytest.raises(Conflict) as after:
        cs.refer(closed, referral_id="ref-2", service="education", today=TODAY, **STAMP)
    assert after.value.code == "case_closed"
    assert cs.counter_deltas(done, closed) == {"status#active": -1, "status#closed": 1, "outcome#needs_met": 1}
    assert cs.counter_deltas(referred, accepted) == {"referral#housing_subsidy#sent": -1,
                                                     "referral#housing_subsidy#accepted": 1}


def test_confidential_notes_are_for_the_cases_worker_and_the_supervisors() -> None:
    c = cs.add_note(_case(), cs.CaseNote("n-1", "note", "2026-12-03", "sw-1", "private", True), at=STAMP["at"],
                    actor_role="social_worker")
    c = cs.add_note(c, cs.CaseNote("n-2", "visit", "2026-12-03", "sw-1", "visit", False), at=STAMP["at"],
                    actor_role="social_worker")
    assert [n.note_id for n in cs.visible_notes(c, "sw-1", "social_worker")] == ["n-1", "n-2"]
    assert [n.note_id for n in cs.visible_notes(c, "sup-1", "supervisor")] == ["n-1", "n-2"]
    assert [n.note_id for n in cs.visible_notes(c, "sw-2", "social_worker")] == ["n-2"]
    assert c.history[-2].code == "confidential"  # the history says a confidential note was added, not what
