"""Reading applications: one by id, scoped listings, aggregate counts, and document upload tickets."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.config import Settings
from chalicelib.domain import geography
from chalicelib.domain.access import Principal, require_personal_data_access, require_read, require_write
from chalicelib.domain.applications import Application, DocumentRef
from chalicelib.domain.applications import cycle_month as domain_cycle_month
from chalicelib.domain.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.ports import (
    ApplicationQuery,
    ApplicationRepository,
    Clock,
    DocumentStore,
    IdGenerator,
    Page,
    UploadTicket,
)

LEVEL_ORDER = ("mahalla", "district", "region")


class ApplicationService:
    def __init__(self, applications: ApplicationRepository, documents: DocumentStore, clock: Clock,
                 ids: IdGenerator, settings: Settings) -> None:
        self._applications = applications
        self._documents = documents
        self._clock = clock
        self._ids = ids
        self._settings = settings

    def get(self, principal: Principal, application_id: str) -> Application:
        app = self._applications.get(application_id)
        if app is None:
            raise NotFound("application not found", field="application_id")
        require_read(principal, app.address, app.household_id, "application")
        return app

    def list(self, principal: Principal, *, region: str | None = None, district: str | None = None,
             mahalla: str | None = None, cycle_month: str | None = None, status: str | None = None,
             limit: int = 50, cursor: str | None = None) -> Page:
        require_personal_data_access(principal)
        level, code = _narrowest(region, district, mahalla)
        if principal.level == "household":
            if level != "national":
                raise Forbidden("a citizen lists their own applications only", code="out_of_scope")
            level, code = "household", principal.scope
        elif principal.level != "national":
            if level == "national":
                level, code = principal.level, principal.scope
            elif not _within(level, code, principal.level, principal.scope):
                raise Forbidden("the filter is outside this token's scope", field=level, code="out_of_scope")
        if level == "national" and not cycle_month:
            cycle_month = self._current_cycle()
        query = ApplicationQuery(level=level, code=code, cycle_month=cycle_month, status=status,
                                 limit=min(limit, self._settings.page_size_max), cursor=cursor)
        return self._applications.list(query)

    def _current_cycle(self) -> str:
        return domain_cycle_month(self._clock.now(), self._settings.cutoff_day, self._settings.timezone)

    def statistics(self, principal: Principal, cycle_month: str | None) -> dict[str, object]:
        """Counts per region, status and programme: no personal data, open to analysts."""
        if principal.role not in ("ministry_analyst", "auditor", "region_admin", "district_admin"):
            raise Forbidden(f"role {principal.role} cannot read statistics", code="role_not_allowed")
        month = cycle_month or self._current_cycle()
        counts = self._applications.count_by(month)
        if principal.level == "region":
            counts = {k: v for k, v in counts.items() if k[0] == principal.scope}
        elif principal.level == "district":
            region = geography.region_of_district(principal.scope)
            counts = {k: v for k, v in counts.items() if region is not None and k[0] == region.code}
        rows = [{"region_code": r, "status": s, "programme": p, "applications": n}
                for (r, s, p), n in sorted(counts.items())]
        return {"cycle_month": month, "rows": rows, "total": sum(counts.values())}

    def request_upload(self, principal: Principal, application_id: str, kind: str, content_type: str,
                       size_bytes: int) -> tuple[DocumentRef, UploadTicket]:
        app = self.get(principal, application_id)
        require_write(principal, app.address, app.household_id, "this application")
        if content_type not in self._settings.document_content_types:
            raise ValidationFailed(
                f"content type must be one of {', '.join(self._settings.document_content_types)}",
                field="content_type", code="unsupported_content_type")
        if size_bytes > self._settings.max_document_bytes:
            raise ValidationFailed(f"a document is at most {self._settings.max_document_bytes} bytes",
                                   field="size_bytes", code="document_too_large")
        document_id = self._ids.new_id("doc")
        key = f"applications/{app.application_id}/{document_id}"
        ticket = self._documents.upload_ticket(key, content_type, size_bytes, self._settings.upload_url_seconds)
        ref = DocumentRef(document_id=document_id, kind=kind, content_type=content_type, size_bytes=size_bytes,
                          s3_key=key, requested_at=self._clock.now().isoformat(timespec="seconds"))
        self._applications.save(replace(app, documents=(*app.documents, ref), version=app.version + 1),
                                app.version)
        return ref, ticket


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


def _within(level: str, code: str, scope_level: str, scope: str) -> bool:
    """Is the area (level, code) inside the principal's area (scope_level, scope)?"""
    if scope_level == "national":
        return True
    if LEVEL_ORDER.index(level) > LEVEL_ORDER.index(scope_level):
        return False  # a wider area than the scope
    current_level, current = level, code
    while current_level != scope_level:
        parent = geography.district_of_mahalla(current) if current_level == "mahalla" \
            else geography.region_of_district(current)
        if parent is None:
            return False
        current, current_level = parent.code, "district" if current_level == "mahalla" else "region"
    return current == scope
