"""Applications after intake: reading, scoped listings, statistics, document uploads, decisions, staff re-runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.config import Settings
from chalicelib.domain import access, geography, months
from chalicelib.domain.access import Action, Principal, Target, authorize, reach
from chalicelib.domain.applications import Application, DocumentRef, StatusChange
from chalicelib.domain.applications import cycle_month as domain_cycle_month
from chalicelib.domain.decisions import Decision
from chalicelib.domain.errors import Conflict, NotFound, ValidationFailed
from chalicelib.domain.evidence import ManualEvidence, PersonFacts, unsupplied
from chalicelib.ports import (
    AccessLogReader,
    ApplicationQuery,
    ApplicationRepository,
    Clock,
    DecisionRepository,
    DocumentStore,
    IdGenerator,
    Page,
    UploadTicket,
    Workflow,
)
from chalicelib.services.uploads import check_upload
from chalicelib.services.workflow_starts import start_run


class ApplicationService:
    def __init__(self, applications: ApplicationRepository, documents: DocumentStore, clock: Clock,
                 ids: IdGenerator, settings: Settings, workflow: Workflow | None = None,
                 decisions: DecisionRepository | None = None, access_log: AccessLogReader | None = None) -> None:
        self._applications = applications
        self._workflow = workflow
        self._decisions = decisions
        self._access_log = access_log
        self._documents = documents
        self._clock = clock
        self._ids = ids
        self._settings = settings

    def get(self, principal: Principal, application_id: str,
            action: Action = access.APPLICATION_READ) -> Application:
        app = self._applications.get(application_id)
        if app is None:
            raise NotFound("application not found", field="application_id")
        authorize(principal, action, Target.of_record(app.address, app.household_id), "application")
        return app

    def list(self, principal: Principal, *, region: str | None = None, district: str | None = None,
             mahalla: str | None = None, cycle_month: str | None = None, status: str | None = None,
             limit: int = 50, cursor: str | None = None) -> Page:
        authorize(principal, access.APPLICATION_LIST)
        level, code = _narrowest(region, district, mahalla)
        if level == "national":  # no filter: the caller's own reach
            level, code = reach(principal, access.APPLICATION_LIST)
        else:
            authorize(principal, access.APPLICATION_LIST, Target.area(level, code), "the filter", field=level)
        if level == "national" and not cycle_month:
            cycle_month = self._current_cycle()
        query = ApplicationQuery(level=level, code=code, cycle_month=cycle_month, status=status,
                                 limit=min(limit, self._settings.page_size_max), cursor=cursor)
        return self._applications.list(query)

    def _now(self) -> str:
        return self._clock.now().isoformat(timespec="seconds")

    def open_cycles(self) -> tuple[str, str]:
        """The cycle months whose applications may still be undecided: the previous and the current."""
        current = self._current_cycle()
        return months.add(current, -1), current

    def _current_cycle(self) -> str:
        return domain_cycle_month(self._clock.now(), self._settings.cutoff_day, self._settings.timezone)

    def statistics(self, principal: Principal, cycle_month: str | None) -> dict[str, object]:
        """Counts per region, status and programme: no personal data, open to analysts."""
        level, _ = reach(principal, access.STATISTICS_READ)
        month = cycle_month or self._current_cycle()
        counts = self._applications.count_by(month)
        if level != "national":
            counts = {k: v for k, v in counts.items()
                      if access.permits(principal, access.STATISTICS_READ, Target.area("region", k[0]))}
        rows = [{"region_code": r, "status": s, "programme": p, "applications": n}
                for (r, s, p), n in sorted(counts.items())]
        return {"cycle_month": month, "rows": rows, "total": sum(counts.values())}

    def request_upload(self, principal: Principal, application_id: str, kind: str, content_type: str,
                       size_bytes: int) -> tuple[DocumentRef, UploadTicket]:
        app = self.get(principal, application_id, access.DOCUMENT_UPLOAD)
        check_upload(self._settings, content_type, size_bytes)
        document_id = self._ids.new_id("doc")
        key = f"applications/{app.application_id}/{document_id}"
        ticket = self._documents.upload_ticket(key, content_type, size_bytes, self._settings.upload_url_seconds)
        ref = DocumentRef(document_id=document_id, kind=kind, content_type=content_type, size_bytes=size_bytes,
                          s3_key=key, requested_at=self._clock.now().isoformat(timespec="seconds"))
        self._applications.save(replace(app, documents=(*app.documents, ref), version=app.version + 1),
                                app.version)
        return ref, ticket


    def decision(self, principal: Principal, application_id: str) -> tuple[Application, Decision]:
        """The latest decision with its explanation, for staff and the grievance officer."""
        app = self.get(principal, application_id, access.DECISION_READ)
        stored = self._decisions.latest(app.application_id) if self._decisions else None
        if stored is None:
            raise NotFound("this application has no decision yet", field="application_id", code="no_decision")
        return app, stored

    def decisions(self, principal: Principal, application_id: str) -> tuple[Application, Sequence[Decision]]:
        """Every decision of the application, oldest first: a re-assessment on appeal adds one, never edits."""
        app = self.get(principal, application_id, access.DECISION_READ)
        found = self._decisions.history(app.application_id) if self._decisions else []
        if not found:
            raise NotFound("this application has no decision yet", field="application_id", code="no_decision")
        return app, found

    def access_log(self, principal: Principal, application_id: str) -> Sequence[dict[str, Any]]:
        """Which agency was asked about which member, when, on whose behalf, with what outcome."""
        app = self.get(principal, application_id, access.ACCESS_LOG_READ)
        return self._access_log.for_application(app.application_id) if self._access_log else []

    def rerun_collection(self, principal: Principal, application_id: str, note: str) -> Application:
        """Staff start the workflow again for an application in review (after an agency recovered)."""
        app = self.get(principal, application_id, access.EVIDENCE_COLLECT)
        return self._restart(principal, app, note)

    def enter_evidence(self, principal: Principal, application_id: str, agency: str,
                       facts: Sequence[tuple[str, PersonFacts]], justification: str, document_id: str) -> Application:
        """Staff enter an unavailable agency's facts by hand and decide again.

        Only staff (the access table's ``evidence.manual``); only the facts ``agency`` supplies
        (``domain.evidence.SUPPLIED``), per member of the application, for the income months of its
        cycle; with a justification and a document uploaded to this application. Nothing is
        stored unless every check passes. An eligible decision resting on these facts waits for a
        second officer (``WorkflowService.approve``).
        """
        app = self.get(principal, application_id, access.EVIDENCE_MANUAL)
        if app.status != "needs_review":
            raise Conflict(f"application {app.application_id} is {app.status}; facts are entered for one in review",
                           field="status", code="invalid_transition")
        manual = self.manual_evidence(principal, app, agency, facts, justification, document_id)
        app = replace(app, manual_evidence=(*[m for m in app.manual_evidence if m.agency != agency], manual))
        return self._restart(principal, app, f"{agency} entered by hand from document {document_id}")

    def manual_evidence(self, principal: Principal, app: Application, agency: str,
                        facts: Sequence[tuple[str, PersonFacts]], justification: str,
                        document_id: str) -> ManualEvidence:
        """The facts staff enter for ``agency``, checked (``enter_evidence`` says how); stores nothing.
        Used for an application in review and for an appeal's re-assessment."""
        authorize(principal, access.EVIDENCE_MANUAL, Target.of_record(app.address, app.household_id), "application")
        known = {m.person_id for m in app.members}
        window = {months.add(app.cycle_month, k) for k in (-3, -2, -1)}
        by_person: dict[str, PersonFacts] = {}
        for i, (person_id, person_facts) in enumerate(facts):
            where = f"members[{i}]"
            if person_id not in known:
                raise ValidationFailed("not a member of this application", field=f"{where}.id", code="unknown_member")
            if person_id in by_person:
                raise ValidationFailed("a member is named once", field=f"{where}.id", code="duplicate_member")
            wrong = unsupplied(agency, person_facts)
            if wrong is not None:
                raise ValidationFailed(f"{agency} does not supply {wrong}", field=f"{where}.{wrong}",
                                       code="field_not_supplied_by_agency")
            rows = [("incomes", r.month) for r in person_facts.incomes] + \
                [("alimony_paid", m) for m, _ in person_facts.alimony_paid]
            for k, (kind, month) in enumerate(rows):
                if month not in window:
                    index = k if kind == "incomes" else k - len(person_facts.incomes)
                    raise ValidationFailed(f"income is read for {', '.join(sorted(window))} only",
                                           field=f"{where}.{kind}[{index}].month", code="month_outside_window")
            # assets belong to the member they are entered for, whatever the request says
            by_person[person_id] = replace(
                person_facts, vehicles=[{**v, "owner_id": person_id} for v in person_facts.vehicles],
                real_estate=[{**e, "owner_id": person_id} for e in person_facts.real_estate])
        document = next((d for d in app.documents if d.document_id == document_id), None)
        if document is None:
            raise ValidationFailed("not a document of this application (upload it first)", field="document_id",
                                   code="unknown_document")
        if not self._documents.exists(document.s3_key):
            raise ValidationFailed("the document has not been uploaded yet", field="document_id",
                                   code="document_not_uploaded")
        return ManualEvidence(agency=agency, facts=by_person, justification=justification, document_id=document_id,
                              entered_by=principal.subject, entered_role=principal.role, entered_at=self._now())

    def _restart(self, principal: Principal, app: Application, note: str) -> Application:
        if app.status != "needs_review":
            raise Conflict(f"application {app.application_id} is {app.status}; only one in review can be re-run",
                           field="status", code="invalid_transition")
        if self._workflow is None:
            raise Conflict("the workflow is not configured here", code="workflow_unavailable")
        # A staff re-run is a new attempt with its own run (``run_name``), owed from the save on,
        # and the workflow's first step moves the application from review back to collecting.
        change = StatusChange("needs_review", self._now(), principal.subject, principal.role, f"re-run: {note}")
        moved = replace(app, attempt=app.attempt + 1, version=app.version + 1, history=(*app.history, change))
        self._applications.save(moved, app.version, start=True)
        start_run(self._applications, self._workflow, moved)
        return moved

    def overdue(self, principal: Principal, *, cycle_month: str | None = None, limit: int = 50,
                cursor: str | None = None) -> Page:
        """Undecided applications past their due date, in the caller's scope (one listing page at a time)."""
        today = self._clock.now().astimezone(ZoneInfo(self._settings.timezone)).date().isoformat()
        page = self.list(principal, cycle_month=cycle_month, limit=limit, cursor=cursor)
        late = [a for a in page.items if not a.decided and a.due_date < today]
        return Page(items=late, cursor=page.cursor)


def _narrowest(region: str | None, district: str | None, mahalla: str | None) -> tuple[str, str]:
    if mahalla:
        if geography.mahalla(mahalla) is None:
            raise ValidationFailed("unknown mahalla code", field="mahalla", code="unknown_mahalla")
        return "mahalla", mahalla
    if district:
        if geography.district(district) is None:
            raise ValidationFailed("unknown district code", field="district", code="unknown_district")
        return "district", district
    if region:
        if geography.region(region) is None:
            raise ValidationFailed("unknown region code", field="region", code="unknown_region")
        return "region", region
    return "national", ""

