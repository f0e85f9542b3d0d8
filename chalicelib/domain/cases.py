"""Case management for community social work: a case per family, its needs assessment, a plan of actions,
referrals to services with each provider's answer, visits and notes, review dates and closure.

The reform of 2023 brought "community-level social work based on case management": a social worker of the
mahalla (``social_worker``) works a family's case, the district's supervisor (``supervisor``) oversees
the mahalla's workers. A household has at most one open case. A case is opened by a worker, or by
referral from the registry's own work (``ORIGINS``): a rejected application with an idle working-age
member, a grievance, a disability allowance, a death in the family.

States (``TRANSITIONS``): ``open`` (opened, not yet assessed) -> ``active`` (needs assessed, a plan) ->
``closed`` with an outcome; an open case may also be closed without an assessment (the family declines).
Each referral moves ``sent -> accepted | declined``, ``accepted -> completed | declined``
(``REFERRAL_TRANSITIONS``), as the provider answers.

Notes are free text (personal data: never logged); a confidential note is shown only to the case's worker
and the supervisors. This module is pure: no I/O, no clock.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date

from chalicelib.domain.errors import Conflict, ValidationFailed

STATUSES = ("open", "active", "closed")
TRANSITIONS: dict[str, tuple[str, ...]] = {"open": ("active", "closed"), "active": ("closed",), "closed": ()}

# What opened the case, and the record it names (None: the worker's own finding).
ORIGINS: dict[str, str | None] = {
    "worker": None,
    "rejected_idle_member": "application",  # rejected with an idle working-age member (PKM-654's idle filter)
    "grievance": "grievance",
    "disability_allowance": "assignment",  # the disabled-child caregiver allowance
    "death_in_family": None,  # the civil registry's notice, recorded by the worker until life events land
}

# The structured needs assessment: each area rated 0 (no need) to 3 (urgent).
NEED_AREAS = ("income", "health", "housing", "education", "employment", "disability", "protection")
NEED_LEVELS = (0, 1, 2, 3)

# The services a worker refers a family to, and who provides each (the district's provider).
SERVICES: dict[str, str] = {
    "health_care": "district polyclinic",
    "housing_subsidy": "district administration (hokimiyat), housing department",
    "education": "district department of preschool and school education",
    "employment_services": "district employment promotion centre",
    "rehabilitation": "regional rehabilitation centre",
    "psychosocial_support": "district centre for social services (Inson)",
}
REFERRAL_STATUSES = ("sent", "accepted", "declined", "completed")
REFERRAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "sent": ("accepted", "declined"), "accepted": ("completed", "declined"), "declined": (), "completed": ()}

NOTE_KINDS = ("visit", "note")
OUTCOMES = ("needs_met", "improved", "referred_elsewhere", "family_declined", "family_moved", "no_contact")
REVIEW_MAX_DAYS = 180  # a review at least every six months (assumed: the practice of the case management pilot)


@dataclass(frozen=True)
class NeedsAssessment:
    levels: dict[str, int]  # area -> 0..3, every area rated
    summary: str  # free text
    assessed_on: str
    assessed_by: str

    @property
    def priorities(self) -> tuple[str, ...]:
        """The areas rated 2 or 3, most urgent first."""
        return tuple(sorted((a for a, n in self.levels.items() if n >= 2), key=lambda a: (-self.levels[a], a)))


@dataclass(frozen=True)
class PlanAction:
    action: str  # free text
    due_on: str
    done: bool = False


@dataclass(frozen=True)
class Referral:
    referral_id: str
    service: str
    provider: str
    status: str
    sent_on: str
    sent_by: str
    answered_on: str | None = None
    answer_note: str | None = None  # the provider's answer, as the worker records it (free text)


@dataclass(frozen=True)
class CaseNote:
    note_id: str
    kind: str  # visit | note
    on: str  # the visit's or note's date
    by: str
    text: str
    confidential: bool = False


@dataclass(frozen=True)
class CaseEvent:
    """One step of a case's history: what happened, who did it (ids and codes only)."""

    event: str
    at: str
    actor_id: str
    actor_role: str
    code: str | None = None


@dataclass(frozen=True)
class Case:
    case_id: str
    household_id: str
    region_code: str
    district_code: str
    mahalla_code: str
    origin: str
    origin_ref: str | None
    worker_id: str  # the social worker whose case it is
    status: str
    opened_at: str
    opened_by: str
    opened_role: str
    review_on: str  # the next review's date
    assessment: NeedsAssessment | None = None
    plan: tuple[PlanAction, ...] = ()
    referrals: tuple[Referral, ...] = ()
    notes: tuple[CaseNote, ...] = ()
    outcome: str | None = None
    closed_on: str | None = None
    history: tuple[CaseEvent, ...] = ()
    version: int = 1

    @property
    def open(self) -> bool:
        return self.status != "closed"

    def review_due(self, today: date) -> bool:
        return self.open and self.review_on <= today.isoformat()

    def referral(self, referral_id: str) -> Referral:
        found = next((r for r in self.referrals if r.referral_id == referral_id), None)
        if found is None:
            raise ValidationFailed("not a referral of this case", field="referral_id", code="unknown_referral")
        return found


def case_id_for(household_id: str, opened_at: str) -> str:
    return "case-" + hashlib.sha256(f"{household_id}|{opened_at}".encode()).hexdigest()[:24]


def _review_date(today: date, review_on: date | None) -> str:
    if review_on is None:
        return date.fromordinal(today.toordinal() + 90).isoformat()
    if review_on <= today or (review_on - today).days > REVIEW_MAX_DAYS:
        raise ValidationFailed(f"the review falls after today and within {REVIEW_MAX_DAYS} days", field="review_on",
                               code="invalid_date")
    return review_on.isoformat()


def new_case(*, case_id: str, household_id: str, region_code: str, district_code: str, mahalla_code: str,
             origin: str, origin_ref: str | None, worker_id: str, opened_at: str, opened_by: str, opened_role: str,
             today: date, review_on: date | None = None) -> Case:
    if origin not in ORIGINS:
        raise ValidationFailed(f"origin must be one of {', '.join(ORIGINS)}", field="origin.kind",
                               code="invalid_choice")
    if (ORIGINS[origin] is None) != (origin_ref is None):
        need = f"names the {ORIGINS[origin]}" if ORIGINS[origin] else "names no record"
        raise ValidationFailed(f"a case opened from {origin} {need}", field="origin.ref", code="origin_ref")
    return Case(case_id=case_id, household_id=household_id, region_code=region_code, district_code=district_code,
                mahalla_code=mahalla_code, origin=origin, origin_ref=origin_ref, worker_id=worker_id, status="open",
                opened_at=opened_at, opened_by=opened_by, opened_role=opened_role,
                review_on=_review_date(today, review_on),
                history=(CaseEvent("opened", opened_at, opened_by, opened_role, origin),))


def _step(c: Case, event: str, at: str, actor_id: str, actor_role: str, code: str | None = None,
          **changes: object) -> Case:
    if not c.open:
        raise Conflict(f"case {c.case_id} is closed", field="status", code="case_closed")
    return replace(c, version=c.version + 1, history=(*c.history, CaseEvent(event, at, actor_id, actor_role, code)),
                   **changes)  # type: ignore[arg-type]


def assess(c: Case, *, levels: dict[str, int], summary: str, plan: tuple[PlanAction, ...], today: date,
           review_on: date | None, at: str, actor_id: str, actor_role: str) -> Case:
    """The needs assessment (every area rated) with the plan of actions; a first one makes the case active."""
    missing = [a for a in NEED_AREAS if a not in levels]
    unknown = [a for a in levels if a not in NEED_AREAS]
    if missing or unknown:
        raise ValidationFailed(f"rate every area: {', '.join(NEED_AREAS)}", field="needs", code="needs_incomplete")
    for area, level in levels.items():
        if level not in NEED_LEVELS:
            raise ValidationFailed("a need is rated 0 to 3", field=f"needs.{area}", code="invalid_choice")
    for k, action in enumerate(plan):
        if action.due_on < today.isoformat():
            raise ValidationFailed("an action is due today or later", field=f"plan[{k}].due_on", code="invalid_date")
    assessment = NeedsAssessment(dict(levels), summary, today.isoformat(), actor_id)
    return _step(c, "assessed", at, actor_id, actor_role, None, assessment=assessment, plan=plan, status="active",
                 review_on=_review_date(today, review_on))


def refer(c: Case, *, referral_id: str, service: str, today: date, at: str, actor_id: str, actor_role: str) -> Case:
    if service not in SERVICES:
        raise ValidationFailed(f"service must be one of {', '.join(SERVICES)}", field="service", code="invalid_choice")
    if c.status == "open":
        raise Conflict("a referral follows the needs assessment", field="status", code="not_assessed")
    if any(r.service == service and r.status in ("sent", "accepted") for r in c.referrals):
        raise Conflict(f"a {service} referral is open", field="service", code="referral_open")
    referral = Referral(referral_id, service, SERVICES[service], "sent", today.isoformat(), actor_id)
    return _step(c, "referred", at, actor_id, actor_role, service, referrals=(*c.referrals, referral))


def answer_referral(c: Case, referral_id: str, *, status: str, note: str | None, today: date, at: str,
                    actor_id: str, actor_role: str) -> Case:
    """The provider's answer, as the worker records it."""
    current = c.referral(referral_id)
    if status not in REFERRAL_TRANSITIONS.get(current.status, ()):
        raise Conflict(f"referral {referral_id} cannot go from {current.status} to {status}", field="status",
                       code="invalid_transition")
    moved = replace(current, status=status, answered_on=today.isoformat(), answer_note=note)
    return _step(c, f"referral_{status}", at, actor_id, actor_role, current.service,
                 referrals=tuple(moved if r.referral_id == referral_id else r for r in c.referrals))


def add_note(c: Case, note: CaseNote, *, at: str, actor_role: str) -> Case:
    if note.kind not in NOTE_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(NOTE_KINDS)}", field="kind", code="invalid_choice")
    return _step(c, note.kind, at, note.by, actor_role, "confidential" if note.confidential else None,
                 notes=(*c.notes, note))


def reviewed(c: Case, *, next_review: date, today: date, at: str, actor_id: str, actor_role: str) -> Case:
    return _step(c, "reviewed", at, actor_id, actor_role, None, review_on=_review_date(today, next_review))


def close(c: Case, *, outcome: str, today: date, at: str, actor_id: str, actor_role: str) -> Case:
    if outcome not in OUTCOMES:
        raise ValidationFailed(f"outcome must be one of {', '.join(OUTCOMES)}", field="outcome", code="invalid_choice")
    if "closed" not in TRANSITIONS[c.status]:
        raise Conflict(f"case {c.case_id} is {c.status}", field="status", code="case_closed")
    if any(r.status in ("sent", "accepted") for r in c.referrals) and outcome in ("needs_met", "improved"):
        raise Conflict("a referral still waits for its provider", field="outcome", code="referral_open")
    return _step(c, "closed", at, actor_id, actor_role, outcome, status="closed", outcome=outcome,
                 closed_on=today.isoformat())


def visible_notes(c: Case, subject: str, role: str) -> tuple[CaseNote, ...]:
    """The notes a reader sees: a confidential one only by the case's worker and the supervisors."""
    if role == "supervisor" or subject == c.worker_id:
        return c.notes
    return tuple(n for n in c.notes if not n.confidential)


def counter_deltas(before: Case | None, after: Case) -> dict[str, int]:
    """How the region's case counters move from ``before`` to ``after``: cases by status and origin,
    referrals by service and status, closures by outcome."""
    out: Counter[str] = Counter()

    def count(c: Case, sign: int) -> None:
        out[f"status#{c.status}"] += sign
        out[f"origin#{c.origin}"] += sign
        for r in c.referrals:
            out[f"referral#{r.service}#{r.status}"] += sign
        if c.outcome:
            out[f"outcome#{c.outcome}"] += sign

    if before is not None:
        count(before, -1)
    count(after, 1)
    return {k: v for k, v in out.items() if v}
