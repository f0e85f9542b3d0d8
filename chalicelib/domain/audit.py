"""The audit trail: who did what to which record, when, in which request; hash-chained.

An event names the actor, role, action, record id, request id, time and HTTP status (or task outcome)
and never the personal data itself: no names, PINFLs, phones, account numbers or free text.

Events form chains. Each event carries its chain, its sequence number in the chain and the hash of
the event before it; its own hash is ``SHA-256(previous hash + canonical form)``. Removing,
altering or reordering a stored event breaks the chain at that point, and ``verify_chain`` names the
first sequence number that does not fit. The chain's head (last sequence number and hash) is kept
apart, so removing the newest events is detected too.

The event id is derived from (request id, action, record id), so a retried append of the same event
is recognised as already there instead of being chained twice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

GENESIS_HASH = "0" * 64
# The fields the hash covers, in the canonical order (the hash itself is not among them).
CANONICAL_FIELDS = ("chain", "seq", "event_id", "at", "actor", "role", "action", "record_id", "request_id",
                    "status", "prev_hash")


def event_id(request_id: str, action: str, record_id: str) -> str:
    """The id a retried append recomputes, so the same request's event is stored once."""
    return hashlib.sha256(f"{request_id}|{action}|{record_id}".encode()).hexdigest()[:32]


def chain_for(event_id_: str, chains: int) -> str:
    """Which of ``chains`` parallel chains an event joins (spread evenly by its id)."""
    return f"{int(event_id_[:8], 16) % chains:02d}"


@dataclass(frozen=True)
class AuditEntry:
    """What the edge or a task knows about one action, before it is placed in a chain."""

    actor: str  # a token subject, or "system:<task>" for workflow and payroll steps
    role: str  # the actor's role, or "system"
    action: str  # e.g. "update_household", "get_application", "record_decision"
    record_id: str  # the primary record the action touched (application, household, payroll month)
    request_id: str  # the API Gateway request id, or the execution and step of a task
    at: str  # ISO 8601, UTC
    status: int = 200  # the HTTP status answered (tasks: 200)

    @property
    def event_id(self) -> str:
        return event_id(self.request_id, self.action, self.record_id)


@dataclass(frozen=True)
class AuditEvent:
    chain: str
    seq: int
    event_id: str
    at: str
    actor: str
    role: str
    action: str
    record_id: str
    request_id: str
    status: int
    prev_hash: str
    hash: str = ""

    def canonical(self) -> bytes:
        """The bytes the hash covers: the fields above in a fixed order, compact JSON, UTF-8."""
        data = asdict(self)
        return json.dumps([data[k] for k in CANONICAL_FIELDS], ensure_ascii=False, separators=(",", ":")).encode()

    def computed_hash(self) -> str:
        return hashlib.sha256(self.prev_hash.encode("ascii") + self.canonical()).hexdigest()

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ChainHead:
    chain: str
    seq: int = 0  # the last sequence number appended; 0 for an empty chain
    hash: str = GENESIS_HASH


def next_event(head: ChainHead, entry: AuditEntry) -> AuditEvent:
    """The event that follows ``head`` in its chain, with its hash."""
    event = AuditEvent(chain=head.chain, seq=head.seq + 1, event_id=entry.event_id, at=entry.at,
                       actor=entry.actor, role=entry.role, action=entry.action, record_id=entry.record_id,
                       request_id=entry.request_id, status=entry.status, prev_hash=head.hash)
    return replace(event, hash=event.computed_hash())


@dataclass(frozen=True)
class ChainBreak:
    chain: str
    seq: int  # the first sequence number that does not fit
    reason: str  # out_of_sequence (removed or reordered), altered, missing (newest gone), head_mismatch


def verify_chain(chain: str, events: Iterable[AuditEvent], head: ChainHead) -> tuple[int, ChainBreak | None]:
    """Walks ``events`` (as stored, in storage order) against ``head``, one event in memory at a time.

    Events past ``head.seq`` were appended after the head was read and are left for the next walk.
    Returns how many events were read and the first break, if any."""
    prev = GENESIS_HASH
    position = 0
    for position, event in enumerate(itertools.islice(events, head.seq), start=1):
        if event.seq != position:
            return position, ChainBreak(chain, position, "out_of_sequence")
        if event.chain != chain or event.prev_hash != prev or event.hash != event.computed_hash():
            return position, ChainBreak(chain, position, "altered")
        prev = event.hash
    if head.seq > position:  # the newest events are gone
        return position, ChainBreak(chain, position + 1, "missing")
    if head.seq != position or head.hash != prev:
        return position, ChainBreak(chain, head.seq, "head_mismatch")
    return position, None
