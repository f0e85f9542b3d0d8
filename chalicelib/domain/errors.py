"""Errors a caller can cause, each with a stable code, an HTTP status and the field it concerns.

The API maps every ``SpsrError`` to ``{"error": {"code", "message", "field"}}`` with ``status``;
Step Functions tasks raise them by class name so the ASL can Retry/Catch by name.
Messages never carry personal data (names, PINFL, phones, cards): ids and field paths only.
"""

from __future__ import annotations


class SpsrError(Exception):
    """Base of every error with a stable code."""

    code = "error"
    status = 400

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        return {"error": {"code": self.code, "message": self.message, "field": self.field}}


class ValidationFailed(SpsrError):
    code = "validation_error"
    status = 400


class Unauthorized(SpsrError):
    code = "unauthorized"
    status = 401


class Forbidden(SpsrError):
    code = "forbidden"
    status = 403


class NotFound(SpsrError):
    code = "not_found"
    status = 404


class Conflict(SpsrError):
    code = "conflict"
    status = 409


class ServiceMisconfigured(SpsrError):
    """The deployment lacks a setting or secret it needs (or carries one it may not): 503, never a fallback.

    The message tells the caller nothing about the configuration; what is missing is logged by name.
    """

    code = "service_misconfigured"
    status = 503

    def __init__(self, message: str = "the service is not configured to answer this request; the operators "
                                      "have been told", field: str | None = None, code: str | None = None) -> None:
        super().__init__(message, field, code)
