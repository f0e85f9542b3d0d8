"""The audit trail's hash chain: canonical form, hashing, and the checks that find tampering."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from chalicelib.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditEvent,
    ChainHead,
    chain_for,
    event_id,
    next_event,
    verify_chain,
)


def _entry(n: int) -> AuditEntry:
    return AuditEntry(actor=f"officer-{n % 3}", role="mahalla_worker", action="update_household",
                      record_id=f"hh-{n:04d}", request_id=f"req-{n}", at=f"2026-12-01T09:00:{n:02d}.000+00:00")


def _chain(n: int) -> tuple[list[AuditEvent], ChainHead]:
    head, events = ChainHead("00"), []
    for i in range(1, n + 1):
        event = next_event(head, _entry(i))
        events.append(event)
        head = ChainHead("00", event.seq, event.hash)
    return events, head


def test_the_canonical_form_is_fixed_and_the_hash_covers_it_after_the_previous_hash() -> None:
    # Given the first event of a chain
    event = next_event(ChainHead("00"), _entry(1))
    # Then its canonical form is compact JSON of the fields in a fixed order, and its hash is
    # SHA-256(previous hash + canonical form)
    assert event.canonical() == (
        '["00",1,"' + event_id("req-1", "update_household", "hh-0001") + '","2026-12-01T09:00:01.000+00:00",'
        '"officer-1","mahalla_worker","update_household","hh-0001","req-1",200,"' + GENESIS_HASH + '"]'
    ).encode()
    assert event.hash == hashlib.sha256(GENESIS_HASH.encode() + event.canonical()).hexdigest()
    assert next_event(ChainHead("00", 1, event.hash), _entry(2)).prev_hash == event.hash


def test_the_event_id_is_the_same_for_a_retried_append_and_spreads_over_the_chains() -> None:
    assert event_id("r", "a", "x") == event_id("r", "a", "x") != event_id("r", "a", "y")
    chains = {chain_for(event_id(f"req-{i}", "get_household", "hh"), 4) for i in range(200)}
    assert chains == {"00", "01", "02", "03"}


def test_an_untouched_chain_verifies() -> None:
    events, head = _chain(10)
    assert verify_chain("00", events, head) == (10, None)
    assert verify_chain("00", [], ChainHead("00")) == (0, None)


@pytest.mark.parametrize(("tamper", "seq", "reason"), [
    (lambda ev: ev[:4] + ev[5:], 5, "out_of_sequence"),  # the fifth removed
    (lambda ev: [*ev[:6], replace(ev[6], actor="someone-else"), *ev[7:]], 7, "altered"),
    (lambda ev: [*ev[:2], replace(ev[2], status=403), *ev[3:]], 3, "altered"),
    (lambda ev: [*ev[:3], ev[4], ev[3], *ev[5:]], 4, "out_of_sequence"),  # the 4th and 5th swapped
    # swapped, with their sequence numbers rewritten to fit the positions: the hashes no longer do
    (lambda ev: [*ev[:3], replace(ev[4], seq=4), replace(ev[3], seq=5), *ev[5:]], 4, "altered"),
    (lambda ev: ev[:9], 10, "missing"),  # the newest removed: the head still names it
])
def test_a_removed_altered_or_reordered_event_is_found_at_its_position(tamper, seq, reason) -> None:
    # Given a chain of ten events and its head
    events, head = _chain(10)
    # When the stored events are tampered with, Then the walk names the first position that does not fit
    _, found = verify_chain("00", tamper(events), head)
    assert found is not None and (found.seq, found.reason) == (seq, reason)


def test_a_rewritten_hash_does_not_hide_an_alteration() -> None:
    events, head = _chain(5)
    forged = replace(events[1], record_id="hh-9999")
    forged = replace(forged, hash=forged.computed_hash())  # consistent in itself
    _, found = verify_chain("00", [events[0], forged, *events[2:]], head)
    assert found is not None and found.seq == 3  # the next event still points at the original hash


def test_events_appended_after_the_head_was_read_are_left_for_the_next_walk() -> None:
    events, _head = _chain(6)
    earlier_head = ChainHead("00", 4, events[3].hash)
    assert verify_chain("00", events, earlier_head) == (4, None)
