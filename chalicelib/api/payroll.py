"""Payroll runs for finance and ministry roles, district approval of pre-payrolls, the bank callback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib import bootstrap
from chalicelib.api import responses as out
from chalicelib.api.http import Reply, endpoint
from chalicelib.api.schemas import Strict
from chalicelib.domain import access
from chalicelib.domain.identifiers import MONTH
from chalicelib.domain.signatures import SIGNATURE_PATTERN, parse_headers

if TYPE_CHECKING:
    from chalicelib.domain.access import Principal
    from chalicelib.domain.payroll import PayrollRun

bp = Blueprint(__name__)


def run_view(run: PayrollRun, principal: Principal | None = None) -> dict[str, Any]:
    # The payroll service module (ISO 20022 files, lxml) is loaded by the first payroll call, so the
    # other routes' cold start does not pay for it.
    from chalicelib.services.payroll import run_view as view

    return view(run, principal)


class StartRunIn(Strict):
    month: str = Field(pattern=MONTH, description="the month to pay, YYYY-MM")


class ApproveIn(Strict):
    note: str | None = Field(default=None, max_length=500)


class RejectIn(Strict):
    reason: str = Field(min_length=3, max_length=500, description="why the pre-payroll is rejected")


class BankCallbackIn(Strict):
    """A bank message, signed: X-Bank-Id, X-Signature-Timestamp (Unix seconds) and X-Signature
    (64 hex digits: HMAC-SHA256 with the bank's secret over ``timestamp + "." + raw body``)."""

    message_type: Literal["camt.054", "pain.002"]
    document: str = Field(min_length=1, max_length=6_000_000, description="the ISO 20022 XML message")


START_EXAMPLE = {"month": "2026-12"}
APPROVE_EXAMPLE = {"note": "checked against the district's list"}
REJECT_EXAMPLE = {"reason": "two mahallas are missing from the list"}
CALLBACK_EXAMPLE = {"message_type": "camt.054", "document": (
    '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
    "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>XALQ-CAMT054-000001</MsgId><CreDtTm>2026-12-06T10:00:00</CreDtTm>"
    "</GrpHdr><Ntfctn><Id>XALQ-CAMT054-000001</Id><CreDtTm>2026-12-06T10:00:00</CreDtTm><Acct><Id><Othr>"
    "<Id>23402000300100001010</Id></Othr></Id></Acct></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>")}


@endpoint(bp, "/payroll/runs", "POST", summary="Start the payroll run of a month (idempotent: one run per month)",
          tag="payroll", body=StartRunIn, example=START_EXAMPLE, status=201, response=out.PayrollRunOut,
          responses={409: "no payroll workflow is configured on this stage"},
          action=access.PAYROLL_START)
def start_run(request: Any, principal: Any, body: StartRunIn) -> dict[str, Any]:
    return run_view(bootstrap.services().payroll.start(principal, body.month))


@endpoint(bp, "/payroll/runs", "GET", summary="Payroll runs and their status", tag="payroll",
          response=out.PayrollRunsOut,
          action=access.PAYROLL_READ)
def list_runs(request: Any, principal: Any, body: None) -> dict[str, Any]:
    return {"items": bootstrap.services().payroll.runs(principal)}


@endpoint(bp, "/payroll/runs/{month}", "GET", summary="One payroll run: status, districts and their decisions",
          tag="payroll", response=out.PayrollRunOut,
          action=access.PAYROLL_READ)
def get_run(request: Any, principal: Any, body: None, month: str) -> dict[str, Any]:
    result: dict[str, Any] = bootstrap.services().payroll.run(principal, month)
    return result


@endpoint(bp, "/payroll/runs/{month}/summary", "GET", tag="payroll",
          summary="Reconciliation by district and programme: sent = paid + rejected + returned + pending (som)",
          response=out.PayrollSummaryOut,
          action=access.PAYROLL_READ)
def run_summary(request: Any, principal: Any, body: None, month: str) -> dict[str, Any]:
    result: dict[str, Any] = bootstrap.services().payroll.summary(principal, month)
    return result


@endpoint(bp, "/payroll/runs/{month}/districts/{district_code}/approve", "POST", tag="payroll",
          summary="Approve the district's pre-payroll (district_admin of that district)", body=ApproveIn,
          example=APPROVE_EXAMPLE, responses={409: "already rejected, or the run is not awaiting approval"},
          response=out.PayrollRunOut,
          action=access.PAYROLL_APPROVE_DISTRICT)
def approve(request: Any, principal: Any, body: ApproveIn, month: str, district_code: str) -> dict[str, Any]:
    run = bootstrap.services().payroll.decide(principal, month, district_code, True, body.note)
    return run_view(run, principal)


@endpoint(bp, "/payroll/runs/{month}/districts/{district_code}/reject", "POST", tag="payroll",
          summary="Reject the district's pre-payroll with a reason; its payments are held", body=RejectIn,
          example=REJECT_EXAMPLE, responses={409: "already approved, or the run is not awaiting approval"},
          response=out.PayrollRunOut,
          action=access.PAYROLL_APPROVE_DISTRICT)
def reject(request: Any, principal: Any, body: RejectIn, month: str, district_code: str) -> dict[str, Any]:
    run = bootstrap.services().payroll.decide(principal, month, district_code, False, body.reason)
    return run_view(run, principal)


@endpoint(bp, "/payroll/runs/{month}/files", "GET", audit=True, tag="payroll",
          summary="Short-lived download links for the run's files (pre-payrolls in scope; national files for "
                  "auditors)", response=out.FileLinksOut,
          action=access.PAYROLL_FILES)
def file_links(request: Any, principal: Any, body: None, month: str) -> dict[str, Any]:
    result: dict[str, Any] = bootstrap.services().payroll.file_links(principal, month)
    return result


# The signature headers are read before the body is parsed; the HMAC itself is checked by the service.
CALLBACK_HEADERS = (("X-Bank-Id", r"^[A-Za-z0-9_-]{1,32}$"), ("X-Signature-Timestamp", r"^[0-9]{1,12}$"),
                    ("X-Signature", SIGNATURE_PATTERN))


def _signed(request: Any) -> None:
    parse_headers(request.headers.get("x-signature-timestamp"), request.headers.get("x-signature"))


@endpoint(bp, "/bank/callbacks", "POST", tag="bank", public=True, audit="bank.callback", body=BankCallbackIn,
          example=CALLBACK_EXAMPLE,
          summary="Bank notifications (camt.054) and status reports (pain.002), HMAC-signed; no bearer token",
          authenticate=_signed, max_body=6 * 1024 * 1024, headers=CALLBACK_HEADERS, response=out.CallbackOut,
          also={202: out.CallbackQueuedOut},
          responses={202: "checked and queued: applied shortly by the bank-message consumer",
                     401: "unsigned, wrongly signed, unknown bank or stale timestamp",
                     409: "the very same signed request was received before (replay)"})
def bank_callback(request: Any, principal: Any, body: BankCallbackIn) -> Any:
    headers = request.headers
    result: dict[str, Any] = bootstrap.services().payroll.receive_callback(
        bank_id=headers.get("x-bank-id"), timestamp=headers.get("x-signature-timestamp"),
        signature=headers.get("x-signature"), body=request.raw_body or b"", message_type=body.message_type,
        document=body.document)
    return Reply(202, result) if result.get("queued") else result
