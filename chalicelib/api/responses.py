"""Response bodies: what each route returns, as pydantic models (the OpenAPI document is generated from them).

These are the API's shapes, not the stored items': a field leaves only when a model here names it
(``extra="ignore"``), so a field added to a stored record stays inside until it is added here. The
edge (``http.render``) validates every handler's result against its route's model before sending it.
Bank numbers are masked before they get here (``views``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.schemas import ChangeKind, Channel, Language, Programme, RejectionReason, Relationship
from chalicelib.domain import grievances
from chalicelib.domain.applications import STATUSES
from chalicelib.domain.change_requests import STATUSES as CHANGE_REQUEST_STATUSES
from chalicelib.domain.decisions import APPROVAL_STATUSES

ApplicationStatus = Literal[STATUSES]  # type: ignore[valid-type]
ChangeRequestStatus = Literal[CHANGE_REQUEST_STATUSES]  # type: ignore[valid-type]


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorBody(Out):
    code: str = Field(description="stable, machine-readable error code (README: Errors)")
    message: str = Field(description="what went wrong, with ids and field paths, never values")
    field: str | None = Field(description="path of the offending field, e.g. members[0].pinfl")


class ErrorOut(Out):
    error: ErrorBody


# ------------------------------------------------------------------ households


class DocumentOut(Out):
    kind: Literal["passport", "id_card", "birth_certificate"]
    number: str


class MemberOut(Out):
    person_id: str
    pinfl: str
    surname: str
    given_name: str
    patronymic: str | None
    birth_date: date
    sex: Literal["M", "F"]
    relationship: Relationship
    document: DocumentOut
    phone: str | None
    language: Language


class AddressOut(Out):
    region_code: str
    district_code: str
    mahalla_code: str
    address_line: str


class BankAccountOut(Out):
    kind: Literal["card", "account"]
    number: str = Field(description="masked: all but the last 4 digits are *")
    bank_code: str


class HouseholdOut(Out):
    household_id: str
    address: AddressOut
    members: list[MemberOut]
    bank_account: BankAccountOut | None
    version: int
    created_at: str
    updated_at: str


class MemberAddedOut(Out):
    person_id: str
    household: HouseholdOut


class ChangeOut(Out):
    household_id: str
    version: int
    at: str
    actor_id: str
    actor_role: str
    action: str
    target: str = Field(description='"household" or "member:<person_id>"')
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str | None
    request_id: str | None = Field(default=None, description="the change request whose approval made this change")
    requested_by: str | None = Field(default=None, description="who reported that request (the actor approved it)")
    requested_role: str | None = None


class ChangesOut(Out):
    items: list[ChangeOut]


# ------------------------------------------------------------------ change requests


class ChangePayloadOut(Out):
    """The reported change, with the fields of its kind only (the others are null)."""

    kind: ChangeKind
    bank_account: BankAccountOut | None = None
    person_id: str | None = None
    phone: str | None = None
    address: AddressOut | None = None
    member: MemberOut | None = None
    died_on: date | None = None
    new_head_person_id: str | None = None


class ChangeRequestOut(Out):
    request_id: str
    household_id: str
    kind: ChangeKind
    reference: str = Field(description="the short reference told to the family (SMS, counter receipt)")
    payload: ChangePayloadOut
    district_code: str
    mahalla_code: str
    base_version: int
    submitted_by: str
    submitted_role: str
    submitted_at: str
    status: ChangeRequestStatus
    note: str | None
    decided_by: str | None
    decided_role: str | None
    decided_at: str | None
    reason: RejectionReason | None
    decision_note: str | None
    applied_version: int | None


class ChangeOutcomeOut(ChangeRequestOut):
    sms_sent: bool = Field(description="whether the family was told by SMS")


class ChangeRequestsOut(Out):
    items: list[ChangeRequestOut]


class ChangeRequestPage(Out):
    items: list[ChangeRequestOut]
    next_cursor: str | None


# ------------------------------------------------------------------ applications


class StatusChangeOut(Out):
    status: ApplicationStatus
    at: str
    actor_id: str
    actor_role: str
    note: str | None


class DocumentRefOut(Out):
    document_id: str
    kind: str
    content_type: str
    size_bytes: int
    status: str
    requested_at: str


class ManualEvidenceOut(Out):
    agency: str
    facts: dict[str, dict[str, Any]] = Field(description="the facts entered, by person_id")
    justification: str
    document_id: str
    entered_by: str
    entered_role: str
    entered_at: str


class ApplicationOut(Out):
    application_id: str
    reference: str
    household_id: str
    cycle_month: str
    programmes: list[Programme]
    channel: Channel
    applicant_person_id: str
    members: list[MemberOut]
    address: AddressOut
    status: ApplicationStatus
    history: list[StatusChangeOut]
    created_at: str
    created_by: str
    documents: list[DocumentRefOut]
    version: int
    due_date: str
    attempt: int
    manual_evidence: list[ManualEvidenceOut]


class ApplicationPage(Out):
    items: list[ApplicationOut]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last")


class UploadTicketOut(Out):
    url: str
    fields: dict[str, str]
    expires_in: int


class UploadOut(Out):
    document_id: str
    status: str
    upload: UploadTicketOut


class StatisticsRow(Out):
    region_code: str
    status: ApplicationStatus
    programme: Programme
    applications: int


class StatisticsOut(Out):
    cycle_month: str
    rows: list[StatisticsRow]
    total: int


class ProgrammeDecisionOut(Out):
    eligible: bool
    monthly_amount: int = Field(description="whole som")
    months: int
    lump_sum: int = Field(description="whole som")
    reasons: list[str]


class DecisionBody(Out):
    period: str
    per_capita_income: int = Field(description="whole som")
    threshold: int = Field(description="whole som")
    programmes: dict[str, ProgrammeDecisionOut]


class AssessmentOut(Out):
    decision: DecisionBody
    explanation: dict[str, Any] = Field(description="reasons, figures and parameters, per programme and member")
    rules_version: str


class ManualFactsUsedOut(Out):
    agency: str
    entered_by: str
    entered_role: str
    entered_at: str
    document_id: str


class ApprovalOut(Out):
    status: Literal[APPROVAL_STATUSES]  # type: ignore[valid-type]
    by: str | None
    role: str | None
    at: str | None
    note: str | None


class DecisionOut(AssessmentOut):
    application_id: str
    status: ApplicationStatus
    attempt: int
    decided_at: str
    manual_evidence: list[ManualFactsUsedOut] = Field(description="facts entered by hand that the decision used")
    approval: ApprovalOut = Field(description="the second officer's approval, when facts were entered by hand")


class AccessLogEntryOut(Out):
    agency: str
    person_id: str
    application_id: str
    officer_id: str
    at: str
    outcome: str
    duration_ms: float
    attempt: int


class AccessLogOut(Out):
    items: list[AccessLogEntryOut]


class RestartOut(Out):
    application_id: str
    attempt: int
    status: ApplicationStatus


# ------------------------------------------------------------------ payroll


class PayrollDistrictOut(Out):
    region_code: str
    count: int
    amount: int = Field(description="whole som")
    decision: Literal["pending", "approved", "rejected"]
    decided_by: str | None
    decided_at: str | None
    reason: str | None
    programmes: dict[str, list[int]] = Field(description="programme -> [count, som]")


class PaymentFileOut(Out):
    msg_id: str
    sha256: str
    key: str


class PayrollRunOut(Out):
    month: str
    execution_name: str
    status: str
    execution_arn: str | None
    started_at: str
    updated_at: str
    lines: int
    amount: int = Field(description="whole som")
    suspended: int
    without_account: int
    districts: dict[str, PayrollDistrictOut]
    funds_reference: str | None
    funds_status: str | None
    files: list[dict[str, Any]]
    awaiting_decision: list[str]
    version: int


class PayrollRunsOut(Out):
    items: list[PayrollRunOut]


class TotalsOut(Out):
    sent_count: int
    sent_amount: int
    paid_count: int
    paid_amount: int
    rejected_count: int
    rejected_amount: int
    returned_count: int
    returned_amount: int
    pending_count: int
    pending_amount: int
    held_count: int
    held_amount: int
    instructed_count: int
    instructed_amount: int
    balanced: bool


class DistrictSummaryOut(Out):
    programmes: dict[str, TotalsOut]
    totals: TotalsOut
    returned_to_local_budget: int


class PayrollSummaryOut(Out):
    month: str
    status: str
    totals: TotalsOut
    districts: dict[str, DistrictSummaryOut]
    rejected_awaiting_bank_details: int


class FileLinkOut(Out):
    kind: str
    key: str
    url: str
    district_code: str | None = None
    msg_id: str | None = None
    sha256: str | None = None


class FileLinksOut(Out):
    month: str
    expires_in: int
    files: list[FileLinkOut]


class CallbackOut(Out):
    msg_id: str
    duplicate: bool = Field(description="true when this message was applied before (a resend)")
    changed: int
    queued: Literal[False] = Field(default=False, description="applied in the request, not queued")


class CallbackQueuedOut(Out):
    """A callback checked (signature, timestamp, replay) and queued: applied shortly by the consumer."""

    msg_id: str
    duplicate: Literal[False]
    changed: Literal[0] = Field(description="nothing is applied yet")
    queued: Literal[True]


# ------------------------------------------------------------------ system


class HealthOut(Out):
    status: Literal["ok"]


class OpenApiOut(Out):
    openapi: Literal["3.1.0"]
    info: dict[str, Any]
    servers: list[dict[str, Any]]
    components: dict[str, Any]
    paths: dict[str, Any]


# ------------------------------------------------------------------ audit trail

class AuditEventOut(Out):
    chain: str = Field(description="the hash chain the event belongs to (events are spread over a few chains)")
    seq: int = Field(description="position in its chain, from 1, without gaps")
    event_id: str
    at: str = Field(description="when, ISO 8601 UTC")
    actor: str = Field(description="the token subject, bank:<id>, or system:<task>")
    role: str
    action: str = Field(description="the access action's name, e.g. household.update")
    record_id: str = Field(description="the primary record of the call; '-' for a listing")
    request_id: str
    status: int = Field(description="the HTTP status answered (or 200 for a task)")
    prev_hash: str = Field(description="hash of the previous event of the chain (64 zeros for the first)")
    hash: str = Field(description="SHA-256 over prev_hash and the event's canonical JSON")


class AuditEventPage(Out):
    items: list[AuditEventOut]
    next_cursor: str | None = Field(description="pass as cursor for the next page; null on the last")


class AuditBreakOut(Out):
    chain: str
    seq: int = Field(description="the first event of the chain that does not follow from its predecessor")
    reason: Literal["out_of_sequence", "altered", "missing", "head_mismatch"] = Field(
        description="out_of_sequence: an event removed or reordered; altered: its hash does not match; "
                    "missing: the newest events are gone; head_mismatch: the chain head disagrees")


class AuditVerifyOut(Out):
    ok: bool
    chains: int
    events: int
    breaks: list[AuditBreakOut]


# ------------------------------------------------------------------ grievances

GrievanceStatus = Literal[grievances.STATUSES]  # type: ignore[valid-type]


class GrievanceEventOut(Out):
    status: GrievanceStatus
    at: str
    actor_id: str
    actor_role: str
    note_code: str | None


class AttachmentOut(Out):
    document_id: str
    content_type: str
    size_bytes: int
    requested_at: str


class BeforeAfterInt(Out):
    before: int
    after: int


class BeforeAfterBool(Out):
    before: bool
    after: bool


class BeforeAfterStr(Out):
    before: str
    after: str


class ProgrammeChangeOut(Out):
    programme: str
    eligible: BeforeAfterBool
    monthly_amount: BeforeAfterInt = Field(description="whole som")
    lump_sum: BeforeAfterInt = Field(description="whole som")
    reasons_dropped: list[str] = Field(description="reasons of the contested decision the new one no longer gives")
    reasons_added: list[str]


class WhatChangedOut(Out):
    attempt_before: int
    attempt_after: int
    per_capita_income: BeforeAfterInt = Field(description="whole som a month")
    threshold: BeforeAfterInt
    programmes: list[ProgrammeChangeOut]
    entered_by_hand: list[str] = Field(description="agencies whose facts staff entered for the new decision")
    rules_version: BeforeAfterStr
    outcome: Literal["upheld", "denied"]


class AppealOut(Out):
    application_id: str
    attempt: int = Field(description="the attempt whose decision is contested")
    decision_month: str
    grounds: list[str]
    answered_by_attempt: int | None
    what_changed: WhatChangedOut | None = Field(
        default=None, description="once answered: the contested decision against the new one")


class ReassessmentOut(Out):
    grievance_id: str
    application_id: str
    attempt: int = Field(description="the new attempt that re-assesses the decision")
    status: ApplicationStatus
    started: bool = Field(description="false when this attempt's run had been started by an earlier call")


class DecisionHistoryItemOut(DecisionOut):
    superseded_by_attempt: int | None = Field(description="the attempt whose decision replaced this one")


class DecisionHistoryOut(Out):
    items: list[DecisionHistoryItemOut] = Field(description="oldest first; the last one stands")


class GrievanceOut(Out):
    grievance_id: str
    reference: str = Field(description="the short reference told to the family by SMS")
    household_id: str
    category: str
    channel: str
    filed_by: str
    filed_role: str
    received_at: str
    received_on: str
    due: str = Field(description="the last day of the answer period (ZRU-445 art. 23: 15 days, one month with "
                                 "extra checks); past it, the grievance is overdue until answered")
    region_code: str
    district_code: str
    mahalla_code: str
    description: str
    status: GrievanceStatus
    level: Literal["district", "region"]
    handler_role: str = Field(description="whose queue it is in (routed by category)")
    extra_checks: bool
    application_id: str | None
    payment_ref: str | None
    appeal: AppealOut | None
    assignee: str | None
    outcome_code: str | None
    answer: str | None
    closed_on: str | None
    escalated_on: str | None
    region_due: str | None = Field(description="the region's own last day, counted from the escalation")
    rating: int | None
    overdue: bool
    attachments: list[AttachmentOut]
    history: list[GrievanceEventOut]
    version: int


class GrievancesOut(Out):
    items: list[GrievanceOut]


class GrievancePage(Out):
    items: list[GrievanceOut]
    next_cursor: str | None


class AttachmentUploadOut(Out):
    document_id: str
    upload: UploadTicketOut


class GrievanceStatisticsRow(Out):
    region_code: str
    category: str
    status: GrievanceStatus
    grievances: int


class AppealGroundRow(Out):
    ground: str
    outcome: Literal["upheld", "denied"]
    appeals: int


class AppealCounts(Out):
    upheld: int
    denied: int
    by_ground: list[AppealGroundRow]


class GrievanceStatisticsOut(Out):
    rows: list[GrievanceStatisticsRow]
    closed: int
    escalated: int
    median_days_to_answer: float | None
    share_answered_in_time: float | None
    appeals: AppealCounts
    ratings: dict[str, int]


# ------------------------------------------------------------------ social work cases


class NeedsAssessmentOut(Out):
    levels: dict[str, int] = Field(description="area -> 0 (no need) to 3 (urgent)")
    summary: str
    assessed_on: str
    assessed_by: str
    priorities: list[str] = Field(description="the areas rated 2 or 3, most urgent first")


class PlanActionOut(Out):
    action: str
    due_on: str
    done: bool


class ReferralOut(Out):
    referral_id: str
    service: str
    provider: str
    status: Literal["sent", "accepted", "declined", "completed"]
    sent_on: str
    sent_by: str
    answered_on: str | None
    answer_note: str | None


class CaseNoteOut(Out):
    note_id: str
    kind: Literal["visit", "note"]
    on: str
    by: str
    text: str
    confidential: bool


class CaseEventOut(Out):
    event: str
    at: str
    actor_id: str
    actor_role: str
    code: str | None


class CaseOut(Out):
    case_id: str
    household_id: str
    region_code: str
    district_code: str
    mahalla_code: str
    origin: str
    origin_ref: str | None
    worker_id: str = Field(description="the case's social worker ('' until one takes it)")
    status: Literal["open", "active", "closed"]
    opened_at: str
    opened_by: str
    opened_role: str
    review_on: str
    review_due: bool = Field(description="open and its review date reached")
    assessment: NeedsAssessmentOut | None
    plan: list[PlanActionOut]
    referrals: list[ReferralOut]
    notes: list[CaseNoteOut] = Field(description="confidential ones only for the case's worker and supervisors")
    outcome: str | None
    closed_on: str | None
    history: list[CaseEventOut]
    version: int


class CasesOut(Out):
    items: list[CaseOut]
    next_cursor: str | None


class CaseStatisticsRow(Out):
    region_code: str
    status: str
    cases: int


class ReferralCount(Out):
    service: str
    status: str
    referrals: int


class CaseStatisticsOut(Out):
    rows: list[CaseStatisticsRow]
    open: int = Field(description="cases open or active")
    by_origin: dict[str, int]
    referrals: list[ReferralCount]
    outcomes: dict[str, int]
