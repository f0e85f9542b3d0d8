"""The composition root: the only place that builds AWS clients, adapters and services.

Built lazily, once per process (a Lambda container or ``chalice local``), never at import time, so
tests can point it at moto and reset it between tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.adapters.agencies import build_agency_client, build_agency_clients
from chalicelib.adapters.audit import DynamoAuditTrail
from chalicelib.adapters.crypto import EnvelopeCipher
from chalicelib.adapters.dynamodb import (
    DynamoAccessLog,
    DynamoApplicationRepository,
    DynamoAssignmentRepository,
    DynamoDecisionRepository,
    DynamoHouseholdRepository,
    DynamoNotificationLog,
)
from chalicelib.adapters.evidence_store import S3EvidenceStore
from chalicelib.adapters.payments import (
    CivilRegistryDeaths,
    HttpBankGateway,
    NoBank,
    PayrollStateMachine,
    StaticDeathRegistry,
    UnconfiguredFunds,
    ZeepFundsGateway,
)
from chalicelib.adapters.payroll import DynamoHouseholdDirectory, DynamoPayrollRepository, S3FileStore
from chalicelib.adapters.s3 import S3DocumentStore
from chalicelib.adapters.sns import SnsSms
from chalicelib.adapters.stepfunctions import StepFunctionsWorkflow, UnconfiguredWorkflow
from chalicelib.adapters.system import RandomIds, SystemClock
from chalicelib.adapters.tokens import JwtVerifier
from chalicelib.config import Settings
from chalicelib.services import assessment
from chalicelib.services.applications import ApplicationService
from chalicelib.services.audit import AuditService
from chalicelib.services.households import HouseholdService
from chalicelib.services.intake import IntakeService
from chalicelib.services.notifications import NotificationService
from chalicelib.services.payroll import PayrollService
from chalicelib.services.workflow import WorkflowService


@dataclass
class Services:
    settings: Settings
    tokens: JwtVerifier
    intake: IntakeService
    households: HouseholdService
    applications: ApplicationService
    workflow: WorkflowService
    notifications: NotificationService
    access_log: DynamoAccessLog
    payroll: PayrollService
    audit: AuditService


def aws_client(service: str, settings: Settings) -> Any:
    """A boto3 client honouring AWS_ENDPOINT_URL (moto locally, LocalStack for those with Docker)."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10),
    )


def field_cipher(settings: Settings) -> EnvelopeCipher:
    """The envelope cipher of bank account and card numbers (KMS key ``settings.data_key_id``)."""
    return EnvelopeCipher(aws_client("kms", settings), settings.data_key_id, settings.data_key_reuse_seconds)


def audit_service(settings: Settings, dynamodb: Any = None) -> AuditService:
    trail = DynamoAuditTrail(dynamodb or aws_client("dynamodb", settings), settings.audit_table,
                             settings.audit_chains)
    return AuditService(trail, SystemClock())


def build(settings: Settings) -> Services:
    dynamodb = aws_client("dynamodb", settings)
    s3 = aws_client("s3", settings)
    clock, ids = SystemClock(), RandomIds()
    cipher = field_cipher(settings)
    households = DynamoHouseholdRepository(dynamodb, settings.registry_table, cipher)
    applications = DynamoApplicationRepository(dynamodb, settings.applications_table)
    workflow = (StepFunctionsWorkflow(aws_client("stepfunctions", settings), settings.application_state_machine_arn)
                if settings.application_state_machine_arn else UnconfiguredWorkflow())
    notifications = NotificationService(DynamoNotificationLog(dynamodb, settings.audit_table),
                                        SnsSms(aws_client("sns", settings)), clock)
    access_log = DynamoAccessLog(dynamodb, settings.audit_table)
    decisions = DynamoDecisionRepository(dynamodb, settings.applications_table)
    agencies = build_agency_clients(settings.agency_urls, timeout_s=settings.agency_timeout_s)
    return Services(
        settings=settings,
        tokens=JwtVerifier(issuer=settings.jwt_issuer, audience=settings.jwt_audience,
                           secret=settings.jwt_secret, jwks_url=settings.jwks_url),
        intake=IntakeService(households, applications, clock, ids, settings, workflow),
        households=HouseholdService(households, clock, ids),
        applications=ApplicationService(applications, S3DocumentStore(s3, settings.documents_bucket), clock, ids,
                                        settings, workflow, decisions, access_log),
        workflow=WorkflowService(
            applications, decisions,
            DynamoAssignmentRepository(dynamodb, settings.assignments_table),
            S3EvidenceStore(s3, settings.documents_bucket), notifications, lambda: agencies, access_log,
            assessment.assess, clock, settings),
        notifications=notifications,
        access_log=access_log,
        payroll=build_payroll(settings, dynamodb, s3, households, clock, notifications, cipher),
        audit=audit_service(settings, dynamodb),
    )


def build_payroll(settings: Settings, dynamodb: Any, s3: Any, households: Any, clock: Any,
                  sms: Any, cipher: Any) -> PayrollService:
    """The payroll service; the treasury, bank and state machine only where configured."""
    funds = (ZeepFundsGateway(settings.ifms_url, settings.ifms_timeout_seconds) if settings.ifms_url
             else UnconfiguredFunds())
    bank = HttpBankGateway(settings.bank_url, settings.bank_timeout_seconds) if settings.bank_url else NoBank()
    workflow = (PayrollStateMachine(aws_client("stepfunctions", settings), settings.payroll_state_machine_arn)
                if settings.payroll_state_machine_arn else None)
    # Deaths come from the civil registry; without its URL (API-only local runs) nobody is reported dead.
    civil_registry = settings.agency_urls.get("civil_registry")
    deaths = (CivilRegistryDeaths(build_agency_client("civil_registry", civil_registry,
                                                      timeout_s=settings.agency_timeout_s))
              if civil_registry else StaticDeathRegistry())
    return PayrollService(
        assignments=DynamoAssignmentRepository(dynamodb, settings.assignments_table), households=households,
        directory=DynamoHouseholdDirectory(dynamodb, settings.registry_table),
        payroll=DynamoPayrollRepository(dynamodb, settings.payroll_table),
        files=S3FileStore(s3, settings.payroll_bucket), deaths=deaths, funds=funds, bank=bank,
        sms=sms, workflow=workflow, clock=clock, settings=settings, cipher=cipher)


_services: Services | None = None


def services() -> Services:
    global _services
    if _services is None:
        _services = build(Settings.from_env())
    return _services


def reset(replacement: Services | None = None) -> None:
    """Drops the built services (tests, or after the environment changed)."""
    global _services
    _services = replacement
