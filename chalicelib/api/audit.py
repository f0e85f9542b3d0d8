"""The audit trail for auditors: events of a record or an actor, and a check of every chain."""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api.http import endpoint, int_param, query_param
from chalicelib.domain import access
from chalicelib.domain.errors import ValidationFailed
from chalicelib.ports import AuditQuery

bp = Blueprint(__name__)

_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?)?")


def _time_param(request: Any, name: str) -> str | None:
    value = query_param(request, name)
    if value is not None and not _TIME.fullmatch(value):
        raise ValidationFailed(f"{name} is an ISO 8601 date or time (UTC), e.g. 2026-12-01T09:00",
                               field=name, code="invalid_date")
    return value


@endpoint(bp, "/audit/events", "GET", tag="audit", audit=False, action=access.AUDIT_READ,
          summary="Audit events of one record or one actor, oldest first; with neither, the whole trail (auditors)",
          query=(("record_id", "an application or household id, or a payroll month"),
                 ("actor", "a token subject, or system:<task>"),
                 ("from", "earliest time, ISO 8601 UTC (inclusive)"), ("to", "latest time (inclusive prefix)"),
                 ("limit", "page size, 1 to 100"), ("cursor", "the next_cursor of the previous page")))
def audit_events(request: Any, principal: Any, body: None) -> dict[str, Any]:
    page = bootstrap.services().audit.events(principal, AuditQuery(
        record_id=query_param(request, "record_id"), actor=query_param(request, "actor"),
        since=_time_param(request, "from"), until=_time_param(request, "to"),
        limit=int_param(request, "limit", 50, 1, 100), cursor=query_param(request, "cursor")))
    return {"items": [e.as_dict() for e in page.items], "next_cursor": page.cursor}


@endpoint(bp, "/audit/verify", "GET", tag="audit", audit=False, action=access.AUDIT_READ,
          summary="Walk every hash chain of the audit trail and name the first break of each (auditors)")
def audit_verify(request: Any, principal: Any, body: None) -> dict[str, Any]:
    report = bootstrap.services().audit.verify(principal)
    return {"ok": report.ok, "chains": report.chains, "events": report.events,
            "breaks": [{"chain": b.chain, "seq": b.seq, "reason": b.reason} for b in report.breaks]}
