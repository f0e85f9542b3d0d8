"""The system clock and id generator."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    """Ids like ``app-<26 hex>``: 104 random bits, so two requests never collide."""

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{secrets.token_hex(13)}"
