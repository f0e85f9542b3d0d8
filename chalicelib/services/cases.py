"""Social work cases: opening one for a family (by a social worker, or by referral from the registry's
caseworkers), the mahalla's and district's lists, and working it through: the needs assessment with its
plan, referrals to services and the provider's answers, visits and notes, reviews, closure; the
ministry's counts.

Every change is one conditional write on the version read (``CaseRepository.save``). Summaries, plan
actions, notes and the provider's answers are free text: stored, shown in scope, never logged. A
confidential note is shown to the case's worker and the supervisors only (``cases.visible_notes``); every
read of a case is in the audit trail (the API audits ``case.read``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger

from chalicelib.config import Settings
from chalicelib.domain import access, geography
from chalicelib.domain import cases as cs
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.cases import Case, CaseNote, PlanAction
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.domain.households import Household
from chalicelib.ports import (
    ApplicationRepository,
    AssignmentRepository,
    CasePage,
    CaseQuery,
    CaseRepository,
    Clock,
    DecisionRepository,
    GrievanceRepository,
    HouseholdRepository,
    IdGenerator,
)
from chalicelib.services.reach import counters_in_reach, household_in_reach

logger = Logger(service="spsr-cases")


@dataclass(frozen=True)
class Opening:
    household_id: str
    origin: str
    origin_ref: str | None = None
    worker_id: str | None = None  # the social worker who takes it (a social worker opening it: themself)
    review_on: date | None = None


@dataclass(frozen=True)
class Assessment:
    levels: dict[str, int]
    summary: str
    plan: tuple[PlanAction, ...]
    review_on: date | None = None


@dataclass(frozen=True)
class CaseView:
    """A case as one reader sees it: the notes that reader may see."""

    case: Case
    notes: tuple[CaseNote, ...]


class CaseService:
    def __init__(self, cases: CaseRepository, households: HouseholdRepository, applications: ApplicationRepository,
                 decisions: DecisionRepository, grievances: GrievanceRepository, assignments: AssignmentRepository,
                 clock: Clock, ids: IdGenerator, settings: Settings) -> None:
        self._cases = cases
        self._households = households
        self._applications = applications
        self._decisions = decisions
        self._grievances = grievances
        self._assignments = assignments
        self._clock = clock
        self._ids = ids
        self._settings = settings

    # -- reading -------------------------------------------------------------------------------
    def _case(self, principal: Principal, case_id: str, action: Action) -> Case:
        c = self._cases.get(case_id)
        if c is None:
            raise NotFound("case not found", field="case_id")
        authorize(principal, action, Target(c.region_code, c.district_code, c.mahalla_code, c.household_id,
                                            record=True), "case")
        return c

    def view(self, principal: Principal, c: Case) -> CaseView:
        return CaseView(c, cs.visible_notes(c, principal.subject, principal.role))

    def get(self, principal: Principal, case_id: str) -> CaseView:
        return self.view(principal, self._case(principal, case_id, access.CASE_READ))

    def for_household(self, principal: Principal, household_id: str) -> list[CaseView]:
        household = self._household(principal, household_id, access.CASE_READ)
        return [self.view(principal, c) for c in self._cases.for_household(household.household_id)]

    def list(self, principal: Principal, *, mahalla: str | None = None, district: str | None = None,
             status: str | None = None, limit: int = 50, cursor: str | None = None) -> tuple[list[CaseView],
                                                                                          str | None]:
        """A mahalla's cases (a social worker's own by default) or a district's (a supervisor's by default)."""
        authorize(principal, access.CASE_LIST)
        if status is not None and status not in cs.STATUSES:
            raise ValidationFailed("unknown status", field="status", code="invalid_choice")
        if mahalla is not None:
            if geography.mahalla(mahalla) is None:
                raise ValidationFailed("unknown mahalla code", field="mahalla", code="unknown_mahalla")
            level, code = "mahalla", mahalla
        elif district is not None:
            if geography.district(district) is None:
                raise ValidationFailed("unknown district code", field="district", code="unknown_district")
            level, code = "district", district
        else:
            level, code = principal.level, principal.scope
        authorize(principal, access.CASE_LIST, Target.area(level, code), "the filter", field=level)
        page: CasePage = self._cases.list(CaseQuery(level, code, status, min(limit, self._settings.page_size_max),
                                                    cursor))
        return [self.view(principal, c) for c in page.items], page.cursor

    # -- opening -------------------------------------------------------------------------------
    def _household(self, principal: Principal, household_id: str, action: Action) -> Household:
        return household_in_reach(self._households, principal, household_id, action, field="household_id")

    def _check_origin(self, household_id: str, origin: str, ref: str | None) -> None:
        if ref is None:
            return
        wrong = ValidationFailed(f"the {cs.ORIGINS.get(origin)} is not one of this household's that can refer it",
                                 field="origin.ref", code="origin_not_found")
        if origin == "rejected_idle_member":
            app = self._applications.get(ref)
            decision = self._decisions.latest(ref) if app else None
            if (app is None or app.household_id != household_id or app.status != "rejected" or decision is None
                    or "idle_working_age_member" not in decision.outcome.reasons()):
                raise wrong
        elif origin == "grievance":
            g = self._grievances.get(ref)
            if g is None or g.household_id != household_id:
                raise wrong
        elif origin == "disability_allowance":
            a = self._assignments.get(ref)
            if a is None or a.household_id != household_id or a.programme != "disabled_child_caregiver":
                raise wrong

    def open(self, principal: Principal, opening: Opening) -> CaseView:
        household = self._household(principal, opening.household_id, access.CASE_OPEN)
        self._check_origin(household.household_id, opening.origin, opening.origin_ref)
        worker = opening.worker_id or (principal.subject if principal.role == "social_worker" else None)
        address = household.address
        c = cs.new_case(
            case_id=self._ids.new_id("case"), household_id=household.household_id, region_code=address.region_code,
            district_code=address.district_code, mahalla_code=address.mahalla_code, origin=opening.origin,
            origin_ref=opening.origin_ref, worker_id=worker or "", opened_at=self._now(), opened_by=principal.subject,
            opened_role=principal.role, today=self.today(), review_on=opening.review_on)
        self._cases.add(c)
        logger.info("case opened", extra={"case_id": c.case_id, "household_id": c.household_id, "origin": c.origin,
                                          "role": principal.role})
        return self.view(principal, c)

    # -- working it ----------------------------------------------------------------------------
    def _work(self, principal: Principal, case_id: str) -> tuple[Case, Case]:
        """The stored case, and the one to change (the first social worker to act on it takes it)."""
        before = self._case(principal, case_id, access.CASE_WORK)
        if not before.worker_id and principal.role == "social_worker":
            return before, replace(before, worker_id=principal.subject)
        return before, before

    def _save(self, principal: Principal, before: Case, after: Case, event: str) -> CaseView:
        self._cases.save(after, before)
        logger.info("case changed", extra={"case_id": after.case_id, "event": event, "status": after.status,
                                           "role": principal.role})
        return self.view(principal, after)

    def _stamp(self, principal: Principal) -> dict[str, Any]:
        return {"at": self._now(), "actor_id": principal.subject, "actor_role": principal.role}

    def assess(self, principal: Principal, case_id: str, assessment: Assessment) -> CaseView:
        before, c = self._work(principal, case_id)
        after = cs.assess(c, levels=assessment.levels, summary=assessment.summary, plan=assessment.plan,
                          today=self.today(), review_on=assessment.review_on, **self._stamp(principal))
        return self._save(principal, before, after, "assessed")

    def refer(self, principal: Principal, case_id: str, service: str) -> CaseView:
        before, c = self._work(principal, case_id)
        after = cs.refer(c, referral_id=self._ids.new_id("ref"), service=service, today=self.today(),
                         **self._stamp(principal))
        return self._save(principal, before, after, "referred")

    def answer_referral(self, principal: Principal, case_id: str, referral_id: str, status: str,
                        note: str | None) -> CaseView:
        before, c = self._work(principal, case_id)
        after = cs.answer_referral(c, referral_id, status=status, note=note, today=self.today(),
                                   **self._stamp(principal))
        return self._save(principal, before, after, f"referral_{status}")

    def note(self, principal: Principal, case_id: str, kind: str, on: date | None, text: str,
             confidential: bool) -> CaseView:
        before, c = self._work(principal, case_id)
        day = on or self.today()
        if day > self.today():
            raise ValidationFailed("a visit or note is dated today or earlier", field="on", code="invalid_date")
        if confidential and not (principal.role == "supervisor" or principal.subject == c.worker_id):
            raise Forbidden("a confidential note is written by the case's worker or a supervisor",
                            code="not_case_worker")
        note = CaseNote(self._ids.new_id("note"), kind, day.isoformat(), principal.subject, text, confidential)
        after = cs.add_note(c, note, at=self._now(), actor_role=principal.role)
        return self._save(principal, before, after, kind)

    def review(self, principal: Principal, case_id: str, next_review: date) -> CaseView:
        before, c = self._work(principal, case_id)
        after = cs.reviewed(c, next_review=next_review, today=self.today(), **self._stamp(principal))
        return self._save(principal, before, after, "reviewed")

    def close(self, principal: Principal, case_id: str, outcome: str) -> CaseView:
        before, c = self._work(principal, case_id)
        after = cs.close(c, outcome=outcome, today=self.today(), **self._stamp(principal))
        return self._save(principal, before, after, "closed")

    # -- statistics ----------------------------------------------------------------------------
    def statistics(self, principal: Principal) -> dict[str, Any]:
        """Cases by region and status, by origin; referrals by service and status; closures by outcome."""
        by_region, total = counters_in_reach(principal, self._cases.counters)
        rows = [{"region_code": region, "status": name.split("#")[1], "cases": n}
                for region, counters in by_region.items()
                for name, n in sorted(counters.items()) if name.startswith("status#") and n]
        referrals = [{"service": k.split("#")[1], "status": k.split("#")[2], "referrals": v}
                     for k, v in sorted(total.items()) if k.startswith("referral#") and v]
        return {
            "rows": rows,
            "open": total.get("status#open", 0) + total.get("status#active", 0),
            "by_origin": {k.removeprefix("origin#"): v for k, v in sorted(total.items())
                          if k.startswith("origin#") and v},
            "referrals": referrals,
            "outcomes": {k.removeprefix("outcome#"): v for k, v in sorted(total.items())
                         if k.startswith("outcome#") and v},
        }

    # -- helpers -------------------------------------------------------------------------------
    def today(self) -> date:
        return self._clock.now().astimezone(ZoneInfo(self._settings.timezone)).date()

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")


def plan_from(actions: Sequence[tuple[str, date]]) -> tuple[PlanAction, ...]:
    return tuple(PlanAction(text, due.isoformat()) for text, due in actions)
