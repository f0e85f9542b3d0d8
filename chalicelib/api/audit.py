"""The audit trail for auditors: events of a record or an actor, and a check of every chain."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib import bootstrap
from chalicelib.api import responses as out
from chalicelib.api.applications import CURSOR, LIMIT
from chalicelib.api.http import Param, endpoint, int_param, query_param
from chalicelib.domain import access
from chalicelib.ports import AuditQuery

bp = Blueprint(__name__)

_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?)?$"


def _time(name: str, description: str) -> Param:
    return Param(name, description, pattern=_TIME, max_length=26, code="invalid_date",
                 hint=f"{name} is an ISO 8601 date or time (UTC), e.g. 2026-12-01T09:00")


QUERY = (Param("record_id", "an application, household or change-request id, or a payroll month",
               pattern=r"^[A-Za-z0-9:_.-]{1,100}$", max_length=100),
         Param("actor", "a token subject, bank:<id>, or system:<task>", pattern=r"^[A-Za-z0-9:_.@-]{1,128}$",
               max_length=128),
         _time("from", "earliest time, ISO 8601 UTC (inclusive)"), _time("to", "latest time (inclusive prefix)"),
         LIMIT, CURSOR)


@endpoint(bp, "/audit/events", "GET", tag="audit", audit=False, action=access.AUDIT_READ,
          summary="Audit events of one record or one actor, oldest first; with neither, the whole trail (auditors)",
          query=QUERY, response=out.AuditEventPage)
def audit_events(request: Any, principal: Any, body: None) -> dict[str, Any]:
    page = bootstrap.services().audit.events(principal, AuditQuery(
        record_id=query_param(request, "record_id"), actor=query_param(request, "actor"),
        since=query_param(request, "from"), until=query_param(request, "to"),
        limit=int_param(request, "limit", 50, 1, 100), cursor=query_param(request, "cursor")))
    return {"items": [e.as_dict() for e in page.items], "next_cursor": page.cursor}


@endpoint(bp, "/audit/verify", "GET", tag="audit", audit=False, action=access.AUDIT_READ, response=out.AuditVerifyOut,
          summary="Walk every hash chain of the audit trail and name the first break of each (auditors)")
def audit_verify(request: Any, principal: Any, body: None) -> dict[str, Any]:
    report = bootstrap.services().audit.verify(principal)
    return {"ok": report.ok, "chains": report.chains, "events": report.events,
            "breaks": [{"chain": b.chain, "seq": b.seq, "reason": b.reason} for b in report.breaks]}
