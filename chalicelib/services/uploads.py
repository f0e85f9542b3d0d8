"""The checks every presigned upload passes (application documents, grievance attachments)."""

from __future__ import annotations

from chalicelib.config import Settings
from chalicelib.domain.errors import ValidationFailed


def check_upload(settings: Settings, content_type: str, size_bytes: int) -> None:
    """A content type the registry keeps, and a size within its limit (400 with the field otherwise)."""
    if content_type not in settings.document_content_types:
        raise ValidationFailed(f"content type must be one of {', '.join(settings.document_content_types)}",
                               field="content_type", code="unsupported_content_type")
    if size_bytes > settings.max_document_bytes:
        raise ValidationFailed(f"a document is at most {settings.max_document_bytes} bytes",
                               field="size_bytes", code="document_too_large")
