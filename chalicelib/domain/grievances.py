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

An escalated grievance keeps its deadline (a breach stays a breach: it is overdue until answered) and the
region gets its own answer period, counted from the day of the escalation (``region_due``: the higher
body answers within the law's term from its own receipt).

Who handles a grievance (``may_handle``): at the district, the role its category is routed to
(``ROUTING``) or the district administration; at the region, the region administration.

A grievance of the category ``decision_appeal`` is an appeal against a decision (``Appeal``): it names
the application, the attempt whose decision it contests and its grounds (``GROUNDS``); it is closed
by the re-assessment (upheld: resolved with ``upheld``; denied: rejected with ``appeal_denied``), not by
a plain resolve.

Counters (``counter_deltas``) keep the ministry's statistics without reading grievances: by category and
status, closed within the deadline, days to resolution, appeals by ground and outcome.

This module is pure: no I/O, no clock; times come in as arguments.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, replace
from datetime import date

from chalicelib.domain import working_days
from chalicelib.domain.errors import Conflict, ValidationFailed

ROLES_FILING = ("citizen", "mahalla_worker", "pension_fund_officer", "district_admin", "hotline_operator")
CATEGORIES = ("decision_appeal", "payment_not_received", "wrong_data", "staff_conduct", "service_request", "other")
CHANNELS = ("web", "mobile", "sms", "hotline", "mahalla_office", "pension_fund_office")
# The channels each filer can have received a grievance through (a family files online or by SMS; staff
# record the office or line that took it).
CHANNELS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "citizen": ("web", "mobile", "sms"),
    "hotline_operator": ("hotline",),
    "mahalla_worker": ("mahalla_office",),
    "pension_fund_officer": ("pension_fund_office",),
    "district_admin": ("mahalla_office", "pension_fund_office", "hotline"),
}
STATUSES = ("received", "in_review", "resolved", "rejected", "escalated")
OPEN_STATUSES = ("received", "in_review", "escalated")
CLOSED_STATUSES = ("resolved", "rejected")
# What a resolution or rejection says (the SMS tells the family in its language; a free-text answer
# stays in the record).
RESOLUTIONS = ("corrected", "explained", "paid", "referred", "upheld")
REJECTIONS = ("unfounded", "duplicate", "not_competent", "withdrawn", "appeal_denied")
# An appeal's grounds: what the family says the decision got wrong.
GROUNDS = ("income_wrong", "member_missing", "exemption_not_seen", "asset_not_ours", "other")

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
class Attachment:
    """A file attached to a grievance through a presigned upload (the key is under the grievance's prefix)."""

    document_id: str
    content_type: str
    size_bytes: int
    s3_key: str
    requested_at: str


@dataclass(frozen=True)
class Appeal:
    """What a decision appeal contests: the application, the attempt whose decision it is, the grounds;
    and, once re-assessed, the attempt whose decision answers it."""

    application_id: str
    attempt: int
    decision_month: str  # YYYY-MM: the month of the contested decision (an upheld appeal pays from the next)
    grounds: tuple[str, ...]
    answered_by_attempt: int | None = None


@dataclass(frozen=True)
class Grievance:
    grievance_id: str
    household_id: str
    category: str
    channel: str
    filed_by: str
    filed_role: str
    received_at: str  # ISO 8601 UTC
    received_on: str  # ISO date in the registry's time zone: the law counts from this day
    due: str  # ISO date: the deadline's last day
    region_code: str
    district_code: str
    mahalla_code: str
    description: str = ""  # personal data: stored and shown in scope, never logged
    status: str = "received"
    level: str = "district"  # district, then region after an escalation
    extra_checks: bool = False
    application_id: str | None = None
    payment_ref: str | None = None
    appeal: Appeal | None = None
    assignee: str | None = None
    outcome_code: str | None = None  # a RESOLUTIONS or REJECTIONS code once closed
    answer: str | None = None  # the answer to the family (free text: stored, never logged)
    closed_on: str | None = None
    escalated_on: str | None = None
    region_due: str | None = None  # the region's own last day, from the escalation
    rating: int | None = None
    attachments: tuple[Attachment, ...] = ()
    history: tuple[GrievanceEvent, ...] = ()
    version: int = 1

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reference(self) -> str:
        """The short reference told to the family by SMS and quoted on the hotline."""
        return "G" + self.grievance_id.split("-")[-1][:9].upper()

    @property
    def handler_role(self) -> str:
        """The role whose queue the grievance is in: the category's at the district, the region's after."""
        return "region_admin" if self.level == "region" else ROUTING[self.category]

    def closed_in_time(self) -> bool | None:
        if self.closed_on is None:
            return None
        return self.closed_on <= self.due


def new_grievance(*, grievance_id: str, household_id: str, category: str, channel: str, filed_by: str,
                  filed_role: str, received_at: str, received_on: date, region_code: str, district_code: str,
                  mahalla_code: str, description: str = "", application_id: str | None = None,
                  payment_ref: str | None = None, appeal: Appeal | None = None) -> Grievance:
    if category not in CATEGORIES:
        raise ValidationFailed(f"category must be one of {', '.join(CATEGORIES)}", field="category",
                               code="invalid_choice")
    if channel not in CHANNELS:
        raise ValidationFailed(f"channel must be one of {', '.join(CHANNELS)}", field="channel", code="invalid_choice")
    allowed = CHANNELS_BY_ROLE.get(filed_role, CHANNELS)
    if channel not in allowed:
        raise ValidationFailed(f"a {filed_role} records a grievance received through {', '.join(allowed)}",
                               field="channel", code="channel_not_for_role")
    if (category == "decision_appeal") != (appeal is not None):
        raise ValidationFailed("a decision appeal is filed against an application's decision "
                               "(POST /applications/{id}/appeals)", field="category", code="appeal_route")
    if appeal is not None:
        unknown = [x for x in appeal.grounds if x not in GROUNDS]
        if not appeal.grounds or unknown:
            raise ValidationFailed(f"grounds are one or more of {', '.join(GROUNDS)}", field="grounds",
                                   code="invalid_choice")
    return Grievance(
        grievance_id=grievance_id, household_id=household_id, category=category, channel=channel, filed_by=filed_by,
        filed_role=filed_role, received_at=received_at, received_on=received_on.isoformat(),
        due=due_date(received_on).isoformat(), region_code=region_code, district_code=district_code,
        mahalla_code=mahalla_code, description=description, application_id=application_id,
        payment_ref=payment_ref, appeal=appeal,
        history=(GrievanceEvent("received", received_at, filed_by, filed_role),))


def appeal_grievance_id(application_id: str) -> str:
    """The id of the one grievance that may appeal an application's decision: the same on every retry
    of the filing, so the conditional write files it once."""
    return "gr-" + hashlib.sha256(f"appeal|{application_id}".encode()).hexdigest()[:26]


def may_handle(g: Grievance, role: str) -> bool:
    """At the district: the role the category is routed to, or the district administration; at the
    region: the region administration."""
    if g.level == "region":
        return role == "region_admin"
    return role in (ROUTING[g.category], "district_admin")


def move(g: Grievance, status: str, *, at: str, actor_id: str, actor_role: str, today: date,
         note_code: str | None = None) -> Grievance:
    """The grievance moved to ``status`` on ``today`` (the registry's local date), with the step appended
    to its history; an escalation moves it to the region with a new answer period from ``today``."""
    if status not in TRANSITIONS.get(g.status, ()):
        raise Conflict(f"grievance {g.grievance_id} cannot go from {g.status} to {status}", field="status",
                       code="invalid_transition")
    changes: dict[str, object] = {}
    if status == "escalated":
        changes = {"level": "region", "escalated_on": today.isoformat(), "assignee": None,
                   "region_due": due_date(today, g.extra_checks).isoformat()}
    if status in CLOSED_STATUSES:
        allowed = RESOLUTIONS if status == "resolved" else REJECTIONS
        if note_code not in allowed:
            raise ValidationFailed(f"a grievance {status} names one of {', '.join(allowed)}",
                                   field="outcome", code="invalid_choice")
        changes = {"outcome_code": note_code, "closed_on": today.isoformat()}
    return replace(g, status=status, version=g.version + 1, **changes,  # type: ignore[arg-type]
                   history=(*g.history, GrievanceEvent(status, at, actor_id, actor_role, note_code)))


def needs_extra_checks(g: Grievance) -> Grievance:
    """The reviewer finds the grievance needs extra study or checks: the one-month period applies (from
    the receipt, and at the region from the escalation)."""
    if not g.open:
        raise Conflict(f"grievance {g.grievance_id} is {g.status}", field="status", code="invalid_transition")
    if g.extra_checks:
        raise Conflict(f"grievance {g.grievance_id} has the longer period already", field="extra_checks",
                       code="already_extended")
    region_due = due_date(date.fromisoformat(g.escalated_on), True).isoformat() if g.escalated_on else None
    return replace(g, extra_checks=True, due=due_date(date.fromisoformat(g.received_on), True).isoformat(),
                   region_due=region_due, version=g.version + 1)


def breached(g: Grievance, today: date) -> bool:
    """Open past its last day at the district: to be escalated to the region (``today`` is after ``due``)."""
    return g.open and g.level == "district" and today > date.fromisoformat(g.due)


def overdue(g: Grievance, today: date) -> bool:
    """Open past its last day, at any level (the overdue list and metric): an escalation does not undo
    a breach."""
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


def counter_deltas(before: Grievance | None, after: Grievance) -> dict[str, int]:
    """What a write changes in the region's counters (``before`` is None for a new grievance): the
    ministry's statistics are these counters, never a read of the grievances."""
    deltas: dict[str, int] = {}

    def add(name: str, n: int) -> None:
        deltas[name] = deltas.get(name, 0) + n

    if before is None or before.status != after.status:
        if before is not None:
            add(f"status#{before.category}#{before.status}", -1)
        add(f"status#{after.category}#{after.status}", 1)
    if after.closed_on and (before is None or before.closed_on is None):
        days = date.fromisoformat(after.closed_on).toordinal() - date.fromisoformat(after.received_on).toordinal()
        add(f"days#{min(days, MAX_COUNTED_DAYS)}", 1)
        add("closed", 1)
        add("closed_in_time", 1 if after.closed_in_time() else 0)
        if after.appeal is not None:
            add(f"appeal#{'upheld' if after.status == 'resolved' else 'denied'}", 1)
            for ground in after.appeal.grounds:
                add(f"appeal#{ground}#{'upheld' if after.status == 'resolved' else 'denied'}", 1)
    if after.escalated_on and (before is None or before.escalated_on is None):
        add("escalated", 1)
    if after.rating is not None and (before is None or before.rating is None):
        add(f"rating#{after.rating}", 1)
    return {k: v for k, v in deltas.items() if v}


MAX_COUNTED_DAYS = 90  # days to resolution are counted one by one up to here, the rest in this bucket


def median_days(counters: dict[str, int]) -> float | None:
    """The median of the days to resolution from the ``days#<n>`` counters (None before any closure)."""
    histogram = sorted((int(k.split("#")[1]), n) for k, n in counters.items() if k.startswith("days#") and n > 0)
    total = sum(n for _, n in histogram)
    if total == 0:
        return None

    def nth(index: int) -> int:
        seen = 0
        for days, n in histogram:
            seen += n
            if index < seen:
                return days
        return histogram[-1][0]

    return (nth((total - 1) // 2) + nth(total // 2)) / 2
