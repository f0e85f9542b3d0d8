"""A deterministic paying bank for local runs and tests.

It validates nothing the registry could not check itself; it decides each transfer's fate from
the account and the EndToEndId only, so a run can be replayed:

- account number ending ``0000``: rejected AC01 (incorrect account number);
- account number ending ``4444``: rejected AC04 (closed account);
- an EndToEndId seen before in another file: rejected AM05 (duplication), the bank's own guard
  against paying twice;
- otherwise rejected AC01 with probability ``reject_rate`` (by a hash of the EndToEndId);
- accepted ones are credited later (camt.054 debit entries), except accounts ending ``7777`` and a
  ``return_rate`` share, which come back unclaimed (camt.054 credit entries with return reason).

A file whose MsgId it has seen is answered with the same pain.002 and nothing else happens.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chalicelib import iso20022
from chalicelib.domain.signatures import sign


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


@dataclass
class BankSimulator:
    bank_id: str = "XALQ"
    secret: str = "spsr-local-bank-secret"  # noqa: S105 (the local default, as in config.py)
    reject_rate: float = 0.0
    return_rate: float = 0.0
    account: str = "23402000300100001010"
    clock: Callable[[], float] = time.time
    answers: dict[str, bytes] = field(default_factory=dict)  # pain.001 MsgId -> pain.002
    seen_e2e: dict[str, str] = field(default_factory=dict)  # EndToEndId -> MsgId that carried it
    queued: list[iso20022.Entry] = field(default_factory=list)
    outbox: list[tuple[str, bytes]] = field(default_factory=list)  # (message type, XML) produced, for the record
    received: list[bytes] = field(default_factory=list)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # A bank's message ids never repeat: each simulator (one per local payroll month) numbers within its own
    # session, so the registry does not take a later month's messages for replays of an earlier one's.
    _session: str = field(default_factory=lambda: secrets.token_hex(3))

    def _next_id(self, kind: str) -> str:
        self._seq += 1
        return f"{self.bank_id}-{kind}-{self._session}-{self._seq:06d}"

    def _now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock()))

    def fate(self, transfer: iso20022.Transfer, msg: str) -> str | None:
        """The reject reason for a transfer, or None when accepted."""
        if transfer.account.endswith("0000"):
            return "AC01"
        if transfer.account.endswith("4444"):
            return "AC04"
        earlier = self.seen_e2e.get(transfer.end_to_end_id)
        if earlier is not None and earlier != msg:
            return "AM05"
        if self.reject_rate and _fraction("reject|" + transfer.end_to_end_id) < self.reject_rate:
            return "AC01"
        return None

    def receive(self, pain001: bytes) -> bytes:
        with self._lock:
            msg, transfers = iso20022.read_pain001(pain001)
            if msg in self.answers:
                return self.answers[msg]
            self.received.append(pain001)
            rejected: dict[str, str] = {}
            accepted: list[str] = []
            for t in transfers:
                reason = self.fate(t, msg)
                if reason:
                    rejected[t.end_to_end_id] = reason
                    continue
                self.seen_e2e[t.end_to_end_id] = msg
                accepted.append(t.end_to_end_id)
                unclaimed = t.account.endswith("7777") or (
                    self.return_rate and _fraction("return|" + t.end_to_end_id) < self.return_rate)
                self.queued.append(iso20022.Entry(t.end_to_end_id, t.amount, "returned" if unclaimed else "paid",
                                                  "MS03" if unclaimed else None))
            status = "RJCT" if not accepted else ("PART" if rejected else "ACCP")
            report = iso20022.write_pain002(iso20022.StatusReport(
                msg_id=self._next_id("PAIN002"), original_msg_id=msg, group_status=status, rejected=rejected,
                accepted=tuple(accepted)), self._now())
            self.answers[msg] = report
            self.outbox.append(("pain.002", report))
            return report

    def notifications(self, per_message: int = 1000) -> list[bytes]:
        """camt.054 messages for everything credited or returned since the last call."""
        with self._lock:
            entries, self.queued = self.queued, []
            out = []
            for start in range(0, len(entries), per_message):
                note = iso20022.Notification(self._next_id("CAMT054"), tuple(entries[start:start + per_message]))
                xml = iso20022.write_camt054(note, self._now(), self.account)
                self.outbox.append(("camt.054", xml))
                out.append(xml)
            return out

    def signed_callback(self, message_type: str, document: bytes) -> tuple[dict[str, str], bytes]:
        """The registry's callback request: a JSON envelope, signed with HMAC-SHA256 over timestamp.body."""
        body = json.dumps({"message_type": message_type, "document": document.decode()}).encode()
        timestamp = str(int(self.clock()))
        return {"Content-Type": "application/json", "X-Bank-Id": self.bank_id, "X-Signature-Timestamp": timestamp,
                "X-Signature": sign(self.secret, timestamp, body)}, body

    def deliver(self, send: Callable[[dict[str, str], bytes], int], per_message: int = 1000) -> list[int]:
        """Signs and sends every pending camt.054 through ``send(headers, body) -> HTTP status``."""
        return [send(*self.signed_callback("camt.054", xml)) for xml in self.notifications(per_message)]
