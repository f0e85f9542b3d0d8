"""The audit trail's use cases: append an event, read events (auditors), verify every chain."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.access import AUDIT_READ, Principal, authorize
from chalicelib.domain.audit import AuditEntry, AuditEvent, ChainBreak, ChainHead, verify_chain
from chalicelib.domain.errors import ValidationFailed
from chalicelib.ports import AuditPage, AuditQuery, AuditTrail, Clock


@dataclass(frozen=True)
class VerifyReport:
    chains: int
    events: int
    breaks: list[ChainBreak]

    @property
    def ok(self) -> bool:
        return not self.breaks


class AuditService:
    def __init__(self, trail: AuditTrail, clock: Clock) -> None:
        self._trail = trail
        self._clock = clock

    def record(self, *, actor: str, role: str, action: str, record_id: str, request_id: str,
               status: int = 200) -> AuditEvent:
        at = self._clock.now().isoformat(timespec="milliseconds")
        return self._trail.append(AuditEntry(actor=actor, role=role, action=action, record_id=record_id,
                                             request_id=request_id, at=at, status=status))

    def events(self, principal: Principal, query: AuditQuery) -> AuditPage:
        authorize(principal, AUDIT_READ)
        if query.record_id is not None and query.actor is not None:
            raise ValidationFailed("give record_id or actor, not both", field="actor", code="invalid_choice")
        return self._trail.find(query)

    def heads(self) -> list[ChainHead]:
        """Each chain's head: an operator keeps these elsewhere, so truncating a chain's tail together
        with its head would still be noticed."""
        return [self._trail.head(f"{n:02d}") for n in range(self._trail.chains)]

    def verify(self, principal: Principal | None = None) -> VerifyReport:
        """Walks every chain; ``principal`` None is the operator's command line (no token)."""
        if principal is not None:
            authorize(principal, AUDIT_READ)
        breaks: list[ChainBreak] = []
        total = 0
        for n in range(self._trail.chains):
            chain = f"{n:02d}"
            head = self._trail.head(chain)  # read first: events appended meanwhile lie beyond it
            read, found = verify_chain(chain, self._trail.events(chain), head)
            total += read
            if found is not None:
                breaks.append(found)
        return VerifyReport(chains=self._trail.chains, events=total, breaks=breaks)
