"""Outside parties of the payroll: the treasury (IFMS, SOAP through zeep), the paying bank (HTTP),
the civil registry's deaths, SMS, the bank-callback queue and the payroll state machine.

The zeep client is built from the WSDL packaged in ``chalicelib/wsdl`` (never fetched at run time)
with explicit connect and operation timeouts, and bound to the configured endpoint.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from chalicelib.agency_ports import AgencyClient, AgencyQuery, PersonRef
from chalicelib.domain import months
from chalicelib.ports import FundsAnswer

WSDL = Path(__file__).resolve().parent.parent / "wsdl" / "ifms_funds.wsdl"
logger = logging.getLogger(__name__)


class FundsRequestFailed(Exception):
    """The treasury refused or could not be reached (the state machine retries it by name)."""


class BankUnavailable(Exception):
    """The bank's gateway did not answer (the state machine retries it by name)."""


class ZeepFundsGateway:
    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._service: Any = None

    def _client(self) -> Any:
        if self._service is None:
            from zeep import Client, Settings
            from zeep.transports import Transport

            transport = Transport(timeout=self._timeout, operation_timeout=self._timeout)
            client = Client(str(WSDL), transport=transport, settings=Settings(strict=True, xml_huge_tree=False))
            self._service = client.create_service("{urn:uz:mof:ifms:funds:v1}FundsRequestBinding", self._url)
        return self._service

    def request_funds(self, request_id: str, month: str, lines: list[tuple[str, str, int, int]]) -> FundsAnswer:
        from requests.exceptions import RequestException
        from zeep.exceptions import Error as ZeepError

        try:
            answer = self._client().RequestFunds(
                requestId=request_id, month=month, currency="UZS", totalAmount=sum(a for *_, a in lines),
                line=[{"districtCode": d, "programme": p, "count": c, "amount": a} for d, p, c, a in lines])
        except (ZeepError, RequestException) as err:
            raise FundsRequestFailed(f"funds request {request_id} failed: {type(err).__name__}") from None
        return FundsAnswer(reference=str(answer.reference), status=str(answer.status))


class UnconfiguredFunds:
    """No treasury endpoint (a local run without the IFMS stub): the request is recorded as skipped."""

    def request_funds(self, request_id: str, month: str, lines: list[tuple[str, str, int, int]]) -> FundsAnswer:
        logger.warning("no IFMS endpoint configured; funds request %s skipped", request_id)
        return FundsAnswer(reference=f"unsent-{request_id}", status="skipped")


class HttpBankGateway:
    def __init__(self, url: str, timeout: float) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("the bank URL must be http(s)")
        self._url = url.rstrip("/")
        self._timeout = timeout

    def submit(self, bank_code: str, msg_id: str, pain001: bytes) -> bytes:
        request = urllib.request.Request(  # noqa: S310 (http(s) checked in __init__)
            f"{self._url}/pain001", data=pain001, method="POST",
            headers={"Content-Type": "application/xml", "X-Msg-Id": msg_id})
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 (configured URL)
                return bytes(response.read())
        except (urllib.error.URLError, TimeoutError) as err:
            raise BankUnavailable(f"bank {bank_code} did not take file {msg_id}: {type(err).__name__}") from None


class NoBank:
    def submit(self, bank_code: str, msg_id: str, pain001: bytes) -> bytes:
        raise BankUnavailable(f"no bank gateway configured for {bank_code}")


class CivilRegistryDeaths:
    """Deaths from the civil registry (DCI search through the civil registry's connector), asked in
    batches during the payroll freeze. An agency failure raises: nobody is paid unchecked, and the
    state machine retries the freeze."""

    def __init__(self, client: AgencyClient, batch: int = 100) -> None:
        self._client = client
        self._batch = batch

    def deceased(self, pinfls: list[str], month: str) -> set[str]:
        last_day = months.first_day(months.add(month, 1)) - timedelta(days=1)
        dead: set[str] = set()
        for start in range(0, len(pinfls), self._batch):
            chunk = pinfls[start:start + self._batch]
            query = AgencyQuery(application_id=f"payroll-{month}", period=month, months=(),
                                on_date=months.first_day(month), persons=tuple(PersonRef(p, p) for p in chunk))
            facts = self._client.fetch(query)
            dead |= {pinfl for pinfl, person in facts.persons.items()
                     if person.death_date is not None and person.death_date <= last_day}
        return dead


class StaticDeathRegistry:
    """Deaths from a fixed list (local runs and tests).

    The civil registry's DCI search (``POST /registry/sync/search``, ``death_date`` of a CRVS person)
    plugs in behind the same port (``ports.DeathRegistry``) once the agency connectors are wired.
    """

    def __init__(self, pinfls: set[str] | None = None) -> None:
        self.pinfls = set(pinfls or ())

    def deceased(self, pinfls: list[str], month: str) -> set[str]:
        return {p for p in pinfls if p in self.pinfls}


class SqsBankQueue:
    """The bank-callback queue: one SQS message per signed callback (the document waits on S3)."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._sqs = client
        self._url = queue_url

    def send(self, message: dict[str, str]) -> None:
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps(message, sort_keys=True))


class PayrollStateMachine:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def execution_arn(self, name: str) -> str:
        return self._arn.replace(":stateMachine:", ":execution:") + ":" + name

    def start(self, name: str, payload: dict[str, object]) -> tuple[str, bool]:
        arn = self.execution_arn(name)
        try:
            self._sfn.describe_execution(executionArn=arn)
            return arn, False  # one execution per name, ever: the existing run is the answer
        except self._sfn.exceptions.ExecutionDoesNotExist:
            pass
        try:
            out = self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(payload))
            return str(out["executionArn"]), True
        except self._sfn.exceptions.ExecutionAlreadyExists:
            return arn, False
        except Exception as err:  # moto answers some duplicates with a generic error; the name decides
            if "already exists" in str(err).lower() or "ExecutionAlreadyExists" in str(err):
                return arn, False
            raise

    def status(self, execution_arn: str) -> str:
        return str(self._sfn.describe_execution(executionArn=execution_arn)["status"])

    def resume(self, task_token: str, output: dict[str, object]) -> None:
        try:
            self._sfn.send_task_success(taskToken=task_token, output=json.dumps(output))
        except (self._sfn.exceptions.TaskTimedOut, self._sfn.exceptions.InvalidToken,
                self._sfn.exceptions.TaskDoesNotExist):
            # Already resumed (the last decision and the token's arrival can both resume it) or expired.
            logger.warning("payroll approval token no longer waiting")
