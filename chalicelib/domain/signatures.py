"""Signed bank callbacks: HMAC-SHA256 over ``timestamp + "." + raw body`` with a per-bank secret.

The headers are parsed strictly before anything else is looked at: the signature is exactly 64 hex
digits (no spaces, no prefix; either case) and the timestamp is 1 to 12 ASCII digits. A callback is
accepted only when its signature matches, its timestamp is within the window (both ways: a clock
running ahead is refused too) and the same signature was not seen before (a replay). Replays are
recorded on the normalised signature (lower case), so the same signature in another spelling is
still a replay. The comparison is constant-time. Errors name the header, never the secret or the body.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from chalicelib.domain.errors import Unauthorized

SIGNATURE_PATTERN = r"^[0-9a-fA-F]{64}$"
TIMESTAMP_PATTERN = r"^[0-9]{1,12}$"
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class SignedHeaders:
    """The signature headers after strict parsing; ``signature`` is lower-case hex."""

    timestamp: str
    signature: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def parse_headers(timestamp: str | None, signature: str | None) -> SignedHeaders:
    """Raises Unauthorized ``missing_signature`` or ``bad_signature`` unless both headers are well formed."""
    if not timestamp or not signature:
        raise Unauthorized("the callback is not signed", field="X-Signature", code="missing_signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Unauthorized("the signature timestamp is not Unix seconds", field="X-Signature-Timestamp",
                           code="bad_signature")
    if not _SIGNATURE.fullmatch(signature):
        raise Unauthorized("the signature is not 64 hexadecimal digits", field="X-Signature", code="bad_signature")
    return SignedHeaders(timestamp=timestamp, signature=signature.lower())


def verify(*, secret: str | None, timestamp: str | None, signature: str | None, body: bytes, now: int,
           window_seconds: int) -> str:
    """The normalised signature, or Unauthorized (``unknown_bank``, ``missing_signature``, ``bad_signature``,
    ``stale_signature``)."""
    parsed = parse_headers(timestamp, signature)
    if secret is None:
        raise Unauthorized("unknown bank", field="X-Bank-Id", code="unknown_bank")
    expected = sign(secret, parsed.timestamp, body)
    if not hmac.compare_digest(expected, parsed.signature):
        raise Unauthorized("the signature does not match", field="X-Signature", code="bad_signature")
    if abs(now - int(parsed.timestamp)) > window_seconds:
        raise Unauthorized("the signature timestamp is outside the accepted window", field="X-Signature-Timestamp",
                           code="stale_signature")
    return parsed.signature
