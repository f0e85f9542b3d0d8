"""Applications for benefits: programmes, channels, the cycle month and the status life cycle.

A household files at most one application per cycle month. The cycle month is the month of
receipt in Tashkent time, or the next month when received after the cut-off day
(Cabinet resolution PKM-654 of 21 Oct 2021 sets the monthly intake; the 15th is the default cut-off).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.errors import Conflict
from chalicelib.domain.evidence import CollectionRequest, ManualEvidence, MemberRef
from chalicelib.domain.households import Address, Member

PROGRAMMES = ("child_allowance", "material_assistance", "disabled_child_caregiver", "maternity_non_state")
CHANNELS = ("mahalla", "pension_fund", "portal", "mobile")
STATUSES = ("submitted", "collecting", "assessed", "awaiting_approval", "assigned", "rejected", "needs_review",
            "withdrawn", "appealed")
DOCUMENT_KINDS = ("id_document", "birth_certificate", "disability_certificate", "income_statement", "other")

# Which status may follow which. Final states (assigned, withdrawn) have no successor; a rejection
# has one: the family's appeal, re-assessed by an officer (appealed), which runs the workflow again
# as a new attempt and ends in a new decision (the old one stays in the history).
# An eligible decision that rests on facts staff entered by hand waits in awaiting_approval for a
# second officer: approved, it goes on to assigned; rejected, back to needs_review.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submitted": ("collecting", "needs_review", "withdrawn"),
    "collecting": ("assessed", "needs_review", "withdrawn"),
    "needs_review": ("collecting", "assessed", "withdrawn"),
    "assessed": ("assigned", "rejected", "needs_review", "awaiting_approval"),
    "awaiting_approval": ("assigned", "needs_review", "withdrawn"),
    "assigned": (),
    "rejected": ("appealed",),
    "appealed": ("collecting", "needs_review"),
    "withdrawn": (),
}


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: str
    actor_id: str
    actor_role: str
    note: str | None = None


@dataclass(frozen=True)
class DocumentRef:
    document_id: str
    kind: str
    content_type: str
    size_bytes: int
    s3_key: str
    status: str = "upload_pending"
    requested_at: str = ""


@dataclass(frozen=True)
class AppealRef:
    """The appeal an application's current attempt answers: the grievance that carries it, the attempt
    whose decision it contests, and that decision's month (an upheld appeal pays from the next)."""

    grievance_id: str
    contested_attempt: int
    decision_month: str


@dataclass(frozen=True)
class Application:
    application_id: str
    household_id: str
    cycle_month: str
    programmes: tuple[str, ...]
    channel: str
    applicant_person_id: str
    members: tuple[Member, ...]
    address: Address
    status: str
    history: tuple[StatusChange, ...]
    created_at: str
    created_by: str
    documents: tuple[DocumentRef, ...] = field(default_factory=tuple)
    version: int = 1
    due_date: str = ""  # the decision is due by this date (3 Uzbek working days after receipt)
    attempt: int = 1  # the workflow run deciding it; staff re-runs add one
    manual_evidence: tuple[ManualEvidence, ...] = field(default_factory=tuple)
    appeal: AppealRef | None = None  # set when an officer re-assesses the rejection on appeal

    def collection_request(self) -> CollectionRequest:
        """What evidence collection asks the agencies about this application."""
        return CollectionRequest(
            application_id=self.application_id, period=self.cycle_month, officer_id=self.created_by,
            members=tuple(MemberRef(m.person_id, m.pinfl, m.birth_date, m.sex, m.relationship) for m in self.members),
            programmes=self.programmes)

    @property
    def decided(self) -> bool:
        return self.status in ("assigned", "rejected", "withdrawn")

    @property
    def reference(self) -> str:
        """The short reference number told to the applicant (SMS, counter receipt)."""
        return self.application_id.split("-")[-1][:10].upper()


def run_name(application_id: str, attempt: int) -> str:
    """The workflow run of an application's attempt: one run per attempt, a start idempotent by it."""
    return application_id if attempt == 1 else f"{application_id}-{attempt}"


@dataclass(frozen=True)
class PendingStart:
    """An attempt whose workflow run is owed and not known to be started (the outbox's record)."""

    application_id: str
    attempt: int
    since: str  # ISO timestamp of the write that called for the run


def cycle_month(received_at: datetime, cutoff_day: int, timezone: str = "Asia/Tashkent") -> str:
    """The cycle month an application received at ``received_at`` belongs to."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    local = received_at.astimezone(ZoneInfo(timezone))
    year, month = local.year, local.month
    if local.day > cutoff_day:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}"


def transition(
    app: Application, status: str, *, at: str, actor_id: str, actor_role: str, note: str | None = None
) -> Application:
    """The application moved to ``status``, with the change appended to its history."""
    if status not in TRANSITIONS.get(app.status, ()):
        raise Conflict(
            f"application {app.application_id} cannot go from {app.status} to {status}",
            field="status",
            code="invalid_transition",
        )
    change = StatusChange(status=status, at=at, actor_id=actor_id, actor_role=actor_role, note=note)
    return replace(app, status=status, history=(*app.history, change), version=app.version + 1)
