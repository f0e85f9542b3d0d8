"""Signed bank callbacks: HMAC-SHA256 over ``timestamp + "." + raw body`` with a per-bank secret.

A callback is accepted only when its signature matches, its timestamp is within the window (both
ways: a clock running ahead is refused too) and the same signature was not seen before (a replay).
The comparison is constant-time. Errors name the header, never the secret or the body.
"""

from __future__ import annotations

import hashlib
import hmac

from chalicelib.domain.errors import Unauthorized


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def verify(*, secret: str | None, timestamp: str | None, signature: str | None, body: bytes, now: int,
           window_seconds: int) -> None:
    """Raises Unauthorized (code ``unknown_bank``, ``missing_signature``, ``bad_signature`` or ``stale_signature``)."""
    if secret is None:
        raise Unauthorized("unknown bank", field="X-Bank-Id", code="unknown_bank")
    if not timestamp or not signature:
        raise Unauthorized("the callback is not signed", field="X-Signature", code="missing_signature")
    if not timestamp.isdigit():
        raise Unauthorized("the signature timestamp is not Unix seconds", field="X-Signature-Timestamp",
                           code="bad_signature")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Unauthorized("the signature does not match", field="X-Signature", code="bad_signature")
    if abs(now - int(timestamp)) > window_seconds:
        raise Unauthorized("the signature timestamp is outside the accepted window", field="X-Signature-Timestamp",
                           code="stale_signature")
