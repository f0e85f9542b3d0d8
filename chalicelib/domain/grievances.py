"""Grievances: what a family or staff file about the registry, their states and their legal deadlines.

A grievance is an appeal in the sense of the Law of the Republic of Uzbekistan "On appeals of
individuals and legal entities" (ZRU-445 of 11 September 2017): it is answered within 15 days of its
receipt, or within one month when it needs extra study or checks (Article 23 of that law). The
deadline is a dated parameter (``DEADLINE_RULES``): a rule takes effect on a date and names its source;
what the law's text available to the project does not state plainly is marked ``assumed``.

How the days are counted (``due_date``): a term in days runs from the day after receipt and a term in
months ends on the same date of the next month, as the Civil Code counts terms (Articles 12-14), and a
term that ends on a day off moves to the next working day (the same Uzbek calendar as the 3-working-day
decision target, ``working_days``).

The state machine (``TRANSITIONS``): received -> in_review -> resolved | rejected | escalated; an
escalated grievance is reviewed again at the region (escalated -> in_review) and ends resolved or
rejected there. A breach of the deadline escalates it (``breached``).

This module is pure: no I/O, no clock; times come in as arguments.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date

from chalicelib.domain import working_days
from chalicelib.domain.errors import Conflict, ValidationFailed

CATEGORIES = ("decision_appeal", "payment_not_received", "wrong_data", "staff_conduct", "service_request", "other")
CHANNELS = ("web", "mobile", "sms", "hotline", "mahalla_office", "pension_fund_office")
STATUSES = ("received", "in_review", "resolved", "rejected", "escalated")
OPEN_STATUSES = ("received", "in_review", "escalated")

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_review", "rejected", "escalated"),
    "in_review": ("resolved", "rejected", "escalated"),
    "escalated": ("in_review",),
    "resolved": (),
    "rejected": (),
}

# Who reviews a grievance of each category first: the district's officers; a complaint about staff
# goes to the district administration, not to the officers it may be about.
ROUTING: dict[str, str] = {
    "decision_appeal": "pension_fund_officer",
    "payment_not_received": "pension_fund_officer",
    "wrong_data": "pension_fund_officer",
    "staff_conduct": "district_admin",
    "service_request": "pension_fund_officer",
    "other": "district_admin",
}


@dataclass(frozen=True)
class DeadlineRule:
    """The answer periods from ``effective`` on: ``days`` for a plain grievance, ``months`` when it
    needs extra study or checks."""

    effective: date
    days: int
    months: int
    reference: str
    assumed: bool = False  # the period or its counting is this project's reading, not confirmed in the text


DEADLINE_RULES: tuple[DeadlineRule, ...] = (
    # Assumed: the article number, the date it took effect (three months after its publication on
    # 12.09.2017) and the counting are this project's reading; the 15 days and one month are the law's.
    DeadlineRule(effective=date(2017, 12, 12), days=15, months=1,
                 reference="ZRU-445 of 11.09.2017 'On appeals of individuals and legal entities', art. 23; "
                           "terms counted as Civil Code arts. 12-14",
                 assumed=True),
)


def rule_on(day: date) -> DeadlineRule:
    """The deadline rule in force on ``day`` (the latest that took effect by then)."""
    in_force = [r for r in DEADLINE_RULES if r.effective <= day]
    if not in_force:
        raise ValidationFailed(f"no deadline rule is in force on {day.isoformat()}", field="received_at",
                               code="invalid_date")
    return max(in_force, key=lambda r: r.effective)


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _next_working_day(day: date) -> date:
    while not working_days.is_working_day(day):
        day = date.fromordinal(day.toordinal() + 1)
    return day


def due_date(received: date, extra_checks: bool = False) -> date:
    """The last day of the answer period for a grievance received on ``received``."""
    rule = rule_on(received)
    end = _add_months(received, rule.months) if extra_checks else date.fromordinal(received.toordinal() + rule.days)
    return _next_working_day(end)


@dataclass(frozen=True)
class GrievanceEvent:
    """One step of a grievance's history: the status it moved to, who moved it, why (ids and codes)."""

    status: str
    at: str
    actor_id: str
    actor_role: str
    note_code: str | None = None  # e.g. resolution code; the free text stays in the record, never here


@dataclass(frozen=True)
class Grievance:
    grievance_id: str
    reference: str  # what the family is told by SMS and quotes on the hotline
    household_id: str | None
    category: str
    channel: str
    filed_by: str
    filed_role: str
    received_at: str  # ISO 8601 UTC
    due: str  # ISO date: the deadline's last day
    region_code: str
    district_code: str
    mahalla_code: str
    status: str = "received"
    level: str = "district"  # district, then region after an escalation
    extra_checks: bool = False
    application_id: str | None = None
    payment_ref: str | None = None
    assignee: str | None = None
    rating: int | None = None
    history: tuple[GrievanceEvent, ...] = ()
    version: int = 1

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


def new_grievance(*, grievance_id: str, reference: str, household_id: str | None, category: str, channel: str,
                  filed_by: str, filed_role: str, received_at: str, region_code: str, district_code: str,
                  mahalla_code: str, application_id: str | None = None, payment_ref: str | None = None
                  ) -> Grievance:
    if category not in CATEGORIES:
        raise ValidationFailed(f"category must be one of {', '.join(CATEGORIES)}", field="category",
                               code="invalid_choice")
    if channel not in CHANNELS:
        raise ValidationFailed(f"channel must be one of {', '.join(CHANNELS)}", field="channel", code="invalid_choice")
    received = date.fromisoformat(received_at[:10])
    return Grievance(
        grievance_id=grievance_id, reference=reference, household_id=household_id, category=category,
        channel=channel, filed_by=filed_by, filed_role=filed_role, received_at=received_at,
        due=due_date(received).isoformat(), region_code=region_code, district_code=district_code,
        mahalla_code=mahalla_code, application_id=application_id, payment_ref=payment_ref,
        history=(GrievanceEvent("received", received_at, filed_by, filed_role),))


def move(g: Grievance, status: str, *, at: str, actor_id: str, actor_role: str,
         note_code: str | None = None) -> Grievance:
    """The grievance moved to ``status``, with the step appended to its history; an escalation moves it
    to the region."""
    if status not in TRANSITIONS.get(g.status, ()):
        raise Conflict(f"grievance {g.grievance_id} cannot go from {g.status} to {status}", field="status",
                       code="invalid_transition")
    level = "region" if status == "escalated" else g.level
    return replace(g, status=status, level=level, version=g.version + 1,
                   history=(*g.history, GrievanceEvent(status, at, actor_id, actor_role, note_code)))


def needs_extra_checks(g: Grievance) -> Grievance:
    """The reviewer finds the grievance needs extra study or checks: the one-month period applies."""
    if not g.open:
        raise Conflict(f"grievance {g.grievance_id} is {g.status}", field="status", code="invalid_transition")
    received = date.fromisoformat(g.received_at[:10])
    return replace(g, extra_checks=True, due=due_date(received, extra_checks=True).isoformat(), version=g.version + 1)


def breached(g: Grievance, today: date) -> bool:
    """Open past its last day at the district: escalated to the region (``today`` is after ``due``)."""
    return g.open and g.level == "district" and today > date.fromisoformat(g.due)


def overdue(g: Grievance, today: date) -> bool:
    """Open past its last day, at any level (the overdue list and metric)."""
    return g.open and today > date.fromisoformat(g.due)


def rate(g: Grievance, rating: int) -> Grievance:
    """The family's rating of how its grievance was handled, 1 to 5, once, after it closed."""
    if g.open:
        raise Conflict(f"grievance {g.grievance_id} is still {g.status}", field="status", code="not_closed")
    if g.rating is not None:
        raise Conflict(f"grievance {g.grievance_id} is rated already", field="rating", code="already_rated")
    if not 1 <= rating <= 5:
        raise ValidationFailed("rating must be a whole number from 1 to 5", field="rating", code="out_of_range")
    return replace(g, rating=rating, version=g.version + 1)
