"""Grievances: filing (by the family, a caseworker or the hotline), the district's queue, working one
through to its answer, escalation to the region on a breach of the legal deadline, the family's rating,
and the ministry's counts.

Every change is one conditional write (``GrievanceRepository.save`` on the version read) followed by an
SMS to the family in its language, keyed by the grievance and its new version so a retried call never
sends it twice. Descriptions and answers are free text: stored, shown in scope, never logged.
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
from chalicelib.domain import grievances as gr
from chalicelib.domain.access import Action, Principal, Target, authorize
from chalicelib.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.domain.grievances import Attachment, Grievance
from chalicelib.domain.households import Household
from chalicelib.ports import (
    ApplicationRepository,
    Clock,
    DocumentStore,
    GrievancePage,
    GrievanceQuery,
    GrievanceRepository,
    HouseholdRepository,
    IdGenerator,
    SmsPort,
    UploadTicket,
)
from chalicelib.services.reach import counters_in_reach, household_in_reach
from chalicelib.services.uploads import check_upload

logger = Logger(service="spsr-grievances")
SYSTEM_ACTOR = "system:grievance-sweep"


@dataclass(frozen=True)
class Filing:
    category: str
    channel: str
    description: str
    application_id: str | None = None
    payment_ref: str | None = None


@dataclass(frozen=True)
class Sweep:
    escalated: tuple[tuple[str, int], ...]  # (grievance id, its new version)
    overdue: int


class GrievanceService:
    def __init__(self, grievances: GrievanceRepository, households: HouseholdRepository,
                 applications: ApplicationRepository, documents: DocumentStore, sms: SmsPort, clock: Clock,
                 ids: IdGenerator, settings: Settings) -> None:
        self._grievances = grievances
        self._households = households
        self._applications = applications
        self._documents = documents
        self._sms = sms
        self._clock = clock
        self._ids = ids
        self._settings = settings

    # -- reading -------------------------------------------------------------------------------
    def household(self, principal: Principal, household_id: str, action: Action) -> Household:
        return household_in_reach(self._households, principal, household_id, action, field="household_id")

    def _grievance(self, principal: Principal, grievance_id: str, action: Action) -> Grievance:
        g = self._grievances.get(grievance_id)
        if g is None:
            raise NotFound("grievance not found", field="grievance_id")
        target = Target(g.region_code, g.district_code, g.mahalla_code, g.household_id, record=True)
        authorize(principal, action, target, "grievance")
        return g

    def get(self, principal: Principal, grievance_id: str) -> Grievance:
        return self._grievance(principal, grievance_id, access.GRIEVANCE_READ)

    def by_reference(self, principal: Principal, reference: str) -> Grievance:
        """The grievance a caller quotes by its SMS reference (the hotline's lookup)."""
        g = self._grievances.find_by_reference(reference.upper())
        if g is None:
            raise NotFound("grievance not found", field="reference")
        return self._grievance(principal, g.grievance_id, access.GRIEVANCE_READ)

    def for_household(self, principal: Principal, household_id: str) -> list[Grievance]:
        self.household(principal, household_id, access.GRIEVANCE_READ)
        return self._grievances.for_household(household_id)

    def _area(self, principal: Principal, district: str | None, region: str | None) -> tuple[str, str]:
        """The area a listing names (or the caller's own), checked against the caller's reach."""
        if district is not None:
            if geography.district(district) is None:
                raise ValidationFailed("unknown district code", field="district", code="unknown_district")
            target, level, code, name = Target.area("district", district), "district", district, "district"
        elif region is not None:
            if geography.region(region) is None:
                raise ValidationFailed("unknown region code", field="region", code="unknown_region")
            target, level, code, name = Target.area("region", region), "region", region, "region"
        elif principal.level == "mahalla":
            district_of = geography.district_of_mahalla(principal.scope)
            if district_of is None:
                raise ValidationFailed("name the district", field="district", code="missing_field")
            return "district", district_of.code
        elif principal.level in ("district", "region"):
            return principal.level, principal.scope
        else:
            raise ValidationFailed("name the district or the region", field="district", code="missing_field")
        # A mahalla worker may list its own district's grievances about its mahalla's families only: it
        # names its district, and the listing is narrowed below.
        if principal.level == "mahalla":
            own = geography.district_of_mahalla(principal.scope)
            if level != "district" or own is None or own.code != code:
                raise Forbidden("the filter is outside this token's scope", field=name, code="out_of_scope")
            return level, code
        authorize(principal, access.GRIEVANCE_LIST, target, "the filter", field=name)
        return level, code

    def list(self, principal: Principal, *, district: str | None = None, region: str | None = None,
             status: str | None = None, limit: int = 50, cursor: str | None = None) -> GrievancePage:
        """An area's grievances (one status, or all), oldest first; by default the caller's own area."""
        authorize(principal, access.GRIEVANCE_LIST)
        if status is not None and status not in gr.STATUSES:
            raise ValidationFailed("unknown status", field="status", code="invalid_choice")
        level, code = self._area(principal, district, region)
        page = self._grievances.list(GrievanceQuery(level, code, status, min(limit, self._settings.page_size_max),
                                                    cursor))
        return self._narrowed(principal, page)

    def overdue(self, principal: Principal, *, district: str | None = None,
                region: str | None = None) -> Sequence[Grievance]:
        """The open grievances past their last day in an area, earliest deadline first."""
        authorize(principal, access.GRIEVANCE_LIST)
        level, code = self._area(principal, district, region)
        today = self.today()
        parent = geography.region_of_district(code) if level == "district" else None
        region_code = parent.code if parent else code
        found = [g for g in self._grievances.open_due_before(region_code, today.isoformat())
                 if level == "region" or g.district_code == code]
        return self._narrowed(principal, GrievancePage(found, None)).items

    def _narrowed(self, principal: Principal, page: GrievancePage) -> GrievancePage:
        if principal.level != "mahalla":
            return page
        return GrievancePage([g for g in page.items if g.mahalla_code == principal.scope], page.cursor)

    # -- filing --------------------------------------------------------------------------------
    def file(self, principal: Principal, household_id: str, filing: Filing) -> Grievance:
        household = self.household(principal, household_id, access.GRIEVANCE_FILE)
        if filing.category == "decision_appeal":
            raise ValidationFailed("a decision appeal is filed against the application: "
                                   "POST /applications/{application_id}/appeals", field="category",
                                   code="appeal_route")
        if filing.application_id is not None:
            application = self._applications.get(filing.application_id)
            if application is None or application.household_id != household_id:
                raise ValidationFailed("the application is not one of this household's", field="application_id",
                                       code="application_not_of_household")
        now = self._clock.now()
        address = household.address
        g = gr.new_grievance(
            grievance_id=self._ids.new_id("gr"), household_id=household_id, category=filing.category,
            channel=filing.channel, filed_by=principal.subject, filed_role=principal.role,
            received_at=now.isoformat(timespec="seconds"), received_on=self.today(), region_code=address.region_code,
            district_code=address.district_code, mahalla_code=address.mahalla_code, description=filing.description,
            application_id=filing.application_id, payment_ref=filing.payment_ref)
        self._grievances.add(g)
        logger.info("grievance filed", extra={"grievance_id": g.grievance_id, "household_id": household_id,
                                              "category": g.category, "channel": g.channel, "role": principal.role})
        self.tell(g, household, "grievance_received", {"due": g.due})
        return g

    def request_upload(self, principal: Principal, grievance_id: str, content_type: str,
                       size_bytes: int) -> tuple[Attachment, UploadTicket]:
        g = self._grievance(principal, grievance_id, access.GRIEVANCE_ATTACH)
        if not g.open:
            raise Conflict(f"grievance {grievance_id} is {g.status}", field="status", code="not_open")
        check_upload(self._settings, content_type, size_bytes)
        document_id = self._ids.new_id("doc")
        key = f"grievances/{g.grievance_id}/{document_id}"
        ticket = self._documents.upload_ticket(key, content_type, size_bytes, self._settings.upload_url_seconds)
        attachment = Attachment(document_id, content_type, size_bytes, key, self._now())
        self._grievances.save(replace(g, attachments=(*g.attachments, attachment), version=g.version + 1), g)
        return attachment, ticket

    # -- working it through ----------------------------------------------------------------------
    def handled(self, principal: Principal, grievance_id: str) -> Grievance:
        """The grievance, if ``principal`` may work it now: its level, and the role its category routes to."""
        g = self._grievance(principal, grievance_id, access.GRIEVANCE_HANDLE)
        if g.level == "region" and principal.role != "region_admin":
            raise Conflict(f"grievance {grievance_id} is escalated to the region", field="level", code="wrong_level")
        if g.level == "district" and principal.role == "region_admin":
            raise Conflict(f"grievance {grievance_id} is with the district", field="level", code="wrong_level")
        if not gr.may_handle(g, principal.role):
            raise Forbidden(f"a {g.category} grievance is for the {gr.ROUTING[g.category]}s",
                            code="routed_elsewhere")
        return g

    def move(self, principal: Principal, g: Grievance, status: str, code: str | None = None,
              **changes: Any) -> Grievance:
        moved = gr.move(g, status, at=self._now(), actor_id=principal.subject, actor_role=principal.role,
                        today=self.today(), note_code=code)
        moved = replace(moved, **changes) if changes else moved
        self._grievances.save(moved, g)
        logger.info("grievance moved", extra={"grievance_id": g.grievance_id, "status": status,
                                              "outcome": code, "role": principal.role})
        return moved

    def take(self, principal: Principal, grievance_id: str, assignee: str | None = None) -> Grievance:
        """The handler takes the grievance into review (or gives it to a colleague, ``assignee``)."""
        g = self.handled(principal, grievance_id)
        who = assignee or principal.subject
        if g.status == "in_review":
            if g.assignee == who:
                return g
            moved = replace(g, assignee=who, version=g.version + 1)
            self._grievances.save(moved, g)
            return moved
        moved = self.move(principal, g, "in_review", assignee=who)
        self.tell(moved, None, "grievance_in_review", {"due": moved.due})
        return moved

    def extend(self, principal: Principal, grievance_id: str, version: int) -> Grievance:
        """Extra study or checks are needed: the one-month period of the law applies."""
        g = _at_version(self.handled(principal, grievance_id), version)
        moved = gr.needs_extra_checks(g)
        self._grievances.save(moved, g)
        self.tell(moved, None, "grievance_extended", {"due": moved.due})
        return moved

    def resolve(self, principal: Principal, grievance_id: str, outcome: str, answer: str | None) -> Grievance:
        g = self.handled(principal, grievance_id)
        if g.appeal is not None:
            raise Conflict("an appeal is answered by re-assessing its decision", field="outcome",
                           code="appeal_reassess")
        moved = self.move(principal, g, "resolved", outcome, answer=answer)
        self.tell(moved, None, "grievance_resolved", {"outcome": outcome})
        return moved

    def reject(self, principal: Principal, grievance_id: str, outcome: str, answer: str | None) -> Grievance:
        g = self.handled(principal, grievance_id)
        if outcome == "appeal_denied":
            raise ValidationFailed("an appeal is denied by re-assessing its decision", field="outcome",
                                   code="appeal_reassess")
        moved = self.move(principal, g, "rejected", outcome, answer=answer)
        self.tell(moved, None, "grievance_rejected", {"outcome": outcome})
        return moved

    def escalate(self, principal: Principal, grievance_id: str, version: int) -> Grievance:
        """The district hands the grievance to the region before its deadline."""
        g = _at_version(self.handled(principal, grievance_id), version)
        moved = self.move(principal, g, "escalated")
        self.tell(moved, None, "grievance_escalated", {"due": moved.due})
        return moved

    def rate(self, principal: Principal, grievance_id: str, rating: int) -> Grievance:
        g = self._grievance(principal, grievance_id, access.GRIEVANCE_RATE)
        rated = gr.rate(g, rating)
        self._grievances.save(rated, g)
        logger.info("grievance rated", extra={"grievance_id": grievance_id, "rating": rating})
        return rated

    # -- the schedule --------------------------------------------------------------------------
    def sweep(self) -> Sweep:
        """Escalates every grievance past its last day at the district, and counts the open ones past
        their last day at any level (the ``OverdueGrievances`` metric). Re-running it escalates nothing twice."""
        today = self.today()
        escalated: list[tuple[str, int]] = []
        overdue = 0
        for region in geography.regions():
            for g in self._grievances.open_due_before(region.code, today.isoformat()):
                overdue += 1
                if not gr.breached(g, today):
                    continue
                try:
                    moved = gr.move(g, "escalated", at=self._now(), actor_id=SYSTEM_ACTOR, actor_role="system",
                                    today=today, note_code="deadline_breached")
                    self._grievances.save(moved, g)
                except Conflict:  # handled meanwhile (or by a concurrent sweep): the next sweep sees it
                    continue
                escalated.append((moved.grievance_id, moved.version))
                logger.info("grievance escalated on breach", extra={"grievance_id": g.grievance_id,
                                                                    "region": region.code, "due": g.due})
                self.tell(moved, None, "grievance_escalated", {"due": moved.due})
        return Sweep(tuple(escalated), overdue)

    # -- statistics ----------------------------------------------------------------------------
    def statistics(self, principal: Principal) -> dict[str, Any]:
        """Counts by region, category and status; median days to an answer; the share answered in time;
        appeals by outcome and ground. No personal data: counters only."""
        by_region, total = counters_in_reach(principal, self._grievances.counters)
        rows = [{"region_code": region, "category": name.split("#")[1], "status": name.split("#")[2], "grievances": n}
                for region, counters in by_region.items()
                for name, n in sorted(counters.items()) if name.startswith("status#") and n]
        closed = total.get("closed", 0)
        appeals = {k.removeprefix("appeal#"): v for k, v in sorted(total.items())
                   if k.startswith("appeal#") and k.count("#") == 2 and v}
        return {
            "rows": rows, "closed": closed, "escalated": total.get("escalated", 0),
            "median_days_to_answer": gr.median_days(total),
            "share_answered_in_time": round(total.get("closed_in_time", 0) / closed, 4) if closed else None,
            "appeals": {"upheld": total.get("appeal#upheld", 0), "denied": total.get("appeal#denied", 0),
                        "by_ground": [{"ground": k.split("#")[0], "outcome": k.split("#")[1], "appeals": v}
                                      for k, v in appeals.items()]},
            "ratings": {str(n): total.get(f"rating#{n}", 0) for n in range(1, 6)},
        }

    # -- helpers -------------------------------------------------------------------------------
    def today(self) -> date:
        return self._clock.now().astimezone(ZoneInfo(self._settings.timezone)).date()

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")

    def tell(self, g: Grievance, household: Household | None, event: str, params: dict[str, object]) -> bool:
        """The SMS of this change to the household's head (or the first member with a phone); a carrier
        failure is logged, never raised: the change is stored already."""
        household = household or self._households.get(g.household_id)
        contact = next((m for m in (household.head, *household.members) if m.phone), None) if household else None
        if contact is None or contact.phone is None:
            return False
        try:
            return self._sms.send(f"grievance:{g.grievance_id}:v{g.version}", contact.phone, contact.language, event,
                                  {"ref": g.reference, **params})
        except Exception:  # the change stands; the marker shows the SMS unsent
            logger.exception("grievance sms failed", extra={"grievance_id": g.grievance_id})
            return False


def _at_version(g: Grievance, version: int) -> Grievance:
    if g.version != version:
        raise Conflict(f"grievance {g.grievance_id} is at version {g.version}; read it again", field="version",
                       code="stale_version")
    return g
